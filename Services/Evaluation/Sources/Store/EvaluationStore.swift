import Foundation
import GRDB
import GovernanceAPI
import ServiceKit

/// The evaluation service's SQLite database: scoring items and, as the service grows, periods,
/// panels, scores, rectification orders, ratings and published lists.
public struct EvaluationStore: Sendable {
  public typealias ScoringItem = Governance_Evaluation_V1_ScoringItem

  private let writer: any DatabaseWriter

  public init(writer: any DatabaseWriter) {
    self.writer = writer
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
    return migrator
  }

  /// Defines a scoring item in one transaction. Its code is unique within the defining division;
  /// a repeated `requestID` returns the first answer.
  public func createScoringItem(
    _ request: Governance_Evaluation_V1_CreateScoringItemRequest,
    by principal: Principal,
    at time: Date = Date()
  ) async throws -> ScoringItem {
    try await writer.write { db in
      try IdempotencyLedger.perform(db, requestID: request.requestID, method: "CreateScoringItem", request: request) {
        let item = try ScoringItemRules.validateNew(request.item)
        let taken = try Bool.fetchOne(
          db, sql: "SELECT 1 FROM scoring_item WHERE division_code = ? AND code = ?",
          arguments: [item.divisionCode, item.code]) ?? false
        if taken {
          throw DomainError.alreadyExists(
            resource: "scoring item", id: item.code, detail: "in division \(item.divisionCode)")
        }
        return try RecordTable.insertNew(
          db, into: "scoring_item", prefix: "item", record: item, by: principal, at: time
        ) { item in
          ["division_code": item.divisionCode, "code": item.code, "use": item.use.rawValue, "active": item.active]
        }
      }
    }
  }

  public func scoringItem(id: String) async throws -> ScoringItem? {
    try await writer.read { db in try RecordTable.fetch(db, from: "scoring_item", id: id, as: ScoringItem.self) }
  }
}

extension Governance_Evaluation_V1_ScoringItem: AuditedRecord {}
