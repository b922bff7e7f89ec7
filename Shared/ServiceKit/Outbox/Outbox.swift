import Foundation
import GRDB
import GovernanceAPI
import SwiftProtobuf
import Synchronization

/// The transactional outbox (发件箱) of a domain service: an event is appended in the same SQLite
/// transaction as the change that caused it, so either both are stored or neither is; the
/// gateway reads it afterwards (`OutboxService`) and relays it to webhooks and people.
///
/// An event is never lost between "committed" and "sent": a process killed after the commit
/// leaves the event in the file, and the gateway reads on from the last sequence it stored.
public enum Outbox {
  public typealias Event = Governance_Outbox_V1_OutboxEvent

  /// What a change appends: the kind, the record, its division, an optional recipient and the
  /// record itself.
  public struct Entry: Sendable {
    /// `<resource>.<what>`, e.g. `case.overdue` (the list is in docs/MESSAGES.md).
    public var kind: String
    /// The record's id, or a digest's `division@date`: events of one record keep their order.
    public var record: String
    /// The record's division code (for jurisdiction).
    public var divisionCode: String
    /// The one person it is for (`user:wang`), or "" when it goes by role and division.
    public var recipient: String
    /// The record or the figures, in protobuf's JSON form.
    public var dataJSON: String
    /// Alarms: reach people in quiet hours too.
    public var urgent: Bool
    /// A reminder's once-only key (`case.deadline_approaching:cas_1@1764518400`): an entry
    /// whose key is already in the outbox is not appended again, however often a sweep finds
    /// it due.
    public var onceKey: String?
    /// The `traceparent` of the call that caused it (`Principal.traceparent`), or "".
    public var traceparent: String

    /// `cause` is the principal of the call that caused the event (its trace goes with the
    /// event); a sweep's reminder has none.
    public init(
      kind: String, record: String, divisionCode: String, recipient: String = "",
      data: some SwiftProtobuf.Message, urgent: Bool = false, onceKey: String? = nil, cause: Principal = .system
    ) throws {
      self.kind = kind
      self.record = record
      self.divisionCode = divisionCode
      self.recipient = recipient
      self.dataJSON = try data.jsonString()
      self.urgent = urgent
      self.onceKey = onceKey
      self.traceparent = cause.traceparent
    }
  }

  /// Adds the outbox's table; every domain service registers it in its migrator.
  public static func registerMigration(in migrator: inout DatabaseMigrator) {
    migrator.registerMigration("outbox-v1") { db in
      try db.create(table: "outbox_event") { table in
        table.autoIncrementedPrimaryKey("sequence")
        table.column("kind", .text).notNull()
        table.column("record", .text).notNull()
        table.column("division_code", .text).notNull()
        table.column("recipient", .text).notNull()
        table.column("occurred_at", .integer).notNull()
        table.column("data_json", .text).notNull()
        table.column("urgent", .boolean).notNull()
        // Set when the gateway acknowledged the event; pruned a week later.
        table.column("relayed_at", .integer).indexed()
      }
      // Reminders' once-only keys, apart from the events: kept 120 days, longer than any
      // condition that could make a reminder due again (a deadline at most 90 days off, a
      // quarter's last month, a day's digest), while the events themselves go after a week.
      try db.create(table: "outbox_once") { table in
        table.primaryKey("once_key", .text)
        table.column("created_at", .integer).notNull().indexed()
      }
    }
    migrator.registerMigration("outbox-v2-trace") { db in
      try db.alter(table: "outbox_event") { table in
        table.add(column: "traceparent", .text).notNull().defaults(to: "")
      }
    }
  }

  /// How long a once-only key is kept (120 days).
  public static let onceRetention: TimeInterval = 120 * 86_400

  /// Rings when a transaction that appended events commits, to wake a waiting `read`.
  public static let commits = CommitSignal()

  /// Appends `entry` inside the current write transaction, at `time`. Returns false when an
  /// entry with the same `onceKey` is already there (nothing is appended).
  @discardableResult
  public static func append(_ db: Database, _ entry: Entry, at time: Date) throws -> Bool {
    let millisecond = Int64(time.timeIntervalSince1970 * 1000)
    if let key = entry.onceKey {
      try db.cachedStatement(sql: "INSERT OR IGNORE INTO outbox_once (once_key, created_at) VALUES (?, ?)")
        .execute(arguments: [key, millisecond])
      guard db.changesCount > 0 else { return false }
    }
    // Every change appends here: its statement is prepared once per connection.
    try db.cachedStatement(
      sql: """
        INSERT INTO outbox_event (kind, record, division_code, recipient, occurred_at, data_json, urgent, traceparent)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
        """
    ).execute(
      arguments: [
        entry.kind, entry.record, entry.divisionCode, entry.recipient, millisecond, entry.dataJSON, entry.urgent,
        entry.traceparent,
      ])
    db.afterNextTransaction { _ in commits.ring() }
    return true
  }

