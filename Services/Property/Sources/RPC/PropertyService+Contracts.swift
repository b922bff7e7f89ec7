import GRPCCore
import GovernanceAPI
import ServiceKit

/// Service contracts (物业服务合同) and the joint acceptance (联合验收) of a new compound.
extension PropertyService {
  /// Signs a contract; it starts in its 3-month trial. At most one active or trial contract per compound
  /// (ALREADY_EXISTS otherwise, also under concurrent calls); a blacklisted company cannot sign
  /// (FAILED_PRECONDITION).
  public func createContract(
    request: Governance_Property_V1_CreateContractRequest, context: ServerContext
  ) async throws -> Governance_Property_V1_ServiceContract {
    try await store.createContract(request, by: Principal.current)
  }

  /// One contract by id; NOT_FOUND when there is none.
  public func getContract(
    request: Governance_Property_V1_GetContractRequest, context: ServerContext
  ) async throws -> Governance_Property_V1_ServiceContract {
    let id = try FieldValidation.requiredID(request.id, field: "id")
    return try await store.contract(id: id).orNotFound(id: id)
  }

  /// A page of contracts matching the request's filters, held to the caller's jurisdiction, with the next page's token.
  public func listContracts(
    request: Governance_Property_V1_ListContractsRequest, context: ServerContext
  ) async throws -> Governance_Property_V1_ListContractsResponse {
    try await store.listContracts(request)
  }

  /// Trial → active once the owners accept after the trial ("pay later").
  public func activateContract(
    request: Governance_Property_V1_ActivateContractRequest, context: ServerContext
  ) async throws -> Governance_Property_V1_ServiceContract {
    try await store.activateContract(request, by: Principal.current)
  }

  /// Trial or active → terminated; the compound moves to the mode named in the request.
  public func terminateContract(
    request: Governance_Property_V1_TerminateContractRequest, context: ServerContext
  ) async throws -> Governance_Property_V1_ServiceContract {
    try await store.terminateContract(request, by: Principal.current)
  }

  /// Opens the acceptance of a compound's property-ization under a trial or active contract; one open acceptance
  /// per compound.
  public func createAcceptance(
    request: Governance_Property_V1_CreateAcceptanceRequest, context: ServerContext
  ) async throws -> Governance_Property_V1_Acceptance {
    try await store.createAcceptance(request, by: Principal.current)
  }

  /// One acceptance by id; NOT_FOUND when there is none.
  public func getAcceptance(
    request: Governance_Property_V1_GetAcceptanceRequest, context: ServerContext
  ) async throws -> Governance_Property_V1_Acceptance {
    let id = try FieldValidation.requiredID(request.id, field: "id")
    return try await store.acceptance(id: id).orNotFound(id: id)
  }

  /// A page of acceptances matching the request's filters, held to the caller's jurisdiction, with the next page's token.
  public func listAcceptances(
    request: Governance_Property_V1_ListAcceptancesRequest, context: ServerContext
  ) async throws -> Governance_Property_V1_ListAcceptancesResponse {
    try await store.listAcceptances(request)
  }

  /// Records the decision of the current step. A step other than the current one fails with FAILED_PRECONDITION; a
  /// failed step sends the acceptance back to the company self-review; a passed district joint acceptance sets the
  /// compound to professional management.
  public func recordAcceptanceStep(
    request: Governance_Property_V1_RecordAcceptanceStepRequest, context: ServerContext
  ) async throws -> Governance_Property_V1_Acceptance {
    try await store.recordAcceptanceStep(request, by: Principal.current)
  }
}
