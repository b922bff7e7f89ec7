import Foundation
import GRDB
import GRPCCore
import GovernanceAPI

/// `governance.outbox.v1.OutboxService`, served by every domain service beside its own: the
/// gateway reads the outbox after the last sequence it stored and acknowledges what it stored.
/// Only the gateway's own identity may call it (PERMISSION_DENIED otherwise).
public struct OutboxService: Governance_Outbox_V1_OutboxService.SimpleServiceProtocol {
  let database: any DatabaseWriter
  let identity: ServiceIdentity
  let signal: CommitSignal

  /// The longest a read waits for a commit (30 s), whatever it asks.
  public static let longestWait = 30_000

  public init(database: any DatabaseWriter, identity: ServiceIdentity, signal: CommitSignal = Outbox.commits) {
    self.database = database
    self.identity = identity
    self.signal = signal
  }

  /// The events after `after_sequence` (1–500 of them, 100 by default); when there are none, waits
  /// up to `wait_milliseconds` for the next commit.
  /// - Throws: INVALID_ARGUMENT for a negative sequence, page size or wait.
  public func readOutbox(request: Governance_Outbox_V1_ReadOutboxRequest, context: ServerContext) async throws
    -> Governance_Outbox_V1_ReadOutboxResponse
  {
    try Principal.require(.gateway, for: "ReadOutbox")
    guard request.afterSequence >= 0 else {
      throw DomainError.invalidArgument(field: "after_sequence", rule: "must not be negative")
    }
    guard (0...500).contains(request.pageSize) else {
      throw DomainError.invalidArgument(field: "page_size", rule: "must be from 1 to 500, or 0 for 100")
    }
    guard request.waitMilliseconds >= 0 else {
      throw DomainError.invalidArgument(field: "wait_milliseconds", rule: "must not be negative")
    }
    let limit = request.pageSize == 0 ? 100 : Int(request.pageSize)
    let wait = Duration.milliseconds(min(Int(request.waitMilliseconds), Self.longestWait))
    let seen = signal.generation
    var events = try await read(after: request.afterSequence, limit: limit)
    if events.isEmpty && wait > .zero {
      await signal.wait(after: seen, timeout: wait)
      events = try await read(after: request.afterSequence, limit: limit)
    }
    return .with { $0.events = events }
  }

  /// Marks the events through `through_sequence` relayed.
  public func acknowledgeOutbox(
    request: Governance_Outbox_V1_AcknowledgeOutboxRequest, context: ServerContext
  ) async throws -> Governance_Outbox_V1_AcknowledgeOutboxResponse {
    try Principal.require(.gateway, for: "AcknowledgeOutbox")
    let count = try await database.write { db in
      try Outbox.acknowledge(db, through: request.throughSequence, at: Date())
    }
    return .with { $0.acknowledged = Int64(count) }
  }

  private func read(after sequence: Int64, limit: Int) async throws -> [Outbox.Event] {
    let identity = identity
    return try await database.read { db in try Outbox.read(db, after: sequence, limit: limit, service: identity) }
  }
}
