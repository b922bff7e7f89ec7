import GRPCCore
import GovernanceAPI
import ServiceKit

/// `governance.property.v1.PropertyService` over gRPC: protobuf in, protobuf out. The rules live
/// in Domain/, the transactions in Store/; errors become status codes in ServiceKit.
public struct PropertyRPCService: Governance_Property_V1_PropertyService.SimpleServiceProtocol {
  private let store: PropertyStore

  public init(store: PropertyStore) {
    self.store = store
  }

  public func createCompound(
    request: Governance_Property_V1_CreateCompoundRequest, context: ServerContext
  ) async throws -> Governance_Property_V1_Compound {
    try await store.createCompound(request, by: Principal.current)
  }

  public func getCompound(
    request: Governance_Property_V1_GetCompoundRequest, context: ServerContext
  ) async throws -> Governance_Property_V1_Compound {
    let id = try FieldValidation.requiredID(request.id, field: "id")
    return try await store.compound(id: id).orNotFound("compound", id: id)
  }

  public func updateCompound(
    request: Governance_Property_V1_UpdateCompoundRequest, context: ServerContext
  ) async throws -> Governance_Property_V1_Compound {
    try await store.updateCompound(request, by: Principal.current)
  }

  public func listCompounds(
    request: Governance_Property_V1_ListCompoundsRequest, context: ServerContext
  ) async throws -> Governance_Property_V1_ListCompoundsResponse {
    try await store.listCompounds(request)
  }

  public func changeManagementMode(
    request: Governance_Property_V1_ChangeManagementModeRequest, context: ServerContext
  ) async throws -> Governance_Property_V1_Compound {
    try await store.changeManagementMode(request, by: Principal.current)
  }

  public func listCompoundHistory(
    request: Governance_Property_V1_ListCompoundHistoryRequest, context: ServerContext
  ) async throws -> Governance_Property_V1_ListCompoundHistoryResponse {
    try await store.compoundHistory(request)
  }

  public func createBuilding(
    request: Governance_Property_V1_CreateBuildingRequest, context: ServerContext
  ) async throws -> Governance_Property_V1_Building {
    try await store.createBuilding(request, by: Principal.current)
  }

  public func getBuilding(
    request: Governance_Property_V1_GetBuildingRequest, context: ServerContext
  ) async throws -> Governance_Property_V1_Building {
    let id = try FieldValidation.requiredID(request.id, field: "id")
    return try await store.building(id: id).orNotFound("building", id: id)
  }

  public func updateBuilding(
    request: Governance_Property_V1_UpdateBuildingRequest, context: ServerContext
  ) async throws -> Governance_Property_V1_Building {
    try await store.updateBuilding(request, by: Principal.current)
  }

  public func listBuildings(
    request: Governance_Property_V1_ListBuildingsRequest, context: ServerContext
  ) async throws -> Governance_Property_V1_ListBuildingsResponse {
    try await store.listBuildings(request)
  }

  public func createServiceCentre(
    request: Governance_Property_V1_CreateServiceCentreRequest, context: ServerContext
  ) async throws -> Governance_Property_V1_ServiceCentre {
    try await store.createServiceCentre(request, by: Principal.current)
  }

  public func listServiceCentres(
    request: Governance_Property_V1_ListServiceCentresRequest, context: ServerContext
  ) async throws -> Governance_Property_V1_ListServiceCentresResponse {
    try await store.listServiceCentres(request)
  }

  public func createCompany(
    request: Governance_Property_V1_CreateCompanyRequest, context: ServerContext
  ) async throws -> Governance_Property_V1_PropertyCompany {
    try await store.createCompany(request, by: Principal.current)
  }

  public func getCompany(
    request: Governance_Property_V1_GetCompanyRequest, context: ServerContext
  ) async throws -> Governance_Property_V1_PropertyCompany {
    let id = try FieldValidation.requiredID(request.id, field: "id")
    return try await store.company(id: id).orNotFound("company", id: id)
  }

