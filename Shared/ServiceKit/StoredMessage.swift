import Foundation
import GRDB
import GovernanceAPI
import SwiftProtobuf

/// A protobuf message kept whole in a BLOB column beside the columns a store indexes and queries,
/// so that every field a caller sent survives even before the store gives it a column of its own.
public enum StoredMessage {
  public static func encode(_ message: some SwiftProtobuf.Message) throws -> Data {
    var options = BinaryEncodingOptions()
    options.useDeterministicOrdering = true
    return try message.serializedData(options: options)
  }

  public static func decode<M: SwiftProtobuf.Message>(_ type: M.Type, from data: Data) throws -> M {
    try M(serializedBytes: data)
  }
}

/// The shape every record table shares: a text `id` key, the queried columns the store declares,
/// the whole message in `record`, and who created and last changed it, when.
public enum RecordTable {
  /// Creates `name` with the shared columns around the store's own `columns`.
  public static func create(
    _ db: Database, name: String, columns: (TableDefinition) -> Void
  ) throws {
    try db.create(table: name) { table in
      table.primaryKey("id", .text)
      columns(table)
      table.column("record", .blob).notNull()
      table.column("created_at", .datetime).notNull()
      table.column("created_by", .text).notNull()
      table.column("updated_at", .datetime).notNull()
      table.column("updated_by", .text).notNull()
    }
  }

  /// Inserts a new record: `columns` are the store's queried columns, by name.
  public static func insert(
    _ db: Database, into name: String, id: String, record: some SwiftProtobuf.Message,
    columns: KeyValuePairs<String, (any DatabaseValueConvertible)?>, by principal: Principal, at time: Date
  ) throws {
    let names = ["id"] + columns.map(\.key) + ["record", "created_at", "created_by", "updated_at", "updated_by"]
    var values: [(any DatabaseValueConvertible)?] = [id]
    values += columns.map(\.value)
    values += [try StoredMessage.encode(record), time, principal.description, time, principal.description]
    let placeholders = Array(repeating: "?", count: names.count).joined(separator: ", ")
    try db.execute(
      sql: "INSERT INTO \(name) (\(names.joined(separator: ", "))) VALUES (\(placeholders))",
      arguments: StatementArguments(values))
  }

  /// The record with `id`, or nil.
  public static func fetch<M: SwiftProtobuf.Message>(_ db: Database, from name: String, id: String, as type: M.Type)
    throws -> M?
  {
    guard let data = try Data.fetchOne(db, sql: "SELECT record FROM \(name) WHERE id = ?", arguments: [id]) else {
      return nil
    }
    return try StoredMessage.decode(type, from: data)
  }
}

/// A resource with a server-assigned id and an audit stamp; every service's resource messages
/// conform, so that creating one is written once.
public protocol AuditedRecord: SwiftProtobuf.Message {
  var id: String { get set }
  var audit: Governance_Common_V1_AuditStamp { get set }
}

extension RecordTable {
  /// Gives a validated `record` its new id (`prefix` and a ULID) and its creation stamp, inserts
  /// it with the store's queried `columns`, and returns it as stored.
  public static func insertNew<Record: AuditedRecord>(
    _ db: Database, into name: String, prefix: String, record: Record, by principal: Principal, at time: Date,
    columns: (Record) -> KeyValuePairs<String, (any DatabaseValueConvertible)?>
  ) throws -> Record {
    var stored = record
    stored.id = RecordID.make(prefix: prefix, at: time)
    stored.audit = .created(at: time, by: principal)
    try insert(db, into: name, id: stored.id, record: stored, columns: columns(stored), by: principal, at: time)
    return stored
  }
}

extension DatabaseMigrator {
  /// A service's migrator, starting with what every service's database holds: the idempotency
  /// ledger. The service appends its own migrations.
  public static var governance: DatabaseMigrator {
    var migrator = DatabaseMigrator()
    IdempotencyLedger.registerMigration(in: &migrator)
    return migrator
  }
}
