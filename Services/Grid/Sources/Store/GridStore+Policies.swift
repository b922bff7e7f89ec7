import Foundation
import GRDB
import GovernanceAPI
import ServiceKit

extension GridStore {
  /// The policy in force for a division: its own, else the nearest ancestor's, else built in.
  static func policy(_ db: Database, for division: String) throws -> DeadlinePolicies.Policy {
    var code = try? DivisionCode(division, field: "division_code")
    while let current = code {
      if let id = try String.fetchOne(
        db.cachedStatement(sql: "SELECT id FROM deadline_policy WHERE division_code = ?"), arguments: [current.code]),
        var policy = try RecordTable.fetch(db, DeadlinePolicies.Policy.self, id: id)
      {
        policy.inherited = current.code != division
        return policy
      }
      code = current.parent
    }
    return DeadlinePolicies.builtIn(for: division)
  }

  public func deadlinePolicy(for division: String) async throws -> DeadlinePolicies.Policy {
    try await writer.read { db in try Self.policy(db, for: division) }
  }

  /// Replaces a division's policy; cases accepted, escalated or reopened from now on use it.
  public func setDeadlinePolicy(
    _ request: Governance_Grid_V1_SetDeadlinePolicyRequest, by principal: Principal, at time: Date = Date()
  ) async throws -> DeadlinePolicies.Policy {
    let policy = try DeadlinePolicies.validate(request.policy)
    return try await writer.write { db in
      try IdempotencyLedger.perform(db, caller: principal, requestID: request.requestID, request: request) {
        if let id = try String.fetchOne(
          db, sql: "SELECT id FROM deadline_policy WHERE division_code = ?", arguments: [policy.divisionCode])
        {
          var replaced = policy
          replaced.id = id
          replaced.audit = try RecordTable.fetchRequired(db, DeadlinePolicies.Policy.self, id: id).audit
          return try RecordTable.update(db, replaced, by: principal, at: time)
        }
        return try RecordTable.insertNew(db, policy, by: principal, at: time)
      }
    }
  }
}

extension Governance_Grid_V1_DeadlinePolicy: AuditedRecord {}
