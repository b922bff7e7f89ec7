import Foundation
import GRDB
import GovernanceAPI
import Logging
import ServiceKit
import SwiftProtobuf

extension GridStore {
  public typealias Worker = Governance_Grid_V1_GridWorker
  public typealias Shift = Governance_Grid_V1_DutyShift
  public typealias Assignment = Governance_Grid_V1_Assignment

  public func createWorker(
    _ request: Governance_Grid_V1_CreateGridWorkerRequest, by principal: Principal, at time: Date = Date()
  ) async throws -> Worker {
    let worker = try Self.validateNewWorker(request.worker, by: principal)
    return try await writer.write { db in
      try IdempotencyLedger.perform(db, caller: principal, requestID: request.requestID, request: request) {
        try Self.insertWorker(db, worker, by: principal, at: time)
      }
    }
  }

  /// CreateGridWorker's rules before its transaction: `proposed` validated as a new worker, a
  /// sign-in bound only by staff.
  static func validateNewWorker(_ proposed: Worker, by principal: Principal) throws(DomainError) -> Worker {
    let worker = try DutyRoster.validateNew(proposed)
    if !worker.principalID.isEmpty {
      try Jurisdiction.checkMayBindPrincipal(field: "worker.principal_id", by: principal)
    }
    return worker
  }

  /// CreateGridWorker's rules and writes inside the caller's transaction: the validated
  /// `worker`'s grids registered and sign-in free, then the worker and the grids they serve.
  static func insertWorker(_ db: Database, _ worker: Worker, by principal: Principal, at time: Date) throws -> Worker {
    for (index, grid) in worker.gridCodes.enumerated() {
      try requireGrid(db, code: grid, field: "worker.grid_codes[\(index)]")
    }
    try checkSignInFree(db, worker)
    let created = try RecordTable.insertNew(db, worker, by: principal, at: time)
    try replaceServedGrids(db, of: created)
    return created
  }

  /// The rule "a sign-in stands for one active worker": the phone app finds its worker by it, and
  /// the grids a grid worker handles are that worker's (CaseHandling.checkServedGrid).
  /// - Throws: `DomainError.alreadyExists` naming the sign-in and the worker holding it.
  static func checkSignInFree(_ db: Database, _ worker: Worker) throws {
    guard !worker.principalID.isEmpty, worker.active else { return }
    if let holder = try String.fetchOne(
      db.cachedStatement(sql: "SELECT id FROM grid_worker WHERE principal_id = ? AND active AND id != ?"),
      arguments: [worker.principalID, worker.id])
    {
      throw DomainError.alreadyExists(
        resource: "sign-in of a grid worker", id: worker.principalID, detail: "active worker \(holder) is bound to it")
    }
  }

  static func replaceServedGrids(_ db: Database, of worker: Worker) throws {
    try db.cachedStatement(sql: "DELETE FROM worker_grid WHERE worker_id = ?").execute(arguments: [worker.id])
    for grid in Set(worker.gridCodes) {
      try db.cachedStatement(sql: "INSERT INTO worker_grid (worker_id, grid_code) VALUES (?, ?)").execute(arguments: [
        worker.id, grid,
      ])
    }
  }

  /// The fields UpdateGridWorker may change.
  static let workerUpdatePaths: Set<String> = [
    "name", "phone", "kind", "grid_codes", "principal_id", "party_member_id", "property_company_id", "active",
  ]

  /// Changes what the mask names. A worker who leaves stays on record (active false) and is
  /// no longer found on duty.
  public func updateWorker(
    _ request: Governance_Grid_V1_UpdateGridWorkerRequest, by principal: Principal, at time: Date = Date()
  ) async throws -> Worker {
    let paths = try updatePaths(request.updateMask, allowed: Self.workerUpdatePaths)
    let id = try FieldValidation.requiredID(request.worker.id, field: "worker.id")
    return try await writer.write { db in
      let worker = try RecordTable.fetchRequired(db, Worker.self, id: id)
      let validated = try Self.prepareWorkerUpdate(db, worker, changes: request.worker, paths: paths, by: principal)
      return try Self.saveWorkerUpdate(db, validated, paths: paths, by: principal, at: time)
    }
  }

