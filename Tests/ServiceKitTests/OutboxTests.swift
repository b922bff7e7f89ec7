import Foundation
import GRDB
import GovernanceAPI
import Testing

@testable import ServiceKit

@Suite("The outbox: appended with the change, read in pages, once-only keys, the commit signal")
struct OutboxTests {
  static func database() throws -> DatabaseQueue {
    var migrator = DatabaseMigrator()
    Outbox.registerMigration(in: &migrator)
    return try GovernanceDatabase.makeEmptyTestDatabase(migrator: migrator)
  }

  static func entry(_ record: String, once: String? = nil, bytes: Int = 10) throws -> Outbox.Entry {
    try Outbox.Entry(
      kind: "case.reported", record: record, divisionCode: "320102001001",
      data: Governance_Common_V1_AuditStamp.with { $0.createdBy = String(repeating: "字", count: bytes) },
      onceKey: once)
  }

  @Test("a reminder's once-only key appends it once, and outlives the pruned event")
  func onceOnlyOutlivesPruning() async throws {
    let database = try Self.database()
    let start = Date(timeIntervalSince1970: 1_800_000_000)
    let steps: [Int] = try await database.write { db in
      let first = try Outbox.append(db, try Self.entry("case_1", once: "k"), at: start)
      let again = try Outbox.append(db, try Self.entry("case_1", once: "k"), at: start)
      let acknowledged = try Outbox.acknowledge(db, through: 1, at: start)
      // A week later the event goes, the key stays: the reminder is not appended again.
      let pruned = try Outbox.prune(db, before: start.addingTimeInterval(1))
      let later = try Outbox.append(db, try Self.entry("case_1", once: "k"), at: start.addingTimeInterval(86_400))
      // After 120 days more the key goes too.
      let keys = try Outbox.prune(db, before: start.addingTimeInterval(Outbox.onceRetention + 60))
      let remembered = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outbox_once") == 1
      return [first ? 1 : 0, again ? 1 : 0, acknowledged, pruned, later ? 1 : 0, keys, remembered ? 1 : 0]
    }
    #expect(steps == [1, 0, 1, 1, 0, 1, 0])
  }

  @Test("a read stops at about 1 MiB of records, but always answers at least one event")
  func pagesAreCutByBytes() async throws {
    let database = try Self.database()
    try await database.write { db in
      for index in 0..<8 {
        // Each about 300 kB of JSON (100,000 three-byte characters).
        try Outbox.append(db, try Self.entry("case_\(index)", bytes: 100_000), at: Date())
      }
    }
    let first = try await database.read { db in try Outbox.read(db, after: 0, limit: 500, service: .grid) }
    #expect(first.count == 3)
    let rest = try await database.read { db in
      try Outbox.read(db, after: first.last!.sequence, limit: 500, service: .grid)
    }
    #expect(rest.map(\.sequence) == [4, 5, 6])
    #expect(first.map(\.id) == ["evt_grid_1", "evt_grid_2", "evt_grid_3"])
  }

  @Test("a waiter wakes on the next commit, and a commit between its read and its wait is not missed")
  func commitSignalWakes() async throws {
    // The margins are minutes, not milliseconds: what is checked is that a ring ends the wait
    // rather than its two-minute timeout, on a machine as busy as the whole suite makes it.
    let signal = CommitSignal()
    let clock = ContinuousClock()
    let seen = signal.generation
    signal.ring()
    var started = clock.now
    await signal.wait(after: seen, timeout: .seconds(120))
    #expect(clock.now - started < .seconds(60))
    // Nothing rung: the wait ends by its timeout, the generation unchanged.
    let now = signal.generation
    await signal.wait(after: now, timeout: .milliseconds(100))
    #expect(signal.generation == now)
    started = clock.now
    async let waited: Void = signal.wait(after: now, timeout: .seconds(120))
    try await Task.sleep(for: .milliseconds(50))
    signal.ring()
    await waited
    #expect(clock.now - started < .seconds(60))
  }
}
