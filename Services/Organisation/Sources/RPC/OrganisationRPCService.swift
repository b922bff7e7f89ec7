import GRPCCore
import GovernanceAPI
import ServiceKit

/// `governance.organisation.v1.OrganisationService` over gRPC: protobuf in, protobuf out, domain
/// errors mapped to status codes by ServiceKit. Every method of the contract is registered (a
/// test checks it against the generated descriptors).
public struct OrganisationRPCService<PropertyTransport: ClientTransport, GridTransport: ClientTransport>:
  RegistrableRPCService
{
  typealias Method = Governance_Organisation_V1_OrganisationService.Method

  private let store: OrganisationStore
  private let property: PropertyDirectory<PropertyTransport>
  private let grid: GridDirectory<GridTransport>

  public init(
    store: OrganisationStore, property: PropertyDirectory<PropertyTransport>, grid: GridDirectory<GridTransport>
  ) {
    self.store = store
    self.property = property
    self.grid = grid
  }

  public func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
    router.registerUnary(Method.CreateOrganisation.descriptor) {
      (request: Governance_Organisation_V1_CreateOrganisationRequest, _) in
      try await store.createOrganisation(request, by: Principal.current)
    }
    router.registerUnary(Method.GetOrganisation.descriptor) {
      (request: Governance_Organisation_V1_GetOrganisationRequest, _) in
      let id = try FieldValidation.requiredID(request.id, field: "id")
      return try await store.organisation(id: id).orNotFound("organisation", id: id)
    }
    router.registerUnary(Method.UpdateOrganisation.descriptor) {
      (request: Governance_Organisation_V1_UpdateOrganisationRequest, _) in
      try await store.updateOrganisation(request, by: Principal.current)
    }
    router.registerUnary(Method.MoveOrganisation.descriptor) {
      (request: Governance_Organisation_V1_MoveOrganisationRequest, _) in
      try await store.moveOrganisation(request, by: Principal.current)
    }
    router.registerUnary(Method.DissolveOrganisation.descriptor) {
      (request: Governance_Organisation_V1_DissolveOrganisationRequest, _) in
      try await store.dissolveOrganisation(request, by: Principal.current)
    }
    router.registerUnary(Method.ListOrganisations.descriptor) {
      (request: Governance_Organisation_V1_ListOrganisationsRequest, _) in
      try await store.listOrganisations(request)
    }
    router.registerUnary(Method.ListOrganisationHistory.descriptor) {
      (request: Governance_Organisation_V1_ListOrganisationHistoryRequest, _) in
      try await store.organisationHistory(request)
    }
    router.registerUnary(Method.RegisterAtCommunity.descriptor) {
      (request: Governance_Organisation_V1_RegisterAtCommunityRequest, _) in
      try await store.registerAtCommunity(request, by: Principal.current)
    }
    router.registerUnary(Method.ListCommunityRegistrations.descriptor) {
      (request: Governance_Organisation_V1_ListCommunityRegistrationsRequest, _) in
      try await store.listRegistrations(request)
    }
    router.registerUnary(Method.CountCommunityRegistrations.descriptor) {
      (request: Governance_Organisation_V1_CountCommunityRegistrationsRequest, _) in
      try await store.countRegistrations(request)
    }
    router.registerUnary(Method.CreateGovernanceBody.descriptor) {
      (request: Governance_Organisation_V1_CreateGovernanceBodyRequest, _) in
      // Whether the compound has a property company is the property service's to say, asked
      // before the transaction so no peer call runs inside it.
      var compound: Governance_Property_V1_Compound?
      if let id = request.body.compoundIds.first,
        [.ownersCommittee, .selfManagementCommittee].contains(request.body.kind)
      {
        compound = try await property.compound(id: try FieldValidation.requiredID(id, field: "body.compound_ids[0]"))
      }
      return try await store.createGovernanceBody(request, compound: compound, by: Principal.current)
    }
    router.registerUnary(Method.GetGovernanceBody.descriptor) {
      (request: Governance_Organisation_V1_GetGovernanceBodyRequest, _) in
      let id = try FieldValidation.requiredID(request.id, field: "id")
      return try await store.governanceBody(id: id).orNotFound("body", id: id)
    }
    router.registerUnary(Method.ListGovernanceBodies.descriptor) {
      (request: Governance_Organisation_V1_ListGovernanceBodiesRequest, _) in
      try await store.listGovernanceBodies(request)
    }
    router.registerUnary(Method.AddBodyMember.descriptor) {
      (request: Governance_Organisation_V1_AddBodyMemberRequest, _) in
      try await store.addBodyMember(request, by: Principal.current)
    }
    router.registerUnary(Method.EndBodyMembership.descriptor) {
      (request: Governance_Organisation_V1_EndBodyMembershipRequest, _) in
      try await store.endBodyMembership(request, by: Principal.current)
    }
    router.registerUnary(Method.ListBodyMembers.descriptor) {
      (request: Governance_Organisation_V1_ListBodyMembersRequest, _) in
      try await store.listBodyMembers(request)
    }
    router.registerUnary(Method.CreateNegativeListEntry.descriptor) {
      (request: Governance_Organisation_V1_CreateNegativeListEntryRequest, _) in
      try await store.createNegativeListEntry(request, by: Principal.current)
    }
    router.registerUnary(Method.ListNegativeListEntries.descriptor) {
      (request: Governance_Organisation_V1_ListNegativeListEntriesRequest, _) in
      try await store.listNegativeListEntries(request)
    }
    router.registerUnary(Method.CreateCrossAppointment.descriptor) {
      (request: Governance_Organisation_V1_CreateCrossAppointmentRequest, _) in
      _ = try await property.company(
        id: try FieldValidation.requiredID(request.appointment.propertyCompanyID, field: "appointment.property_company_id"))
      return try await store.createCrossAppointment(request, by: Principal.current)
    }
    router.registerUnary(Method.EndCrossAppointment.descriptor) {
      (request: Governance_Organisation_V1_EndCrossAppointmentRequest, _) in
      try await store.endCrossAppointment(request, by: Principal.current)
    }
    router.registerUnary(Method.ListCrossAppointments.descriptor) {
      (request: Governance_Organisation_V1_ListCrossAppointmentsRequest, _) in
      try await store.listCrossAppointments(request)
    }
    router.registerUnary(Method.CreateConference.descriptor) {
      (request: Governance_Organisation_V1_CreateConferenceRequest, _) in
      try await store.createConference(request, by: Principal.current)
    }
    router.registerUnary(Method.GetConference.descriptor) { (request: Governance_Organisation_V1_GetConferenceRequest, _) in
      let id = try FieldValidation.requiredID(request.id, field: "id")
      return try await store.conference(id: id).orNotFound("conference", id: id)
    }
    router.registerUnary(Method.ListConferences.descriptor) {
      (request: Governance_Organisation_V1_ListConferencesRequest, _) in
      try await store.listConferences(request)
    }
    router.registerUnary(Method.ListConferenceGaps.descriptor) {
      (request: Governance_Organisation_V1_ListConferenceGapsRequest, _) in
      try await store.conferenceGaps(request)
    }
    router.registerUnary(Method.ReportMajorMatter.descriptor) {
      (request: Governance_Organisation_V1_ReportMajorMatterRequest, _) in
      try await store.reportMajorMatter(request, by: Principal.current)
    }
    router.registerUnary(Method.ListMajorMatterReports.descriptor) {
      (request: Governance_Organisation_V1_ListMajorMatterReportsRequest, _) in
      try await store.listMajorMatters(request)
    }
    router.registerUnary(Method.CreatePairedUnit.descriptor) {
      (request: Governance_Organisation_V1_CreatePairedUnitRequest, _) in
      try await store.createPairedUnit(request, by: Principal.current)
    }
    router.registerUnary(Method.ListPairedUnits.descriptor) {
      (request: Governance_Organisation_V1_ListPairedUnitsRequest, _) in
      try await store.listPairedUnits(request)
    }
    router.registerUnary(Method.CreatePairing.descriptor) { (request: Governance_Organisation_V1_CreatePairingRequest, _) in
      let compound = request.compoundID.isEmpty
        ? nil : try await property.compound(id: try FieldValidation.requiredID(request.compoundID, field: "compound_id"))
      return try await store.createPairing(request, compound: compound, by: Principal.current)
    }
    router.registerUnary(Method.UpdatePairingHelp.descriptor) {
      (request: Governance_Organisation_V1_UpdatePairingHelpRequest, _) in
      try await store.updatePairingHelp(request, by: Principal.current)
    }
    router.registerUnary(Method.ListPairings.descriptor) { (request: Governance_Organisation_V1_ListPairingsRequest, _) in
      try await store.listPairings(request)
    }
    router.registerUnary(Method.RecordPairingEvaluation.descriptor) {
      (request: Governance_Organisation_V1_RecordPairingEvaluationRequest, _) in
      try await store.recordPairingEvaluation(request, by: Principal.current)
    }
    router.registerUnary(Method.ListPairingEvaluations.descriptor) {
      (request: Governance_Organisation_V1_ListPairingEvaluationsRequest, _) in
      try await store.listPairingEvaluations(request)
    }
    router.registerUnary(Method.AppointPosition.descriptor) {
      (request: Governance_Organisation_V1_AppointPositionRequest, _) in
      try await store.appointPosition(request, by: Principal.current)
    }
    router.registerUnary(Method.EndPosition.descriptor) { (request: Governance_Organisation_V1_EndPositionRequest, _) in
      try await store.endPosition(request, by: Principal.current)
    }
    router.registerUnary(Method.ListPositions.descriptor) { (request: Governance_Organisation_V1_ListPositionsRequest, _) in
      try await store.listPositions(request)
    }
    router.registerUnary(Method.GetCoverage.descriptor) { (request: Governance_Organisation_V1_GetCoverageRequest, _) in
      try await coverage(request)
    }
    router.registerUnary(Method.UpdateMember.descriptor) { (request: Governance_Organisation_V1_UpdateMemberRequest, _) in
      try await store.updateMember(request, by: Principal.current)
    }
    router.registerUnary(Method.UpdateGovernanceBody.descriptor) {
      (request: Governance_Organisation_V1_UpdateGovernanceBodyRequest, _) in
      try await store.updateGovernanceBody(request, by: Principal.current)
    }
    router.registerUnary(Method.CreateMember.descriptor) { (request: Governance_Organisation_V1_CreateMemberRequest, _) in
      try await store.createMember(request, by: Principal.current)
    }
    router.registerUnary(Method.GetMember.descriptor) { (request: Governance_Organisation_V1_GetMemberRequest, _) in
      let id = try FieldValidation.requiredID(request.id, field: "id")
      return try await store.member(id: id).orNotFound("member", id: id)
    }
    router.registerUnary(Method.ListMembers.descriptor) { (request: Governance_Organisation_V1_ListMembersRequest, _) in
      try await store.listMembers(request)
    }
    router.registerUnary(Method.TransferMember.descriptor) {
      (request: Governance_Organisation_V1_TransferMemberRequest, _) in
      try await store.transferMember(request, by: Principal.current)
    }
    router.registerUnary(Method.ListMemberTransfers.descriptor) {
      (request: Governance_Organisation_V1_ListMemberTransfersRequest, _) in
      try await store.memberTransfers(request)
    }
    router.registerUnary(Method.RevealContact.descriptor) {
      (request: Governance_Organisation_V1_RevealContactRequest, _) in
      try await store.revealContact(request, by: Principal.current)
    }
    router.registerUnary(Method.ProposeBranchPlan.descriptor) {
      (request: Governance_Organisation_V1_ProposeBranchPlanRequest, _) in
      try await proposeBranchPlan(request)
    }
  }

  /// Reads the compounds from the property service, counts their members here in one query, and
  /// applies the formation rule.
  func proposeBranchPlan(_ request: Governance_Organisation_V1_ProposeBranchPlanRequest) async throws
    -> Governance_Organisation_V1_ProposeBranchPlanResponse
  {
    let division = try BranchFormation.planDivision(request.divisionCode)
    let compounds = try await property.compounds(under: division.prefix)
    let counts = try await store.memberCounts(compounds: compounds.map(\.id))
    let proposals = BranchFormation.propose(compounds.map {
      .init(compound: $0, formal: counts.formal[$0.id] ?? 0, probationary: counts.probationary[$0.id] ?? 0)
    })
    let existing = try await store.branchesByCompound(under: division.prefix)
    return .with {
      $0.divisionCode = division.code
      $0.proposals = BranchFormation.compare(proposals, with: existing)
    }
  }

  /// Coverage of a jurisdiction: compounds and basic grid codes listed by their services, the
  /// companies and buildings counted by the property service (again per child division when
  /// children are asked for), the party side counted here.
  func coverage(_ request: Governance_Organisation_V1_GetCoverageRequest) async throws
    -> Governance_Organisation_V1_GetCoverageResponse
  {
    var check = RecordFilter()
    let prefix = try check.divisionPrefix(request.divisionPrefix)
    async let compounds = property.compounds(under: prefix)
    async let gridCodes = grid.basicGridCodes(under: prefix)
    async let statistics = property.statistics(under: prefix)
    let facts = try await store.partyFacts(under: prefix)
    let (allCompounds, allGridCodes) = try await (compounds, gridCodes)
    var response = Governance_Organisation_V1_GetCoverageResponse.with {
      $0.divisionPrefix = prefix
      $0.computedTime = .init(date: .now)
    }
    response.figures = Coverage.figures(
      compounds: allCompounds, gridCodes: allGridCodes, property: try await statistics, party: facts)
    guard request.includeChildren, let childLength = Coverage.childPrefixLength(after: prefix.utf8.count) else {
      return response
    }
    let children = Set(
      (allCompounds.map(\.divisionCode) + allGridCodes).filter { $0.utf8.count >= childLength }
        .map { String($0.prefix(childLength)) })
    for child in children.sorted() {
      let figures = Coverage.figures(
        compounds: allCompounds.filter { $0.divisionCode.hasPrefix(child) },
        gridCodes: allGridCodes.filter { $0.hasPrefix(child) },
        property: try await property.statistics(under: child), party: try await store.partyFacts(under: child))
      response.children.append(.with {
        $0.divisionCode = child.utf8.count < 12 ? child + String(repeating: "0", count: 12 - child.utf8.count) : child
        $0.figures = figures
      })
    }
    return response
  }
}
