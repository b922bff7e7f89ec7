import Foundation
import GRDB
import GovernanceAPI
import ServiceKit

extension EvaluationStore {
  public typealias Policy = Governance_Evaluation_V1_RatingPolicy
  public typealias PairedUnitEvaluation = Governance_Evaluation_V1_PairedUnitEvaluation

  /// The policy in force for a division: its own, else its nearest ancestor's, else built in.
  static func policy(_ db: Database, for division: String) throws -> Policy {
    for code in try divisionAndAncestors(division, field: "division_code") {
      if let data = try Data.fetchOne(
        db, sql: "SELECT record FROM rating_policy WHERE division_code = ?", arguments: [code])
      {
        var policy = try StoredMessage.decode(Policy.self, from: data)
        policy.inherited = code != division
        return policy
      }
    }
    var builtIn = CompositeFormula.defaultPolicy
    builtIn.divisionCode = division
    builtIn.inherited = true
    return builtIn
  }

  public func policy(for division: String) async throws -> Policy {
    try await writer.read { db in try Self.policy(db, for: division) }
  }

  /// Sets (replaces) a division's policy; each replacement gets the next version.
  public func setPolicy(
    _ request: Governance_Evaluation_V1_SetRatingPolicyRequest, by principal: Principal, at time: Date = Date()
  ) async throws -> Policy {
    var policy = try CompositeFormula.validate(request.policy)
    return try await writer.write { [policy] db in
      try IdempotencyLedger.perform(db, caller: principal, requestID: request.requestID, request: request) {
        var policy = policy
        if let data = try Data.fetchOne(
          db, sql: "SELECT record FROM rating_policy WHERE division_code = ?", arguments: [policy.divisionCode])
        {
          let current = try StoredMessage.decode(Policy.self, from: data)
          policy.id = current.id
          policy.audit = current.audit
          policy.version = current.version + 1
          return try RecordTable.update(db, policy, by: principal, at: time)
        }
        policy.version = 1
        return try RecordTable.insertNew(db, policy, by: principal, at: time)
      }
    }
  }

  // MARK: Paired units' five helps

  public func submitPairedUnitEvaluation(
    _ request: Governance_Evaluation_V1_SubmitPairedUnitEvaluationRequest, unitName: String, by principal: Principal,
    at time: Date = Date()
  ) async throws -> PairedUnitEvaluation {
    var evaluation = try FiveHelps.validateNew(request.evaluation)
    evaluation.pairedUnitName = unitName
    evaluation.evaluatorID = principal.description
    return try await writer.write { [evaluation] db in
      try IdempotencyLedger.perform(db, caller: principal, requestID: request.requestID, request: request) {
        let period = try Self.fetchPeriod(db, id: evaluation.periodID, field: "evaluation.period_id")
        try FiveHelps.checkQuarter(period)
        try EvaluationPeriods.checkOpen(period)
        if let existing = try String.fetchOne(
          db,
          sql: "SELECT id FROM paired_unit_evaluation WHERE paired_unit_id = ? AND compound_id = ? AND period_id = ?",
          arguments: [evaluation.pairedUnitID, evaluation.compoundID, evaluation.periodID])
        {
          throw DomainError.alreadyExists(
            resource: "paired-unit evaluation", id: existing, detail: "once per unit, compound and period")
        }
        return try RecordTable.insertNew(db, evaluation, by: principal, at: time)
      }
    }
  }

  public func listPairedUnitEvaluations(_ request: Governance_Evaluation_V1_ListPairedUnitEvaluationsRequest)
    async throws
    -> Governance_Evaluation_V1_ListPairedUnitEvaluationsResponse
  {
    let page = try PageRequest(pageSize: request.pageSize, pageToken: request.pageToken)
    var filter = RecordFilter()
    try filter.divisionPrefix(request.divisionPrefix)
    filter.add("period_id = ?", request.periodID, when: !request.periodID.isEmpty)
    filter.add("paired_unit_id = ?", request.pairedUnitID, when: !request.pairedUnitID.isEmpty)
    filter.add("compound_id = ?", request.compoundID, when: !request.compoundID.isEmpty)
    filter.add("grade = ?", request.grade.rawValue, when: request.grade != .unspecified)
    let (evaluations, next) = try await writer.read { [filter] db in
      try RecordTable.list(db, PairedUnitEvaluation.self, filter: filter, page: page)
    }
    return .with {
      $0.evaluations = evaluations
      $0.nextPageToken = next
    }
  }
}

extension Governance_Evaluation_V1_RatingPolicy: AuditedRecord {}
extension Governance_Evaluation_V1_PairedUnitEvaluation: AuditedRecord {}