  /// UpdateGridWorker's rules inside the caller's transaction: `worker` with the fields `paths`
  /// names taken from `changes`, validated, a sign-in bound only by staff; nothing is written.
  static func prepareWorkerUpdate(
    _ db: Database, _ worker: Worker, changes: Worker, paths: [String], by principal: Principal
  ) throws -> Worker {
    if paths.contains("principal_id") {
      try Jurisdiction.checkMayBindPrincipal(field: "worker.principal_id", by: principal)
    }
    let worker = try worker.merging(changes, paths: paths)
    // A phone stored under earlier, looser rules is checked only when the update changes it.
    var candidate = worker
    if !paths.contains("phone") { candidate.phone = "" }
    var validated = try DutyRoster.validateNew(candidate)
    if !paths.contains("phone") { validated.phone = worker.phone }
    validated.active = worker.active
    if paths.contains("grid_codes") {
      for (index, grid) in validated.gridCodes.enumerated() {
        try Self.requireGrid(db, code: grid, field: "worker.grid_codes[\(index)]")
      }
    }
    if paths.contains("principal_id") || paths.contains("active") { try Self.checkSignInFree(db, validated) }
    return validated
  }

  /// Writes what `prepareWorkerUpdate` made: the record and, when they changed, the grids served.
  static func saveWorkerUpdate(
    _ db: Database, _ worker: Worker, paths: [String], by principal: Principal, at time: Date
  ) throws -> Worker {
    let saved = try RecordTable.update(db, worker, by: principal, at: time)
    if paths.contains("grid_codes") { try Self.replaceServedGrids(db, of: saved) }
    return saved
  }

  public func listWorkers(_ request: Governance_Grid_V1_ListGridWorkersRequest) async throws
    -> Governance_Grid_V1_ListGridWorkersResponse
  {
    let page = try PageRequest(pageSize: request.pageSize, pageToken: request.pageToken)
    let order = try ListOrder(request.orderBy)
    var filter = RecordFilter()
    try filter.divisionPrefix(request.divisionPrefix)
    if !request.gridCode.isEmpty {
      let grid = try DivisionCode(request.gridCode, field: "grid_code")
      filter.add("id IN (SELECT worker_id FROM worker_grid WHERE grid_code = ?)", grid.code)
    }
    filter.add("kind = ?", request.kind.rawValue, when: request.kind != .unspecified)
    filter.add("active", when: !request.includeInactive)
    let (workers, next) = try await writer.read { [filter] db in
      try RecordTable.list(db, Worker.self, filter: filter, page: page, order: order)
    }
    return .with {
      $0.workers = workers
      $0.nextPageToken = next
    }
  }

  public func listShifts(_ request: Governance_Grid_V1_ListDutyShiftsRequest) async throws
    -> Governance_Grid_V1_ListDutyShiftsResponse
  {
    let page = try PageRequest(pageSize: request.pageSize, pageToken: request.pageToken)
    var filter = RecordFilter()
    try filter.divisionPrefix(request.divisionPrefix, column: "grid_code")
    if !request.gridCode.isEmpty {
      filter.add("grid_code = ?", try DivisionCode(request.gridCode, field: "grid_code").code)
    }
    filter.add("worker_id = ?", request.workerID, when: !request.workerID.isEmpty)
    filter.add("end_time > ?", request.fromTime.seconds, when: request.hasFromTime)
    filter.add("start_time < ?", request.toTime.seconds, when: request.hasToTime)
    let (shifts, next) = try await writer.read { [filter] db in
      try RecordTable.list(db, Shift.self, filter: filter, page: page)
    }
    return .with {
      $0.shifts = shifts
      $0.nextPageToken = next
    }
  }

  /// The rule "a worker's stream and acts are theirs" (`Jurisdiction.checkPersonal`) for the
  /// worker `id`: NOT_FOUND for an unknown worker, PERMISSION_DENIED for another person.
  public func checkOwnWorker(_ id: String, by principal: Principal) async throws {
    guard Jurisdiction.personalReadNeedsRecord(by: principal) else { return }
    try await writer.read { db in try Self.checkOwnWorker(db, id, by: principal) }
  }

  static func checkOwnWorker(_ db: Database, _ id: String, by principal: Principal) throws {
    guard Jurisdiction.personalReadNeedsRecord(by: principal) else { return }
    let worker = try RecordTable.fetchRequired(db, Worker.self, id: id)
    try Jurisdiction.checkPersonal(
      ownerPrincipal: worker.principalID, divisionCode: worker.divisionCode, record: "grid worker \(id)", by: principal)
  }

