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
    if request.hasFromDate {
      try CalendarDate.validate(request.fromDate, field: "from_date")
      filter.add("report_date >= ?", CalendarDate.iso(request.fromDate))
    }
    if request.hasToDate {
      try CalendarDate.validate(request.toDate, field: "to_date")
      filter.add("report_date <= ?", CalendarDate.iso(request.toDate))
    }
    let grouping = request.groupBy
    // Without dates, and by community or street, the tally answers; by grid or compound, or
    // over a period, the cases themselves are counted.
    let tallied = !request.hasFromDate && !request.hasToDate && [.unspecified, .community, .street].contains(grouping)
    let count = tallied ? CaseTally.statistics : Self.statistics
    return try await writer.read { [filter] db in
      var response = Governance_Grid_V1_GetCaseStatisticsResponse()
      response.totals = try count(db, "''", filter)[""] ?? .init()
      guard grouping != .unspecified else { return response }
      var grouped = filter
      let key = CaseStatisticsRules.groupKey(grouping)
      grouped.add("\(key) IS NOT NULL")
      if let after = page.afterID { grouped.add("\(key) > ?", after) }
      let rows = try count(db, key, grouped)
      let keys = rows.keys.sorted()
      response.rows = keys.prefix(page.size).map { rows[$0]! }
      if keys.count > page.size { response.nextPageToken = PageRequest.token(after: keys[page.size - 1]) }
      return response
    }
  }

  static func statistics(_ db: Database, key: String, filter: RecordFilter) throws -> [String: Governance_Grid_V1_CaseStatistics] {
    let whereClause = filter.conditions.isEmpty ? "" : "WHERE " + filter.conditions.joined(separator: " AND ")
    let arguments = filter.arguments
    let now = Int64(Date().timeIntervalSince1970)
    var result: [String: Governance_Grid_V1_CaseStatistics] = [:]
    for row in try Row.fetchAll(
      db,
      sql: """
        SELECT \(key) AS unit, COUNT(*) AS total, SUM(overdue OR (open AND deadline < ?)) AS overdue,
          COUNT(satisfaction) AS evaluated, AVG(satisfaction) AS mean, SUM(satisfaction >= ?) AS satisfied,
          COUNT(on_time) AS resolved, SUM(on_time) AS on_time
        FROM grid_case \(whereClause) GROUP BY unit
        """,
      arguments: StatementArguments([now.databaseValue, CaseStatisticsRules.satisfiedFrom.databaseValue] + arguments))
    {
      let unit: String = row["unit"]
      let evaluated: Int64 = row["evaluated"]
      let resolved: Int64 = row["resolved"]
      result[unit] = .with {
        $0.unitCode = unit
        $0.total = row["total"]
        $0.overdue = row["overdue"] ?? 0
        $0.evaluated = evaluated
        $0.meanSatisfaction = row["mean"] ?? 0
        $0.satisfiedRate = evaluated == 0 ? 0 : Double(row["satisfied"] as Int64? ?? 0) / Double(evaluated)
        $0.onTimeRate = resolved == 0 ? 0 : Double(row["on_time"] as Int64? ?? 0) / Double(resolved)
      }
    }
    // One pass counts every combination of status, level, source and resolved level; each
    // breakdown is summed from it.
    var byStatus: [String: [Int: Int64]] = [:]
    var byLevel: [String: [Int: Int64]] = [:]
    var bySource: [String: [Int: Int64]] = [:]
    var resolvedByUnit: [String: [Int: Int64]] = [:]
    for row in try Row.fetchAll(
      db,
      sql: """
        SELECT \(key) AS unit, status, level, source, resolved_level, COUNT(*) AS n FROM grid_case \(whereClause)
        GROUP BY unit, status, level, source, resolved_level
        """,
      arguments: StatementArguments(arguments))
    {
      let unit: String = row["unit"]
      let count: Int64 = row["n"]
      byStatus[unit, default: [:]][row["status"], default: 0] += count
      byLevel[unit, default: [:]][row["level"], default: 0] += count
      bySource[unit, default: [:]][row["source"], default: 0] += count
      if let level: Int = row["resolved_level"] { resolvedByUnit[unit, default: [:]][level, default: 0] += count }
    }
    for (unit, counts) in byStatus {
      result[unit]?.byStatus = counts.sorted { $0.key < $1.key }.map { value, count in
        .with {
          $0.status = .init(rawValue: value) ?? .unspecified
          $0.count = count
        }
      }
    }
    for (unit, counts) in byLevel {
      result[unit]?.byLevel = counts.sorted { $0.key < $1.key }.map { value, count in
        .with {
          $0.level = .init(rawValue: value) ?? .unspecified
          $0.count = count
        }
      }
    }
    for (unit, counts) in bySource {
      result[unit]?.bySource = counts.sorted { $0.key < $1.key }.map { value, count in
        .with {
          $0.source = .init(rawValue: value) ?? .unspecified
          $0.count = count
        }
      }
    }
    for (unit, counts) in resolvedByUnit {
      result[unit]?.resolvedByLevel = CaseStatisticsRules.shares(counts.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
    }
    for row in try Row.fetchAll(
      db, sql: "SELECT \(key) AS unit, category, COUNT(*) AS n FROM grid_case \(whereClause) GROUP BY unit, category ORDER BY category",
      arguments: StatementArguments(arguments))
    {
      let unit: String = row["unit"]
      result[unit]?.byCategory.append(.with {
        $0.category = row["category"]
        $0.count = row["n"]
      })
    }
    return result
  }
}
