import Foundation
import GRDB
import GovernanceAPI
import ServiceKit

/// Counts of the cases of each community, kept current by triggers on `grid_case` in the same
/// transaction as every insert and change, so that the statistics of a district or the whole
/// city read a few thousand tally rows instead of a million cases.
///
/// Each case counts once under (its community, dimension, value) for every dimension it has:
/// its status, level, source, category and resolved level, and whether it is evaluated,
/// satisfied, resolved, resolved on time or flagged overdue; `satisfaction` sums the scores.
enum CaseTally {
  /// The dimensions a case row contributes, as SQL over a row alias (`NEW` or `OLD`).
  static func contributions(of row: String) -> String {
    """
    SELECT 'total' AS dimension, '' AS value, 1 AS amount
    UNION ALL SELECT 'status', \(row).status, 1
    UNION ALL SELECT 'level', \(row).level, 1
    UNION ALL SELECT 'source', \(row).source, 1
    UNION ALL SELECT 'category', \(row).category, 1
    UNION ALL SELECT 'resolved_level', \(row).resolved_level, 1 WHERE \(row).resolved_level IS NOT NULL
    UNION ALL SELECT 'evaluated', '', 1 WHERE \(row).satisfaction IS NOT NULL
    UNION ALL SELECT 'satisfaction', '', \(row).satisfaction WHERE \(row).satisfaction IS NOT NULL
    UNION ALL SELECT 'satisfied', '', 1 WHERE \(row).satisfaction >= \(CaseStatisticsRules.satisfiedFrom)
    UNION ALL SELECT 'resolved', '', 1 WHERE \(row).on_time IS NOT NULL
    UNION ALL SELECT 'on_time', '', 1 WHERE \(row).on_time = 1
    UNION ALL SELECT 'overdue', '', 1 WHERE \(row).overdue = 1
    """
  }

  /// Adds (sign 1) or takes away (sign -1) a row's contributions.
  static func apply(_ row: String, sign: Int) -> String {
    """
    INSERT INTO case_tally (division_code, dimension, value, n)
    SELECT \(row).division_code, dimension, value, \(sign) * amount FROM (\(contributions(of: row))) WHERE true
    ON CONFLICT (division_code, dimension, value) DO UPDATE SET n = n + excluded.n;
    """
  }

  /// The table and its triggers, and the counts of the cases already stored.
  static func create(_ db: Database) throws {
    try db.execute(
      sql: """
        CREATE TABLE case_tally (
          division_code TEXT NOT NULL,
          dimension TEXT NOT NULL,
          value TEXT NOT NULL,
          n INTEGER NOT NULL,
          PRIMARY KEY (division_code, dimension, value)
        ) WITHOUT ROWID;
        CREATE TRIGGER case_tally_insert AFTER INSERT ON grid_case BEGIN
          \(apply("NEW", sign: 1))
        END;
        CREATE TRIGGER case_tally_update AFTER UPDATE ON grid_case
        WHEN OLD.division_code IS NOT NEW.division_code OR OLD.status IS NOT NEW.status OR OLD.level IS NOT NEW.level
          OR OLD.source IS NOT NEW.source OR OLD.category IS NOT NEW.category
          OR OLD.resolved_level IS NOT NEW.resolved_level OR OLD.satisfaction IS NOT NEW.satisfaction
          OR OLD.on_time IS NOT NEW.on_time OR OLD.overdue IS NOT NEW.overdue
        BEGIN
          \(apply("OLD", sign: -1))
          \(apply("NEW", sign: 1))
        END;
        CREATE TRIGGER case_tally_delete AFTER DELETE ON grid_case BEGIN
          \(apply("OLD", sign: -1))
        END;
        """)
    try backfill(db)
  }

  /// Counts the cases already stored into an empty tally.
  static func backfill(_ db: Database) throws {
    let backfill: [(dimension: String, value: String, amount: String, condition: String)] = [
      ("'total'", "''", "COUNT(*)", "1"), ("'status'", "status", "COUNT(*)", "1"),
      ("'level'", "level", "COUNT(*)", "1"),
      ("'source'", "source", "COUNT(*)", "1"), ("'category'", "category", "COUNT(*)", "1"),
      ("'resolved_level'", "resolved_level", "COUNT(*)", "resolved_level IS NOT NULL"),
      ("'evaluated'", "''", "COUNT(*)", "satisfaction IS NOT NULL"),
      ("'satisfaction'", "''", "SUM(satisfaction)", "satisfaction IS NOT NULL"),
      ("'satisfied'", "''", "COUNT(*)", "satisfaction >= \(CaseStatisticsRules.satisfiedFrom)"),
      ("'resolved'", "''", "COUNT(*)", "on_time IS NOT NULL"), ("'on_time'", "''", "COUNT(*)", "on_time = 1"),
      ("'overdue'", "''", "COUNT(*)", "overdue = 1"),
    ]
    for part in backfill {
      try db.execute(
        sql: """
          INSERT INTO case_tally (division_code, dimension, value, n)
          SELECT division_code, \(part.dimension), \(part.value), \(part.amount) FROM grid_case WHERE \(part.condition)
          GROUP BY division_code, \(part.value)
          """)
    }
  }

