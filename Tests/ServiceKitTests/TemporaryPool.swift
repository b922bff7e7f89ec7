import Foundation
import GRDB
import Logging

@testable import ServiceKit

/// A WAL database pool in a directory of its own under the temporary directory, opened as the
/// services open theirs, with one table `note` made by `columns`. The caller removes the directory.
enum TemporaryPool {
  static func open(columns: @escaping @Sendable (TableDefinition) -> Void) throws -> (DatabasePool, URL) {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
    var migrator = DatabaseMigrator()
    migrator.registerMigration("v1-note") { db in try db.create(table: "note", body: columns) }
    let pool = try GovernanceDatabase.openPool(
      path: directory.appendingPathComponent("notes.sqlite").path, migrator: migrator, logger: Logger(label: "test"))
    return (pool, directory)
  }
}
