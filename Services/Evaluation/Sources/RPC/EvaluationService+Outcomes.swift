import Foundation
import GRPCCore
import GovernanceAPI
import ServiceKit

/// Use cases across services: composite scores (综合评分), the published red and black lists, a company's history.
extension EvaluationService {
  /// Freezes the period's composite scores, publishes the star ratings and red/black lists, sets each company's
  /// star and list status in the property service, and calls the property service's ExitCompany for every
  /// blacklisted company. Idempotent per period: publishing twice is one publication. Interrupted publications are
  /// finished on the next start, so no company is rated but not exited and none is exited twice.
  public func publishLists(request: Governance_Evaluation_V1_PublishListsRequest, context: ServerContext) async throws
    -> Governance_Evaluation_V1_Publication
  {
    try await publisher.publish(periodID: request.periodID, by: Principal.current)
  }

  /// One publication by id or by its period; NOT_FOUND when there is none.
  public func getPublication(request: Governance_Evaluation_V1_GetPublicationRequest, context: ServerContext)
    async throws -> Governance_Evaluation_V1_Publication
  {
    switch request.key {
    case .id(let id):
      let id = try FieldValidation.requiredID(id, field: "id")
      return try await store.publication(id: id).orNotFound(id: id)
    case .periodID(let period):
      let period = try FieldValidation.requiredID(period, field: "period_id")
      return try await store.publication(periodID: period).orNotFound("publication of period", id: period)
    case nil:
      throw DomainError.invalidArgument(field: "key", rule: "one of id or period_id is required")
    }
  }

  /// Publications, newest first; entries are left out (read one with GetPublication).
  public func listPublications(request: Governance_Evaluation_V1_ListPublicationsRequest, context: ServerContext)
    async throws -> Governance_Evaluation_V1_ListPublicationsResponse
  {
    try await store.listPublications(request)
  }

  /// A company's record across periods: scores by component, stars, list status and rectification orders.
  public func getCompanyHistory(request: Governance_Evaluation_V1_GetCompanyHistoryRequest, context: ServerContext)
    async throws -> Governance_Evaluation_V1_CompanyHistory
  {
    try await store.companyHistory(request)
  }

  /// Computes (or recomputes) the composite score, star rating and proposed list of every company evaluated in a
  /// CLOSED quarterly period. Proposals change until PublishLists freezes them.
  ///
  /// Computes every evaluated company's composite by the policy's formula (`CompositeFormula`),
  /// names the companies from the property service, and replaces the quarter's proposals.
  public func computeCompositeScores(
    request: Governance_Evaluation_V1_ComputeCompositeScoresRequest, context: ServerContext
  ) async throws -> Governance_Evaluation_V1_ComputeCompositeScoresResponse {
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

  /// One composite score by id or by company and period; NOT_FOUND when there is none.
  public func getCompositeScore(request: Governance_Evaluation_V1_GetCompositeScoreRequest, context: ServerContext)
    async throws -> Governance_Evaluation_V1_CompositeScore
  {
    switch request.key {
    case .id(let id):
      let id = try FieldValidation.requiredID(id, field: "id")
      return try await store.composite(id: id).orNotFound(id: id)
    case .companyPeriod(let key):
      let company = try FieldValidation.requiredID(key.companyID, field: "company_period.company_id")
      let period = try FieldValidation.requiredID(key.periodID, field: "company_period.period_id")
      return try await store.composite(company: company, period: period)
        .orNotFound("composite score of \(company) in", id: period)
    case nil:
      throw DomainError.invalidArgument(field: "key", rule: "one of id or company_period is required")
    }
  }

  /// Ranking of companies for a period within a division prefix, best first.
  public func listCompositeScores(request: Governance_Evaluation_V1_ListCompositeScoresRequest, context: ServerContext)
    async throws -> Governance_Evaluation_V1_ListCompositeScoresResponse
  {
    try await store.listComposites(request)
  }
}
