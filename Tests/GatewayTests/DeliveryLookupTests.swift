import GRDB
import ServiceKit
import Testing

@testable import Gateway

/// A subscription's deliveries are reached through its own index, never by walking every pending
/// delivery of the gateway (the `(state, next_attempt_at)` index SQLite prefers without statistics).
@Suite("Delivery lookups by subscription use the subscription's index")
struct DeliveryLookupTests {
  @Test("resuming a subscription touches its own pending deliveries through delivery_order")
  func resumeUsesTheSubscriptionIndex() throws {
    let database = try GovernanceDatabase.makeEmptyTestDatabase(migrator: GatewayStore.migrator)
    let plan = try database.read { db in
      try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + GatewayStore.retryPendingNow, arguments: [0, "target"])
        .map { $0["detail"] as String }
    }
    #expect(plan.first?.contains("USING INDEX delivery_order (target=?)") == true, "\(plan)")
  }

  @Test("holding a subscription and releasing it touch its own pending deliveries through delivery_order")
  func holdAndReleaseUseTheSubscriptionIndex() throws {
    let database = try GovernanceDatabase.makeEmptyTestDatabase(migrator: GatewayStore.migrator)
    let statements: [(String, StatementArguments)] = [
      (GatewayStore.holdPending, [0, "target", 0, "msg_1"]),
      (GatewayStore.releaseHeld, [0, "target", 0, 0]),
    ]
    for (statement, arguments) in statements {
      let plan = try database.read { db in
        try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + statement, arguments: arguments).map {
          $0["detail"] as String
        }
      }
      #expect(plan.first?.contains("USING INDEX delivery_order (target=?)") == true, "\(plan)")
    }
  }
}
