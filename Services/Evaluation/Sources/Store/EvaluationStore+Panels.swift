import Foundation
import GRDB
import GovernanceAPI
import ServiceKit

extension EvaluationStore {
  public typealias Period = Governance_Evaluation_V1_EvaluationPeriod
  public typealias Panel = Governance_Evaluation_V1_Panel
  public typealias Score = Governance_Evaluation_V1_Score

  public func createPeriod(
    _ request: Governance_Evaluation_V1_CreatePeriodRequest, by principal: Principal, at time: Date = Date()
  ) async throws -> Period {
    let period = try EvaluationPeriods.validateNew(request.period)
    return try await writer.write { db in
      try IdempotencyLedger.perform(db, caller: principal, requestID: request.requestID, request: request) {
        if let existing = try String.fetchOne(
          db, sql: "SELECT id FROM period WHERE division_code = ? AND kind = ? AND year = ? AND number = ?",
          arguments: [period.divisionCode, period.kind.rawValue, period.year, period.number])
        {
          throw DomainError.alreadyExists(
            resource: RuleText(verbatim: Period.resourceName), id: period.label,
            detail: "of \(period.divisionCode), registered as \(existing)")
        }
        return try RecordTable.insertNew(db, period, by: principal, at: time)
      }
    }
  }

  public func period(id: String) async throws -> Period? {
    try await writer.read { db in try RecordTable.fetch(db, Period.self, id: id) }
  }

  static func fetchPeriod(_ db: Database, id: String, field: String = "period_id") throws -> Period {
    guard !id.isEmpty else { throw DomainError.invalidArgument(field: field, rule: "is required") }
    return try RecordTable.fetchRequired(db, Period.self, id: id)
  }

  public func listPeriods(_ request: Governance_Evaluation_V1_ListPeriodsRequest) async throws
    -> Governance_Evaluation_V1_ListPeriodsResponse
  {
    let page = try PageRequest(pageSize: request.pageSize, pageToken: request.pageToken)
    let order = try ListOrder(request.orderBy)
    var filter = RecordFilter()
    // A district's periods evaluate its streets' and communities' compounds: they list them too.
    try filter.divisionPrefix(request.divisionPrefix, contextAbove: true)
    filter.add("kind = ?", request.kind.rawValue, when: request.kind != .unspecified)
    filter.add("state = ?", request.state.rawValue, when: request.state != .unspecified)
    filter.add("year = ?", request.year, when: request.year != 0)
    let (periods, next) = try await writer.read { [filter] db in
      try RecordTable.list(db, Period.self, filter: filter, page: page, order: order)
    }
    return .with {
      $0.periods = periods
      $0.nextPageToken = next
    }
  }

  public func closePeriod(
    _ request: Governance_Evaluation_V1_ClosePeriodRequest, by principal: Principal, at time: Date = Date()
  ) async throws -> Period {
    try await writer.write { db in
      try IdempotencyLedger.perform(db, caller: principal, requestID: request.requestID, request: request) {
        var period = try Self.fetchPeriod(db, id: request.periodID)
        try EvaluationPeriods.checkClose(period)
        period.state = .closed
        period.closeTime = .init(date: time)
        return try RecordTable.update(db, period, by: principal, at: time)
      }
    }
  }

  /// What makes a panel one of a kind: its period and compound-company, or period and division.
  static func panelKey(_ panel: Panel) -> String {
    panel.kind == .fourParty
      ? "\(panel.periodID)|\(panel.compoundID)|\(panel.companyID)" : "\(panel.periodID)|\(panel.divisionCode)"
  }

  static func replaceMembers(_ db: Database, of panel: Panel) throws {
    try db.execute(sql: "DELETE FROM panel_member WHERE panel_id = ?", arguments: [panel.id])
    for member in panel.members {
      try db.execute(
        sql: "INSERT INTO panel_member (panel_id, evaluator_id) VALUES (?, ?)",
        arguments: [panel.id, member.evaluatorID])
    }
  }

