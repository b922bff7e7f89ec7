import Foundation
import GRDB
import GovernanceAPI
import ServiceKit

/// The grid service's SQLite database: divisions and, as the service grows, grids, workers,
/// patrols, cases and alarms.
public struct GridStore: Sendable {
  public typealias Division = Governance_Grid_V1_Division

  let writer: any DatabaseWriter
  let vault: ContactVault

  public init(writer: any DatabaseWriter, vault: ContactVault) {
    self.writer = writer
    self.vault = vault
  }

  /// The schema, one append-only migration per shipped change.
  public static var migrator: DatabaseMigrator {
    var migrator = DatabaseMigrator.governance
    migrator.registerMigration("v1-grid") { db in
      try RecordTable.create(db, name: "division") { table in
        table.column("division_code", .text).notNull().unique()
        table.column("name", .text).notNull()
        table.column("level", .integer).notNull()
        table.column("parent_code", .text).notNull().indexed()
      }
      try RecordTable.create(db, name: "grid") { table in
        table.column("division_code", .text).notNull().indexed()
        table.column("grid_code", .text).notNull().unique()
        table.column("kind", .integer).notNull()
        table.column("parent_grid_code", .text).indexed()
      }
      try RecordTable.create(db, name: "grid_case") { table in
        table.column("division_code", .text).notNull().indexed()
        table.column("unit_code", .text).notNull().indexed()
        table.column("status", .integer).notNull()
        table.column("source", .integer).notNull()
        table.column("priority", .integer).notNull()
        table.column("category", .text).notNull()
        table.column("assignee_id", .text).indexed()
        table.column("compound_id", .text).indexed()
        table.column("external_id", .text).unique()
        // When the current level's time runs out (Unix seconds); the sweep escalates past it.
        table.column("deadline", .integer).indexed()
        table.column("open", .boolean).notNull()
        // What the statistics group and count by, kept current with the record.
        table.column("grid_code", .text).indexed()
        table.column("level", .integer).notNull()
        table.column("report_date", .text).notNull().indexed()
        table.column("resolved_level", .integer)
        table.column("on_time", .boolean)
        table.column("overdue", .boolean).notNull()
        table.column("satisfaction", .integer)
      }
      // Reporters' contacts, sealed, apart from the case records that hold them masked.
      try db.create(table: "case_reporter") { table in
        table.primaryKey("case_id", .text).references("grid_case")
        table.column("contact", .blob).notNull()
      }
      try RecordTable.create(db, name: "grid_worker") { table in
        table.column("division_code", .text).notNull().indexed()
        table.column("active", .boolean).notNull()
      }
      try db.create(table: "worker_grid") { table in
        table.column("worker_id", .text).notNull().references("grid_worker")
        table.column("grid_code", .text).notNull().indexed()
        table.primaryKey(["worker_id", "grid_code"])
      }
      try RecordTable.create(db, name: "duty_shift") { table in
        table.column("grid_code", .text).notNull()
        table.column("worker_id", .text).notNull().references("grid_worker")
        table.column("start_time", .integer).notNull()
        table.column("end_time", .integer).notNull()
        table.column("roster_order", .integer).notNull()
      }
      try db.create(index: "duty_shift_by_grid_time", on: "duty_shift", columns: ["grid_code", "start_time", "end_time"])
      try RecordTable.create(db, name: "assignment") { table in
        table.column("case_id", .text).notNull().references("grid_case").indexed()
        table.column("worker_id", .text).notNull().indexed()
        table.column("state", .integer).notNull()
      }
      try RecordTable.create(db, name: "deadline_policy") { table in
        table.column("division_code", .text).notNull().unique()
      }
      try RecordTable.create(db, name: "case_event") { table in
        table.column("division_code", .text).notNull()
        table.column("case_id", .text).notNull().references("grid_case").indexed()
      }
    }
    return migrator
  }

  /// Registers a division in one transaction. A code is registered once: a second division with
  /// the same code is ALREADY_EXISTS; a repeated `requestID` returns the first answer.
  public func createDivision(
    _ request: Governance_Grid_V1_CreateDivisionRequest,
    by principal: Principal,
    at time: Date = Date()
  ) async throws -> Division {
    try await writer.write { db in
      try IdempotencyLedger.perform(db, requestID: request.requestID, method: "CreateDivision", request: request) {
        let division = try DivisionRegistry.validateNew(request.division) { parent in
          try Self.divisionID(db, code: parent.code) != nil
        }
        if let existing = try Self.divisionID(db, code: division.divisionCode) {
          throw DomainError.alreadyExists(resource: "division", id: division.divisionCode, detail: "registered as \(existing)")
        }
        return try RecordTable.insertNew(
          db, into: "division", prefix: "div", record: division, by: principal, at: time
        ) { division in
          ["division_code": division.divisionCode, "name": division.name, "level": division.level.rawValue,
            "parent_code": division.parentCode]
        }
      }
    }
  }

  public func division(id: String) async throws -> Division? {
    try await writer.read { db in try RecordTable.fetch(db, from: "division", id: id, as: Division.self) }
  }

  public func division(code: String) async throws -> Division? {
    try await writer.read { db in
      guard let id = try Self.divisionID(db, code: code) else { return nil }
      return try RecordTable.fetch(db, from: "division", id: id, as: Division.self)
    }
  }

  static func divisionID(_ db: Database, code: String) throws -> String? {
    try String.fetchOne(db, sql: "SELECT id FROM division WHERE division_code = ?", arguments: [code])
  }
}

extension Governance_Grid_V1_Division: AuditedRecord {}
