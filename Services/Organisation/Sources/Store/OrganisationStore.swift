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
    var migrator = DatabaseMigrator.governance
    migrator.registerMigration("v1-party-organisations") { db in
      try RecordTable.create(db, name: "party_organisation") { table in
        table.column("division_code", .text).notNull().indexed()
        table.column("name", .text).notNull()
        table.column("level", .integer).notNull()
        table.column("branch_kind", .integer).notNull()
        table.column("parent_id", .text).references("party_organisation").indexed()
        table.column("status", .integer).notNull()
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
        let organisation = try OrganisationTree.validateNew(proposed, parent: parent)
        return try RecordTable.insertNew(
          db, into: "party_organisation", prefix: "org", record: organisation, by: principal, at: time
        ) { organisation in
          ["division_code": organisation.divisionCode, "name": organisation.name,
            "level": organisation.level.rawValue, "branch_kind": organisation.branchKind.rawValue,
            "parent_id": organisation.parentID.isEmpty ? nil : organisation.parentID,
            "status": organisation.status.rawValue]
        }
      }
    }
  }

  public func organisation(id: String) async throws -> Organisation? {
    try await writer.read { db in try Self.fetchOrganisation(db, id: id) }
  }

  static func fetchOrganisation(_ db: Database, id: String) throws -> Organisation? {
    try RecordTable.fetch(db, from: "party_organisation", id: id, as: Organisation.self)
  }
}

extension Governance_Organisation_V1_Organisation: AuditedRecord {}
