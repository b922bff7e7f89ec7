import Foundation
import GRDB
import Logging

/// Opens the one SQLite file a service owns and brings its schema up to date.
public enum GovernanceDatabase {
  /// How long a writer waits for the lock before SQLITE_BUSY. Writes are short transactions, so
  /// this is only reached under overload; the caller then gets UNAVAILABLE and may retry.
  public static let busyTimeout: TimeInterval = 5

  /// Opens (creating if needed) the database at `path` as a WAL `DatabasePool` with foreign keys
  /// on and a busy timeout, then runs every migration not yet applied. Migrations are append-only:
  /// a shipped one is never edited, so a file written by any earlier version opens.
  public static func openPool(path: String, migrator: DatabaseMigrator, logger: Logger) throws -> DatabasePool {
    let directory = (path as NSString).deletingLastPathComponent
    if !directory.isEmpty {
      try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }
    let pool = try DatabasePool(path: path, configuration: configuration())
    let alreadyApplied = try pool.read { db in try migrator.appliedIdentifiers(db) }
    try migrator.migrate(pool)
    let applied = try pool.read { db in try migrator.appliedIdentifiers(db) }
    logger.info(
      "database ready",
      metadata: [
        "path": "\(path)",
        "migrations_applied": "\(applied.subtracting(alreadyApplied).sorted().joined(separator: ","))",
        "schema_version": "\(applied.count)",
      ])
    return pool
  }

  /// An empty in-memory database with the same settings and migrations, for tests.
  public static func makeEmptyTestDatabase(migrator: DatabaseMigrator) throws -> DatabaseQueue {
    let queue = try DatabaseQueue(configuration: configuration())
    try migrator.migrate(queue)
    return queue
  }

  /// How hard a commit is pushed to disk, from `GOVERNANCE_SQLITE_SYNCHRONOUS`: `normal` (the
  /// default in WAL mode: a committed transaction survives a crash of the process; a power loss may
  /// take the last transactions, never corrupt the file) or `full` (an fsync per commit: a
  /// committed transaction survives a power loss too, at the cost of write throughput).
  public static func synchronousMode(_ environment: [String: String]) -> String {
    environment["GOVERNANCE_SQLITE_SYNCHRONOUS"]?.lowercased() == "full" ? "FULL" : "NORMAL"
  }

  /// The log's size, in 4 KiB pages, at which a commit checkpoints it itself (62.5 MiB). Below
  /// it `WALCheckpoints` copies the log back beside the writer every half second; the writer
  /// reaches it when writes come without a pause long enough for the log to start again (a
  /// storm of alarms measured about 13,500 frames), or when nothing else checkpoints (a tool
  /// holding the file alone). Larger than SQLite's 1,000 so that hot pages (the tally, the ends
  /// of the id indexes) are copied back once rather than many times.
  public static let autocheckpointPages = 16_000

  static func configuration() -> Configuration {
    var configuration = Configuration()
    configuration.foreignKeysEnabled = true
    configuration.busyMode = .timeout(busyTimeout)
    let synchronous = synchronousMode(ProcessInfo.processInfo.environment)
    configuration.prepareDatabase { db in
      try db.execute(sql: "PRAGMA synchronous = \(synchronous)")
      // The writer keeps 32 MiB of pages (SQLite's default is 2 MiB): with a million cases, the
      // indexes no longer fit the default and every insert reads pages back from the file.
      // Readers keep 4 MiB each, so a service stays well inside its memory budget.
      try db.execute(sql: "PRAGMA cache_size = \(db.configuration.readonly ? -4096 : -32768)")
      if !db.configuration.readonly {
        // Statement journals in memory: an insert that fires a trigger (the case tally) keeps
        // one for the length of the statement, and on disk that was a second file written page
        // by page beside the WAL, several times the bytes of the write itself. Readers keep
        // their temporary B-trees (a statistics GROUP BY) on disk, out of the memory budget.
        try db.execute(sql: "PRAGMA temp_store = MEMORY")
        // The writer checkpoints only as a backstop: `WALCheckpoints` does it beside the writer.
        try db.execute(sql: "PRAGMA wal_autocheckpoint = \(autocheckpointPages)")
      }
    }
    return configuration
  }
}