  /// The statistics of the cases `filter` selects (by division prefix only): of them all (nil
  /// when none is counted), and of each unit `key` names (an expression of the community's code;
  /// nil for none), only units after `after`, as `GridStore.statistics` counts them from the cases.
  ///
  /// One walk of the tally in its key order, summed here: SQLite's GROUP BY sorted the tally's
  /// rows again for every grouping, 16 to 46 ms a pass for a city's 16,500 rows, and the whole
  /// and its units took a pass each (docs/PERFORMANCE.md, tenth round).
  static func statistics(_ db: Database, units key: String?, after: String? = nil, filter: RecordFilter) throws
    -> (whole: Governance_Grid_V1_CaseStatistics?, units: [String: Governance_Grid_V1_CaseStatistics])
  {
    let whereClause = filter.conditions.isEmpty ? "" : "WHERE " + filter.conditions.joined(separator: " AND ")
    let unit = key ?? "NULL"
    func counted(_ unit: String?) -> String? {
      guard let unit, key != nil, after.map({ unit > $0 }) ?? true else { return nil }
      return unit
    }
    var whole: [String: [String: Int64]] = [:]
    var units: Counts = [:]
    let rows = try Row.fetchCursor(
      db, sql: "SELECT \(unit), dimension, value, n FROM case_tally \(whereClause)",
      arguments: StatementArguments(filter.arguments))
    while let row = try rows.next() {
      let dimension: String = row[1]
      let value: String = row[2]
      let n: Int64 = row[3]
      whole[dimension, default: [:]][value, default: 0] += n
      if let unit = counted(row[0]) { units[unit, default: [:]][dimension, default: [:]][value, default: 0] += n }
    }
    // What sums to nothing is not counted at all, as SQL's HAVING SUM(n) != 0 left it out.
    func nonZero(_ dimensions: [String: [String: Int64]]) -> [String: [String: Int64]] {
      dimensions.mapValues { $0.filter { $0.value != 0 } }.filter { !$0.value.isEmpty }
    }
    whole = nonZero(whole)
    units = units.mapValues(nonZero).filter { !$0.value.isEmpty }
    // Overdue is also every open case whose deadline has passed since it was last written: the
    // few the deadline sweep has not reached yet. Only open cases have a deadline, so the
    // deadline index finds them at once; SQLite would otherwise walk the jurisdiction's whole
    // range of the statistics index (140 ms for a city of a million cases).
    let lateWhere = (filter.conditions + ["open", "overdue = 0", "deadline < ?"]).joined(separator: " AND ")
    for row in try Row.fetchAll(
      db,
      sql:
        """
        SELECT \(unit) AS unit, COUNT(*) AS n FROM grid_case INDEXED BY grid_case_on_deadline
        WHERE \(lateWhere) GROUP BY unit
        """,
      arguments: StatementArguments(filter.arguments + [Int64(Date().timeIntervalSince1970).databaseValue]))
    {
      let n: Int64 = row["n"]
      whole["overdue", default: [:]]["", default: 0] += n
      if let unit = counted(row["unit"]) { units[unit, default: [:]]["overdue", default: [:]]["", default: 0] += n }
    }
    return (whole.isEmpty ? nil : figures(["": whole])[""], figures(units))
  }

  /// Per unit, per dimension, per value: how many cases (for `satisfaction`, the sum of the
  /// scores). Single figures are kept under the value "".
  typealias Counts = [String: [String: [String: Int64]]]

  /// The statistics of each unit from its counts, however they were counted.
  static func figures(_ counts: Counts) -> [String: Governance_Grid_V1_CaseStatistics] {
    var result: [String: Governance_Grid_V1_CaseStatistics] = [:]
    for (unit, dimensions) in counts {
      func single(_ dimension: String) -> Int64 { dimensions[dimension]?[""] ?? 0 }
      func byNumber(_ dimension: String) -> [(Int, Int64)] {
        (dimensions[dimension] ?? [:]).compactMap { value, n in Int(value).map { ($0, n) } }.sorted { $0.0 < $1.0 }
      }
      let evaluated = single("evaluated")
      let resolved = single("resolved")
      result[unit] = .with {
        $0.unitCode = unit
        $0.total = single("total")
        $0.overdue = single("overdue")
        $0.evaluated = evaluated
        $0.meanSatisfaction = evaluated == 0 ? 0 : Double(single("satisfaction")) / Double(evaluated)
        $0.satisfiedRate = evaluated == 0 ? 0 : Double(single("satisfied")) / Double(evaluated)
        $0.onTimeRate = resolved == 0 ? 0 : Double(single("on_time")) / Double(resolved)
        $0.byStatus = byNumber("status").map { value, n in
          .with {
            $0.status = .init(rawValue: value) ?? .unspecified
            $0.count = n
          }
        }
        $0.byLevel = byNumber("level").map { value, n in
          .with {
            $0.level = .init(rawValue: value) ?? .unspecified
            $0.count = n
          }
        }
        $0.bySource = byNumber("source").map { value, n in
          .with {
            $0.source = .init(rawValue: value) ?? .unspecified
            $0.count = n
          }
        }
        $0.byCategory = (dimensions["category"] ?? [:]).sorted { $0.key < $1.key }.map { category, n in
          .with {
            $0.category = category
            $0.count = n
          }
        }
        $0.resolvedByLevel = CaseStatisticsRules.shares(byNumber("resolved_level").map { (level: $0.0, count: $0.1) })
      }
    }
    return result
  }
}
