import Foundation
import GRDB
import GovernanceAPI
import ServiceKit

/// The evaluation service's SQLite database: scoring items, periods, panels, scores, surveys,
/// case satisfaction, rectification orders, rating policies, composites and publications.
public struct EvaluationStore: Sendable {
  public typealias ScoringItem = Governance_Evaluation_V1_ScoringItem

  let writer: any DatabaseWriter
  let vault: ContactVault
  /// The attachments' bytes, beside the database.
  let files: AttachmentFiles

  public init(writer: any DatabaseWriter, vault: ContactVault) {
    self.writer = writer
    self.vault = vault
    self.files = AttachmentFiles(databasePath: writer.path)
  }

  /// The schema, one append-only migration per shipped change.
  public static var migrator: DatabaseMigrator {
    var migrator = DatabaseMigrator.governance
    migrator.registerMigration("v1-scoring-items") { db in
      try RecordTable.create(db, name: "scoring_item") { table in
        table.column("division_code", .text).notNull()
        table.column("code", .text).notNull()
        table.column("use", .integer).notNull()
        table.column("active", .boolean).notNull()
        table.uniqueKey(["division_code", "code"])
      }
    }
    migrator.registerMigration("v2-evaluation") { db in
      try RecordTable.create(db, name: "period") { table in
        table.column("division_code", .text).notNull().indexed()
        table.column("kind", .integer).notNull()
        table.column("year", .integer).notNull()
        table.column("number", .integer).notNull()
        table.column("state", .integer).notNull()
        table.column("start_date", .text).notNull()
        table.column("end_date", .text).notNull()
        table.uniqueKey(["division_code", "kind", "year", "number"])
      }
      try RecordTable.create(db, name: "panel") { table in
        table.column("division_code", .text).notNull().indexed()
        table.column("kind", .integer).notNull()
        table.column("period_id", .text).notNull().references("period").indexed()
        table.column("compound_id", .text)
        table.column("company_id", .text)
        // One panel per period and compound-company (four-party) or period and division (five).
        table.column("panel_key", .text).notNull().unique()
      }
      try db.create(table: "panel_member") { table in
        table.column("panel_id", .text).notNull().references("panel")
        table.column("evaluator_id", .text).notNull().indexed()
        table.primaryKey(["panel_id", "evaluator_id"])
      }
      try RecordTable.create(db, name: "score") { table in
        table.column("division_code", .text).notNull().indexed()
        table.column("period_id", .text).notNull().references("period").indexed()
        table.column("panel_id", .text).notNull().indexed()
        table.column("panel_kind", .integer).notNull()
        table.column("evaluator_id", .text).notNull()
        table.column("item_id", .text).notNull()
        table.column("company_id", .text).notNull().indexed()
        table.column("compound_id", .text).notNull()
        table.uniqueKey(["evaluator_id", "item_id", "period_id", "company_id", "compound_id"])
      }
      try RecordTable.create(db, name: "survey_response") { table in
        table.column("division_code", .text).notNull().indexed()
        table.column("period_id", .text).notNull().references("period").indexed()
        table.column("compound_id", .text).notNull()
        table.column("company_id", .text).notNull().indexed()
      }
      try db.create(table: "survey_respondent") { table in
        table.primaryKey("response_id", .text).references("survey_response")
        table.column("contact", .blob).notNull()
      }
      try RecordTable.create(db, name: "case_satisfaction") { table in
        table.column("division_code", .text).notNull().indexed()
        table.column("period_id", .text).notNull().references("period").indexed()
        table.column("compound_id", .text).notNull()
        table.column("company_id", .text).notNull().indexed()
      }
      try RecordTable.create(db, name: "rectification_order") { table in
        table.column("division_code", .text).notNull().indexed()
        table.column("company_id", .text).notNull().indexed()
        table.column("compound_id", .text).notNull().indexed()
        table.column("period_id", .text).indexed()
        table.column("state", .integer).notNull()
        table.column("deadline", .text).notNull().indexed()
      }
      try RecordTable.create(db, name: "rating_policy") { table in
        table.column("division_code", .text).notNull().unique()
      }
      try RecordTable.create(db, name: "composite_score") { table in
        table.column("division_code", .text).notNull().indexed()
        table.column("period_id", .text).notNull().references("period")
        table.column("company_id", .text).notNull().indexed()
        table.column("total", .double).notNull()
        table.column("stars", .integer).notNull()
        table.column("list_status", .integer).notNull()
        table.column("state", .integer).notNull()
        table.uniqueKey(["period_id", "company_id"])
      }
      try RecordTable.create(db, name: "publication") { table in
        table.column("division_code", .text).notNull().indexed()
        table.column("period_id", .text).notNull().unique().references("period")
        table.column("state", .integer).notNull()
        table.column("year", .integer).notNull()
      }
      try RecordTable.create(db, name: "paired_unit_evaluation") { table in
        table.column("division_code", .text).notNull().indexed()
        table.column("period_id", .text).notNull().references("period").indexed()
        table.column("paired_unit_id", .text).notNull().indexed()
        table.column("compound_id", .text).notNull()
        table.column("grade", .integer).notNull()
        table.uniqueKey(["paired_unit_id", "compound_id", "period_id"])
      }
    }
    migrator.registerMigration("v3-attachments") { db in
      try AttachmentLedger.createTable(db)
    }
    Outbox.registerMigration(in: &migrator)
    return migrator
  }
}
