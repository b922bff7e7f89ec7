import GRPCCore
import GovernanceAPI
import ServiceKit

/// Property companies (物业服务企业): registration, rating, list status and exit.
extension PropertyService {
  /// The unified social credit code is validated by its check character (GB 32100); a wrong one is INVALID_ARGUMENT
  /// naming the code; a duplicate is ALREADY_EXISTS.
  public func createCompany(
    request: Governance_Property_V1_CreateCompanyRequest, context: ServerContext
  ) async throws -> Governance_Property_V1_PropertyCompany {
    try await store.createCompany(request, by: Principal.current)
  }

  /// Takes a register of companies, at most 500 rows a call: a row's key is its unified social credit code (checked
  /// as CreateCompany checks it); created or changed by CreateCompany's and UpdateCompany's rules, as
  /// ImportCompounds does. Ratings, list status and counts in a row are ignored.
  public func importCompanies(
    request: Governance_Property_V1_ImportCompaniesRequest, context: ServerContext
  ) async throws -> Governance_Common_V1_ImportResponse {
    try await store.importCompanies(request, by: Principal.current)
  }

  /// One company by id; NOT_FOUND when there is none.
  public func getCompany(
    request: Governance_Property_V1_GetCompanyRequest, context: ServerContext
  ) async throws -> Governance_Property_V1_PropertyCompany {
    let id = try FieldValidation.requiredID(request.id, field: "id")
    return try await store.company(id: id).orNotFound(id: id)
  }

  /// Plain fields only; star rating and list status are refused here.
  public func updateCompany(
    request: Governance_Property_V1_UpdateCompanyRequest, context: ServerContext
  ) async throws -> Governance_Property_V1_PropertyCompany {
    try await store.updateCompany(request, by: Principal.current)
  }

  /// By division prefix, credit code, star, list status, party organisation status, staff count.
  public func listCompanies(
    request: Governance_Property_V1_ListCompaniesRequest, context: ServerContext
  ) async throws -> Governance_Property_V1_ListCompaniesResponse {
    try await store.listCompanies(request)
  }

  /// Sets the star rating (星级). Only the evaluation service may call it (PERMISSION_DENIED otherwise).
  public func setCompanyRating(
    request: Governance_Property_V1_SetCompanyRatingRequest, context: ServerContext
  ) async throws -> Governance_Property_V1_PropertyCompany {
    try await store.setCompanyRating(request, by: Principal.current)
  }

  /// Puts a company on the red or black list or takes it off. Only the evaluation service may call it. Blacklisting
  /// alone terminates nothing: the exit is ExitCompany.
  public func setCompanyListStatus(
    request: Governance_Property_V1_SetCompanyListStatusRequest, context: ServerContext
  ) async throws -> Governance_Property_V1_PropertyCompany {
    try await store.setCompanyListStatus(request, by: Principal.current)
  }

  /// Exits a company (退出): terminates every active or trial contract with the reason, moves each compound to
  /// fallback management under its street's service centre and records it in the compound's history. Idempotent by
  /// request_id and safe to repeat after an interruption: no compound is left in between.
  public func exitCompany(
    request: Governance_Property_V1_ExitCompanyRequest, context: ServerContext
  ) async throws -> Governance_Property_V1_ExitCompanyResponse {
    try await store.exitCompany(request, by: Principal.current)
  }
}
