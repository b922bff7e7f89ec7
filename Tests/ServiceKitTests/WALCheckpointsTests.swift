import Foundation
import GRDB
import Logging
import ServiceKit
import Testing

/// The write-ahead log is copied back beside the writer, so commits never wait for a checkpoint
/// and the log file does not grow while writes keep coming.
@Suite("WAL checkpoints run beside the writer")
struct WALCheckpointsTests {
  /// Writes 40 transactions of about 128 KiB each (5 MiB in all, far below the writer's own
  /// backstop of 64 MiB) and returns the log file's size afterwards, in bytes.
  static func logSize(checkpointing: Bool) async throws -> Int {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("wal-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: directory) }
    var migrator = DatabaseMigrator()
    migrator.registerMigration("blob") { db in
      try db.create(table: "blob") { table in
        table.autoIncrementedPrimaryKey("id")
        table.column("data", .blob).notNull()
      }
    }
    let path = directory.appendingPathComponent("test.sqlite").path
    let pool = try GovernanceDatabase.openPool(path: path, migrator: migrator, logger: Logger(label: "test"))
    let checkpoints = Task {
      guard checkpointing else { return }
      try await WALCheckpoints(path: path, interval: .milliseconds(20), logger: Logger(label: "test")).run()
    }
    defer { checkpoints.cancel() }
    for _ in 0..<40 {
      try await pool.write { db in
        try db.execute(sql: "INSERT INTO blob (data) VALUES (?)", arguments: [Data(repeating: 7, count: 128 * 1024)])
      }
      try await Task.sleep(for: .milliseconds(30))
    }
    let size = try FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int ?? 0
    try pool.close()
    return size
  }

  @Test("with the checkpoints running the log is reused and stays small; without, it holds every write")
  func logStaysSmall() async throws {
    let without = try await Self.logSize(checkpointing: false)
    let with = try await Self.logSize(checkpointing: true)
    #expect(without >= 5 * 1024 * 1024, "the writer alone checkpointed before its backstop: \(without) bytes")
    #expect(with < 1024 * 1024, "the log grew to \(with) bytes with checkpoints every 20 ms")
  }
}
