import Foundation
import GRDB
import GovernanceAPI
import ServiceKit

/// The property service's SQLite database: compounds and, as the service grows, buildings,
/// companies, contracts and acceptance reviews.
public struct PropertyStore: Sendable {
  public typealias Compound = Governance_Property_V1_Compound

  private let writer: any DatabaseWriter

  public init(writer: any DatabaseWriter) {
    self.writer = writer
  }

  /// The schema, one append-only migration per shipped change.
  public static var migrator: DatabaseMigrator {
    var migrator = DatabaseMigrator.governance
    migrator.registerMigration("v1-compounds") { db in
      try RecordTable.create(db, name: "compound") { table in
        table.column("division_code", .text).notNull().indexed()
        table.column("name", .text).notNull()
        table.column("kind", .integer).notNull()
        table.column("management_mode", .integer).notNull()
        table.column("household_count", .integer).notNull()
      }
    }
    return migrator
  }

  /// Registers a compound in one transaction; a repeated `requestID` returns the first compound.
  public func createCompound(
    _ request: Governance_Property_V1_CreateCompoundRequest,
    by principal: Principal,
    at time: Date = Date()
  ) async throws -> Compound {
    try await writer.write { db in
      try IdempotencyLedger.perform(db, requestID: request.requestID, method: "CreateCompound", request: request) {
        let compound = try CompoundRegistration.validateNew(request.compound)
        return try RecordTable.insertNew(
          db, into: "compound", prefix: "cmp", record: compound, by: principal, at: time
        ) { compound in
          ["division_code": compound.divisionCode, "name": compound.name, "kind": compound.kind.rawValue,
            "management_mode": compound.managementMode.rawValue, "household_count": compound.householdCount]
        }
      }
    }
  }

  public func compound(id: String) async throws -> Compound? {
    try await writer.read { db in try RecordTable.fetch(db, from: "compound", id: id, as: Compound.self) }
  }
}

extension Governance_Property_V1_Compound: AuditedRecord {}
