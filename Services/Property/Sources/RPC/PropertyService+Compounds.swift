import GRPCCore
import GovernanceAPI
import ServiceKit

/// Residential compounds (小区), their management mode and history, and the property figures of a jurisdiction.
extension PropertyService {
  /// Registers a compound; INVALID_ARGUMENT names the field a rule refuses, and a retried request_id returns the first answer.
  public func createCompound(
    request: Governance_Property_V1_CreateCompoundRequest, context: ServerContext
  ) async throws -> Governance_Property_V1_Compound {
    try await store.createCompound(request, by: Principal.current)
  }

  /// Takes a register of compounds, at most 500 rows a call: a row's key is its community and exact name; a compound
  /// found is changed in the fields the row gives by UpdateCompound's rules (UNCHANGED when it holds them already),
  /// else one is created by CreateCompound's. Each row is held to the caller's jurisdiction; one that breaks a rule is
  /// FAILED and the rest go in; validate_only writes nothing.
  public func importCompounds(
    request: Governance_Property_V1_ImportCompoundsRequest, context: ServerContext
  ) async throws -> Governance_Common_V1_ImportResponse {
    try await store.importCompounds(request, by: Principal.current)
  }

  /// One compound by id; NOT_FOUND when there is none.
  public func getCompound(
    request: Governance_Property_V1_GetCompoundRequest, context: ServerContext
  ) async throws -> Governance_Property_V1_Compound {
    let id = try FieldValidation.requiredID(request.id, field: "id")
    return try await store.compound(id: id).orNotFound(id: id)
  }

  /// Plain fields only; the management mode, current contract and company change through ChangeManagementMode,
  /// contracts, acceptance and ExitCompany.
  public func updateCompound(
    request: Governance_Property_V1_UpdateCompoundRequest, context: ServerContext
  ) async throws -> Governance_Property_V1_Compound {
    try await store.updateCompound(request, by: Principal.current)
  }

  /// By division prefix, grid, mode, kind, three-no and company.
  public func listCompounds(
    request: Governance_Property_V1_ListCompoundsRequest, context: ServerContext
  ) async throws -> Governance_Property_V1_ListCompoundsResponse {
    try await store.listCompounds(request)
  }

  /// The id and division code of each compound under a division prefix, in id order, up to 20,000 to a page: for a
  /// peer that counts or joins compounds by id (party-organisation coverage of a whole city).
  public func listCompoundDivisions(
    request: Governance_Property_V1_ListCompoundDivisionsRequest, context: ServerContext
  ) async throws -> Governance_Property_V1_ListCompoundDivisionsResponse {
    try await store.listCompoundDivisions(request)
  }

  /// Sets a compound to self-governed, fallback or no management. PROFESSIONAL is refused with FAILED_PRECONDITION:
  /// only a passed district joint acceptance sets it.
  public func changeManagementMode(
    request: Governance_Property_V1_ChangeManagementModeRequest, context: ServerContext
  ) async throws -> Governance_Property_V1_Compound {
    try await store.changeManagementMode(request, by: Principal.current)
  }

  /// A compound's full history (mode changes, contracts, acceptance, exits, edits), oldest first.
  public func listCompoundHistory(
    request: Governance_Property_V1_ListCompoundHistoryRequest, context: ServerContext
  ) async throws -> Governance_Property_V1_ListCompoundHistoryResponse {
    try await store.compoundHistory(request)
  }

  /// Compounds by mode and kind, three-no compounds left, buildings and red butlers, companies by star, list and
  /// party organisation status, for a division prefix. Read-only.
  public func getPropertyStatistics(
    request: Governance_Property_V1_GetPropertyStatisticsRequest, context: ServerContext
  ) async throws -> Governance_Property_V1_GetPropertyStatisticsResponse {
    try await store.statistics(divisionPrefix: request.divisionPrefix)
  }
}
