import Foundation
import GRDB
import Logging
import ServiceLifecycle

/// Drops the idempotency ledger's answers once they are older than `IdempotencyLedger.retention`
/// (7 days), and the outbox's events relayed more than `Outbox.retention` (7 days) ago, as a
/// background service of every domain service: every hour, a few thousand rows a
/// transaction so writers are never held long. A failed round is logged and the next one tries
/// again.
public struct LedgerPruning: Service {
  private let database: DatabasePool
  private let interval: Duration
  private let logger: Logger

  public init(database: DatabasePool, interval: Duration = .seconds(3600), logger: Logger) {
    self.database = database
    self.interval = interval
    self.logger = logger
  }

  public func run() async throws {
    let database = database
    try await PeriodicService("ledger and outbox pruning", every: interval, logger: logger, what: "rows") {
      let cutoff = Date().addingTimeInterval(-IdempotencyLedger.retention)
      var pruned = 0
      while true {
        let batch = try await database.write { db in try IdempotencyLedger.prune(db, before: cutoff) }
        pruned += batch
        if batch == 0 { break }
      }
      let relayed = Date().addingTimeInterval(-Outbox.retention)
      while true {
        let batch = try await database.write { db in try Outbox.prune(db, before: relayed) }
        pruned += batch
        if batch == 0 { return pruned }
      }
    }.run()
  }
}
