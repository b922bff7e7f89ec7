import Foundation
import GRPCCore
import GovernanceAPI
import ServiceKit

/// `governance.evaluation.v1.EvaluationService` over gRPC: every method of the contract.
public struct EvaluationRPCService<PeerTransport: ClientTransport>: RegistrableRPCService {
  typealias Method = Governance_Evaluation_V1_EvaluationService.Method

  private let store: EvaluationStore
  private let peers: EvaluationPeers<PeerTransport>
  private let publisher: ListPublisher<PeerTransport>

  public init(store: EvaluationStore, peers: EvaluationPeers<PeerTransport>) {
    self.store = store
    self.peers = peers
    self.publisher = ListPublisher(store: store, peers: peers)
  }

  public func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
    registerSetup(with: &router)
    registerInputs(with: &router)
    registerOutcomes(with: &router)
  }

  private func registerSetup<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
    router.registerUnary(Method.CreateScoringItem.descriptor) {
      (request: Governance_Evaluation_V1_CreateScoringItemRequest, _) in
      try await store.createScoringItem(request, by: Principal.current)
    }
    router.registerUnary(Method.GetScoringItem.descriptor) { (request: Governance_Evaluation_V1_GetScoringItemRequest, _) in
      let id = try FieldValidation.requiredID(request.id, field: "id")
      return try await store.scoringItem(id: id).orNotFound("scoring item", id: id)
    }
    router.registerUnary(Method.ListScoringItems.descriptor) { (request: Governance_Evaluation_V1_ListScoringItemsRequest, _) in
      try await store.listScoringItems(request)
    }
    router.registerUnary(Method.UpdateScoringItem.descriptor) {
      (request: Governance_Evaluation_V1_UpdateScoringItemRequest, _) in
      try await store.updateScoringItem(request, by: Principal.current)
    }
    router.registerUnary(Method.CreatePeriod.descriptor) { (request: Governance_Evaluation_V1_CreatePeriodRequest, _) in
      try await store.createPeriod(request, by: Principal.current)
    }
    router.registerUnary(Method.GetPeriod.descriptor) { (request: Governance_Evaluation_V1_GetPeriodRequest, _) in
      let id = try FieldValidation.requiredID(request.id, field: "id")
      return try await store.period(id: id).orNotFound("period", id: id)
    }
    router.registerUnary(Method.ListPeriods.descriptor) { (request: Governance_Evaluation_V1_ListPeriodsRequest, _) in
      try await store.listPeriods(request)
    }
    router.registerUnary(Method.ClosePeriod.descriptor) { (request: Governance_Evaluation_V1_ClosePeriodRequest, _) in
      try await store.closePeriod(request, by: Principal.current)
    }
    router.registerUnary(Method.CreatePanel.descriptor) { (request: Governance_Evaluation_V1_CreatePanelRequest, _) in
      try await store.createPanel(request, by: Principal.current)
    }
    router.registerUnary(Method.GetPanel.descriptor) { (request: Governance_Evaluation_V1_GetPanelRequest, _) in
      let id = try FieldValidation.requiredID(request.id, field: "id")
      return try await store.panel(id: id).orNotFound("panel", id: id)
    }
    router.registerUnary(Method.ListPanels.descriptor) { (request: Governance_Evaluation_V1_ListPanelsRequest, _) in
      try await store.listPanels(request)
    }
    router.registerUnary(Method.AddPanelMember.descriptor) { (request: Governance_Evaluation_V1_AddPanelMemberRequest, _) in
      try await store.addPanelMember(request, by: Principal.current)
    }
    router.registerUnary(Method.RemovePanelMember.descriptor) {
      (request: Governance_Evaluation_V1_RemovePanelMemberRequest, _) in
      try await store.removePanelMember(request, by: Principal.current)
    }
    router.registerUnary(Method.GetRatingPolicy.descriptor) { (request: Governance_Evaluation_V1_GetRatingPolicyRequest, _) in
      let division = try DivisionCode(request.divisionCode, field: "division_code")
      return try await store.policy(for: division.code)
    }
    router.registerUnary(Method.SetRatingPolicy.descriptor) { (request: Governance_Evaluation_V1_SetRatingPolicyRequest, _) in
      try await store.setPolicy(request, by: Principal.current)
    }
  }

  private func registerInputs<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
    router.registerUnary(Method.SubmitScore.descriptor) { (request: Governance_Evaluation_V1_SubmitScoreRequest, _) in
      try await store.submitScore(request, by: Principal.current)
    }
    router.registerUnary(Method.ListScores.descriptor) { (request: Governance_Evaluation_V1_ListScoresRequest, _) in
      try await store.listScores(request)
    }
    router.registerUnary(Method.SubmitSurveyResponse.descriptor) {
      (request: Governance_Evaluation_V1_SubmitSurveyResponseRequest, _) in
      try await store.submitSurvey(request, by: Principal.current)
    }
    router.registerUnary(Method.ListSurveyResponses.descriptor) {
      (request: Governance_Evaluation_V1_ListSurveyResponsesRequest, _) in
      try await store.listSurveys(request)
    }
    router.registerUnary(Method.ImportCaseSatisfaction.descriptor) {
      (request: Governance_Evaluation_V1_ImportCaseSatisfactionRequest, _) in
      try await importCaseSatisfaction(request)
    }
    router.registerUnary(Method.ListCaseSatisfaction.descriptor) {
      (request: Governance_Evaluation_V1_ListCaseSatisfactionRequest, _) in
      try await store.listCaseSatisfaction(request)
    }
    router.registerUnary(Method.CreateRectificationOrder.descriptor) {
      (request: Governance_Evaluation_V1_CreateRectificationOrderRequest, _) in
      try await store.createOrder(request, by: Principal.current)
    }
    router.registerUnary(Method.GetRectificationOrder.descriptor) {
      (request: Governance_Evaluation_V1_GetRectificationOrderRequest, _) in
      let id = try FieldValidation.requiredID(request.id, field: "id")
      return try await store.order(id: id).orNotFound("rectification order", id: id)
    }
    router.registerUnary(Method.ListRectificationOrders.descriptor) {
      (request: Governance_Evaluation_V1_ListRectificationOrdersRequest, _) in
      try await store.listOrders(request)
    }
    router.registerUnary(Method.CompleteRectificationOrder.descriptor) {
      (request: Governance_Evaluation_V1_CompleteRectificationOrderRequest, _) in
      try await store.completeOrder(request, by: Principal.current)
    }
    router.registerUnary(Method.SubmitPairedUnitEvaluation.descriptor) {
      (request: Governance_Evaluation_V1_SubmitPairedUnitEvaluationRequest, _) in
      let evaluation = try FiveHelps.validateNew(request.evaluation)
      // Paired units are registered by the district or the street; look in the street's district.
      let street = try DivisionCode(evaluation.divisionCode, field: "evaluation.division_code")
      let unit = try await peers.pairedUnit(id: evaluation.pairedUnitID, under: (street.parent ?? street).prefix)
      return try await store.submitPairedUnitEvaluation(request, unitName: unit.name, by: Principal.current)
    }
    router.registerUnary(Method.ListPairedUnitEvaluations.descriptor) {
      (request: Governance_Evaluation_V1_ListPairedUnitEvaluationsRequest, _) in
      try await store.listPairedUnitEvaluations(request)
    }
  }

  private func registerOutcomes<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
    router.registerUnary(Method.ComputeCompositeScores.descriptor) {
      (request: Governance_Evaluation_V1_ComputeCompositeScoresRequest, _) in
      try await computeComposites(request)
    }
    router.registerUnary(Method.GetCompositeScore.descriptor) { (request: Governance_Evaluation_V1_GetCompositeScoreRequest, _) in
      switch request.key {
      case .id(let id):
        let id = try FieldValidation.requiredID(id, field: "id")
        return try await store.composite(id: id).orNotFound("composite score", id: id)
      case .companyPeriod(let key):
        let company = try FieldValidation.requiredID(key.companyID, field: "company_period.company_id")
        let period = try FieldValidation.requiredID(key.periodID, field: "company_period.period_id")
        return try await store.composite(company: company, period: period)
          .orNotFound("composite score of \(company) in", id: period)
      case nil:
        throw DomainError.invalidArgument(field: "key", rule: "one of id or company_period is required")
      }
    }
    router.registerUnary(Method.ListCompositeScores.descriptor) {
      (request: Governance_Evaluation_V1_ListCompositeScoresRequest, _) in
      try await store.listComposites(request)
    }
    router.registerUnary(Method.PublishLists.descriptor) { (request: Governance_Evaluation_V1_PublishListsRequest, _) in
      try await publisher.publish(periodID: request.periodID, by: Principal.current)
    }
    router.registerUnary(Method.GetPublication.descriptor) { (request: Governance_Evaluation_V1_GetPublicationRequest, _) in
      switch request.key {
      case .id(let id):
        let id = try FieldValidation.requiredID(id, field: "id")
        return try await store.publication(id: id).orNotFound("publication", id: id)
      case .periodID(let period):
        let period = try FieldValidation.requiredID(period, field: "period_id")
        return try await store.publication(periodID: period).orNotFound("publication of period", id: period)
      case nil:
        throw DomainError.invalidArgument(field: "key", rule: "one of id or period_id is required")
      }
    }
    router.registerUnary(Method.ListPublications.descriptor) { (request: Governance_Evaluation_V1_ListPublicationsRequest, _) in
      try await store.listPublications(request)
    }
    router.registerUnary(Method.GetCompanyHistory.descriptor) { (request: Governance_Evaluation_V1_GetCompanyHistoryRequest, _) in
      try await store.companyHistory(request)
    }
  }

  /// Pulls case satisfaction per compound from the grid service for the period's span and
  /// stores it against the company serving each compound now (from the property service).
  private func importCaseSatisfaction(_ request: Governance_Evaluation_V1_ImportCaseSatisfactionRequest) async throws
    -> Governance_Evaluation_V1_ImportCaseSatisfactionResponse
  {
    let periodID = try FieldValidation.requiredID(request.periodID, field: "period_id")
    let period = try await store.period(id: periodID).orNotFound("period", id: periodID)
    let prefix = try DivisionCode(period.divisionCode, field: "division_code").prefix
    let served = try await peers.compounds(under: prefix).filter { !$0.currentCompanyID.isEmpty }
    let statistics = Dictionary(
      try await peers.caseStatisticsByCompound(under: prefix, from: period.startDate, to: period.endDate)
        .map { ($0.unitCode, $0) }, uniquingKeysWith: { first, _ in first })
    let now = Date()
    let rows = served.compactMap { compound -> Governance_Evaluation_V1_CaseSatisfaction? in
      guard let row = statistics[compound.id], row.evaluated > 0 else { return nil }
      return .with {
        $0.divisionCode = compound.divisionCode
        $0.periodID = periodID
        $0.compoundID = compound.id
        $0.companyID = compound.currentCompanyID
        $0.casesEvaluated = row.evaluated
        $0.meanSatisfaction = row.meanSatisfaction
        $0.satisfiedRate = row.satisfiedRate
        $0.onTimeRate = row.onTimeRate
        $0.importTime = .init(date: now)
      }
    }
    try await store.replaceCaseSatisfaction(periodID: periodID, rows: rows, by: Principal.current, at: now)
    return .with {
      $0.imported = Int32(rows.count)
      $0.withoutCases = Int32(served.count - rows.count)
    }
  }

  /// Computes every evaluated company's composite by the policy's formula, names the companies
  /// from the property service, and replaces the quarter's proposals.
  private func computeComposites(_ request: Governance_Evaluation_V1_ComputeCompositeScoresRequest) async throws
    -> Governance_Evaluation_V1_ComputeCompositeScoresResponse
  {
    let periodID = try FieldValidation.requiredID(request.periodID, field: "period_id")
    let quarter = try await store.quarterInputs(periodID: periodID)
    let names = try await peers.companyNames(quarter.companies.keys.sorted())
    let composites = quarter.companies.map { company, entry in
      let outcome = CompositeFormula.evaluate(entry.inputs, policy: quarter.policy)
      return Governance_Evaluation_V1_CompositeScore.with {
        $0.divisionCode = quarter.period.divisionCode
        $0.periodID = periodID
        $0.companyID = company
        $0.companyName = names[company] ?? company
        $0.compoundIds = entry.compounds.sorted()
        $0.components = outcome.components
        $0.total = outcome.total
        $0.stars = outcome.stars
        $0.listStatus = outcome.listStatus
        $0.listReason = outcome.listReason
        $0.policyVersion = quarter.policy.version
      }
    }
    return try await store.saveComposites(composites, periodID: periodID, by: Principal.current)
  }
}
