import Foundation
import GRDB
import GovernanceAPI
import ServiceKit

/// The volunteers service's SQLite database: teams and, as the service grows, volunteers,
/// service posts, micro-wishes, service records and mobilisations.
public struct VolunteersStore: Sendable {
  public typealias Team = Governance_Volunteers_V1_Team

  private let writer: any DatabaseWriter

  public init(writer: any DatabaseWriter) {
    self.writer = writer
  }

  /// The schema, one append-only migration per shipped change.
  public static var migrator: DatabaseMigrator {
    var migrator = DatabaseMigrator.governance
    migrator.registerMigration("v1-teams") { db in
      try RecordTable.create(db, name: "team") { table in
        table.column("division_code", .text).notNull().indexed()
        table.column("name", .text).notNull()
        table.column("kind", .integer).notNull()
        table.column("active", .boolean).notNull()
      }
    }
    return migrator
  }

  /// Forms a team in one transaction; a repeated `requestID` returns the first team.
  public func createTeam(
    _ request: Governance_Volunteers_V1_CreateTeamRequest,
    by principal: Principal,
    at time: Date = Date()
  ) async throws -> Team {
    try await writer.write { db in
      try IdempotencyLedger.perform(db, requestID: request.requestID, method: "CreateTeam", request: request) {
        let team = try TeamFormation.validateNew(request.team)
        return try RecordTable.insertNew(
          db, into: "team", prefix: "team", record: team, by: principal, at: time
        ) { team in
          ["division_code": team.divisionCode, "name": team.name, "kind": team.kind.rawValue, "active": team.active]
        }
      }
    }
  }

  public func team(id: String) async throws -> Team? {
    try await writer.read { db in try RecordTable.fetch(db, from: "team", id: id, as: Team.self) }
  }
}

extension Governance_Volunteers_V1_Team: AuditedRecord {}
