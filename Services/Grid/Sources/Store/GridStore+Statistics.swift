import Foundation
import GRDB
import GovernanceAPI
import ServiceKit

extension GridStore {
  /// Case KPIs for a jurisdiction and period, in total and by grid, compound, community or
  /// street, counted by SQLite over the indexed columns.
  public func caseStatistics(_ request: Governance_Grid_V1_GetCaseStatisticsRequest) async throws
    -> Governance_Grid_V1_GetCaseStatisticsResponse
  {
    let page = try PageRequest(pageSize: request.pageSize, pageToken: request.pageToken)
    var filter = RecordFilter()
    try filter.divisionPrefix(request.divisionPrefix)
    if request.hasFromDate {
      try CalendarDate.validate(request.fromDate, field: "from_date")
      filter.add("report_date >= ?", CalendarDate.iso(request.fromDate))
    }
    if request.hasToDate {
      try CalendarDate.validate(request.toDate, field: "to_date")
      filter.add("report_date <= ?", CalendarDate.iso(request.toDate))
    }
    let grouping = request.groupBy
    return try await writer.read { [filter] db in
      var response = Governance_Grid_V1_GetCaseStatisticsResponse()
      response.totals = try Self.statistics(db, key: "''", filter: filter)[""] ?? .init()
      guard grouping != .unspecified else { return response }
      var grouped = filter
      let key = CaseStatisticsRules.groupKey(grouping)
      grouped.add("\(key) IS NOT NULL")
      if let after = page.afterID { grouped.add("\(key) > ?", after) }
      let rows = try Self.statistics(db, key: key, filter: grouped)
      let keys = rows.keys.sorted()
      response.rows = keys.prefix(page.size).map { rows[$0]! }
      if keys.count > page.size { response.nextPageToken = PageRequest.token(after: keys[page.size - 1]) }
      return response
    }
  }

  static func statistics(_ db: Database, key: String, filter: RecordFilter) throws -> [String: Governance_Grid_V1_CaseStatistics] {
    let whereClause = filter.conditions.isEmpty ? "" : "WHERE " + filter.conditions.joined(separator: " AND ")
    let arguments = StatementArguments(filter.arguments)
    var result: [String: Governance_Grid_V1_CaseStatistics] = [:]
    for row in try Row.fetchAll(
      db,
      sql: """
        SELECT \(key) AS unit, COUNT(*) AS total, SUM(overdue OR (open AND deadline < strftime('%s','now'))) AS overdue,
          COUNT(satisfaction) AS evaluated, AVG(satisfaction) AS mean, SUM(satisfaction >= ?) AS satisfied,
          COUNT(on_time) AS resolved, SUM(on_time) AS on_time
        FROM grid_case \(whereClause) GROUP BY unit
        """,
      arguments: [CaseStatisticsRules.satisfiedFrom] + arguments)
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
    func counts(_ column: String, extra: String = "") throws -> [(unit: String, value: DatabaseValue, count: Int64)] {
      let condition = extra.isEmpty ? whereClause : (whereClause.isEmpty ? "WHERE " : whereClause + " AND ") + extra
      return try Row.fetchAll(
        db, sql: "SELECT \(key) AS unit, \(column) AS value, COUNT(*) AS n FROM grid_case \(condition) GROUP BY unit, value ORDER BY value",
        arguments: arguments
      ).map { ($0["unit"], $0["value"], $0["n"]) }
    }
    for (unit, value, count) in try counts("status") {
      result[unit]?.byStatus.append(.with {
        $0.status = .init(rawValue: Int.fromDatabaseValue(value) ?? 0) ?? .unspecified
        $0.count = count
      })
    }
    for (unit, value, count) in try counts("level") {
      result[unit]?.byLevel.append(.with {
        $0.level = .init(rawValue: Int.fromDatabaseValue(value) ?? 0) ?? .unspecified
        $0.count = count
      })
    }
    for (unit, value, count) in try counts("category") {
      result[unit]?.byCategory.append(.with {
        $0.category = String.fromDatabaseValue(value) ?? ""
        $0.count = count
      })
    }
    for (unit, value, count) in try counts("source") {
      result[unit]?.bySource.append(.with {
        $0.source = .init(rawValue: Int.fromDatabaseValue(value) ?? 0) ?? .unspecified
        $0.count = count
      })
    }
    var resolvedByUnit: [String: [(level: Int, count: Int64)]] = [:]
    for (unit, value, count) in try counts("resolved_level", extra: "resolved_level IS NOT NULL") {
      resolvedByUnit[unit, default: []].append((Int.fromDatabaseValue(value) ?? 0, count))
    }
    for (unit, resolved) in resolvedByUnit {
      result[unit]?.resolvedByLevel = CaseStatisticsRules.shares(resolved)
    }
    return result
  }
}
