import Foundation
import GRDB
import GovernanceAPI
import ServiceKit
import SwiftProtobuf

/// The next case numbers of a transaction: the day's highest number is read once per day from the
/// index, then counted on in memory, so a message of 5,000 imported cases reads it once.
struct CaseNumberSequence {
  private var last: [String: Int] = [:]

  /// The next number for a case reported at `reportTime` (CaseNumbers.number).
  mutating func next(_ db: Database, reportedAt reportTime: Date) throws -> String {
    let day = CaseNumbers.day(reportedAt: reportTime)
    let previous: Int
    if let known = last[day] {
      previous = known
    } else {
      let highest = try String.fetchOne(
        db.cachedStatement(sql: "SELECT MAX(case_number) FROM grid_case WHERE case_number GLOB ?"),
        arguments: [day + "-*"])
      previous = highest.flatMap(CaseNumbers.sequence(of:)) ?? 0
    }
    last[day] = previous + 1
    return try CaseNumbers.number(day: day, sequence: previous + 1)
  }
}

extension GridStore {
  public typealias GridCase = Governance_Grid_V1_Case
  public typealias CaseEvent = Governance_Grid_V1_CaseEvent

  /// Appends to a case's history (流转), which is never rewritten, and announces the line in the
  /// outbox (CaseNotices).
  @discardableResult
  static func recordCaseEvent(
    _ db: Database, _ kind: Governance_Grid_V1_CaseEventKind, gridCase: GridCase, from: CaseWorkflow.Status,
    note: String, by principal: Principal, at time: Date
  ) throws -> CaseEvent {
    let event = try RecordTable.insertNew(
      db,
      CaseEvent.with {
        $0.divisionCode = gridCase.divisionCode
        $0.caseID = gridCase.id
        $0.kind = kind
        $0.fromStatus = from
        $0.toStatus = gridCase.status
        $0.toUnit = gridCase.handler
        $0.assigneeID = gridCase.assigneeID
        $0.actor = principal.description
        $0.eventTime = Google_Protobuf_Timestamp(date: time)
        $0.note = note
        if gridCase.hasDeadline { $0.deadline = gridCase.deadline }
      }, by: principal, at: time)
    try announce(db, event, of: gridCase, by: principal, at: time)
    return event
  }

  /// Validates a new case and splits off its reporter: the whole contact to seal, the record
  /// holding it masked.
  static func prepare(_ proposed: GridCase, at time: Date) throws -> (
    gridCase: GridCase, reporter: Governance_Common_V1_ResidentContact?
  ) {
    var gridCase = try CaseWorkflow.validateNew(proposed, at: time)
    let reporter =
      gridCase.reporter.name.isEmpty
      ? nil : try PersonalData.validate(gridCase.reporter, field: "grid_case.reporter")
    gridCase.reporter = reporter.map(PersonalData.masked) ?? .init()
    return (gridCase, reporter)
  }

  /// Stores a prepared case, its sealed reporter and the first line of its history.
  static func insertCase(
    _ db: Database, _ prepared: (gridCase: GridCase, reporter: Governance_Common_V1_ResidentContact?), note: String,
    vault: ContactVault, by principal: Principal, at time: Date
  ) throws -> GridCase {
    var arriving = prepared.gridCase
    if arriving.divisionCode.isEmpty {
      let placement = try locate(db, arriving.location.point, field: "grid_case.location.point")
      arriving = try CaseWorkflow.placed(
        arriving, gridCode: placement.gridCode, divisionCode: placement.divisionCode)
    }
    let place = arriving.location.gridCode
    if place.isEmpty {
      try requireDivision(db, code: arriving.divisionCode, field: "grid_case.division_code")
    } else {
      try requireGrid(db, code: place, field: "grid_case.location.grid_code")
    }
    var numbers = CaseNumberSequence()
    arriving.caseNumber = try numbers.next(db, reportedAt: arriving.reportTime.date)
    if !arriving.hasDeadline {
      let policy = try policy(db, for: arriving.divisionCode)
      arriving.deadline = CaseWorkflow.deadline(
        arrivingAt: time,
        limit: DeadlinePolicies.limit(in: policy, level: arriving.handler.level, priority: arriving.priority))
    }
    let created = try RecordTable.insertNew(db, arriving, by: principal, at: time)
    if let reporter = prepared.reporter {
      try db.execute(
        sql: "INSERT INTO case_reporter (case_id, contact) VALUES (?, ?)",
        arguments: [created.id, try vault.seal(reporter)])
    }
    try recordCaseEvent(db, .reported, gridCase: created, from: .unspecified, note: note, by: principal, at: time)
    return created
  }

