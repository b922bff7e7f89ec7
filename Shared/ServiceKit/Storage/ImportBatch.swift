import Foundation
import GRDB
import GovernanceAPI

/// One batch of a register import (台账导入, `governance.common.v1.ImportResponse`): the rows
/// are applied in order inside the caller's write transaction, each in its own savepoint, so a
/// row that breaks a rule leaves nothing of itself and the rest go in. With `validateOnly` the
/// whole batch is rolled back once every row was checked: a dry run by the very same rules.
public enum ImportBatch {
  /// The most rows one import call takes.
  public static let maximumRows = 500

  /// What a row did, as its `apply` reports it.
  public enum Applied: Sendable, Equatable {
    case created(id: String)
    case updated(id: String)
    case unchanged(id: String)
  }

  /// The rule "a batch holds 1 to 500 rows": INVALID_ARGUMENT naming `field` otherwise.
  public static func checkSize(_ count: Int, field: String = "rows") throws(DomainError) {
    guard (1...maximumRows).contains(count) else {
      throw DomainError.invalidArgument(field: field, rule: "1 to \(maximumRows) rows a call, got \(count)")
    }
  }

  /// Applies `rows` in order: `apply` creates, updates or matches one row's record and throws a
  /// `DomainError` when the row breaks a rule (any other error ends the whole batch). Rows later
  /// in the batch see what earlier rows wrote, in a dry run too. Returns one result per row.
  public static func run<Row>(
    _ db: Database, rows: [Row], validateOnly: Bool, number: (Row) -> Int32,
    apply: (Database, Row) throws -> Applied
  ) throws -> [Governance_Common_V1_ImportRowResult] {
    var results: [Governance_Common_V1_ImportRowResult] = []
    results.reserveCapacity(rows.count)
    try db.inSavepoint {
      for row in rows {
        var result = Governance_Common_V1_ImportRowResult()
        result.row = number(row)
        do {
          var applied: Applied?
          try db.inSavepoint {
            applied = try apply(db, row)
            return .commit
          }
          switch applied {
          case .created(let id):
            result.outcome = .created
            result.id = validateOnly ? "" : id
          case .updated(let id):
            result.outcome = .updated
            result.id = id
          case .unchanged(let id):
            result.outcome = .unchanged
            result.id = id
          case nil:
            result.outcome = .unchanged
          }
        } catch let error as DomainError {
          result = failed(number(row), error)
        }
        results.append(result)
      }
      return validateOnly ? .rollback : .commit
    }
    return results
  }

  /// A FAILED row carrying `error` as its google.rpc.ErrorInfo says it.
  public static func failed(_ row: Int32, _ error: DomainError) -> Governance_Common_V1_ImportRowResult {
    let info = error.errorInfo
    return .with {
      $0.row = row
      $0.outcome = .failed
      $0.reason = info.reason
      $0.field = info.metadata["field"] ?? ""
      let key = ["rule", "reason", "resource"].first { info.metadata[$0] != nil } ?? "rule"
      $0.rule = info.metadata[key] ?? ""
      $0.ruleArguments = (0...).lazy.map { info.metadata["\(key)_\($0)"] }.prefix { $0 != nil }.compactMap { $0 }
      if case .notFound = error, let id = info.metadata["id"] { $0.ruleArguments = [id] }
      $0.message = error.rpcErrorMessage
    }
  }
}