  public func createPanel(
    _ request: Governance_Evaluation_V1_CreatePanelRequest, by principal: Principal, at time: Date = Date()
  ) async throws -> Panel {
    try await writer.write { db in
      try IdempotencyLedger.perform(db, caller: principal, requestID: request.requestID, request: request) {
        let period = try Self.fetchPeriod(db, id: request.panel.periodID, field: "panel.period_id")
        try EvaluationPeriods.checkOpen(period)
        var proposed = request.panel
        if !request.copyMembersFromPanelID.isEmpty {
          let earlier = try RecordTable.fetchRequired(db, Panel.self, id: request.copyMembersFromPanelID)
          try Panels.checkCopiedFrom(earlier, into: proposed)
          let given = Set(proposed.members.map(\.evaluatorID))
          proposed.members += earlier.members.filter { !given.contains($0.evaluatorID) }
        }
        var panel = try Panels.validateNew(proposed, period: period)
        for index in panel.members.indices { panel.members[index].joinTime = .init(date: time) }
        if let existing = try String.fetchOne(
          db, sql: "SELECT id FROM panel WHERE panel_key = ?", arguments: [Self.panelKey(panel)])
        {
          throw DomainError.alreadyExists(
            resource: RuleText(verbatim: Panel.resourceName), id: existing,
            detail: "for this period and \(panel.kind == .fourParty ? "compound and company" : "division")")
        }
        let created = try RecordTable.insertNew(db, panel, by: principal, at: time)
        try Self.replaceMembers(db, of: created)
        return created
      }
    }
  }

  public func panel(id: String) async throws -> Panel? {
    try await writer.read { db in try RecordTable.fetch(db, Panel.self, id: id) }
  }

  public func listPanels(_ request: Governance_Evaluation_V1_ListPanelsRequest) async throws
    -> Governance_Evaluation_V1_ListPanelsResponse
  {
    let page = try PageRequest(pageSize: request.pageSize, pageToken: request.pageToken)
    var filter = RecordFilter()
    try filter.divisionPrefix(request.divisionPrefix)
    filter.add("period_id = ?", request.periodID, when: !request.periodID.isEmpty)
    filter.add("kind = ?", request.kind.rawValue, when: request.kind != .unspecified)
    filter.add("compound_id = ?", request.compoundID, when: !request.compoundID.isEmpty)
    filter.add("company_id = ?", request.companyID, when: !request.companyID.isEmpty)
    filter.add(
      "id IN (SELECT panel_id FROM panel_member WHERE evaluator_id = ?)", request.evaluatorID,
      when: !request.evaluatorID.isEmpty)
    let (panels, next) = try await writer.read { [filter] db in
      try RecordTable.list(db, Panel.self, filter: filter, page: page)
    }
    return .with {
      $0.panels = panels
      $0.nextPageToken = next
    }
  }

  public func addPanelMember(
    _ request: Governance_Evaluation_V1_AddPanelMemberRequest, by principal: Principal, at time: Date = Date()
  ) async throws -> Panel {
    let panelID = try FieldValidation.requiredID(request.panelID, field: "panel_id")
    return try await writer.write { db in
      try IdempotencyLedger.perform(db, caller: principal, requestID: request.requestID, request: request) {
        var panel = try RecordTable.fetchRequired(db, Panel.self, id: panelID)
        var member = try Panels.validateMember(request.member, kind: panel.kind, field: "member")
        guard !panel.members.contains(where: { $0.evaluatorID == member.evaluatorID }) else {
          throw DomainError.alreadyExists(resource: "panel seat", id: member.evaluatorID, detail: "on panel \(panelID)")
        }
        member.joinTime = .init(date: time)
        panel.members.append(member)
        let saved = try RecordTable.update(db, panel, by: principal, at: time)
        try Self.replaceMembers(db, of: saved)
        return saved
      }
    }
  }

  public func removePanelMember(
    _ request: Governance_Evaluation_V1_RemovePanelMemberRequest, by principal: Principal, at time: Date = Date()
  ) async throws -> Panel {
    let panelID = try FieldValidation.requiredID(request.panelID, field: "panel_id")
    let evaluator = try FieldValidation.requiredID(request.evaluatorID, field: "evaluator_id")
    _ = try FieldValidation.optionalText(request.reason, field: "reason", maximumLength: 200)
    return try await writer.write { db in
      try IdempotencyLedger.perform(db, caller: principal, requestID: request.requestID, request: request) {
        var panel = try RecordTable.fetchRequired(db, Panel.self, id: panelID)
        guard panel.members.contains(where: { $0.evaluatorID == evaluator }) else {
          throw DomainError.notFound(resource: "panel seat", id: evaluator)
        }
        panel.members.removeAll { $0.evaluatorID == evaluator }
        let saved = try RecordTable.update(db, panel, by: principal, at: time)
        try Self.replaceMembers(db, of: saved)
        return saved
      }
    }
  }

