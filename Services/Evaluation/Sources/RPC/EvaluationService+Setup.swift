import Foundation
import GRPCCore
import GovernanceAPI
import ServiceKit

/// What an evaluation is set up with: scoring items, periods, panels and the rating policy.
extension EvaluationService {
  /// Registers a scoring item; INVALID_ARGUMENT names the field a rule refuses, and a retried request_id returns the first answer.
  public func createScoringItem(request: Governance_Evaluation_V1_CreateScoringItemRequest, context: ServerContext)
    async throws -> Governance_Evaluation_V1_ScoringItem
  {
    try await store.createScoringItem(request, by: Principal.current)
  }

  /// One scoring item by id; NOT_FOUND when there is none.
  public func getScoringItem(request: Governance_Evaluation_V1_GetScoringItemRequest, context: ServerContext)
    async throws -> Governance_Evaluation_V1_ScoringItem
  {
    let id = try FieldValidation.requiredID(request.id, field: "id")
    return try await store.scoringItem(id: id).orNotFound(id: id)
  }

  /// A page of scoring items matching the request's filters, held to the caller's jurisdiction, with the next page's token.
  public func listScoringItems(request: Governance_Evaluation_V1_ListScoringItemsRequest, context: ServerContext)
    async throws -> Governance_Evaluation_V1_ListScoringItemsResponse
  {
    try await store.listScoringItems(request)
  }

  /// Changes name, details, weight, full marks, order or active flag. Scores already given keep the weight and full
  /// marks they were given under.
  public func updateScoringItem(request: Governance_Evaluation_V1_UpdateScoringItemRequest, context: ServerContext)
    async throws -> Governance_Evaluation_V1_ScoringItem
  {
    try await store.updateScoringItem(request, by: Principal.current)
  }

  /// Opens a monthly or quarterly period for a division (scores are accepted while OPEN).
  public func createPeriod(request: Governance_Evaluation_V1_CreatePeriodRequest, context: ServerContext) async throws
    -> Governance_Evaluation_V1_EvaluationPeriod
  {
    try await store.createPeriod(request, by: Principal.current)
  }

  /// One period by id; NOT_FOUND when there is none.
  public func getPeriod(request: Governance_Evaluation_V1_GetPeriodRequest, context: ServerContext) async throws
    -> Governance_Evaluation_V1_EvaluationPeriod
  {
    let id = try FieldValidation.requiredID(request.id, field: "id")
    return try await store.period(id: id).orNotFound(id: id)
  }

  /// A page of periods matching the request's filters, held to the caller's jurisdiction, with the next page's token.
  public func listPeriods(request: Governance_Evaluation_V1_ListPeriodsRequest, context: ServerContext) async throws
    -> Governance_Evaluation_V1_ListPeriodsResponse
  {
    try await store.listPeriods(request)
  }

  /// OPEN → CLOSED: no more scores, surveys or paired-unit evaluations; composites can be computed.
  public func closePeriod(request: Governance_Evaluation_V1_ClosePeriodRequest, context: ServerContext) async throws
    -> Governance_Evaluation_V1_EvaluationPeriod
  {
    try await store.closePeriod(request, by: Principal.current)
  }

  /// Creates the monthly four-party panel of a compound and company, or the quarterly five-party panel of a
  /// division, for one period; optionally copying members from an earlier panel.
  public func createPanel(request: Governance_Evaluation_V1_CreatePanelRequest, context: ServerContext) async throws
    -> Governance_Evaluation_V1_Panel
  {
    try await store.createPanel(request, by: Principal.current)
  }

  /// One panel by id; NOT_FOUND when there is none.
  public func getPanel(request: Governance_Evaluation_V1_GetPanelRequest, context: ServerContext) async throws
    -> Governance_Evaluation_V1_Panel
  {
    let id = try FieldValidation.requiredID(request.id, field: "id")
    return try await store.panel(id: id).orNotFound(id: id)
  }

  /// A page of panels matching the request's filters, held to the caller's jurisdiction, with the next page's token.
  public func listPanels(request: Governance_Evaluation_V1_ListPanelsRequest, context: ServerContext) async throws
    -> Governance_Evaluation_V1_ListPanelsResponse
  {
    try await store.listPanels(request)
  }

  /// Seats an evaluator in a role; the role must belong to the panel's kind.
  public func addPanelMember(request: Governance_Evaluation_V1_AddPanelMemberRequest, context: ServerContext)
    async throws -> Governance_Evaluation_V1_Panel
  {
    try await store.addPanelMember(request, by: Principal.current)
  }

  /// Unseats an evaluator; scores they already gave stay.
  public func removePanelMember(request: Governance_Evaluation_V1_RemovePanelMemberRequest, context: ServerContext)
    async throws -> Governance_Evaluation_V1_Panel
  {
    try await store.removePanelMember(request, by: Principal.current)
  }

  /// The rating policy in force for a division (its own, else the nearest ancestor's, else the built-in default):
  /// component weights, star thresholds and list rules.
  public func getRatingPolicy(request: Governance_Evaluation_V1_GetRatingPolicyRequest, context: ServerContext)
    async throws -> Governance_Evaluation_V1_RatingPolicy
  {
    let division = try DivisionCode(request.divisionCode, field: "division_code")
    return try await store.policy(for: division.code)
  }

  /// Sets the rating policy of a division, replacing the one before.
  public func setRatingPolicy(request: Governance_Evaluation_V1_SetRatingPolicyRequest, context: ServerContext)
    async throws -> Governance_Evaluation_V1_RatingPolicy
  {
    try await store.setPolicy(request, by: Principal.current)
  }
}