  public func worker(id: String) async throws -> Worker? {
    try await writer.read { db in try RecordTable.fetch(db, Worker.self, id: id) }
  }

  /// Replaces a grid's shifts inside the window with the given ones, in one transaction.
  public func setDutyRoster(
    _ request: Governance_Grid_V1_SetDutyRosterRequest, by principal: Principal, at time: Date = Date()
  ) async throws -> Governance_Grid_V1_SetDutyRosterResponse {
    try await writer.write { db in
      try IdempotencyLedger.perform(db, caller: principal, requestID: request.requestID, request: request) {
        let shifts = try Self.rosterShifts(db, request)
        try db.execute(
          sql: "DELETE FROM duty_shift WHERE grid_code = ? AND start_time >= ? AND end_time <= ?",
          arguments: [request.gridCode, request.windowStart.seconds, request.windowEnd.seconds])
        return try .with {
          $0.shifts = try shifts.map { shift in
            try RecordTable.insertNew(db, shift, by: principal, at: time)
          }
        }
      }
    }
  }

  /// SetDutyRoster's rules inside the caller's transaction: the grid registered, each shift in
  /// the window and served by a worker of the grid. `gridField` and `shiftField` name the fields
  /// in an error (a register's row names its own).
  static func rosterShifts(
    _ db: Database, _ request: Governance_Grid_V1_SetDutyRosterRequest, gridField: String = "grid_code",
    shiftField: (Int) -> String = { "shifts[\($0)]" }
  ) throws -> [Shift] {
    try Self.requireGrid(db, code: request.gridCode, field: gridField)
    let workers = Set(
      try String.fetchAll(
        db.cachedStatement(sql: "SELECT worker_id FROM worker_grid WHERE grid_code = ?"), arguments: [request.gridCode])
    )
    return try DutyRoster.validateShifts(request, workersOfGrid: workers, gridField: gridField, shiftField: shiftField)
  }

  static func onDuty(_ db: Database, grid: String, at time: Date) throws -> [Shift] {
    let now = Int64(time.timeIntervalSince1970)
    return try Data.fetchAll(
      db,
      sql: """
        SELECT duty_shift.record FROM duty_shift JOIN grid_worker ON grid_worker.id = duty_shift.worker_id
        WHERE grid_code = ? AND start_time <= ? AND end_time > ? AND grid_worker.active
        ORDER BY roster_order, start_time
        """,
      arguments: [grid, now, now]
    ).map { try StoredMessage.decode(Shift.self, from: $0) }
  }

  public func onDuty(grid: String, at time: Date) async throws -> Governance_Grid_V1_GetOnDutyResponse {
    try await writer.read { db in
      let shifts = try Self.onDuty(db, grid: grid, at: time)
      return try .with {
        $0.shifts = shifts
        $0.workers = try shifts.compactMap { try RecordTable.fetch(db, Worker.self, id: $0.workerID) }
      }
    }
  }

