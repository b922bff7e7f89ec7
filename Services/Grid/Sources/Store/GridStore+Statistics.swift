import Foundation
import GRDB
import GovernanceAPI
import ServiceKit

extension GridStore {
  /// Case KPIs for a jurisdiction and period, in total and by grid, compound, community or
  /// street: from the tally kept with the cases where it can answer, else counted by SQLite over
  /// the covering index.
  public func caseStatistics(_ request: Governance_Grid_V1_GetCaseStatisticsRequest) async throws
    -> Governance_Grid_V1_GetCaseStatisticsResponse
  {
    let page = try PageRequest(pageSize: request.pageSize, pageToken: request.pageToken)
    var filter = RecordFilter()
    try filter.divisionPrefix(request.divisionPrefix, scan: .everything)
    try filter.dates(
      "report_date", from: request.hasFromDate ? request.fromDate : nil, to: request.hasToDate ? request.toDate : nil)
    let grouping = request.groupBy
    // Without dates, and by community or street, the tally answers; by grid or compound, or
    // over a period, or while an archive load keeps its cases out of the tally, the cases
    // themselves are counted.
    let tallied = !request.hasFromDate && !request.hasToDate && [.unspecified, .community, .street].contains(grouping)
    return try await writer.read { [filter] db in
      var response = Governance_Grid_V1_GetCaseStatisticsResponse()
      let key = grouping == .unspecified ? nil : CaseStatisticsRules.groupKey(grouping)
      let rows: [String: Governance_Grid_V1_CaseStatistics]
      if tallied, try !ArchiveLoad.inProgress(db) {
        // The whole and its units from one walk of the tally.
        let counted = try CaseTally.statistics(db, units: key, after: page.afterID, filter: filter)
        response.totals = counted.whole ?? .init()
        rows = counted.units
      } else {
        response.totals = try Self.statistics(db, key: "''", filter: filter)[""] ?? .init()
        guard let key else { return response }
        var grouped = filter
        grouped.add("\(key) IS NOT NULL")
        if let after = page.afterID { grouped.add("\(key) > ?", after) }
        rows = try Self.statistics(db, key: key, filter: grouped)
      }
      guard grouping != .unspecified else { return response }
      let keys = rows.keys.sorted()
      response.rows = keys.prefix(page.size).map { rows[$0]! }
      if keys.count > page.size { response.nextPageToken = PageRequest.token(after: keys[page.size - 1]) }
      return response
    }
  }

  static func statistics(_ db: Database, key: String, filter: RecordFilter) throws -> [String:
    Governance_Grid_V1_CaseStatistics]
  {
    let whereClause = filter.conditions.isEmpty ? "" : "WHERE " + filter.conditions.joined(separator: " AND ")
    let arguments = filter.arguments
    let now = Int64(Date().timeIntervalSince1970)
    var counts: CaseTally.Counts = [:]
    for row in try Row.fetchAll(
      db,
      sql: """
        SELECT \(key) AS unit, COUNT(*) AS total, SUM(overdue OR (open AND deadline < ?)) AS overdue,
          COUNT(satisfaction) AS evaluated, SUM(satisfaction) AS satisfaction, SUM(satisfaction >= ?) AS satisfied,
          COUNT(on_time) AS resolved, SUM(on_time) AS on_time
        FROM grid_case \(whereClause) GROUP BY unit
        """,
      arguments: StatementArguments([now.databaseValue, CaseStatisticsRules.satisfiedFrom.databaseValue] + arguments))
    {
      let unit: String = row["unit"]
      for dimension in ["total", "overdue", "evaluated", "satisfaction", "satisfied", "resolved", "on_time"] {
        counts[unit, default: [:]][dimension] = ["": row[dimension] ?? 0]
      }
    }
    // One pass counts every combination of status, level, source and resolved level; each
    // breakdown is summed from it.
    for row in try Row.fetchAll(
      db,
      sql: """
        SELECT \(key) AS unit, status, level, source, resolved_level, COUNT(*) AS n FROM grid_case \(whereClause)
        GROUP BY unit, status, level, source, resolved_level
        """,
      arguments: StatementArguments(arguments))
    {
      let unit: String = row["unit"]
      let n: Int64 = row["n"]
      for dimension in ["status", "level", "source", "resolved_level"] {
        guard let value: Int = row[dimension] else { continue }
        counts[unit, default: [:]][dimension, default: [:]]["\(value)", default: 0] += n
      }
    }
    for row in try Row.fetchAll(
      db, sql: "SELECT \(key) AS unit, category, COUNT(*) AS n FROM grid_case \(whereClause) GROUP BY unit, category",
      arguments: StatementArguments(arguments))
    {
      counts[row["unit"], default: [:]]["category", default: [:]][row["category"]] = row["n"]
    }
    return CaseTally.figures(counts)
  }
}
