import Foundation
import GRDB

/// The audit of whole personal data (个人信息) shown to someone: every reveal is a row of who,
/// when and why, written in the transaction that reads the sealed contact, so there is no reveal
/// without its row. The rows are never updated or deleted through any API.
public enum ContactReveal {
  /// Creates the service's reveal table; each service that seals contacts calls it in a migration.
  public static func createTable(_ db: Database) throws {
    try db.create(table: "contact_reveal") { table in
      table.autoIncrementedPrimaryKey("seq")
      table.column("subject_id", .text).notNull().indexed()
      table.column("revealed_by", .text).notNull()
      table.column("reason", .text).notNull()
      table.column("revealed_at", .datetime).notNull()
    }
  }

  /// The rule "personal data is revealed only to staff whose role allows it, and each reveal is
  /// recorded": records that `principal` saw `subject` whole, or PERMISSION_DENIED.
  public static func record(
    _ db: Database, subject: String, by principal: Principal, reason: String, at time: Date
  ) throws {
    guard principal.role?.mayRevealPersonalData == true else {
      throw DomainError.permissionDenied(
        reason: "personal data is revealed only to staff whose role allows it, not to \(principal)")
    }
    try db.execute(
      sql: "INSERT INTO contact_reveal (subject_id, revealed_by, reason, revealed_at) VALUES (?, ?, ?, ?)",
      arguments: [subject, principal.description, reason, time])
  }

  /// How many times `subject` was revealed.
  public static func count(_ db: Database, subject: String) throws -> Int {
    try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM contact_reveal WHERE subject_id = ?", arguments: [subject]) ?? 0
  }
}