  /// Opens a case at the level of its place. Cases reported together are committed together
  /// (`GroupCommit`); each one's rules and idempotency are its own.
  public func createCase(
    _ request: Governance_Grid_V1_CreateCaseRequest, by principal: Principal, at time: Date = Date()
  ) async throws -> GridCase {
    let prepared = try Self.prepare(try ResidentReports.stamp(request.gridCase, by: principal), at: time)
    let vault = vault
    return try await newCases.write { db in
      try IdempotencyLedger.perform(db, caller: principal, requestID: request.requestID, request: request) {
        try Self.insertCase(db, prepared, note: "", vault: vault, by: principal, at: time)
      }
    }
  }

  /// Stores one message of archived cases, each with an IMPORTED line of history, in one
  /// transaction: a case that breaks a rule refuses the whole message, naming it.
  public func importCases(_ archived: [GridCase], by principal: Principal, at time: Date = Date()) async throws -> Int {
    try CaseWorkflow.checkImportBatch(archived.count)
    let validated = try archived.enumerated().map { index, gridCase in
      try CaseWorkflow.validateArchived(gridCase, index: index, at: time)
    }
    return try await writer.write { db in
      var registered: Set<String> = []
      var numbers = CaseNumberSequence()
      for (index, validCase) in validated.enumerated() {
        var gridCase = validCase
        gridCase.caseNumber = try numbers.next(db, reportedAt: gridCase.reportTime.date)
        let grid = gridCase.location.gridCode
        let place = grid.isEmpty ? gridCase.divisionCode : grid
        if !registered.contains(place) {
          if grid.isEmpty {
            try Self.requireDivision(db, code: place, field: "cases[\(index)].division_code")
          } else {
            try Self.requireGrid(db, code: place, field: "cases[\(index)].location.grid_code")
          }
          registered.insert(place)
        }
        let created = try RecordTable.insertNew(db, gridCase, by: principal, at: time)
        try Self.recordCaseEvent(
          db, .imported, gridCase: created, from: .unspecified, note: "", by: principal, at: time)
      }
      return validated.count
    }
  }

  /// Takes in a case the city platform pushed. The platform's external id makes it one case
  /// however often it is pushed: a repeat returns the case (created false) and is noted in its
  /// history.
  public func intakeCityCase(
    _ request: Governance_Grid_V1_IntakeCityCaseRequest, by principal: Principal, at time: Date = Date()
  ) async throws -> Governance_Grid_V1_IntakeCityCaseResponse {
    let externalID = try FieldValidation.requiredName(request.externalID, field: "external_id", maximumLength: 64)
    let channel = try FieldValidation.optionalText(request.channel, field: "channel", maximumLength: 50)
    var incoming = request.gridCase
    incoming.source = .cityPlatform
    incoming.externalID = externalID
    incoming.sourceRefID = channel
    let prepared = try Self.prepare(incoming, at: time)
    let vault = vault
    return try await writer.write { db in
      if let existingID = try String.fetchOne(
        db.cachedStatement(sql: "SELECT id FROM grid_case WHERE external_id = ?"), arguments: [externalID])
      {
        let existing = try RecordTable.fetchRequired(db, GridCase.self, id: existingID)
        try Self.recordCaseEvent(
          db, .duplicateIntake, gridCase: existing, from: existing.status, note: "重复推送 \(externalID)", by: principal,
          at: time)
        return .with {
          $0.gridCase = existing
          $0.created = false
        }
      }
      let created = try Self.insertCase(db, prepared, note: channel, vault: vault, by: principal, at: time)
      return .with {
        $0.gridCase = created
        $0.created = true
      }
    }
  }