  public func updateCompany(
    request: Governance_Property_V1_UpdateCompanyRequest, context: ServerContext
  ) async throws -> Governance_Property_V1_PropertyCompany {
    try await store.updateCompany(request, by: Principal.current)
  }

  public func listCompanies(
    request: Governance_Property_V1_ListCompaniesRequest, context: ServerContext
  ) async throws -> Governance_Property_V1_ListCompaniesResponse {
    try await store.listCompanies(request)
  }

  public func setCompanyRating(
    request: Governance_Property_V1_SetCompanyRatingRequest, context: ServerContext
  ) async throws -> Governance_Property_V1_PropertyCompany {
    try await store.setCompanyRating(request, by: Principal.current)
  }

  public func setCompanyListStatus(
    request: Governance_Property_V1_SetCompanyListStatusRequest, context: ServerContext
  ) async throws -> Governance_Property_V1_PropertyCompany {
    try await store.setCompanyListStatus(request, by: Principal.current)
  }

  public func exitCompany(
    request: Governance_Property_V1_ExitCompanyRequest, context: ServerContext
  ) async throws -> Governance_Property_V1_ExitCompanyResponse {
    try await store.exitCompany(request, by: Principal.current)
  }

  public func createContract(
    request: Governance_Property_V1_CreateContractRequest, context: ServerContext
  ) async throws -> Governance_Property_V1_ServiceContract {
    try await store.createContract(request, by: Principal.current)
  }

  public func getContract(
    request: Governance_Property_V1_GetContractRequest, context: ServerContext
  ) async throws -> Governance_Property_V1_ServiceContract {
    let id = try FieldValidation.requiredID(request.id, field: "id")
    return try await store.contract(id: id).orNotFound("contract", id: id)
  }

  public func listContracts(
    request: Governance_Property_V1_ListContractsRequest, context: ServerContext
  ) async throws -> Governance_Property_V1_ListContractsResponse {
    try await store.listContracts(request)
  }

  public func activateContract(
    request: Governance_Property_V1_ActivateContractRequest, context: ServerContext
  ) async throws -> Governance_Property_V1_ServiceContract {
    try await store.activateContract(request, by: Principal.current)
  }

  public func terminateContract(
    request: Governance_Property_V1_TerminateContractRequest, context: ServerContext
  ) async throws -> Governance_Property_V1_ServiceContract {
    try await store.terminateContract(request, by: Principal.current)
  }

  public func createAcceptance(
    request: Governance_Property_V1_CreateAcceptanceRequest, context: ServerContext
  ) async throws -> Governance_Property_V1_Acceptance {
    try await store.createAcceptance(request, by: Principal.current)
  }

  public func getAcceptance(
    request: Governance_Property_V1_GetAcceptanceRequest, context: ServerContext
  ) async throws -> Governance_Property_V1_Acceptance {
    let id = try FieldValidation.requiredID(request.id, field: "id")
    return try await store.acceptance(id: id).orNotFound("acceptance", id: id)
  }

  public func listAcceptances(
    request: Governance_Property_V1_ListAcceptancesRequest, context: ServerContext
  ) async throws -> Governance_Property_V1_ListAcceptancesResponse {
    try await store.listAcceptances(request)
  }

  public func recordAcceptanceStep(
    request: Governance_Property_V1_RecordAcceptanceStepRequest, context: ServerContext
  ) async throws -> Governance_Property_V1_Acceptance {
    try await store.recordAcceptanceStep(request, by: Principal.current)
  }

  public func getPropertyStatistics(
    request: Governance_Property_V1_GetPropertyStatisticsRequest, context: ServerContext
  ) async throws -> Governance_Property_V1_GetPropertyStatisticsResponse {
    try await store.statistics(divisionPrefix: request.divisionPrefix)
  }
}