  /// One evaluator's score, once: the panel seat, item, period window and value are checked
  /// and the score stored in one transaction; a second submission is ALREADY_EXISTS.
  public func submitScore(
    _ request: Governance_Evaluation_V1_SubmitScoreRequest, by principal: Principal, at time: Date = Date()
  ) async throws -> Score {
    let panelID = try FieldValidation.requiredID(request.panelID, field: "panel_id")
    let itemID = try FieldValidation.requiredID(request.itemID, field: "item_id")
    _ = try FieldValidation.requiredID(request.evaluatorID, field: "evaluator_id")
    let enteredBy = try Panels.enteredBy(evaluatorID: request.evaluatorID, caller: principal)
    _ = try FieldValidation.requiredID(request.companyID, field: "company_id")
    let comment = try FieldValidation.optionalText(request.comment, field: "comment", maximumLength: 500)
    return try await writer.write { db in
      try IdempotencyLedger.perform(db, caller: principal, requestID: request.requestID, request: request) {
        let panel = try RecordTable.fetchRequired(db, Panel.self, id: panelID)
        try Panels.checkScorePeriod(request.periodID, of: panel)
        let period = try Self.fetchPeriod(db, id: panel.periodID)
        try EvaluationPeriods.checkOpen(period)
        let item = try RecordTable.fetchRequired(db, ScoringItem.self, id: itemID)
        let seat = try Panels.checkScore(request, panel: panel, item: item)
        if let existing = try String.fetchOne(
          db,
          sql:
            "SELECT id FROM score WHERE evaluator_id = ? AND item_id = ? AND period_id = ? AND company_id = ? AND compound_id = ?",
          arguments: [request.evaluatorID, itemID, panel.periodID, request.companyID, request.compoundID])
        {
          throw DomainError.alreadyExists(
            resource: RuleText(verbatim: Score.resourceName), id: existing,
            detail:
              "\(request.evaluatorID) already scored \(item.code) for this company, compound and period; scores are not replaced"
          )
        }
        return try RecordTable.insertNew(
          db,
          Score.with {
            $0.divisionCode = panel.divisionCode
            $0.periodID = panel.periodID
            $0.panelID = panelID
            $0.evaluatorID = request.evaluatorID
            $0.enteredBy = enteredBy
            $0.role = seat.role
            $0.itemID = itemID
            $0.companyID = request.companyID
            $0.compoundID = request.compoundID
            $0.value = request.value
            $0.fullMarks = item.fullMarks
            $0.weight = item.weight
            $0.comment = comment
            $0.submitTime = .init(date: time)
          }, by: principal, at: time)
      }
    }
  }

  public func listScores(_ request: Governance_Evaluation_V1_ListScoresRequest) async throws
    -> Governance_Evaluation_V1_ListScoresResponse
  {
    let page = try PageRequest(pageSize: request.pageSize, pageToken: request.pageToken)
    var filter = RecordFilter()
    try filter.divisionPrefix(request.divisionPrefix)
    filter.add("period_id = ?", request.periodID, when: !request.periodID.isEmpty)
    filter.add("panel_id = ?", request.panelID, when: !request.panelID.isEmpty)
    filter.add("company_id = ?", request.companyID, when: !request.companyID.isEmpty)
    filter.add("compound_id = ?", request.compoundID, when: !request.compoundID.isEmpty)
    filter.add("evaluator_id = ?", request.evaluatorID, when: !request.evaluatorID.isEmpty)
    filter.add("item_id = ?", request.itemID, when: !request.itemID.isEmpty)
    let (scores, next) = try await writer.read { [filter] db in
      try RecordTable.list(db, Score.self, filter: filter, page: page)
    }
    return .with {
      $0.scores = scores
      $0.nextPageToken = next
    }
  }
}

extension Governance_Evaluation_V1_EvaluationPeriod: AuditedRecord {}
extension Governance_Evaluation_V1_Panel: AuditedRecord {}
extension Governance_Evaluation_V1_Score: AuditedRecord {}