  /// The stored bytes of the case the city platform knows as `externalID`, or nil.
  public func storedCase(externalID: String) async throws -> Data? {
    try await inlineReads.read { db in
      guard
        let id = try String.fetchOne(
          db.cachedStatement(sql: "SELECT id FROM grid_case WHERE external_id = ?"), arguments: [externalID])
      else { return nil }
      return try RecordTable.fetchStored(db, GridCase.self, id: id)
    }
  }

  /// The stored bytes of case `id`, or nil.
  public func storedCase(id: String) async throws -> Data? {
    try await inlineReads.read { db in try RecordTable.fetchStored(db, GridCase.self, id: id) }
  }

  public func gridCase(id: String) async throws -> GridCase? {
    try await writer.read { db in try RecordTable.fetch(db, GridCase.self, id: id) }
  }

  /// A case with its reporter whole, for staff at the gateway; the reveal is recorded in the
  /// same transaction.
  public func revealedCase(_ gridCase: GridCase, by principal: Principal, at time: Date = Date()) async throws
    -> GridCase
  {
    let vault = vault
    return try await writer.write { db in
      var revealed = gridCase
      try ContactReveal.record(db, subject: gridCase.id, by: principal, reason: "GetCase", at: time)
      if let sealed = try Data.fetchOne(
        db.cachedStatement(sql: "SELECT contact FROM case_reporter WHERE case_id = ?"), arguments: [gridCase.id])
      {
        revealed.reporter = try vault.open(sealed)
      }
      return revealed
    }
  }

  /// One page of cases, decoded (`listCasesEncoded`).
  public func listCases(_ request: Governance_Grid_V1_ListCasesRequest) async throws
    -> Governance_Grid_V1_ListCasesResponse
  {
    try await listCasesEncoded(request).decoded()
  }

  /// One page of cases matching the request's filters, in its order, as ListCases answers it on
  /// the wire: the cases' stored bytes (reporters already masked) framed as the response's
  /// `cases` (field 1) and the `next_page_token` (field 2), never decoded. Throws
  /// INVALID_ARGUMENT naming the filter, `page_size`, `page_token` or `order_by`.
  public func listCasesEncoded(_ request: Governance_Grid_V1_ListCasesRequest) async throws
    -> EncodedMessage<Governance_Grid_V1_ListCasesResponse>
  {
    let page = try PageRequest(pageSize: request.pageSize, pageToken: request.pageToken)
    var filter = RecordFilter()
    try filter.divisionPrefix(request.divisionPrefix)
    filter.add("unit_code = ?", request.gridCode, when: !request.gridCode.isEmpty)
    filter.add("compound_id = ?", request.compoundID, when: !request.compoundID.isEmpty)
    filter.add("status", in: request.statuses.map(\.rawValue))
    filter.add("source = ?", request.source.rawValue, when: request.source != .unspecified)
    filter.add("category = ?", request.category, when: !request.category.isEmpty)
    filter.add("level = ?", request.level.rawValue, when: request.level != .unspecified)
    filter.add(
      "resolved_level = ?", request.resolvedLevel.rawValue, when: request.resolvedLevel != .unspecified)
    try filter.dates(
      "report_date", from: request.hasFromDate ? request.fromDate : nil, to: request.hasToDate ? request.toDate : nil)
    filter.add("priority = ?", request.priority.rawValue, when: request.priority != .unspecified)
    filter.add("assignee_id = ?", request.assigneeID, when: !request.assigneeID.isEmpty)
    filter.add(
      "reporter_principal_id = ?", request.reporterPrincipalID, when: !request.reporterPrincipalID.isEmpty)
    // Overdue: the current deadline has passed, or it passed at the street or above, where the
    // sweep marks the case overdue and it keeps no deadline.
    filter.add(
      request.includeFinished ? "(overdue OR (open AND deadline < ?))" : "open AND (overdue OR deadline < ?)",
      Int64(Date().timeIntervalSince1970), when: request.overdueOnly)
    if request.hasResolvedOnTime { filter.add("on_time = ?", request.resolvedOnTime) }
    try CaseNumbers.validateQuery(request.caseNumber)
    filter.add("case_number GLOB ?", request.caseNumber + "*", when: !request.caseNumber.isEmpty)
    let order = try ListOrder(
      request.orderBy, fields: ["case_number": "case_number", "deadline": "deadline", "priority": "priority"])
    // A page read by an index takes a few thousand steps; one whose filters make SQLite scan
    // goes to the pool's readers rather than hold a cooperative thread.
    let (cases, next) = try await inlineReads.read(steps: InlineReads.listSteps) { [filter] db in
      try RecordTable.listStored(db, GridCase.self, filter: filter, page: page, order: order)
    }
    var answer = ProtobufWriter(capacity: cases.reduce(next.utf8.count + 8) { $0 + $1.count + 6 })
    for stored in cases {
      answer.appendLengthDelimited(field: 1, stored)
    }
    answer.appendString(field: 2, next)
    return EncodedMessage(bytes: answer.bytes)
  }

