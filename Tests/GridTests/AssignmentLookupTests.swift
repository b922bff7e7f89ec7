import GRDB
import ServiceKit
import Testing

@testable import Grid

/// The lookups every alarm makes stay on the selective index. Without statistics SQLite took the
/// `(state, ack_deadline)` index for "this case's pending assignments", so each alarm walked every
/// pending assignment of the city: during an alarm storm RaiseAlarm went from 6 ms to 800 ms at
/// the median as the storm's own unacknowledged assignments piled up.
@Suite("Assignment lookups by case or worker use that column's index")
struct AssignmentLookupTests {
  /// SQLite's plan for `sql`: one line per step, e.g. "SEARCH assignment USING INDEX … (case_id=?)".
  static func plan(_ sql: String, _ arguments: StatementArguments) throws -> [String] {
    let database = try GovernanceDatabase.makeEmptyTestDatabase(migrator: GridStore.migrator)
    return try database.read { db in
      try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: arguments).map { $0["detail"] as String }
    }
  }

  @Test("a case's assignments in a state are found through the case's index")
  func caseAssignmentsUseTheCaseIndex() throws {
    let plan = try Self.plan(GridStore.caseAssignmentsInState, ["case", 1])
    #expect(plan.count == 1)
    #expect(plan.first?.contains("USING INDEX assignment_on_case_id (case_id=?)") == true, "\(plan)")
  }

  @Test("a worker's assignments in a state are found through the worker's index")
  func workerAssignmentsUseTheWorkerIndex() throws {
    let plan = try Self.plan(GridStore.workerAssignmentsInState, ["worker", 1])
    #expect(plan.first?.contains("USING INDEX assignment_on_worker_id (worker_id=?)") == true, "\(plan)")
    #expect(!plan.joined().contains("assignment_by_ack_deadline"), "\(plan)")
  }
}