  /// A sensor alarm (智慧消防/安防): an urgent case accepted at grid level and, in the same
  /// transaction, assigned to the first worker on duty in the grid; the assignment is then
  /// pushed to that worker's stream at once. With nobody on duty the case goes to the community
  /// straight away.
  public func raiseAlarm(
    _ request: Governance_Grid_V1_RaiseAlarmRequest, hub: AssignmentHub, by principal: Principal, at time: Date = Date()
  ) async throws -> Governance_Grid_V1_RaiseAlarmResponse {
    let device = try FieldValidation.requiredName(request.deviceID, field: "device_id", maximumLength: 64)
    let kind = try FieldValidation.requiredCase(
      request.kind, field: "kind", unspecified: .unspecified,
      known: Governance_Grid_V1_AlarmKind.allCases.filter { $0 != .unspecified })
    let address = try FieldValidation.optionalText(request.address, field: "address", maximumLength: 200)
    let reading = try FieldValidation.optionalText(request.reading, field: "reading", maximumLength: 500)
    try DutyRoster.checkAlarmPlace(
      gridCode: request.gridCode, compoundID: request.compoundID, hasPoint: request.hasPoint)
    if request.hasPoint { _ = try GeoValidation.point(request.point, field: "point") }
    let vault = vault
    let response = try await writer.write { db in
      try IdempotencyLedger.perform(db, caller: principal, requestID: request.requestID, request: request) {
        let gridCode = try Self.alarmGrid(db, request, at: time)
        let prepared = try Self.prepare(
          .with {
            $0.source = .sensorAlarm
            $0.category = "智慧安防告警"
            $0.title = "\(kind) @ \(device)"
            $0.details = reading
            $0.priority = .urgent
            $0.location = .with {
              $0.gridCode = gridCode
              $0.compoundID = request.compoundID
              $0.buildingID = request.buildingID
              $0.address = address
              if request.hasPoint { $0.point = request.point }
            }
            $0.alarm = .with {
              $0.deviceID = device
              $0.kind = kind
              $0.occurredTime = request.hasOccurredTime ? request.occurredTime : .init(date: time)
              $0.reading = reading
            }
          }, at: time)
        var gridCase = try Self.insertCase(db, prepared, note: device, vault: vault, by: principal, at: time)
        let policy = try Self.policy(db, for: gridCase.divisionCode)
        gridCase.status = .accepted
        gridCase.acceptTime = .init(date: time)
        gridCase.deadline = .init(
          date: time.addingTimeInterval(DeadlinePolicies.limit(in: policy, level: .grid, priority: .urgent)))
        guard let shift = try Self.onDuty(db, grid: gridCode, at: time).first else {
          let accepted = try RecordTable.update(db, gridCase, by: principal, at: time)
          try Self.recordCaseEvent(
            db, .accepted, gridCase: accepted, from: .reported, note: "", by: principal, at: time)
          let escalated = try Self.move(
            db, accepted, to: try CaseEscalation.nextUnit(above: accepted.handler, department: ""),
            note: "网格无人值班，直接上报社区", automatic: true, by: principal, at: time)
          return Governance_Grid_V1_RaiseAlarmResponse.with { $0.gridCase = escalated }
        }
        let (saved, assignment) = try Self.assign(
          db, gridCase, to: shift.workerID, ackTimeout: policy.alarmAckTimeout, event: .assigned, from: .reported,
          note: "告警派单", by: principal, at: time)
        return .with {
          $0.gridCase = saved
          $0.assignment = assignment
        }
      }
    }
    if response.hasAssignment { hub.publish(response.assignment, to: response.assignment.workerID) }
    return response
  }

  /// The grid an alarm belongs to: the one given, or the most specific grid covering the given
  /// compound that has someone on duty (a micro-grid before its grid), else the most specific.
  static func alarmGrid(_ db: Database, _ request: Governance_Grid_V1_RaiseAlarmRequest, at time: Date) throws -> String
  {
    if !request.gridCode.isEmpty {
      try requireGrid(db, code: request.gridCode, field: "grid_code")
      return request.gridCode
    }
    if request.compoundID.isEmpty {
      // A device known by its position alone: the grids holding it, which must exist, since an
      // alarm goes to a grid's on-duty worker; the most specific one with somebody on duty, as
      // for a compound.
      let position = Position(longitude: request.point.longitude, latitude: request.point.latitude)
      let holding = PlaceRouting.grids(
        holding: position, among: try candidates(db, near: position, radius: 0, grids: true))
      guard let mostSpecific = holding.first else {
        throw DomainError.invalidArgument(
          field: "point", rule: "lies in a grid for an alarm to reach its worker on duty; it lies in none")
      }
      return try holding.first { try !onDuty(db, grid: $0, at: time).isEmpty } ?? mostSpecific
    }
    let covering = try String.fetchAll(
      db.cachedStatement(
        sql: "SELECT grid_code FROM grid_compound WHERE compound_id = ? ORDER BY length(grid_code) DESC, grid_code"),
      arguments: [request.compoundID])
    let mostSpecific = try DutyRoster.mostSpecificGrid(covering: covering, compoundID: request.compoundID)
    return try covering.first { try !onDuty(db, grid: $0, at: time).isEmpty } ?? mostSpecific
  }