  /// One step of the workflow in one transaction: the case is read, `CaseWorkflow.take` applies
  /// the step where the transition table allows it, and the step is kept in the case's history.
  /// Two callers racing for the same step are serialised by SQLite: the second finds the case
  /// moved on. Throws NOT_FOUND for an unknown case, FAILED_PRECONDITION from the rule.
  func transition(
    _ step: CaseStep, caseID: String, requestID: String, request: some SwiftProtobuf.Message,
    by principal: Principal, at time: Date
  ) async throws -> GridCase {
    let id = try FieldValidation.requiredID(caseID, field: "case_id")
    return try await writer.write { db in
      try IdempotencyLedger.perform(db, caller: principal, requestID: requestID, request: request) {
        let stored = try RecordTable.fetchRequired(db, GridCase.self, id: id)
        // A resident evaluates or reopens only what they reported, whatever state it is in.
        try ResidentReports.checkReporter(stored, by: principal)
        // The table is checked before the policy is read: a refused step says so whatever the policy.
        try CaseWorkflow.checkTransition(stored, to: step.status)
        // Handling steps are the holding level's; evaluation, closing and reopening are not.
        if [.accepted, .assigned, .inProgress, .resolved, .rejected].contains(step.status) {
          try Self.checkHandler(db, stored, by: principal)
        }
        let moved = try CaseWorkflow.take(step, on: stored, policy: try Self.policy(db, for: stored.divisionCode))
        let saved = try RecordTable.update(db, moved, by: principal, at: time)
        try Self.recordCaseEvent(
          db, stored.status == step.status ? .reassigned : step.event, gridCase: saved, from: stored.status,
          note: step.note, by: principal, at: time)
        return saved
      }
    }
  }

  /// Corrects what the mask names on a case still being handled.
  public func updateCase(
    _ request: Governance_Grid_V1_UpdateCaseRequest, by principal: Principal, at time: Date = Date()
  ) async throws -> GridCase {
    let paths = try updatePaths(request.updateMask, allowed: ["category", "priority", "title", "details", "location"])
    let id = try FieldValidation.requiredID(request.gridCase.id, field: "grid_case.id")
    return try await writer.write { db in
      let gridCase = try RecordTable.fetchRequired(db, GridCase.self, id: id)
      let corrected = try CaseWorkflow.correct(gridCase, with: request.gridCase, paths: paths)
      if corrected.location.gridCode != gridCase.location.gridCode {
        try Self.requireGrid(db, code: corrected.location.gridCode, field: "grid_case.location.grid_code")
      }
      let saved = try RecordTable.update(db, corrected, by: principal, at: time)
      try Self.recordCaseEvent(
        db, .updated, gridCase: saved, from: gridCase.status, note: "更正 " + paths.joined(separator: ", "),
        by: principal,
        at: time)
      return saved
    }
  }

