import Foundation
import GRPCCore
import GovernanceAPI
import ServiceKit

/// What goes into a rating: scores, survey responses, case satisfaction, rectification orders, paired-unit evaluations.
extension EvaluationService {
  /// One evaluator's score for one item, period, company and compound. Accepted only from a member of the panel in
  /// a role of the item's kind, only while the period is OPEN, and only once: a second submission fails with
  /// ALREADY_EXISTS and replaces nothing.
  public func submitScore(request: Governance_Evaluation_V1_SubmitScoreRequest, context: ServerContext) async throws
    -> Governance_Evaluation_V1_Score
  {
    try await store.submitScore(request, by: Principal.current)
  }

  /// A page of scores matching the request's filters, held to the caller's jurisdiction, with the next page's token.
  public func listScores(request: Governance_Evaluation_V1_ListScoresRequest, context: ServerContext) async throws
    -> Governance_Evaluation_V1_ListScoresResponse
  {
    try await store.listScores(request)
  }

  /// Records one resident's answers to the satisfaction survey for a compound's property service.
  public func submitSurveyResponse(
    request: Governance_Evaluation_V1_SubmitSurveyResponseRequest, context: ServerContext
  ) async throws -> Governance_Evaluation_V1_SurveyResponse {
    try await store.submitSurvey(request, by: Principal.current)
  }

  /// Lists survey answers; respondents always masked.
  public func listSurveyResponses(request: Governance_Evaluation_V1_ListSurveyResponsesRequest, context: ServerContext)
    async throws -> Governance_Evaluation_V1_ListSurveyResponsesResponse
  {
    try await store.listSurveys(request)
  }

  /// Pulls case satisfaction per compound for the period from the grid service (GetCaseStatistics grouped by
  /// compound) and stores it against the companies serving those compounds. Running it again for the same period
  /// replaces the import until the period is published.
  public func importCaseSatisfaction(
    request: Governance_Evaluation_V1_ImportCaseSatisfactionRequest, context: ServerContext
  ) async throws -> Governance_Evaluation_V1_ImportCaseSatisfactionResponse {
    let periodID = try FieldValidation.requiredID(request.periodID, field: "period_id")
    let period = try await store.period(id: periodID).orNotFound(id: periodID)
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

  /// A page of case satisfaction matching the request's filters, held to the caller's jurisdiction, with the next page's token.
  public func listCaseSatisfaction(
    request: Governance_Evaluation_V1_ListCaseSatisfactionRequest, context: ServerContext
  ) async throws -> Governance_Evaluation_V1_ListCaseSatisfactionResponse {
    try await store.listCaseSatisfaction(request)
  }

  /// Orders a company to fix a problem in a compound by a deadline.
  public func createRectificationOrder(
    request: Governance_Evaluation_V1_CreateRectificationOrderRequest, context: ServerContext
  ) async throws -> Governance_Evaluation_V1_RectificationOrder {
    try await store.createOrder(request, by: Principal.current)
  }

  /// One rectification order by id; NOT_FOUND when there is none.
  public func getRectificationOrder(
    request: Governance_Evaluation_V1_GetRectificationOrderRequest, context: ServerContext
  ) async throws -> Governance_Evaluation_V1_RectificationOrder {
    let id = try FieldValidation.requiredID(request.id, field: "id")
    return try await store.order(id: id).orNotFound("rectification order", id: id)
  }

  /// A page of rectification orders matching the request's filters, held to the caller's jurisdiction, with the next page's token.
  public func listRectificationOrders(
    request: Governance_Evaluation_V1_ListRectificationOrdersRequest, context: ServerContext
  ) async throws -> Governance_Evaluation_V1_ListRectificationOrdersResponse {
    try await store.listOrders(request)
  }

  /// Records an order as done (late if after the deadline). An order past its deadline and not done is marked
  /// OVERDUE by the service and counts against the company.
  public func completeRectificationOrder(
    request: Governance_Evaluation_V1_CompleteRectificationOrderRequest, context: ServerContext
  ) async throws -> Governance_Evaluation_V1_RectificationOrder {
    try await store.completeOrder(request, by: Principal.current)
  }

  /// The street's quarterly evaluation of one paired unit's help to one compound; once per unit, compound and
  /// period.
  public func submitPairedUnitEvaluation(
    request: Governance_Evaluation_V1_SubmitPairedUnitEvaluationRequest, context: ServerContext
  ) async throws -> Governance_Evaluation_V1_PairedUnitEvaluation {
    let evaluation = try FiveHelps.validateNew(request.evaluation)
    // Paired units are registered by the district or the street; look in the street's district.
    let street = try DivisionCode(evaluation.divisionCode, field: "evaluation.division_code")
    let unit = try await peers.pairedUnit(id: evaluation.pairedUnitID, under: (street.parent ?? street).prefix)
    return try await store.submitPairedUnitEvaluation(request, unitName: unit.name, by: Principal.current)
  }

  /// A page of paired unit evaluations matching the request's filters, held to the caller's jurisdiction, with the next page's token.
  public func listPairedUnitEvaluations(
    request: Governance_Evaluation_V1_ListPairedUnitEvaluationsRequest, context: ServerContext
  ) async throws -> Governance_Evaluation_V1_ListPairedUnitEvaluationsResponse {
    try await store.listPairedUnitEvaluations(request)
  }

}