  /// Gives `gridCase` to `worker`: the case's assignee changes, earlier pending deliveries are
  /// withdrawn, and a new assignment is stored for the worker's stream. Alarm cases carry an
  /// acknowledgement deadline after which the hand-over passes them on.
  static func assign(
    _ db: Database, _ gridCase: GridCase, to worker: String, ackTimeout: Google_Protobuf_Duration?,
    event: Governance_Grid_V1_CaseEventKind, from: CaseWorkflow.Status, note: String, by principal: Principal,
    at time: Date
  ) throws -> (GridCase, Assignment) {
    var assigned = gridCase
    assigned.status = .assigned
    assigned.assigneeID = worker
    let saved = try RecordTable.update(db, assigned, by: principal, at: time)
    try recordCaseEvent(db, event, gridCase: saved, from: from, note: note, by: principal, at: time)
    try withdrawPendingAssignments(db, caseID: saved.id, by: principal, at: time)
    let assignment = try RecordTable.insertNew(
      db,
      Assignment.with {
        $0.divisionCode = saved.divisionCode
        $0.caseID = saved.id
        $0.workerID = worker
        $0.state = .pending
        $0.assignTime = .init(date: time)
        if let ackTimeout { $0.ackDeadline = .init(date: time.addingTimeInterval(TimeInterval(ackTimeout.seconds))) }
        $0.gridCase = saved
      }, by: principal, at: time)
    return (saved, assignment)
  }

  /// A case's assignments in a state (arguments: case id, state). `+state` keeps SQLite off the
  /// `(state, ack_deadline)` index, which it otherwise prefers without statistics: every alarm
  /// then walked all pending assignments (5,000 after an alarm storm, more with each storm).
  static let caseAssignmentsInState = "SELECT record FROM assignment WHERE case_id = ? AND +state = ?"

  /// A worker's assignments in a state, oldest first (arguments: worker id, state); `+state` as in
  /// `caseAssignmentsInState`.
  static let workerAssignmentsInState = "SELECT record FROM assignment WHERE worker_id = ? AND +state = ? ORDER BY id"

  /// Ends the case's deliveries still waiting for acknowledgement, when it moves elsewhere.
  static func withdrawPendingAssignments(_ db: Database, caseID: String, by principal: Principal, at time: Date) throws
  {
    let pending = try Data.fetchAll(
      db.cachedStatement(sql: caseAssignmentsInState),
      arguments: [caseID, Governance_Grid_V1_AssignmentState.pending.rawValue])
    for data in pending {
      var assignment = try StoredMessage.decode(Assignment.self, from: data)
      assignment.state = .withdrawn
      _ = try RecordTable.update(db, assignment, by: principal, at: time)
    }
  }

  /// Assigns an accepted case to a worker or staff member and notifies them on their stream.
  public func assignCase(
    _ request: Governance_Grid_V1_AssignCaseRequest, hub: AssignmentHub, by principal: Principal, at time: Date = Date()
  ) async throws -> GridCase {
    let caseID = try FieldValidation.requiredID(request.caseID, field: "case_id")
    let assignee = try FieldValidation.requiredID(request.assigneeID, field: "assignee_id")
    let note = try FieldValidation.optionalText(request.note, field: "note")
    let (saved, assignment) = try await writer.write { db -> (GridCase, Assignment?) in
      var delivered: Assignment?
      let saved = try IdempotencyLedger.perform(db, caller: principal, requestID: request.requestID, request: request) {
        let gridCase = try RecordTable.fetchRequired(db, GridCase.self, id: caseID)
        try CaseWorkflow.checkTransition(gridCase, to: .assigned)
        try Self.checkHandler(db, gridCase, by: principal)
        let policy = try Self.policy(db, for: gridCase.divisionCode)
        let (saved, assignment) = try Self.assign(
          db, gridCase, to: assignee, ackTimeout: gridCase.source == .sensorAlarm ? policy.alarmAckTimeout : nil,
          event: gridCase.status == .assigned ? .reassigned : .assigned, from: gridCase.status, note: note,
          by: principal, at: time)
        delivered = assignment
        return saved
      }
      return (saved, delivered)
    }
    if let assignment { hub.publish(assignment, to: assignment.workerID) }
    return saved
  }

