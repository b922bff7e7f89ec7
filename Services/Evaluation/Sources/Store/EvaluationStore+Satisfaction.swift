import Foundation
import GRDB
import GovernanceAPI
import ServiceKit

extension EvaluationStore {
  public typealias SurveyResponse = Governance_Evaluation_V1_SurveyResponse
  public typealias CaseSatisfaction = Governance_Evaluation_V1_CaseSatisfaction
  public typealias Order = Governance_Evaluation_V1_RectificationOrder

  /// Records one resident's survey while the period is open; the respondent, when named, sealed
  /// apart and masked in the record.
  public func submitSurvey(
    _ request: Governance_Evaluation_V1_SubmitSurveyResponseRequest, by principal: Principal, at time: Date = Date()
  ) async throws -> SurveyResponse {
    var response = try Surveys.validateNew(request.response)
    let respondent =
      response.hasRespondent && !response.respondent.name.isEmpty
      ? try PersonalData.validate(response.respondent, field: "response.respondent") : nil
    response.respondent = respondent.map(PersonalData.masked) ?? .init()
    response.submitTime = .init(date: time)
    let vault = vault
    return try await writer.write { [response] db in
      try IdempotencyLedger.perform(db, caller: principal, requestID: request.requestID, request: request) {
        let period = try Self.fetchPeriod(db, id: response.periodID, field: "response.period_id")
        try EvaluationPeriods.checkOpen(period)
        for (index, answer) in response.answers.enumerated() {
          let field = "response.answers[\(index)]"
          try Surveys.checkAnswer(
            answer, item: RecordTable.fetch(db, ScoringItem.self, id: answer.itemID), field: field)
        }
        let created = try RecordTable.insertNew(db, response, by: principal, at: time)
        if let respondent {
          try db.execute(
            sql: "INSERT INTO survey_respondent (response_id, contact) VALUES (?, ?)",
            arguments: [created.id, try vault.seal(respondent)])
        }
        return created
      }
    }
  }

  public func listSurveys(_ request: Governance_Evaluation_V1_ListSurveyResponsesRequest) async throws
    -> Governance_Evaluation_V1_ListSurveyResponsesResponse
  {
    let page = try PageRequest(pageSize: request.pageSize, pageToken: request.pageToken)
    var filter = RecordFilter()
    try filter.divisionPrefix(request.divisionPrefix)
    filter.add("period_id = ?", request.periodID, when: !request.periodID.isEmpty)
    filter.add("compound_id = ?", request.compoundID, when: !request.compoundID.isEmpty)
    filter.add("company_id = ?", request.companyID, when: !request.companyID.isEmpty)
    let (responses, next) = try await writer.read { [filter] db in
      try RecordTable.list(db, SurveyResponse.self, filter: filter, page: page)
    }
    return .with {
      $0.responses = responses
      $0.nextPageToken = next
    }
  }

  /// Replaces the period's imported case satisfaction with `rows`, unless it was published.
  public func replaceCaseSatisfaction(
    periodID: String, rows: [CaseSatisfaction], by principal: Principal, at time: Date = Date()
  ) async throws {
    try await writer.write { db in
      let period = try Self.fetchPeriod(db, id: periodID)
      try EvaluationPeriods.checkUnpublished(period)
      try db.execute(sql: "DELETE FROM case_satisfaction WHERE period_id = ?", arguments: [periodID])
      for row in rows {
        _ = try RecordTable.insertNew(db, row, by: principal, at: time)
      }
    }
  }

  public func listCaseSatisfaction(_ request: Governance_Evaluation_V1_ListCaseSatisfactionRequest) async throws
    -> Governance_Evaluation_V1_ListCaseSatisfactionResponse
  {
    let page = try PageRequest(pageSize: request.pageSize, pageToken: request.pageToken)
    var filter = RecordFilter()
    try filter.divisionPrefix(request.divisionPrefix)
    filter.add("period_id = ?", request.periodID, when: !request.periodID.isEmpty)
    filter.add("compound_id = ?", request.compoundID, when: !request.compoundID.isEmpty)
    filter.add("company_id = ?", request.companyID, when: !request.companyID.isEmpty)
    let (rows, next) = try await writer.read { [filter] db in
      try RecordTable.list(db, CaseSatisfaction.self, filter: filter, page: page)
    }
    return .with {
      $0.rows = rows
      $0.nextPageToken = next
    }
  }

  // MARK: Rectification orders

  public func createOrder(
    _ request: Governance_Evaluation_V1_CreateRectificationOrderRequest, by principal: Principal, at time: Date = Date()
  ) async throws -> Order {
    let order = try Rectification.validateNew(request.order, today: CalendarDate.today(at: time))
    return try await writer.write { db in
      try IdempotencyLedger.perform(db, caller: principal, requestID: request.requestID, request: request) {
        if !order.periodID.isEmpty { _ = try Self.fetchPeriod(db, id: order.periodID, field: "order.period_id") }
        if !order.scoreID.isEmpty {
          _ = try RecordTable.fetchRequired(db, Score.self, id: order.scoreID)
        }
        return try RecordTable.insertNew(db, order, by: principal, at: time)
      }
    }
  }