  /// Adds a note to a case's history (a NOTED event), its state unchanged: by the case's
  /// jurisdiction's staff, or a grid worker on a case of their grids (CaseHandling.checkServedGrid).
  /// - Throws: INVALID_ARGUMENT (case_id, note of 1 to 500 characters), NOT_FOUND (the case),
  ///   PERMISSION_DENIED (outside the caller's jurisdiction or grids).
  public func addCaseNote(
    _ request: Governance_Grid_V1_AddCaseNoteRequest, by principal: Principal, at time: Date = Date()
  ) async throws -> CaseEvent {
    let id = try FieldValidation.requiredID(request.caseID, field: "case_id")
    let note = try FieldValidation.requiredName(request.note, field: "note", maximumLength: 500)
    return try await writer.write { db in
      try IdempotencyLedger.perform(db, caller: principal, requestID: request.requestID, request: request) {
        let gridCase = try RecordTable.fetchRequired(db, GridCase.self, id: id)
        try Jurisdiction.checkWritable(gridCase.divisionCode, by: principal)
        try CaseHandling.checkServedGrid(gridCase, served: try Self.servedGrids(db, by: principal), by: principal)
        return try Self.recordCaseEvent(
          db, .noted, gridCase: gridCase, from: gridCase.status, note: note, by: principal, at: time)
      }
    }
  }

  public func listCaseEvents(_ request: Governance_Grid_V1_ListCaseEventsRequest) async throws
    -> Governance_Grid_V1_ListCaseEventsResponse
  {
    let id = try FieldValidation.requiredID(request.caseID, field: "case_id")
    let page = try PageRequest(pageSize: request.pageSize, pageToken: request.pageToken)
    var filter = RecordFilter()
    filter.add("case_id = ?", id)
    let (events, next) = try await writer.read { [filter] db in
      _ = try RecordTable.fetchRequired(db, GridCase.self, id: id)
      return try RecordTable.list(db, CaseEvent.self, filter: filter, page: page)
    }
    return .with {
      $0.events = events
      $0.nextPageToken = next
    }
  }
}

extension GridStore {
  /// Case events after a cursor, oldest first, within a jurisdiction. Event ids increase in the
  /// order events are written (one writer at a time), so reading on from the last id returned
  /// misses nothing and repeats nothing.
  public func caseEventFeed(_ request: Governance_Grid_V1_ListCaseEventFeedRequest) async throws
    -> Governance_Grid_V1_ListCaseEventFeedResponse
  {
    let size = try PageRequest(pageSize: request.pageSize, pageToken: "").size
    var filter = RecordFilter()
    try filter.divisionPrefix(request.divisionPrefix, column: "case_event.division_code")
    filter.add("case_event.id > ?", request.afterEventID, when: !request.afterEventID.isEmpty)
    filter.add("grid_case.external_id IS NOT NULL", when: request.cityPlatformOnly)
    let whereClause = filter.conditions.isEmpty ? "" : "WHERE " + filter.conditions.joined(separator: " AND ")
    return try await writer.read { [filter] db in
      let rows = try Row.fetchAll(
        db,
        sql: """
          SELECT case_event.id AS id, case_event.record AS record, grid_case.external_id AS external_id
          FROM case_event JOIN grid_case ON grid_case.id = case_event.case_id
          \(whereClause) ORDER BY case_event.id LIMIT ?
          """, arguments: StatementArguments(filter.arguments + [size.databaseValue]))
      var response = Governance_Grid_V1_ListCaseEventFeedResponse()
      var bytes = 0
      response.nextCursor = request.afterEventID
      for row in rows {
        let stored: Data = row["record"]
        guard PageRequest.takes(stored.count, after: bytes, count: response.events.count) else { break }
        bytes += stored.count
        let event = try StoredMessage.decode(CaseEvent.self, from: stored)
        response.events.append(event)
        if let external: String = row["external_id"] { response.externalIds[event.caseID] = external }
        response.nextCursor = row["id"]
      }
      return response
    }
  }

