import Foundation
import GRDB
import Logging
import ServiceKit
import Testing

/// The write-ahead log is copied back into the database file beside the writer, so commits do not
/// wait for checkpoints of their own.
@Suite("WAL checkpoints run beside the writer")
struct WALCheckpointsTests {
  /// Writes 40 transactions of 128 KiB each (5 MiB in all, far below the writer's own backstop of
  /// 62.5 MiB), then returns the database file's size in bytes: pages reach the file only through
  /// a checkpoint. With `checkpointing` it waits up to 30 s for them to arrive.
  static func databaseFileSize(checkpointing: Bool) async throws -> Int {
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
    for _ in 0..<40 {
      try await pool.write { db in
        try db.execute(sql: "INSERT INTO blob (data) VALUES (?)", arguments: [Data(repeating: 7, count: 128 * 1024)])
      }
    }
    func size() throws -> Int { try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int ?? 0 }
    // A busy machine may hold the checkpoints back a while; they come all the same.
    let deadline = ContinuousClock.now + .seconds(30)
    while checkpointing, try size() < 5 * 1024 * 1024, ContinuousClock.now < deadline {
      try await Task.sleep(for: .milliseconds(50))
    }
    let measured = try size()
    checkpoints.cancel()
    try await checkpoints.value
    try pool.close()
    return measured
  }

  @Test("with the checkpoints running the log reaches the database file; without, it stays in the log")
  func pagesReachTheFile() async throws {
    let without = try await Self.databaseFileSize(checkpointing: false)
    let with = try await Self.databaseFileSize(checkpointing: true)
    #expect(
      without < 1024 * 1024, "the writer checkpointed by itself before its backstop: \(without) bytes in the file")
    #expect(with >= 5 * 1024 * 1024, "the checkpoints copied only \(with) bytes into the file")
  }
}
