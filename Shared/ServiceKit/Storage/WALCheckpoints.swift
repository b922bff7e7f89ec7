import Foundation
import GRDB
import Logging
import ServiceLifecycle

/// Copies the write-ahead log back into the database file from a connection of its own, every
/// `interval`, as a background service of every process that owns a database.
///
/// SQLite otherwise checkpoints inside the commit that takes the log past `wal_autocheckpoint`
/// pages: that commit, and every write queued behind it on the single writer, waits while 16 MB of
/// pages are copied and the log and the file are synced (two `fdatasync`s, 10 to 20 ms each on
/// this machine). During an alarm storm (200 alarms a second, about 40 pages each) that happened
/// about every half second, in the alarms' own path. A PASSIVE checkpoint from another connection
/// runs beside the writer and never waits for it or for readers
/// (https://www.sqlite.org/wal.html#ckpt). The writer starts the log again from its beginning
/// only when such a checkpoint finished between two of its commits; in a storm without such a
/// pause the log keeps growing (about 13,500 frames were seen), and the writer's own automatic
/// checkpoint stays as the backstop at `GovernanceDatabase.autocheckpointPages`. Where another
/// process checkpoints too (Litestream, the command-line tools), a round that finds the
/// checkpoint lock taken is skipped.
public struct WALCheckpoints: Service {
  private let path: String
  private let interval: Duration
  private let logger: Logger

  /// - Parameters:
  ///   - path: the database file, in WAL mode, that a `DatabasePool` of this process writes.
  ///   - interval: the pause between checkpoints.
  public init(path: String, interval: Duration = .milliseconds(500), logger: Logger) {
    self.path = path
    self.interval = interval
    self.logger = logger
  }

  public func run() async throws {
    var configuration = Configuration()
    configuration.label = "checkpoints"
    configuration.prepareDatabase { db in
      // Checkpointing reads the log's frames and writes the file's pages: it needs no cache.
      try db.execute(sql: "PRAGMA cache_size = -256")
    }
    let connection = try DatabaseQueue(path: path, configuration: configuration)
    // A round that copies pages is routine: it returns 0 so that it is not logged every time.
    try await PeriodicService("WAL checkpoint", every: interval, logger: logger) {
      do {
        try await connection.writeWithoutTransaction { db in _ = try db.checkpoint(.passive) }
      } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY {
        // Another connection is checkpointing: the pages are being copied all the same.
      }
      return 0
    }.run()
  }
}
