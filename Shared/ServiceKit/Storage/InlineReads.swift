import GRDB
import GRDBSQLite
import Synchronization

/// Reads of one record by its key, done on the calling task's own thread with a read-only
/// connection of their own instead of on GRDB's reader queues.
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
/// Only for reads bounded by a key, which take microseconds: a scan on a cooperative thread would
/// keep every other call of the process off that thread while it runs.
public final class InlineReads: Sendable {
  /// Connections opened at most (opened as reads first need them): one per cooperative thread
  /// is all that can read at once, and one more covers a read that finds the others taken
  /// between two of its own.
  public static let defaultConnections = 3

  /// The steps a page of a list may take on the calling thread (`read(steps:_:)`). On a town, a
  /// page of 50 cases of a district read in id order took 500 to 1,000 steps (79 µs warm); a
  /// scan ran about 60 ns a step, so 20,000 steps hold a cooperative thread about 1.2 ms at most.
  public static let listSteps: Int32 = 20_000

  private struct Connections {
    var idle: [DatabaseQueue] = []
    var opened = 0
    /// Set when a connection could not be opened: every read then goes through the pool.
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
  public func read<T: Sendable>(_ value: @escaping @Sendable (Database) throws -> T) async throws -> T {
    guard let connection = take() else { return try await reader.read(value) }
    defer { connections.withLock { $0.idle.append(connection) } }
    return try Self.read(value, on: connection)
  }

  /// Runs `value` as `read(_:)` does, for a read whose cost no key bounds (a filtered page of a
  /// list): on this thread it may take at most `steps` of SQLite's virtual machine instructions
  /// (its progress handler stops it there), and a read stopped is done again through the pool.
  /// `value` may thus run twice, so it must only read.
  public func read<T: Sendable>(
    steps: Int32, _ value: @escaping @Sendable (Database) throws -> T
  ) async throws -> T {
    guard let connection = take() else { return try await reader.read(value) }
    do {
      defer { connections.withLock { $0.idle.append(connection) } }
      return try Self.read(value, on: connection, steps: steps)
    } catch let error as DatabaseError where error.resultCode == .SQLITE_INTERRUPT {
      return try await reader.read(value)
    }
  }

  /// How many connections are open now (for tests).
  var openedConnections: Int { connections.withLock { $0.opened } }

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

  /// The synchronous read, outside any `async` function so that GRDB's blocking overload is the
  /// one called; the connection is idle, so its serial queue runs the block on this thread.
  private static func read<T>(_ value: (Database) throws -> T, on connection: DatabaseQueue) throws -> T {
    try connection.read(value)
  }

  /// The synchronous read with SQLite's progress handler set to stop it after `steps` instructions.
  private static func read<T>(_ value: (Database) throws -> T, on connection: DatabaseQueue, steps: Int32) throws
    -> T
  {
    try connection.read { db in
      // Called every `steps` instructions; a non-zero answer interrupts the statement.
      sqlite3_progress_handler(db.sqliteConnection, steps, { _ in 1 }, nil)
      defer { sqlite3_progress_handler(db.sqliteConnection, 0, nil, nil) }
      return try value(db)
    }
  }
}
