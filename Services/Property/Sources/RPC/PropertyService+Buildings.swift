import GRPCCore
import GovernanceAPI
import ServiceKit

/// Buildings of a compound and the street service centres (物业服务中心).
extension PropertyService {
  /// Registers a building; INVALID_ARGUMENT names the field a rule refuses, and a retried request_id returns the first answer.
  public func createBuilding(
    request: Governance_Property_V1_CreateBuildingRequest, context: ServerContext
  ) async throws -> Governance_Property_V1_Building {
    try await store.createBuilding(request, by: Principal.current)
  }

  /// Takes a register of buildings, at most 500 rows a call: a row's key is its compound (by id, else by
  /// compound_name in the building's community) and exact name; created or changed by CreateBuilding's and
  /// UpdateBuilding's rules, as ImportCompounds does.
  public func importBuildings(
    request: Governance_Property_V1_ImportBuildingsRequest, context: ServerContext
  ) async throws -> Governance_Common_V1_ImportResponse {
    try await store.importBuildings(request, by: Principal.current)
  }

  /// One building by id; NOT_FOUND when there is none.
  public func getBuilding(
    request: Governance_Property_V1_GetBuildingRequest, context: ServerContext
  ) async throws -> Governance_Property_V1_Building {
    let id = try FieldValidation.requiredID(request.id, field: "id")
    return try await store.building(id: id).orNotFound(id: id)
  }

  /// Also sets or clears the building leader (red butler); the member id is checked with the organisation service.
  public func updateBuilding(
    request: Governance_Property_V1_UpdateBuildingRequest, context: ServerContext
  ) async throws -> Governance_Property_V1_Building {
    try await store.updateBuilding(request, by: Principal.current)
  }

  /// A page of buildings matching the request's filters, held to the caller's jurisdiction, with the next page's token.
  public func listBuildings(
    request: Governance_Property_V1_ListBuildingsRequest, context: ServerContext
  ) async throws -> Governance_Property_V1_ListBuildingsResponse {
    try await store.listBuildings(request)
  }

  /// Creates a street's property service centre, which runs fallback management.
  public func createServiceCentre(
    request: Governance_Property_V1_CreateServiceCentreRequest, context: ServerContext
  ) async throws -> Governance_Property_V1_ServiceCentre {
    try await store.createServiceCentre(request, by: Principal.current)
  }

  /// A page of service centres matching the request's filters, held to the caller's jurisdiction, with the next page's token.
  public func listServiceCentres(
    request: Governance_Property_V1_ListServiceCentresRequest, context: ServerContext
  ) async throws -> Governance_Property_V1_ListServiceCentresResponse {
    try await store.listServiceCentres(request)
  }
}
