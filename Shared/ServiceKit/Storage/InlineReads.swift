import Foundation
import GRDB
import GRDBSQLite
import Synchronization

/// Short reads (a record by its key, a page of a list within a bound of steps) done on the
/// calling task's own thread with read-only connections of their own instead of on GRDB's reader
/// queues.
///
/// An `await`ed `DatabasePool.read` goes to the pool's semaphore queue, then to a reader's
/// queue, then back to a cooperative thread: under h2load's GetCase the grid service spent
/// about 99 µs of CPU a call on those queues, of about 480 µs a call in all, for about 6 µs of
/// SQLite work (docs/PERFORMANCE.md, eighth round). Here a read takes an idle connection and
/// reads at once, in a deferred transaction of its own, as a pool's read does.
///
/// A read never waits for a connection: when every one is taken it is an `await`ed read of the
/// pool, as before. That matters: a cooperative thread that blocks waiting for a connection
/// held by a task that needs a cooperative thread to finish deadlocks the process (a
/// synchronous read tried in the fourth round did, with Swift's pool of one thread a core;
/// `InlineReadsTests` and `ConcurrentReadsTests` run hundreds of reads at once).
///
/// Only for reads that take microseconds: `read(steps:_:)` without `steps` for a read by key, with
/// them for one whose cost no key bounds. A scan on a cooperative thread would keep every other
/// call of the process off that thread while it runs.
///
/// The connections keep GRDB's statement cache across schema changes made by other connections:
/// SQLite prepares a changed statement again, but a cached `SELECT *` keeps its old columns, so
/// reads here name their columns (migrations run before the service serves).
public final class InlineReads: Sendable {
  /// Connections opened at most (opened as reads first need them): Swift's pool has a thread a
  /// core, and one read at a time runs on each.
  public static let defaultConnections = max(1, ProcessInfo.processInfo.activeProcessorCount)

  /// The steps a page of a list may take on the calling thread (`read(steps:_:)`). On a town, a
  /// page of 50 cases of a district read in id order took 500 to 1,000 steps (79 µs warm); a
  /// scan ran about 60 ns a step, so 20,000 steps hold a cooperative thread about 1.2 ms at most.
  public static let listSteps: Int32 = 20_000

  private struct Connections {
    var idle: [DatabaseQueue] = []
    var opened = 0
    /// Set when a connection could not be opened (the file gone, no file handles left): every
    /// read then goes through the pool, whose own errors say what is wrong.
    var unavailable = false
  }

  private let reader: any DatabaseReader
  private let path: String?
  private let limit: Int
  private let connections = Mutex(Connections())

  /// Inline reads of the database `reader` serves. A `DatabasePool` (a file in WAL mode) gets
  /// up to `connections` read-only connections of its own; any other reader (an in-memory
  /// `DatabaseQueue` in tests) is read through as it is.
  public init(_ reader: any DatabaseReader, connections: Int = InlineReads.defaultConnections) {
    self.reader = reader
    self.path = reader is DatabasePool ? reader.path : nil
    self.limit = max(0, connections)
  }

  /// Runs `value` in a read-only transaction, on this thread with an idle connection, or through
  /// the pool when none is idle. Throws what `value` or SQLite throws.
  ///
  /// - Parameter steps: nil for a read by key; for a read whose cost no key bounds (a filtered
  ///   page of a list), about how many of SQLite's virtual machine instructions it may take on
  ///   this thread (its progress handler stops it there), a read stopped being done again
  ///   through the pool. `value` may then run twice, so it must only read, and it must let
  ///   SQLite's errors through (no `try?`): the stop is one of them.
  public func read<T: Sendable>(
    steps: Int32? = nil, _ value: @escaping @Sendable (Database) throws -> T
  ) async throws -> T {
    guard let connection = take() else { return try await reader.read(value) }
    do {
      defer { connections.withLock { $0.idle.append(connection) } }
      return try Self.read(value, on: connection, steps: steps)
    } catch let error as DatabaseError where steps != nil && error.resultCode == .SQLITE_INTERRUPT {
      return try await reader.read(value)
    }
  }

  /// How many connections are open now, and how many of them idle (for tests).
  var openedConnections: Int { connections.withLock { $0.opened } }
  var idleConnections: Int { connections.withLock { $0.idle.count } }

  /// An idle connection, a new one while fewer than `limit` are open, or nil.
  private func take() -> DatabaseQueue? {
    guard let path else { return nil }
    let taken: DatabaseQueue?? = connections.withLock { state in
      if let idle = state.idle.popLast() { return .some(idle) }
      guard !state.unavailable, state.opened < limit else { return .some(nil) }
      state.opened += 1
      return .none
    }
    if let taken { return taken }
    // Opened outside the lock: it reads the schema from the file.
    do {
      var configuration = GovernanceDatabase.configuration()
      configuration.readonly = true
      configuration.label = "inline reads"
      return try DatabaseQueue(path: path, configuration: configuration)
    } catch {
      connections.withLock {
        $0.opened -= 1
        $0.unavailable = true
      }
      return nil
    }
  }

  /// SQLite calls the progress handler every this many instructions of a statement.
  static let stepsBetweenChecks: Int32 = 1_000

  /// The synchronous read, outside any `async` function so that GRDB's blocking overload is the
  /// one called; the connection is idle, so its serial queue runs the block on this thread.
  /// With `steps`, SQLite's progress handler stops it after about that many instructions. The
  /// handler counts its own calls: SQLite times them from the statement's lifetime count of
  /// steps, which a cached statement carries from one read to the next, so handing it `steps`
  /// itself would stop a short read that happened to cross a multiple of it.
  private static func read<T>(_ value: (Database) throws -> T, on connection: DatabaseQueue, steps: Int32?) throws
    -> T
  {
    try connection.read { db in
      guard let steps else { return try value(db) }
      var checksLeft = max(1, steps / stepsBetweenChecks)
      return try withUnsafeMutablePointer(to: &checksLeft) { checks in
        sqlite3_progress_handler(
          db.sqliteConnection, stepsBetweenChecks,
          { context in
            // A non-zero answer interrupts the statement.
            guard let checks = context?.assumingMemoryBound(to: Int32.self) else { return 1 }
            checks.pointee -= 1
            return checks.pointee < 0 ? 1 : 0
          }, checks)
        defer { sqlite3_progress_handler(db.sqliteConnection, 0, nil, nil) }
        return try value(db)
      }
    }
  }
}
