import Foundation
import GRDB
import GovernanceAPI
import ServiceKit
import SwiftProtobuf

/// The grid service's events in its outbox (Outbox), each appended in the transaction of the
/// change it tells of: the lines of a case's history (CaseNotices), deadline reminders, and the
/// daily digest.
extension GridStore {
  /// Appends `event` of `gridCase` as `case.<what>`, for the worker it is assigned to (when
  /// their sign-in is bound) and the case's division; an escalation is addressed to the
  /// division it arrives at. Cases raised by an alarm are urgent. `principal` made the change: the
  /// event carries its trace.
  static func announce(
    _ db: Database, _ event: CaseEvent, of gridCase: GridCase, by principal: Principal, at time: Date
  ) throws {
    guard let kind = CaseNotices.kind(of: event.kind) else { return }
    let division =
      event.kind == .escalated
      ? CaseNotices.escalationAudience(event.toUnit, caseDivision: gridCase.divisionCode) : gridCase.divisionCode
    try Outbox.append(
      db,
      try Outbox.Entry(
        kind: kind, record: gridCase.id, divisionCode: division,
        recipient: try assigneePrincipal(db, gridCase),
        data: Governance_Grid_V1_CaseNotice.with {
          $0.gridCase = gridCase
          $0.event = event
        }, urgent: gridCase.hasAlarm, cause: principal),
      at: time)
  }

  /// The sign-in of the worker a case is assigned to, "" when none is bound.
  static func assigneePrincipal(_ db: Database, _ gridCase: GridCase) throws -> String {
    guard !gridCase.assigneeID.isEmpty else { return "" }
    return try String.fetchOne(
      db.cachedStatement(sql: "SELECT principal_id FROM grid_worker WHERE id = ?"), arguments: [gridCase.assigneeID])
      ?? ""
  }

  /// Appends a once-only reminder (`case.deadline_approaching`, `case.overdue`) for the case's
  /// current deadline; a second call for the same deadline appends nothing and answers false.
  @discardableResult
  static func remind(_ db: Database, _ kind: String, of gridCase: GridCase, at time: Date) throws -> Bool {
    try Outbox.append(
      db,
      try Outbox.Entry(
        kind: kind, record: gridCase.id, divisionCode: gridCase.divisionCode,
        recipient: try assigneePrincipal(db, gridCase),
        data: Governance_Grid_V1_CaseNotice.with { $0.gridCase = gridCase },
        urgent: gridCase.hasAlarm, onceKey: "\(kind):\(gridCase.id)@\(gridCase.deadline.seconds)"),
      at: time)
  }

  /// Warns the handlers of open cases whose warning time (CaseNotices.warningTime) has come and
  /// whose deadline has not yet passed, once per deadline, at most `limit` a round; returns how
  /// many were warned. The candidates are read first (a warning comes at most a fifth of the
  /// longest limit, 90 days, before the deadline), each judged by its own division's policy; only
  /// the due ones are written.
  public func warnApproachingDeadlines(at time: Date, limit: Int = 500) async throws -> Int {
    let now = Int64(time.timeIntervalSince1970)
    let window = Int64(DeadlinePolicies.longestLimit * (1 - CaseNotices.warningShare))
    let due: [String] = try await writer.read { db in
      var policies: [String: DeadlinePolicies.Policy] = [:]
      var due: [String] = []
      let rows = try Row.fetchCursor(
        db,
        sql: """
          SELECT id, deadline, division_code, level, priority FROM grid_case
          WHERE open AND deadline > ? AND deadline <= ?
          AND NOT EXISTS (SELECT 1 FROM outbox_once
            WHERE once_key = 'case.deadline_approaching:' || grid_case.id || '@' || grid_case.deadline)
          ORDER BY deadline
          """, arguments: [now, now + window])
      while let row = try rows.next(), due.count < limit {
        let division: String = row["division_code"]
        let policy = try policies[division] ?? Self.policy(db, for: division)
        policies[division] = policy
        let allowed = DeadlinePolicies.limit(
          in: policy, level: Governance_Grid_V1_CaseLevel(rawValue: row["level"]) ?? .unspecified,
          priority: Governance_Grid_V1_CasePriority(rawValue: row["priority"]) ?? .unspecified)
        let deadline = Date(timeIntervalSince1970: Double(row["deadline"] as Int64))
        if CaseNotices.warningTime(deadline: deadline, limit: allowed) <= time { due.append(row["id"]) }
      }
      return due
    }
    guard !due.isEmpty else { return 0 }
    return try await writer.write { db in
      var warned = 0
      for id in due {
        // Re-read under the write lock: a case closed or moved on since is not warned.
        guard let gridCase = try RecordTable.fetch(db, GridCase.self, id: id),
          CaseEscalation.openStatuses.contains(gridCase.status), gridCase.hasDeadline, !gridCase.overdue,
          gridCase.deadline.seconds > now
        else { continue }
        if try Self.remind(db, CaseNotices.deadlineApproaching, of: gridCase, at: time) { warned += 1 }
      }
      return warned
    }
  }

  /// Appends one `digest.daily` per community and per street that had cases reported on `day`:
  /// how many, how many are resolved or closed, how many overdue, and the mean satisfaction of
  /// those evaluated (CaseStatistics). Once per division and day; returns how many were new.
  public func appendDailyDigests(for day: Governance_Common_V1_Date, at time: Date) async throws -> Int {
    var appended = 0
    for grouping in [Governance_Grid_V1_StatisticsGrouping.community, .street] {
      var token = ""
      repeat {
        let page = try await caseStatistics(
          .with {
            $0.fromDate = day
            $0.toDate = day
            $0.groupBy = grouping
            $0.pageSize = 500
            $0.pageToken = token
          })
        token = page.nextPageToken
        let rows = page.rows.filter { $0.total > 0 }
        appended += try await writer.write { db in
          var count = 0
          for row in rows {
            let digest = Governance_Grid_V1_CaseDigest.with {
              $0.divisionCode = row.unitCode
              $0.divisionName = row.unitName
              $0.day = day
              $0.statistics = row
            }
            let key = "\(row.unitCode)@\(CalendarDate.iso(day))"
            if try Outbox.append(
              db,
              try Outbox.Entry(
                kind: CaseNotices.dailyDigest, record: key, divisionCode: row.unitCode, data: digest,
                onceKey: "\(CaseNotices.dailyDigest):\(key)"), at: time)
            {
              count += 1
            }
          }
          return count
        }
      } while !token.isEmpty
    }
    return appended
  }
}
