import Foundation
import GRDB
import GovernanceAPI
import ServiceKit

/// The volunteers service's SQLite database: teams, volunteers with their sealed contacts,
/// service posts and claims, projects and brands, micro-wishes, service records and
/// mobilisations.
public struct VolunteersStore: Sendable {
  public typealias Team = Governance_Volunteers_V1_Team

  let writer: any DatabaseWriter
  let vault: ContactVault

  public init(writer: any DatabaseWriter, vault: ContactVault) {
    self.writer = writer
    self.vault = vault
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
    migrator.registerMigration("v2-volunteers") { db in
      try db.create(table: "team_member") { table in
        table.column("team_id", .text).notNull().references("team")
        table.column("volunteer_id", .text).notNull().indexed()
        table.primaryKey(["team_id", "volunteer_id"])
      }
      try db.create(table: "team_compound") { table in
        table.column("team_id", .text).notNull().references("team")
        table.column("compound_id", .text).notNull().indexed()
        table.primaryKey(["team_id", "compound_id"])
      }
      for data in try Data.fetchAll(db, sql: "SELECT record FROM team") {
        try Self.replaceTeamCompounds(db, of: try StoredMessage.decode(Team.self, from: data))
      }
      try RecordTable.create(db, name: "volunteer") { table in
        table.column("division_code", .text).notNull().indexed()
        table.column("kind", .integer).notNull()
        table.column("compound_id", .text).indexed()
        table.column("party_member_id", .text).unique()
        table.column("active", .boolean).notNull()
        // ",tag,tag," so that one skill is matched with LIKE '%,tag,%'.
        table.column("skills", .text).notNull()
      }
      try db.create(table: "volunteer_contact") { table in
        table.primaryKey("volunteer_id", .text).references("volunteer")
        table.column("contact", .blob).notNull()
      }
      try ContactReveal.createTable(db)
      try RecordTable.create(db, name: "service_post") { table in
        table.column("division_code", .text).notNull().indexed()
        table.column("state", .integer).notNull()
        table.column("compound_id", .text).indexed()
        table.column("project_id", .text).indexed()
        table.column("skills", .text).notNull()
      }
      try RecordTable.create(db, name: "post_claim") { table in
        table.column("division_code", .text).notNull()
        table.column("post_id", .text).notNull().references("service_post").indexed()
        table.column("volunteer_id", .text).notNull().indexed()
        table.column("state", .integer).notNull()
        table.column("claim_date", .text).notNull()
      }
      // One live claim (a place or the waitlist) per volunteer and post; a released one may be
      // claimed again.
      try db.execute(
        sql: """
          CREATE UNIQUE INDEX post_claim_live ON post_claim (post_id, volunteer_id) WHERE state IN (1, 2)
          """)
      try RecordTable.create(db, name: "service_project") { table in
        table.column("division_code", .text).notNull().indexed()
        table.column("compound_id", .text).notNull().indexed()
        table.column("kind", .integer).notNull()
        table.column("active", .boolean).notNull()
        table.column("team_ids", .text).notNull()
      }
      try RecordTable.create(db, name: "micro_wish") { table in
        table.column("division_code", .text).notNull().indexed()
        table.column("compound_id", .text).indexed()
        table.column("state", .integer).notNull()
        table.column("category", .text).notNull()
        table.column("claimant_kind", .integer)
        table.column("claimant_id", .text).indexed()
        table.column("resident_principal_id", .text).indexed()
        table.column("expire_date", .text).notNull().indexed()
        table.column("confirm_date", .text)
      }
      try db.create(table: "wish_resident") { table in
        table.primaryKey("wish_id", .text).references("micro_wish")
        table.column("contact", .blob).notNull()
      }
      try RecordTable.create(db, name: "service_record") { table in
        table.column("division_code", .text).notNull().indexed()
        table.column("volunteer_id", .text).notNull().indexed()
        table.column("team_id", .text).indexed()
        table.column("state", .integer).notNull()
        table.column("start_date", .text).notNull().indexed()
        table.column("hours", .double).notNull()
        table.column("residents_served", .integer).notNull()
      }
      try RecordTable.create(db, name: "mobilisation") { table in
        table.column("division_code", .text).notNull().indexed()
        table.column("team_id", .text).notNull().indexed()
        table.column("case_id", .text).notNull().indexed()
        table.column("state", .integer).notNull()
      }
      try db.create(table: "mobilisation_answer") { table in
        table.autoIncrementedPrimaryKey("seq")
        table.column("mobilisation_id", .text).notNull().references("mobilisation").indexed()
        table.column("volunteer_id", .text).notNull().indexed()
        table.column("team_id", .text).notNull()
        table.column("division_code", .text).notNull()
        table.column("answer", .integer).notNull()
        table.column("answer_date", .text).notNull()
      }
    }
    migrator.registerMigration("v3-volunteer-contact-key") { db in
      // The keyed digest (ContactVault.matchKey) of a volunteer's ID number, else of their phone,
      // by which ImportVolunteers matches a register's rows; '' for a contact with neither. It is
      // written with every volunteer created or updated from now on. The vault's key is not at
      // hand in a migration, so volunteers stored before it hold NULL until an import fills them
      // in from their sealed contacts (VolunteersStore.backfillContactKeys) or they are next
      // updated.
      try db.alter(table: "volunteer") { $0.add(column: "contact_key", .text) }
      try db.create(index: "volunteer_contact_key", on: "volunteer", columns: ["contact_key"])
    }
    Outbox.registerMigration(in: &migrator)
    return migrator
  }

  /// Tags as stored for matching one with LIKE: ",a,b,".
  static func tagColumn(_ tags: [String]) -> String {
    "," + tags.joined(separator: ",") + ","
  }
}
