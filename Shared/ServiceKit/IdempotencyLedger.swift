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
  }

  /// Runs `act` once per `requestID`: a repeat of the same request returns the recorded response;
  /// the same `requestID` with another method or request is refused, since that is a client bug
  /// that would otherwise silently drop the second request. An empty `requestID` opts out.
  ///
  /// Call inside a write transaction, with `act` doing the writes of the request.
  public static func perform<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
    _ db: Database,
    requestID: String,
    method: String,
    request: Request,
    act: () throws -> Response
  ) throws -> Response {
    guard !requestID.isEmpty else { return try act() }
    guard requestID.count <= maximumRequestIDLength else {
      throw DomainError.invalidArgument(
        field: "request_id", rule: "at most \(maximumRequestIDLength) characters, got \(requestID.count)")
    }
    let requestBytes = try request.serializedBytes(options: deterministic) as [UInt8]
    if let row = try Row.fetchOne(
      db, sql: "SELECT method, request, response FROM idempotency_ledger WHERE request_id = ?",
      arguments: [requestID])
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
        INSERT INTO idempotency_ledger (request_id, method, request, response, created_at)
        VALUES (?, ?, ?, ?, ?)
        """,
      arguments: [requestID, method, Data(requestBytes), Data(responseBytes), Date()])
    return response
  }

  private static var deterministic: BinaryEncodingOptions {
    var options = BinaryEncodingOptions()
    options.useDeterministicOrdering = true
    return options
  }
}
