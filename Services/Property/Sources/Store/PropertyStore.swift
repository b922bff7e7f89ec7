import Foundation
import GRDB
import GovernanceAPI
import ServiceKit
import SwiftProtobuf

/// The property service's SQLite database: compounds and their history, buildings, street
/// property service centres, companies, service contracts and acceptance reviews.
///
/// Every write is one transaction: a contract signed, a company exited or an acceptance step
/// recorded changes the compound, the contract and the history together or not at all.
public struct PropertyStore: Sendable {
  public typealias Compound = Governance_Property_V1_Compound
  public typealias Building = Governance_Property_V1_Building
  public typealias Company = Governance_Property_V1_PropertyCompany
  public typealias Contract = Governance_Property_V1_ServiceContract
  public typealias Centre = Governance_Property_V1_ServiceCentre
  public typealias Acceptance = Governance_Property_V1_Acceptance

  let writer: any DatabaseWriter
  /// The attachments' bytes, beside the database.
  let files: AttachmentFiles

  public init(writer: any DatabaseWriter) {
    self.writer = writer
    self.files = AttachmentFiles(databasePath: writer.path)
  }

  /// The schema, one append-only migration per shipped change.
  public static var migrator: DatabaseMigrator {
    var migrator = DatabaseMigrator.governance
    migrator.registerMigration("v1-property") { db in
      try RecordTable.create(db, name: "compound") { table in
        table.column("division_code", .text).notNull().indexed()
        table.column("name", .text).notNull()
        table.column("kind", .integer).notNull()
        table.column("management_mode", .integer).notNull()
        table.column("household_count", .integer).notNull()
        table.column("company_id", .text).indexed()
        table.column("three_no", .boolean).notNull()
        table.column("three_no_all", .boolean).notNull()
        table.column("area", .text)
      }
      try db.create(table: "compound_grid") { table in
        table.column("compound_id", .text).notNull().references("compound")
        table.column("grid_code", .text).notNull().indexed()
        table.primaryKey(["compound_id", "grid_code"])
      }
      try db.create(table: "compound_event") { table in
        table.autoIncrementedPrimaryKey("seq")
        table.column("compound_id", .text).notNull().references("compound").indexed()
        table.column("kind", .integer).notNull()
        table.column("record", .blob).notNull()
      }
      try RecordTable.create(db, name: "building") { table in
        table.column("division_code", .text).notNull().indexed()
        table.column("compound_id", .text).notNull().references("compound").indexed()
        table.column("leader_member_id", .text)
      }
      try RecordTable.create(db, name: "service_centre") { table in
        table.column("division_code", .text).notNull().unique()
      }
      try RecordTable.create(db, name: "property_company") { table in
        table.column("division_code", .text).notNull().indexed()
        table.column("credit_code", .text).notNull().unique()
        table.column("star_rating", .integer).notNull()
        table.column("list_status", .integer).notNull()
        table.column("party_status", .integer).notNull()
        table.column("staff_count", .integer).notNull()
        table.column("party_member_count", .integer).notNull()
      }
      try RecordTable.create(db, name: "service_contract") { table in
        table.column("division_code", .text).notNull().indexed()
        table.column("compound_id", .text).notNull().references("compound").indexed()
        table.column("company_id", .text).notNull().references("property_company").indexed()
        table.column("state", .integer).notNull()
        table.column("trial_end", .text).notNull()
      }
      // At most one live (trial or active) contract per compound, enforced by SQLite itself so
      // that two signings racing for one compound cannot both win.
      try db.execute(
        sql: """
          CREATE UNIQUE INDEX service_contract_one_live_per_compound ON service_contract(compound_id)
          WHERE state IN (\(ContractLifecycle.liveStates.map { "\($0.rawValue)" }.joined(separator: ", ")))
          """)
      try RecordTable.create(db, name: "acceptance") { table in
        table.column("division_code", .text).notNull().indexed()
        table.column("compound_id", .text).notNull().references("compound").indexed()
        table.column("company_id", .text).notNull()
        table.column("state", .integer).notNull()
        table.column("current_step", .integer).notNull()
      }
      try db.execute(
        sql: """
          CREATE UNIQUE INDEX acceptance_one_open_per_compound ON acceptance(compound_id)
          WHERE state = \(Governance_Property_V1_AcceptanceState.inProgress.rawValue)
          """)
    }
    migrator.registerMigration("v2-attachments") { db in
      try AttachmentLedger.createTable(db)
    }
    // The natural keys of the register imports (ImportCompounds, ImportBuildings): a compound by
    // its community and name, a building by its compound and name (its name, kept in the record
    // until now, becomes a column, filled from the records already stored).
    migrator.registerMigration("v3-register-keys") { db in
      try db.execute(sql: "CREATE INDEX compound_division_name ON compound (division_code, name)")
      try db.alter(table: "building") { table in
        table.add(column: "name", .text).notNull().defaults(to: "")
      }
      for row in try Row.fetchAll(db, sql: "SELECT id, record FROM building") {
        let building = try StoredMessage.decode(Building.self, from: row["record"])
        try db.execute(
          sql: "UPDATE building SET name = ? WHERE id = ?", arguments: [building.name, row["id"] as String])
      }
      try db.execute(sql: "CREATE INDEX building_compound_name ON building (compound_id, name)")
    }
    Outbox.registerMigration(in: &migrator)
    return migrator
  }

  /// Runs `act` in one write transaction under the idempotency ledger, `principal`'s request ids.
  func perform<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
    requestID: String, request: Request, by principal: Principal,
    _ act: @escaping @Sendable (Database) throws -> Response
  ) async throws -> Response {
    try await writer.write { db in
      try IdempotencyLedger.perform(db, caller: principal, requestID: requestID, request: request) { try act(db) }
    }
  }

  func read<Value: Sendable>(_ body: @escaping @Sendable (Database) throws -> Value) async throws -> Value {
    try await writer.read(body)
  }
}

extension Governance_Property_V1_Compound: AuditedRecord {}
extension Governance_Property_V1_Building: AuditedRecord {}
extension Governance_Property_V1_PropertyCompany: AuditedRecord {}
extension Governance_Property_V1_ServiceContract: AuditedRecord {}
extension Governance_Property_V1_ServiceCentre: AuditedRecord {}
extension Governance_Property_V1_Acceptance: AuditedRecord {}