  public func order(id: String, at time: Date = Date()) async throws -> Order? {
    try await markOverdueOrders(at: time)
    return try await writer.read { db in try RecordTable.fetch(db, Order.self, id: id) }
  }

  public func listOrders(_ request: Governance_Evaluation_V1_ListRectificationOrdersRequest, at time: Date = Date())
    async throws -> Governance_Evaluation_V1_ListRectificationOrdersResponse
  {
    try await markOverdueOrders(at: time)
    let page = try PageRequest(pageSize: request.pageSize, pageToken: request.pageToken)
    var filter = RecordFilter()
    try filter.divisionPrefix(request.divisionPrefix)
    filter.add("company_id = ?", request.companyID, when: !request.companyID.isEmpty)
    filter.add("compound_id = ?", request.compoundID, when: !request.compoundID.isEmpty)
    filter.add("period_id = ?", request.periodID, when: !request.periodID.isEmpty)
    filter.add("state", in: request.states.map(\.rawValue))
    let (orders, next) = try await writer.read { [filter] db in
      try RecordTable.list(db, Order.self, filter: filter, page: page)
    }
    return .with {
      $0.orders = orders
      $0.nextPageToken = next
    }
  }

  public func completeOrder(
    _ request: Governance_Evaluation_V1_CompleteRectificationOrderRequest, by principal: Principal,
    at time: Date = Date()
  ) async throws -> Order {
    let id = try FieldValidation.requiredID(request.orderID, field: "order_id")
    let note = try FieldValidation.requiredName(request.completionNote, field: "completion_note", maximumLength: 500)
    return try await writer.write { db in
      try IdempotencyLedger.perform(db, caller: principal, requestID: request.requestID, request: request) {
        var order = try RecordTable.fetchRequired(db, Order.self, id: id)
        order.state = try Rectification.completedState(order, today: CalendarDate.today(at: time))
        order.completeTime = .init(date: time)
        order.completionNote = note
        order.verifiedBy = principal.description
        return try RecordTable.update(db, order, by: principal, at: time)
      }
    }
  }

  /// Marks every open order whose deadline has passed as OVERDUE; returns how many.
  @discardableResult
  public func markOverdueOrders(at time: Date) async throws -> Int {
    let today = CalendarDate.iso(CalendarDate.today(at: time))
    return try await writer.write { db in
      let due = try Data.fetchAll(
        db, sql: "SELECT record FROM rectification_order WHERE state = ? AND deadline < ?",
        arguments: [Governance_Evaluation_V1_RectificationState.open.rawValue, today])
      for data in due {
        var order = try StoredMessage.decode(Order.self, from: data)
        order.state = .overdue
        let saved = try RecordTable.update(db, order, by: Principal(service: .evaluation), at: time)
        try Self.announce(db, "rectification.overdue", saved, at: time)
      }
      return due.count
    }
  }

  /// Reminds the companies of open orders whose deadline is near (Rectification.isReminderDue),
  /// once per order and deadline, through the outbox (`rectification.deadline_approaching`);
  /// returns how many were reminded.
  @discardableResult
  public func remindRectificationDeadlines(at time: Date) async throws -> Int {
    let today = CalendarDate.today(at: time)
    let last = CalendarDate.today(at: time.addingTimeInterval(Double(Rectification.reminderDays) * 86_400))
    return try await writer.write { db in
      let open = try Data.fetchAll(
        db,
        sql: "SELECT record FROM rectification_order WHERE state = ? AND deadline BETWEEN ? AND ? ORDER BY deadline",
        arguments: [
          Governance_Evaluation_V1_RectificationState.open.rawValue, CalendarDate.iso(today), CalendarDate.iso(last),
        ])
      var reminded = 0
      for data in open {
        let order = try StoredMessage.decode(Order.self, from: data)
        guard Rectification.isReminderDue(deadline: order.deadline, today: today) else { continue }
        if try Self.announce(db, "rectification.deadline_approaching", order, at: time) { reminded += 1 }
      }
      return reminded
    }
  }

  /// Appends a once-only `kind` for `order` and its deadline to the outbox.
  @discardableResult
  static func announce(_ db: Database, _ kind: String, _ order: Order, at time: Date) throws -> Bool {
    try Outbox.append(
      db,
      try Outbox.Entry(
        kind: kind, record: order.id, divisionCode: order.divisionCode, data: order,
        onceKey: "\(kind):\(order.id)@\(CalendarDate.iso(order.deadline))"),
      at: time)
  }
}

extension Governance_Evaluation_V1_SurveyResponse: AuditedRecord {}
extension Governance_Evaluation_V1_CaseSatisfaction: AuditedRecord {}
extension Governance_Evaluation_V1_RectificationOrder: AuditedRecord {}
