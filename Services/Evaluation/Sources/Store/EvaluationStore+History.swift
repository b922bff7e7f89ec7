import Foundation
import GRDB
import GovernanceAPI
import ServiceKit

extension EvaluationStore {
  /// A company's record across periods, oldest first: its four-party mean, its composite, and its
  /// rectification orders by state; the current star and list status from the latest publication.
  public func companyHistory(_ request: Governance_Evaluation_V1_GetCompanyHistoryRequest, at time: Date = Date())
    async throws -> Governance_Evaluation_V1_CompanyHistory
  {
    let company = try FieldValidation.requiredID(request.companyID, field: "company_id")
    var periodFilter = RecordFilter()
    try periodFilter.divisionPrefix(request.divisionPrefix)
    if request.hasFromDate {
      try CalendarDate.validate(request.fromDate, field: "from_date")
      periodFilter.add("start_date >= ?", CalendarDate.iso(request.fromDate))
    }
    if request.hasToDate {
      try CalendarDate.validate(request.toDate, field: "to_date")
      periodFilter.add("end_date <= ?", CalendarDate.iso(request.toDate))
    }
    try await markOverdueOrders(at: time)
    return try await writer.read { [periodFilter] db in
      let touched = try String.fetchAll(
        db,
        sql: """
          SELECT period_id FROM score WHERE company_id = ?
          UNION SELECT period_id FROM composite_score WHERE company_id = ?
          UNION SELECT period_id FROM rectification_order WHERE company_id = ? AND period_id IS NOT NULL
          UNION SELECT period_id FROM survey_response WHERE company_id = ?
          """, arguments: [company, company, company, company])
      guard !touched.isEmpty else {
        return .with { $0.companyID = company }
      }
      var filter = periodFilter
      filter.add("id", in: touched)
      let periods = try Data.fetchAll(
        db,
        sql:
          "SELECT record FROM period WHERE \(filter.conditions.joined(separator: " AND ")) ORDER BY start_date, kind",
        arguments: StatementArguments(filter.arguments)
      ).map { try StoredMessage.decode(Period.self, from: $0) }
      var history = Governance_Evaluation_V1_CompanyHistory.with { $0.companyID = company }
      for period in periods {
        let (first, last) = EvaluationPeriods.months(of: period)
        let months = try String.fetchAll(
          db,
          sql:
            "SELECT id FROM period WHERE kind = \(Governance_Evaluation_V1_PeriodKind.monthly.rawValue) AND year = ? AND number BETWEEN ? AND ? AND division_code = ?",
          arguments: [period.year, first, last, period.divisionCode])
        let marks = try Data.fetchAll(
          db,
          sql:
            "SELECT record FROM score WHERE company_id = ? AND panel_kind = \(Governance_Evaluation_V1_PanelKind.fourParty.rawValue) AND period_id IN (\(months.map { _ in "?" }.joined(separator: ", ")))",
          arguments: StatementArguments([company] + months)
        ).map { try StoredMessage.decode(Score.self, from: $0) }
          .map { CompositeFormula.Mark(value: $0.value, fullMarks: $0.fullMarks, weight: $0.weight) }
        let composite = try Data.fetchOne(
          db, sql: "SELECT record FROM composite_score WHERE company_id = ? AND period_id = ?",
          arguments: [company, period.id]
        ).map { try StoredMessage.decode(Composite.self, from: $0) }
        var counts: [Int: Int32] = [:]
        for row in try Row.fetchAll(
          db,
          sql:
            "SELECT state, COUNT(*) AS n FROM rectification_order WHERE company_id = ? AND period_id = ? GROUP BY state",
          arguments: [company, period.id])
        {
          counts[row["state"]] = row["n"]
        }
        history.periods.append(
          .with {
            $0.period = period
            $0.fourPartyMean = CompositeFormula.weightedPercent(marks) ?? 0
            if let composite {
              $0.composite = composite
              $0.published = composite.state == .published
            }
            $0.ordersOpen = counts[Governance_Evaluation_V1_RectificationState.open.rawValue] ?? 0
            $0.ordersCompleted = counts[Governance_Evaluation_V1_RectificationState.completed.rawValue] ?? 0
            $0.ordersOverdue =
              (counts[Governance_Evaluation_V1_RectificationState.overdue.rawValue] ?? 0)
              + (counts[Governance_Evaluation_V1_RectificationState.completedLate.rawValue] ?? 0)
          })
      }
      if let latest = history.periods.last(where: \.published) {
        history.currentStars = latest.composite.stars
        history.currentListStatus = latest.composite.listStatus
      }
      return history
    }
  }
}