  /// The grids and micro-grids served by the active worker bound to `principal`'s sign-in; nil
  /// when none is bound (or the caller is not a grid worker, who needs none).
  static func servedGrids(_ db: Database, by principal: Principal) throws -> Set<String>? {
    guard principal.service == nil, principal.role == .gridWorker else { return nil }
    let workers = try String.fetchAll(
      db.cachedStatement(sql: "SELECT id FROM grid_worker WHERE principal_id = ? AND active"),
      arguments: [principal.subject])
    guard !workers.isEmpty else { return nil }
    return Set(
      try String.fetchAll(
        db,
        sql:
          "SELECT grid_code FROM worker_grid WHERE worker_id IN (\(workers.map { _ in "?" }.joined(separator: ",")))",
        arguments: StatementArguments(workers)))
  }

  /// The rules of who handles a case: its level's (CaseHandling.check), and a grid worker's own
  /// grids (CaseHandling.checkServedGrid).
  static func checkHandler(_ db: Database, _ gridCase: GridCase, by principal: Principal) throws {
    try CaseHandling.check(gridCase, by: principal)
    try CaseHandling.checkServedGrid(gridCase, served: try servedGrids(db, by: principal), by: principal)
  }

  public func pendingAssignments(worker: String) async throws -> [Assignment] {
    try await writer.read { db in
      try Data.fetchAll(
        db.cachedStatement(sql: Self.workerAssignmentsInState),
        arguments: [worker, Governance_Grid_V1_AssignmentState.pending.rawValue]
      ).map { try StoredMessage.decode(Assignment.self, from: $0) }
    }
  }

  public func acknowledge(
    _ request: Governance_Grid_V1_AcknowledgeAssignmentRequest, by principal: Principal, at time: Date = Date()
  ) async throws -> Assignment {
    let id = try FieldValidation.requiredID(request.assignmentID, field: "assignment_id")
    return try await writer.write { db in
      try IdempotencyLedger.perform(db, caller: principal, requestID: request.requestID, request: request) {
        let pending = try RecordTable.fetchRequired(db, Assignment.self, id: id)
        // Only the worker it was given to (or staff over them) acknowledges an assignment.
        try Self.checkOwnWorker(db, pending.workerID, by: principal)
        let assignment = try DutyRoster.acknowledge(pending, at: time)
        let gridCase = try RecordTable.fetchRequired(db, GridCase.self, id: assignment.caseID)
        try Self.recordCaseEvent(
          db, .acknowledged, gridCase: gridCase, from: gridCase.status, note: assignment.workerID, by: principal,
          at: time)
        return try RecordTable.update(db, assignment, by: principal, at: time)
      }
    }
  }

  /// One round of the alarm hand-over: each pending alarm assignment past its acknowledgement
  /// deadline times out and passes to the next worker on duty who has not had it; after the last
  /// one the case escalates to the community. Each step re-reads under the write lock, so an
  /// acknowledgement that wins the race stands and no assignment is handed over twice.
  ///
  /// An assignment that cannot be handed over for what it holds is skipped, logged once and
  /// counted in `poisoned`, and the round goes on with the others.
  @discardableResult
  public func handOverUnacknowledged(
    at time: Date, hub: AssignmentHub, by principal: Principal, batch: Int = 200,
    poisoned: PoisonRecords = PoisonRecords(job: "alarm_hand_over"), logger: Logger = Logger(label: "grid")
  ) async throws -> Int {
    // The index holds whole seconds: it finds the candidates, the stored deadline decides.
    let now = Int64(time.timeIntervalSince1970)
    let due = try await writer.read { db in
      try String.fetchAll(
        db, sql: "SELECT id FROM assignment WHERE state = ? AND ack_deadline <= ? ORDER BY ack_deadline LIMIT ?",
        arguments: [Governance_Grid_V1_AssignmentState.pending.rawValue, now, batch + poisoned.count])
    }
    var handled = 0
    for id in due where !poisoned.contains(id) {
      // Whether the assignment timed out here, and the next worker's assignment if there is one.
      let outcome: (Bool, Assignment?)
      do {
        outcome = try await writer.write { db -> (Bool, Assignment?) in
          guard var expired = try RecordTable.fetch(db, Assignment.self, id: id),
            expired.state == .pending, DutyRoster.acknowledgementTimedOut(deadline: expired.ackDeadline, at: time)
          else { return (false, nil) }
          expired.state = .timedOut
          _ = try RecordTable.update(db, expired, by: principal, at: time)
          let gridCase = try RecordTable.fetchRequired(db, GridCase.self, id: expired.caseID)
          guard gridCase.status == .assigned, gridCase.assigneeID == expired.workerID else { return (true, nil) }
          let tried = Set(
            try String.fetchAll(
              db.cachedStatement(sql: "SELECT worker_id FROM assignment WHERE case_id = ?"), arguments: [gridCase.id])
          )
          let onDuty = try Self.onDuty(db, grid: gridCase.location.gridCode, at: time)
          guard let shift = onDuty.first(where: { !tried.contains($0.workerID) }) else {
            _ = try Self.move(
              db, gridCase, to: try CaseEscalation.nextUnit(above: gridCase.handler, department: ""),
              note: "告警无人确认，上报社区", automatic: true, by: principal, at: time)
            return (true, nil)
          }
          let policy = try Self.policy(db, for: gridCase.divisionCode)
          return (
            true,
            try Self.assign(
              db, gridCase, to: shift.workerID, ackTimeout: policy.alarmAckTimeout, event: .reassigned,
              from: gridCase.status,
              note: "告警未确认，转下一位值班网格员", by: principal, at: time
            ).1
          )
        }
      } catch  where PoisonRecords.isRecordsFault(error) {
        poisoned.skip(id, error: error, logger: logger)
        continue
      }
      let (timedOut, next) = outcome
      if timedOut { handled += 1 }
      if let next { hub.publish(next, to: next.workerID) }
    }
    return handled
  }
}