  /// The most bytes of records a read answers (1 MiB), always at least one event: a page stays
  /// well under gRPC's 4 MiB message limit however long the records.
  public static let pageBytes = 1 << 20

  /// The events after `sequence`, at most `limit` and about `pageBytes` of records, in order;
  /// `service` names their ids.
  public static func read(_ db: Database, after sequence: Int64, limit: Int, service: ServiceIdentity) throws
    -> [Event]
  {
    var bytes = 0
    var rows: [Row] = []
    let cursor = try Row.fetchCursor(
      db,
      sql: """
        SELECT sequence, kind, record, division_code, recipient, occurred_at, data_json, urgent, traceparent
        FROM outbox_event WHERE sequence > ? ORDER BY sequence LIMIT ?
        """,
      arguments: [sequence, limit])
    while let row = try cursor.next() {
      let size = (row["data_json"] as String).utf8.count
      if !rows.isEmpty && bytes + size > pageBytes { break }
      bytes += size
      rows.append(row.copy())
    }
    return rows.map { row in
      Event.with {
        $0.sequence = row["sequence"]
        $0.id = "evt_\(service.rawValue)_\(row["sequence"] as Int64)"
        $0.kind = row["kind"]
        $0.record = row["record"]
        $0.divisionCode = row["division_code"]
        $0.recipient = row["recipient"]
        $0.occurredAt = Google_Protobuf_Timestamp(
          date: Date(timeIntervalSince1970: Double(row["occurred_at"] as Int64) / 1000))
        $0.dataJson = row["data_json"]
        $0.urgent = row["urgent"]
        $0.traceparent = row["traceparent"]
      }
    }
  }

  /// Marks every event up to `sequence` relayed at `time`; returns how many were not yet.
  public static func acknowledge(_ db: Database, through sequence: Int64, at time: Date) throws -> Int {
    try db.execute(
      sql: "UPDATE outbox_event SET relayed_at = ? WHERE sequence <= ? AND relayed_at IS NULL",
      arguments: [Int64(time.timeIntervalSince1970 * 1000), sequence])
    return db.changesCount
  }

  /// How long a relayed event is kept for inspection.
  public static let retention: TimeInterval = 7 * 24 * 3600

  /// Deletes relayed events older than `cutoff` and once-only keys older than `onceRetention`
  /// before it, at most `batch` of each a call; returns how many went. The sequence is
  /// AUTOINCREMENT: it never starts again below what the gateway has read, even when every event
  /// is pruned.
  public static func prune(_ db: Database, before cutoff: Date, batch: Int = 5_000) throws -> Int {
    try db.execute(
      sql: """
        DELETE FROM outbox_event WHERE sequence IN
          (SELECT sequence FROM outbox_event WHERE relayed_at < ? ORDER BY sequence LIMIT ?)
        """,
      arguments: [Int64(cutoff.timeIntervalSince1970 * 1000), batch])
    let events = db.changesCount
    try db.execute(
      sql: """
        DELETE FROM outbox_once WHERE once_key IN
          (SELECT once_key FROM outbox_once WHERE created_at < ? ORDER BY created_at LIMIT ?)
        """,
      arguments: [Int64(cutoff.addingTimeInterval(-onceRetention).timeIntervalSince1970 * 1000), batch])
    return events + db.changesCount
  }
}

/// A signal rung on every commit that appended to the outbox. A reader notes the generation
/// before it reads, and if it found nothing waits for the generation to move on: a commit
/// between its read and its wait is not missed.
public final class CommitSignal: Sendable {
  private struct State {
    var generation = 0
    var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
    var nextWaiter = 0
  }
  private let state = Mutex(State())

  public init() {}

  /// The number of commits rung so far.
  public var generation: Int { state.withLock { $0.generation } }

  /// Wakes every waiter.
  public func ring() {
    let waiters = state.withLock { state in
      state.generation += 1
      defer { state.waiters = [:] }
      return Array(state.waiters.values)
    }
    for waiter in waiters { waiter.resume() }
  }

  /// Returns once the generation is past `seen`, or after `timeout`, or when the task is
  /// cancelled, whichever comes first.
  public func wait(after seen: Int, timeout: Duration) async {
    await withTaskGroup(of: Void.self) { group in
      group.addTask { await self.next(after: seen) }
      group.addTask { try? await Task.sleep(for: timeout) }
      await group.next()
      group.cancelAll()
    }
  }

  private func next(after seen: Int) async {
    let id = state.withLock { state in
      defer { state.nextWaiter += 1 }
      return state.nextWaiter
    }
    await withTaskCancellationHandler {
      await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
        let resumeNow = state.withLock { state in
          if state.generation > seen || Task.isCancelled { return true }
          state.waiters[id] = continuation
          return false
        }
        if resumeNow { continuation.resume() }
      }
    } onCancel: {
      state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
    }
  }
}