  /// Moves an open case one level up, or to another unit, in one transaction, keeping the step.
  public func moveCase(
    requestID: String, request: some SwiftProtobuf.Message, caseID: String, note: String,
    automaticFor deadline: Int64? = nil, by principal: Principal, at time: Date = Date(),
    to destination: @escaping @Sendable (GridCase) throws -> Governance_Grid_V1_HandlingUnit
  ) async throws -> GridCase {
    let id = try FieldValidation.requiredID(caseID, field: "case_id")
    let note = try FieldValidation.optionalText(note, field: "note")
    return try await writer.write { db in
      try IdempotencyLedger.perform(db, caller: principal, requestID: requestID, request: request) {
        let gridCase = try RecordTable.fetchRequired(db, GridCase.self, id: id)
        try Self.checkHandler(db, gridCase, by: principal)
        // The sweep re-checks under the write lock: a case already moved on for this deadline is
        // left alone, so no deadline escalates a case twice.
        if let deadline, !(gridCase.hasDeadline && gridCase.deadline.seconds == deadline && !gridCase.overdue) {
          return gridCase
        }
        return try Self.move(
          db, gridCase, to: try destination(gridCase), note: note, automaticFor: deadline, automatic: deadline != nil,
          by: principal, at: time)
      }
    }
  }

  /// Moves `gridCase` to `unit` with that level's deadline, withdraws its pending assignments and
  /// keeps the step in its history.
  static func move(
    _ db: Database, _ gridCase: GridCase, to unit: Governance_Grid_V1_HandlingUnit, note: String,
    automaticFor deadline: Int64? = nil, automatic: Bool, by principal: Principal, at time: Date
  ) throws -> GridCase {
    let policy = try Self.policy(db, for: gridCase.divisionCode)
    var moved = try CaseEscalation.move(
      gridCase, to: unit, limit: DeadlinePolicies.limit(in: policy, level: unit.level, priority: gridCase.priority),
      at: time)
    let escalated = unit.level.rawValue > gridCase.handler.level.rawValue
    if escalated { moved.escalationCount += 1 }
    // The sweep moves a case for a deadline that ran out (its `automaticFor`): that stays on its
    // record. Other automatic moves (an alarm with nobody on duty) miss no deadline.
    if deadline != nil { moved.missedDeadline = true }
    // The handler who let the deadline pass hears of it, once per deadline.
    if deadline != nil { try remind(db, CaseNotices.overdue, of: gridCase, at: time) }
    let saved = try RecordTable.update(db, moved, by: principal, at: time)
    try Self.withdrawPendingAssignments(db, caseID: saved.id, by: principal, at: time)
    let event = try RecordTable.insertNew(
      db,
      CaseEvent.with {
        $0.divisionCode = saved.divisionCode
        $0.caseID = saved.id
        $0.kind = escalated ? .escalated : .transferred
        $0.fromStatus = gridCase.status
        $0.toStatus = saved.status
        $0.fromUnit = gridCase.handler
        $0.toUnit = saved.handler
        $0.actor = principal.description
        $0.automatic = automatic
        if let deadline { $0.deadline = .init(seconds: deadline) }
        $0.eventTime = .init(date: time)
        $0.note = note
      }, by: principal, at: time)
    try announce(db, event, of: saved, by: principal, at: time)
    return saved
  }

  /// Marks a case at the top level whose deadline passed as overdue, once.
  func markOverdue(caseID: String, deadline: Int64, by principal: Principal, at time: Date) async throws {
    try await writer.write { db in
      guard var gridCase = try RecordTable.fetch(db, GridCase.self, id: caseID),
        gridCase.deadline.seconds == deadline, !gridCase.overdue
      else { return }
      try Self.remind(db, CaseNotices.overdue, of: gridCase, at: time)
      gridCase.overdue = true
      gridCase.missedDeadline = true
      _ = try RecordTable.update(db, gridCase, by: principal, at: time)
    }
  }

  /// Open cases whose deadline has passed, oldest deadline first.
  func casesPastDeadline(at time: Date, limit: Int) async throws -> [(id: String, deadline: Int64)] {
    try await writer.read { db in
      try Row.fetchAll(
        db, sql: "SELECT id, deadline FROM grid_case WHERE open AND deadline < ? ORDER BY deadline LIMIT ?",
        arguments: [Int64(time.timeIntervalSince1970), limit]
      ).map { ($0["id"], $0["deadline"]) }
    }
  }
}

extension Governance_Grid_V1_Case: AuditedRecord {}
extension Governance_Grid_V1_CaseEvent: AuditedRecord {}
