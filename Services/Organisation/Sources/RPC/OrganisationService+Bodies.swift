import Foundation
import GRPCCore
import GovernanceAPI
import ServiceKit

/// Governance bodies (居民议事会、业委会…), their members and the candidate negative list.
extension OrganisationService {
  /// Creates an owners' committee (only for a compound with a property company), a self-management committee (only
  /// without one), an area owners' committee, a property-management guidance committee or a party-mass council.
  public func createGovernanceBody(
    request: Governance_Organisation_V1_CreateGovernanceBodyRequest, context: ServerContext
  ) async throws -> Governance_Organisation_V1_GovernanceBody {
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

  /// One governance body by id; NOT_FOUND when there is none.
  public func getGovernanceBody(request: Governance_Organisation_V1_GetGovernanceBodyRequest, context: ServerContext)
    async throws -> Governance_Organisation_V1_GovernanceBody
  {
    let id = try FieldValidation.requiredID(request.id, field: "id")
    return try await store.governanceBody(id: id).orNotFound(id: id)
  }

  /// A page of governance bodies matching the request's filters, held to the caller's jurisdiction, with the next page's token.
  public func listGovernanceBodies(
    request: Governance_Organisation_V1_ListGovernanceBodiesRequest, context: ServerContext
  ) async throws -> Governance_Organisation_V1_ListGovernanceBodiesResponse {
    try await store.listGovernanceBodies(request)
  }

  /// Ends a body membership on a date, again enforcing the party share.
  public func endBodyMembership(request: Governance_Organisation_V1_EndBodyMembershipRequest, context: ServerContext)
    async throws -> Governance_Organisation_V1_EndBodyMembershipResponse
  {
    try await store.endBodyMembership(request, by: Principal.current)
  }

  /// Puts a person on the candidate negative list.
  public func createNegativeListEntry(
    request: Governance_Organisation_V1_CreateNegativeListEntryRequest, context: ServerContext
  ) async throws -> Governance_Organisation_V1_NegativeListEntry {
    try await store.createNegativeListEntry(request, by: Principal.current)
  }

  /// A page of negative list entries matching the request's filters, held to the caller's jurisdiction, with the next page's token.
  public func listNegativeListEntries(
    request: Governance_Organisation_V1_ListNegativeListEntriesRequest, context: ServerContext
  ) async throws -> Governance_Organisation_V1_ListNegativeListEntriesResponse {
    try await store.listNegativeListEntries(request)
  }

  /// Updates name, term, status (e.g. a term ended) and other plain fields.
  public func updateGovernanceBody(
    request: Governance_Organisation_V1_UpdateGovernanceBodyRequest, context: ServerContext
  ) async throws -> Governance_Organisation_V1_GovernanceBody {
    try await store.updateGovernanceBody(request, by: Principal.current)
  }

  /// A page of body members matching the request's filters, held to the caller's jurisdiction, with the next page's token.
  public func listBodyMembers(request: Governance_Organisation_V1_ListBodyMembersRequest, context: ServerContext)
    async throws -> Governance_Organisation_V1_ListBodyMembersResponse
  {
    try await store.listBodyMembers(request)
  }

  /// Adds a member with a post and term. Checks the candidate negative list and the body's required party share; a
  /// breach fails with FAILED_PRECONDITION stating the share before and after the change.
  public func addBodyMember(request: Governance_Organisation_V1_AddBodyMemberRequest, context: ServerContext)
    async throws -> Governance_Organisation_V1_AddBodyMemberResponse
  {
    try await store.addBodyMember(request, by: Principal.current)
  }
}
