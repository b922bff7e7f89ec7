import Foundation
import GRDB
import SwiftProtobuf

/// Remembers the answer to every Create and action that carried a `request_id`, so that a retried
/// call returns the first answer instead of acting twice.
///
/// The entry is written in the same transaction as the effect it records: either both are there
/// or neither is, so a crash between "done" and "remembered" cannot happen.
public enum IdempotencyLedger {
  /// The longest `request_id` accepted; clients send UUIDs or similar.
  public static let maximumRequestIDLength = 128

  /// Adds the ledger's table; every service registers it first in its migrator.
  public static func registerMigration(in migrator: inout DatabaseMigrator) {
    migrator.registerMigration("idempotency-ledger-v1") { db in
      try db.create(table: "idempotency_ledger") { table in
        table.primaryKey("request_id", .text)
        table.column("method", .text).notNull()
        table.column("request", .blob).notNull()
        table.column("response", .blob).notNull()
        table.column("created_at", .datetime).notNull()
      }
    }
    // Request ids are the caller's own: two callers who pick the same id do not meet. Entries
    // from before are kept under no caller ('') and still answer a retry of the same request.
    migrator.registerMigration("idempotency-ledger-v2-by-caller") { db in
      try db.create(table: "idempotency_ledger_by_caller") { table in
        table.column("caller", .text).notNull()
        table.column("request_id", .text).notNull()
        table.column("method", .text).notNull()
        table.column("request", .blob).notNull()
        table.column("response", .blob).notNull()
        table.column("created_at", .datetime).notNull().indexed()
        table.primaryKey(["caller", "request_id"])
      }
      try db.execute(
        sql: """
          INSERT INTO idempotency_ledger_by_caller (caller, request_id, method, request, response, created_at)
          SELECT '', request_id, method, request, response, created_at FROM idempotency_ledger
          """)
      try db.drop(table: "idempotency_ledger")
      try db.rename(table: "idempotency_ledger_by_caller", to: "idempotency_ledger")
    }
  }

  /// How long an answer is kept for retries: a client retrying later than this acts anew.
  public static let retention: TimeInterval = 7 * 24 * 3600

  /// Deletes the answers recorded before `cutoff` (at most `batch` a call, so a writer is not held
  /// long); returns how many went.
  public static func prune(_ db: Database, before cutoff: Date, batch: Int = 5_000) throws -> Int {
    try db.execute(
      sql: """
        DELETE FROM idempotency_ledger WHERE rowid IN
          (SELECT rowid FROM idempotency_ledger WHERE created_at < ? ORDER BY created_at LIMIT ?)
        """,
      arguments: [cutoff, batch])
    return db.changesCount
  }

  /// Runs `act` once per `requestID` of `caller`, recorded under the method being served
  /// (`ServerCall.methodName(for:)`): a repeat of the same request by the same caller
  /// within `retention` returns the recorded response; the same `requestID` with another method
  /// or request is refused, since that is a client bug that would otherwise silently drop the
  /// second request. Another caller's ids never collide with this one's. An empty `requestID`
  /// opts out.
  ///
  /// Call inside a write transaction, with `act` doing the writes of the request.
  public static func perform<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
    _ db: Database,
    caller: Principal,
    requestID: String,
    request: Request,
    act: () throws -> Response
  ) throws -> Response {
    guard !requestID.isEmpty else { return try act() }
    guard requestID.count <= maximumRequestIDLength else {
      throw DomainError.invalidArgument(
        field: "request_id", rule: "at most \(maximumRequestIDLength) characters, got \(requestID.count)")
    }
    let method = ServerCall.methodName(for: request)
    let requestBytes = try request.serializedBytes(options: deterministic) as [UInt8]
    if let row = try Row.fetchOne(
      db,
      sql: """
        SELECT method, request, response FROM idempotency_ledger
        WHERE request_id = ? AND created_at >= ?
          AND (caller = ? OR (caller = '' AND method = ? AND request = ?))
        ORDER BY caller DESC LIMIT 1
        """,
      arguments: [requestID, Date().addingTimeInterval(-retention), caller.subject, method, Data(requestBytes)])
    {
      let recordedMethod: String = row["method"]
      let recordedRequest: Data = row["request"]
      guard recordedMethod == method, recordedRequest == Data(requestBytes) else {
        throw DomainError.alreadyExists(
          resource: "request_id", id: requestID,
          detail: "it was used for an earlier, different \(recordedMethod) request; use a new request_id")
      }
      let recordedResponse: Data = row["response"]
      return try Response(serializedBytes: [UInt8](recordedResponse))
    }
    let response = try act()
    let responseBytes = try response.serializedBytes(options: deterministic) as [UInt8]
    try db.execute(
      sql: """
        INSERT INTO idempotency_ledger (caller, request_id, method, request, response, created_at)
        VALUES (?, ?, ?, ?, ?, ?)
        """,
      arguments: [caller.subject, requestID, method, Data(requestBytes), Data(responseBytes), Date()])
    return response
  }

  private static var deterministic: BinaryEncodingOptions {
    var options = BinaryEncodingOptions()
    options.useDeterministicOrdering = true
    return options
  }
}
