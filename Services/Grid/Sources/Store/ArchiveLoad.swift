import Foundation
import GRDB
import Logging

/// The first load of a city's archive, ImportCases into a system that holds no case yet, stores
/// the cases first and indexes and counts them when it ends.
///
/// A case enters four indexes at a random place (by division, grid, handling unit and report
/// date) and the tally's trigger adds it to up to twelve counts. One at a time, a million
/// archived cases cost the single writer about 190 µs each and rewrote 29 KB of pages a case
/// (docs/PERFORMANCE.md, "Seventh round"); `CREATE INDEX` sorts them once instead, and the tally
/// is counted again from the cases (`CaseTally.backfill`). While a load runs the dropped indexes'
/// statements are kept in `archive_load_schema`, so that the schema made again is the one the
/// migrations made, and a load a stop cut short is finished when the service starts again
/// (`GridStore.finishInterruptedArchiveLoad`). Lists stay right meanwhile, only slower, and the
/// statistics count the cases themselves instead of the tally (`inProgress`); the unique indexes
/// (id, case number, external id) stay, so every rule they hold holds.
///
/// The end is one transaction on the single writer: at a million cases it takes about 16 s, and
/// every other write of the grid service waits behind it (peer calls to the grid service time
/// out after 5 s meanwhile). A call that joins a load in progress keeps it open until the call
/// ends, however slowly its client sends.
enum ArchiveLoad {
  static let log = Logger(label: "grid")

  /// The indexes and the trigger a first load drops and makes again at its end.
  static let deferredObjects = [
    "grid_case_statistics", "grid_case_on_grid_code", "grid_case_on_unit_code", "grid_case_on_report_date",
    "case_tally_insert",
  ]

  /// The tables of the loads in progress: one row per ImportCases call taking part, and the
  /// statements of what they dropped.
  static func createTables(_ db: Database) throws {
    try db.execute(
      sql: """
        CREATE TABLE archive_load_stream (id INTEGER PRIMARY KEY);
        CREATE TABLE archive_load_schema (name TEXT PRIMARY KEY, sql TEXT NOT NULL);
        """)
  }

  /// Enters one ImportCases call into a load: it joins the load in progress, or begins one when
  /// no case is stored yet (dropping `deferredObjects`). Returns the call's number in the load,
  /// or nil when the cases go in one by one with their indexes, as every other write does.
  static func begin(_ db: Database) throws -> Int64? {
    if try !inProgress(db) {
      guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM grid_case)") == false else { return nil }
      let names = deferredObjects.map { "'\($0)'" }.joined(separator: ", ")
      for object in try Row.fetchAll(
        db, sql: "SELECT type, name, sql FROM sqlite_master WHERE name IN (\(names)) ORDER BY name")
      {
        let type: String = object["type"]
        let name: String = object["name"]
        try db.execute(
          sql: "INSERT INTO archive_load_schema (name, sql) VALUES (?, ?)", arguments: [name, object["sql"]])
        try db.execute(sql: "DROP \(type == "trigger" ? "TRIGGER" : "INDEX") \(name.quotedDatabaseIdentifier)")
      }
    }
    try db.execute(sql: "INSERT INTO archive_load_stream DEFAULT VALUES")
    return db.lastInsertedRowID
  }

  /// Takes call `stream` out of the load; returns whether it was the last one in it, which then
  /// finishes the load.
  static func leave(_ db: Database, stream: Int64) throws -> Bool {
    try db.execute(sql: "DELETE FROM archive_load_stream WHERE id = ?", arguments: [stream])
    return try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM archive_load_stream)") == false
  }

  /// Whether a load is in progress, its cases out of the tally.
  static func inProgress(_ db: Database) throws -> Bool {
    try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM archive_load_schema)") ?? false
  }

  /// Makes again what the load dropped and counts the tally again from the cases, in the
  /// caller's transaction; nothing when no load is in progress.
  static func finish(_ db: Database) throws {
    try db.execute(sql: "DELETE FROM archive_load_stream")
    let statements = try String.fetchAll(db, sql: "SELECT sql FROM archive_load_schema ORDER BY name")
    guard !statements.isEmpty else { return }
    for statement in statements { try db.execute(sql: statement) }
    try db.execute(sql: "DELETE FROM archive_load_schema")
    // Cases stored while the trigger was away, the load's and any reported meanwhile, are
    // counted with the rest.
    try db.execute(sql: "DELETE FROM case_tally")
    try CaseTally.backfill(db)
  }
}

extension GridStore {
  /// Runs `load`, the storing of one ImportCases call's messages, as part of an archive load
  /// (`ArchiveLoad`): when it is the first load into a system without cases, its cases are indexed
  /// and counted once the last call taking part has ended, before this returns. Rethrows what
  /// `load` throws; the load is ended either way, a cancelled call's too. Throws what taking the
  /// call out of the load throws; a failure to finish the load is logged, not thrown, since the
  /// call's cases are stored (a retry would store them twice), and is finished at the next start.
  public func loadingArchive<Answer: Sendable>(_ load: () async throws -> Answer) async throws -> Answer {
    guard let stream = try await writer.write({ db in try ArchiveLoad.begin(db) }) else { return try await load() }
    let outcome: Result<Answer, any Error>
    do {
      outcome = .success(try await load())
    } catch {
      outcome = .failure(error)
    }
    // A task of its own, so that a cancelled call still ends its part: a load left open would
    // keep the indexes away until the next start.
    let writer = writer
    try await Task {
      guard try await writer.write({ db in try ArchiveLoad.leave(db, stream: stream) }) else { return }
      do {
        try await writer.write { db in try ArchiveLoad.finish(db) }
      } catch {
        ArchiveLoad.log.error(
          "the archive load's indexes and tally were not made; the next start makes them",
          metadata: ["error": "\(error)"])
      }
    }.value
    return try outcome.get()
  }

  /// Finishes an archive load a stop cut short (see `ArchiveLoad`): called as the service starts,
  /// before it takes calls. Does nothing when no load was in progress.
  public func finishInterruptedArchiveLoad() throws {
    try writer.write { db in try ArchiveLoad.finish(db) }
  }
}
