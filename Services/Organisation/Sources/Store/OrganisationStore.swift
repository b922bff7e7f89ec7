import Foundation
import GRDB
import GovernanceAPI
import ServiceKit

/// The organisation service's SQLite database: party organisations and, as the service grows,
/// members, self-governance bodies, appointments, conferences and paired units.
public struct OrganisationStore: Sendable {
  public typealias Organisation = Governance_Organisation_V1_Organisation

  private let writer: any DatabaseWriter

  public init(writer: any DatabaseWriter) {
    self.writer = writer
  }

  /// The schema, one append-only migration per shipped change.
  public static var migrator: DatabaseMigrator {
    var migrator = DatabaseMigrator()
    IdempotencyLedger.registerMigration(in: &migrator)
    migrator.registerMigration("v1-party-organisations") { db in
      try db.create(table: "party_organisation") { table in
        table.primaryKey("id", .text)
        table.column("division_code", .text).notNull().indexed()
        table.column("name", .text).notNull()
        table.column("level", .integer).notNull()
        table.column("branch_kind", .integer).notNull()
        table.column("parent_id", .text).references("party_organisation").indexed()
        table.column("status", .integer).notNull()
        table.column("record", .blob).notNull()
        table.column("created_at", .datetime).notNull()
        table.column("created_by", .text).notNull()
        table.column("updated_at", .datetime).notNull()
        table.column("updated_by", .text).notNull()
      }
    }
    return migrator
  }

  /// Creates an organisation after checking it against its parent, in one transaction; a
  /// repeated `requestID` returns the organisation the first call created.
  public func createOrganisation(
    _ request: Governance_Organisation_V1_CreateOrganisationRequest,
    by principal: Principal,
    at time: Date = Date()
  ) async throws -> Organisation {
    try await writer.write { db in
      try IdempotencyLedger.perform(db, requestID: request.requestID, method: "CreateOrganisation", request: request) {
        let proposed = request.organisation
        var parent: Organisation?
        if !proposed.parentID.isEmpty {
          let parentID = try FieldValidation.requiredID(proposed.parentID, field: "organisation.parent_id")
          guard let found = try Self.fetchOrganisation(db, id: parentID) else {
            throw DomainError.notFound(resource: "parent organisation", id: parentID)
          }
          parent = found
        }
        var organisation = try OrganisationTree.validateNew(proposed, parent: parent)
        organisation.id = RecordID.make(prefix: "org", at: time)
        organisation.audit = .created(at: time, by: principal)
        try db.execute(
          sql: """
            INSERT INTO party_organisation
              (id, division_code, name, level, branch_kind, parent_id, status, record,
               created_at, created_by, updated_at, updated_by)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
          arguments: [
            organisation.id, organisation.divisionCode, organisation.name, organisation.level.rawValue,
            organisation.branchKind.rawValue, organisation.parentID.isEmpty ? nil : organisation.parentID,
            organisation.status.rawValue, try StoredMessage.encode(organisation), time, principal.description, time,
            principal.description,
          ])
        return organisation
      }
    }
  }

  public func organisation(id: String) async throws -> Organisation? {
    try await writer.read { db in try Self.fetchOrganisation(db, id: id) }
  }

  static func fetchOrganisation(_ db: Database, id: String) throws -> Organisation? {
    guard let row = try Row.fetchOne(db, sql: "SELECT record FROM party_organisation WHERE id = ?", arguments: [id])
    else { return nil }
    return try StoredMessage.decode(Organisation.self, from: row["record"])
  }
}
