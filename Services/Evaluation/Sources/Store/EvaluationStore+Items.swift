import Foundation
import GRDB
import GovernanceAPI
import ServiceKit

extension EvaluationStore {

  /// Defines a scoring item in one transaction. Its code is unique within the defining division;
  /// a repeated `requestID` returns the first answer.
  public func createScoringItem(
    _ request: Governance_Evaluation_V1_CreateScoringItemRequest, by principal: Principal, at time: Date = Date()
  ) async throws -> ScoringItem {
    try await writer.write { db in
      try IdempotencyLedger.perform(db, caller: principal, requestID: request.requestID, request: request) {
        let item = try ScoringItemRules.validateNew(request.item)
        let taken =
          try Bool.fetchOne(
            db, sql: "SELECT 1 FROM scoring_item WHERE division_code = ? AND code = ?",
            arguments: [item.divisionCode, item.code]) ?? false
        if taken {
          throw DomainError.alreadyExists(
            resource: "scoring item", id: item.code, detail: "in division \(item.divisionCode)")
        }
        return try RecordTable.insertNew(db, item, by: principal, at: time)
      }
    }
  }

  public func scoringItem(id: String) async throws -> ScoringItem? {
    try await writer.read { db in try RecordTable.fetch(db, ScoringItem.self, id: id) }
  }

  /// The division and each of its ancestors, whose items apply in it.
  static func divisionAndAncestors(_ code: String, field: String) throws -> [String] {
    var chain: [String] = []
    var current: DivisionCode? = try DivisionCode(code, field: field)
    while let division = current {
      chain.append(division.code)
      current = division.parent
    }
    return chain
  }

  public func listScoringItems(_ request: Governance_Evaluation_V1_ListScoringItemsRequest) async throws
    -> Governance_Evaluation_V1_ListScoringItemsResponse
  {
    let page = try PageRequest(pageSize: request.pageSize, pageToken: request.pageToken)
    var filter = RecordFilter()
    if !request.divisionCode.isEmpty {
      filter.add("division_code", in: try Self.divisionAndAncestors(request.divisionCode, field: "division_code"))
    }
    filter.add("use = ?", request.use.rawValue, when: request.use != .unspecified)
    filter.add("active", when: !request.includeInactive)
    let (items, next) = try await writer.read { [filter] db in
      try RecordTable.list(db, ScoringItem.self, filter: filter, page: page)
    }
    return .with {
      $0.items = items
      $0.nextPageToken = next
    }
  }

  /// Changes what the mask names; scores already given keep the weight and full marks they were
  /// given under, since each score records them.
  public func updateScoringItem(
    _ request: Governance_Evaluation_V1_UpdateScoringItemRequest, by principal: Principal, at time: Date = Date()
  ) async throws -> ScoringItem {
    let paths = try updatePaths(
      request.updateMask, allowed: ["name", "details", "weight", "full_marks", "sort_order", "active"])
    let id = try FieldValidation.requiredID(request.item.id, field: "item.id")
    return try await writer.write { db in
      var item = try RecordTable.fetchRequired(db, ScoringItem.self, id: id)
      let changes = request.item
      item = try item.merging(changes, paths: paths)
      var validated = try ScoringItemRules.validateNew(item)
      validated.active = item.active
      return try RecordTable.update(db, validated, by: principal, at: time)
    }
  }
}

extension Governance_Evaluation_V1_ScoringItem: AuditedRecord {}