extension Governance_Grid_V1_GridWorker: AuditedRecord {}
extension Governance_Grid_V1_DutyShift: AuditedRecord {}
extension Governance_Grid_V1_Assignment: AuditedRecord {}

/// Each grid worker's new assignments, pushed on WatchAssignments.
public typealias AssignmentHub = StreamHub<Governance_Grid_V1_Assignment>

extension GridStore {
  /// Takes one batch of a register of grid workers (网格员台账): each row matched by the
  /// worker's phone within their community, then created by CreateGridWorker's rules or changed
  /// by UpdateGridWorker's in the fields the row gives, and their weekly duties set as shifts
  /// for the 28 days from today by SetDutyRoster's rules; a row that changes nothing is
  /// UNCHANGED. Each row is held to the caller's jurisdiction as its own calls would be.
  public func importGridWorkers(
    _ request: Governance_Grid_V1_ImportGridWorkersRequest, by principal: Principal, at time: Date = Date()
  ) async throws -> Governance_Common_V1_ImportResponse {
    try ImportBatch.checkSize(request.rows.count)
    let windowStart = DutyRoster.cityMidnight(of: time)
    return try await writer.write { db in
      let results = try ImportBatch.run(db, rows: request.rows, validateOnly: request.validateOnly, number: \.row) {
        db, row in
        try Self.importGridWorker(db, row, windowStart: windowStart, by: principal, at: time)
      }
      return .with { $0.results = results }
    }
  }

  /// One row of a register of grid workers, applied inside the batch's savepoint.
  static func importGridWorker(
    _ db: Database, _ row: Governance_Grid_V1_ImportedGridWorker, windowStart: Date, by principal: Principal,
    at time: Date
  ) throws -> ImportBatch.Applied {
    try Authorization.checkRequest(row, by: principal)
    let given = row.worker
    guard !given.phone.isEmpty else { throw DomainError.invalidArgument(field: "worker.phone", rule: "is required") }
    let phone = try PhoneNumber.normalized(given.phone, field: "worker.phone")
    let community = try DutyRoster.importedCommunity(given)
    try Jurisdiction.checkWritable(community, by: principal)
    let planned = try DutyRoster.weeklyShifts(row.duties, from: windowStart)
    let worker: Worker
    var applied: ImportBatch.Applied
    if let stored = try workerWithPhone(db, phone, in: community) {
      let paths = importedWorkerPaths(given)
      let validated = try prepareWorkerUpdate(db, stored, changes: given, paths: paths, by: principal)
      try DutyRoster.checkCommunity(validated, community)
      if validated == stored {
        worker = stored
        applied = .unchanged(id: stored.id)
      } else {
        worker = try saveWorkerUpdate(db, validated, paths: paths, by: principal, at: time)
        applied = .updated(id: worker.id)
      }
    } else {
      let validated = try validateNewWorker(given, by: principal)
      try DutyRoster.checkCommunity(validated, community)
      worker = try insertWorker(db, validated, by: principal, at: time)
      applied = .created(id: worker.id)
    }
    let rosterChanged = try setWeeklyDuties(
      db, planned, of: worker.id, from: windowStart, by: principal, at: time)
    if rosterChanged, case .unchanged(let id) = applied { applied = .updated(id: id) }
    return applied
  }

