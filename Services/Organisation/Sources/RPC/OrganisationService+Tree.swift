import Foundation
import GRPCCore
import GovernanceAPI
import ServiceKit

/// The organisation tree (组织体系): party organisations, their moves and dissolution, and positions.
extension OrganisationService {
  /// Creates a party organisation under its parent. A standalone compound branch for a compound with fewer than 3
  /// formal party members fails with FAILED_PRECONDITION, naming the rule and the count.
  public func createOrganisation(request: Governance_Organisation_V1_CreateOrganisationRequest, context: ServerContext)
    async throws -> Governance_Organisation_V1_Organisation
  {
    try await store.createOrganisation(request, by: Principal.current)
  }

  /// One organisation by id; NOT_FOUND when there is none.
  public func getOrganisation(request: Governance_Organisation_V1_GetOrganisationRequest, context: ServerContext)
    async throws -> Governance_Organisation_V1_Organisation
  {
    let id = try FieldValidation.requiredID(request.id, field: "id")
    return try await store.organisation(id: id).orNotFound(id: id)
  }

  /// Changes the fields of an organisation that the update mask names; INVALID_ARGUMENT for a path that may not change.
  public func updateOrganisation(request: Governance_Organisation_V1_UpdateOrganisationRequest, context: ServerContext)
    async throws -> Governance_Organisation_V1_Organisation
  {
    try await store.updateOrganisation(request, by: Principal.current)
  }

  /// Moves an organisation (with its subtree) under another parent; recorded in its history.
  public func moveOrganisation(request: Governance_Organisation_V1_MoveOrganisationRequest, context: ServerContext)
    async throws -> Governance_Organisation_V1_Organisation
  {
    try await store.moveOrganisation(request, by: Principal.current)
  }

  /// Dissolves an organisation; it and its history are kept, marked dissolved.
  public func dissolveOrganisation(
    request: Governance_Organisation_V1_DissolveOrganisationRequest, context: ServerContext
  ) async throws -> Governance_Organisation_V1_Organisation {
    try await store.dissolveOrganisation(request, by: Principal.current)
  }

  /// Lists the children of an organisation, a whole subtree, or organisations by division prefix.
  public func listOrganisations(request: Governance_Organisation_V1_ListOrganisationsRequest, context: ServerContext)
    async throws -> Governance_Organisation_V1_ListOrganisationsResponse
  {
    try await store.listOrganisations(request)
  }

  /// Creation, updates, moves and dissolution of one organisation, oldest first.
  public func listOrganisationHistory(
    request: Governance_Organisation_V1_ListOrganisationHistoryRequest, context: ServerContext
  ) async throws -> Governance_Organisation_V1_ListOrganisationHistoryResponse {
    try await store.organisationHistory(request)
  }

  /// Appoints a member to a position (secretary, deputy, committee member, first secretary).
  public func appointPosition(request: Governance_Organisation_V1_AppointPositionRequest, context: ServerContext)
    async throws -> Governance_Organisation_V1_Position
  {
    try await store.appointPosition(request, by: Principal.current)
  }

  /// Ends a position on a date; the record is kept.
  public func endPosition(request: Governance_Organisation_V1_EndPositionRequest, context: ServerContext) async throws
    -> Governance_Organisation_V1_Position
  {
    try await store.endPosition(request, by: Principal.current)
  }

  /// A page of positions matching the request's filters, held to the caller's jurisdiction, with the next page's token.
  public func listPositions(request: Governance_Organisation_V1_ListPositionsRequest, context: ServerContext)
    async throws -> Governance_Organisation_V1_ListPositionsResponse
  {
    try await store.listPositions(request)
  }
}