  /// The fields of UpdateGridWorker a register's row gives (those not at their default): the
  /// phone, which is the row's key, always.
  static func importedWorkerPaths(_ worker: Worker) -> [String] {
    var paths = ["phone"]
    if !worker.name.isEmpty { paths.append("name") }
    if worker.kind != .unspecified { paths.append("kind") }
    if !worker.gridCodes.isEmpty { paths.append("grid_codes") }
    if !worker.principalID.isEmpty { paths.append("principal_id") }
    if !worker.partyMemberID.isEmpty { paths.append("party_member_id") }
    if !worker.propertyCompanyID.isEmpty { paths.append("property_company_id") }
    if worker.active { paths.append("active") }
    return paths
  }

  /// The worker of `community` with `phone` (as normalised), if any.
  static func workerWithPhone(_ db: Database, _ phone: String, in community: String) throws -> Worker? {
    let workers = try Data.fetchAll(
      db.cachedStatement(sql: "SELECT record FROM grid_worker WHERE division_code = ? ORDER BY id"),
      arguments: [community]
    ).map { try StoredMessage.decode(Worker.self, from: $0) }
    return try DutyRoster.workerWithPhone(
      workers.filter { ((try? PhoneNumber.normalized($0.phone, field: "phone")) ?? $0.phone) == phone })
  }

  /// Replaces `worker`'s shifts starting in the register's window in each grid of `planned`
  /// with the planned ones, each grid's checked by SetDutyRoster's rules; a grid whose shifts
  /// are already those is left alone. Whether any shift changed.
  static func setWeeklyDuties(
    _ db: Database, _ planned: [DutyRoster.PlannedShift], of worker: String, from windowStart: Date,
    by principal: Principal, at time: Date
  ) throws -> Bool {
    let windowEnd = windowStart.addingTimeInterval(TimeInterval(DutyRoster.importedRosterDays * 86_400))
    var grids: [String] = []
    for item in planned where !grids.contains(item.shift.gridCode) { grids.append(item.shift.gridCode) }
    var changed = false
    for grid in grids {
      let items = planned.filter { $0.shift.gridCode == grid }
      try Jurisdiction.checkWritable(grid, by: principal)
      let request = Governance_Grid_V1_SetDutyRosterRequest.with {
        $0.gridCode = grid
        $0.windowStart = .init(date: windowStart)
        // A shift of the window's last day may run past its midnight.
        $0.windowEnd = .init(date: windowEnd.addingTimeInterval(86_400))
        $0.shifts = items.map { item in
          var shift = item.shift
          shift.workerID = worker
          return shift
        }
      }
      let shifts = try rosterShifts(
        db, request, gridField: "duties[\(items[0].duty)].grid_code", shiftField: { "duties[\(items[$0].duty)]" })
      let window = "grid_code = ? AND worker_id = ? AND start_time >= ? AND start_time < ?"
      let arguments: StatementArguments = [
        grid, worker, Int64(windowStart.timeIntervalSince1970), Int64(windowEnd.timeIntervalSince1970),
      ]
      let existing = try Data.fetchAll(db, sql: "SELECT record FROM duty_shift WHERE \(window)", arguments: arguments)
        .map { try StoredMessage.decode(Shift.self, from: $0) }
      let times = { (shifts: [Shift]) in
        shifts.map { [$0.startTime.seconds, $0.endTime.seconds, Int64($0.rosterOrder)] }.sorted {
          $0.lexicographicallyPrecedes($1)
        }
      }
      guard times(existing) != times(shifts) else { continue }
      try db.execute(sql: "DELETE FROM duty_shift WHERE \(window)", arguments: arguments)
      for shift in shifts { _ = try RecordTable.insertNew(db, shift, by: principal, at: time) }
      changed = true
    }
    return changed
  }
}
