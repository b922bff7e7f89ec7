import Foundation
import GRDB
import GovernanceAPI
import ServiceKit
import SwiftProtobuf

extension GridStore {
  public typealias Worker = Governance_Grid_V1_GridWorker
  public typealias Shift = Governance_Grid_V1_DutyShift
  public typealias Assignment = Governance_Grid_V1_Assignment

  public func createWorker(
    _ request: Governance_Grid_V1_CreateGridWorkerRequest, by principal: Principal, at time: Date = Date()
  ) async throws -> Worker {
    let worker = try DutyRoster.validateNew(request.worker)
    return try await writer.write { db in
      try IdempotencyLedger.perform(db, requestID: request.requestID, method: "CreateGridWorker", request: request) {
        let created = try RecordTable.insertNew(db, into: "grid_worker", prefix: "wkr", record: worker, by: principal, at: time) {
          ["division_code": $0.divisionCode, "active": $0.active]
        }
        for grid in Set(created.gridCodes) {
          try db.execute(sql: "INSERT INTO worker_grid (worker_id, grid_code) VALUES (?, ?)", arguments: [created.id, grid])
        }
        return created
      }
    }
  }

  public func worker(id: String) async throws -> Worker? {
    try await writer.read { db in try RecordTable.fetch(db, from: "grid_worker", id: id, as: Worker.self) }
  }

  /// Replaces a grid's shifts inside the window with the given ones, in one transaction.
  public func setDutyRoster(
    _ request: Governance_Grid_V1_SetDutyRosterRequest, by principal: Principal, at time: Date = Date()
  ) async throws -> Governance_Grid_V1_SetDutyRosterResponse {
    try await writer.write { db in
      try IdempotencyLedger.perform(db, requestID: request.requestID, method: "SetDutyRoster", request: request) {
        let workers = Set(try String.fetchAll(
          db, sql: "SELECT worker_id FROM worker_grid WHERE grid_code = ?", arguments: [request.gridCode]))
        let shifts = try DutyRoster.validateShifts(request, workersOfGrid: workers)
        try db.execute(
          sql: "DELETE FROM duty_shift WHERE grid_code = ? AND start_time >= ? AND end_time <= ?",
          arguments: [request.gridCode, request.windowStart.seconds, request.windowEnd.seconds])
        return try .with {
          $0.shifts = try shifts.map { shift in
            try RecordTable.insertNew(db, into: "duty_shift", prefix: "sft", record: shift, by: principal, at: time) {
              [
                "grid_code": $0.gridCode, "worker_id": $0.workerID, "start_time": $0.startTime.seconds,
                "end_time": $0.endTime.seconds, "roster_order": $0.rosterOrder,
              ]
            }
          }
        }
      }
    }
  }

  static func onDuty(_ db: Database, grid: String, at time: Date) throws -> [Shift] {
    let now = Int64(time.timeIntervalSince1970)
    return try Data.fetchAll(
      db,
      sql: """
        SELECT record FROM duty_shift WHERE grid_code = ? AND start_time <= ? AND end_time > ?
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
        $0.workers = try shifts.compactMap { try RecordTable.fetch(db, from: "grid_worker", id: $0.workerID, as: Worker.self) }
      }
    }
  }

  /// A sensor alarm (智慧消防/安防): an urgent case accepted at grid level and, in the same
  /// transaction, assigned to the first worker on duty in the grid; the assignment is then
  /// pushed to that worker's stream at once.
  public func raiseAlarm(
    _ request: Governance_Grid_V1_RaiseAlarmRequest, hub: AssignmentHub, by principal: Principal, at time: Date = Date()
  ) async throws -> Governance_Grid_V1_RaiseAlarmResponse {
    let device = try FieldValidation.requiredName(request.deviceID, field: "device_id", maximumLength: 64)
    let kind = try FieldValidation.requiredCase(
      request.kind, field: "kind", unspecified: .unspecified,
      known: Governance_Grid_V1_AlarmKind.allCases.filter { $0 != .unspecified })
    let prepared = try Self.prepare(.with {
      $0.source = .sensorAlarm
      $0.category = "智慧安防告警"
      $0.title = "\(kind) @ \(device)"
      $0.details = request.reading
      $0.priority = .urgent
      $0.location = .with {
        $0.gridCode = request.gridCode
        $0.compoundID = request.compoundID
        $0.buildingID = request.buildingID
        $0.address = request.address
      }
      $0.alarm = .with {
        $0.deviceID = device
        $0.kind = kind
        $0.occurredTime = request.hasOccurredTime ? request.occurredTime : .init(date: time)
        $0.reading = request.reading
      }
    }, at: time)
    let vault = vault
    let response = try await writer.write { db in
      try IdempotencyLedger.perform(db, requestID: request.requestID, method: "RaiseAlarm", request: request) {
        var gridCase = try Self.insertCase(db, prepared, note: device, vault: vault, by: principal, at: time)
        let policy = try Self.policy(db, for: gridCase.divisionCode)
        gridCase.status = .accepted
        gridCase.acceptTime = .init(date: time)
        gridCase.deadline = .init(
          date: time.addingTimeInterval(DeadlinePolicies.limit(in: policy, level: .grid, priority: .urgent)))
        guard let shift = try Self.onDuty(db, grid: gridCase.handler.unitCode, at: time).first else {
          let saved = try RecordTable.update(db, in: "grid_case", record: gridCase, by: principal, at: time, columns: Self.caseColumns)
          try Self.recordCaseEvent(db, .accepted, gridCase: saved, from: .reported, note: "无人值班", by: principal, at: time)
          return Governance_Grid_V1_RaiseAlarmResponse.with { $0.gridCase = saved }
        }
        gridCase.status = .assigned
        gridCase.assigneeID = shift.workerID
        let saved = try RecordTable.update(db, in: "grid_case", record: gridCase, by: principal, at: time, columns: Self.caseColumns)
        try Self.recordCaseEvent(db, .assigned, gridCase: saved, from: .reported, note: "告警派单", by: principal, at: time)
        let assignment = try RecordTable.insertNew(
          db, into: "assignment", prefix: "asg",
          record: Assignment.with {
            $0.divisionCode = saved.divisionCode
            $0.caseID = saved.id
            $0.workerID = shift.workerID
            $0.state = .pending
            $0.assignTime = .init(date: time)
            $0.ackDeadline = .init(date: time.addingTimeInterval(TimeInterval(policy.alarmAckTimeout.seconds)))
            $0.gridCase = saved
          }, by: principal, at: time
        ) { ["case_id": $0.caseID, "worker_id": $0.workerID, "state": $0.state.rawValue] }
        return .with {
          $0.gridCase = saved
          $0.assignment = assignment
        }
      }
    }
    if response.hasAssignment { hub.publish(response.assignment) }
    return response
  }

  public func pendingAssignments(worker: String) async throws -> [Assignment] {
    try await writer.read { db in
      try Data.fetchAll(
        db, sql: "SELECT record FROM assignment WHERE worker_id = ? AND state = ? ORDER BY id",
        arguments: [worker, Governance_Grid_V1_AssignmentState.pending.rawValue]
      ).map { try StoredMessage.decode(Assignment.self, from: $0) }
    }
  }

  public func acknowledge(
    _ request: Governance_Grid_V1_AcknowledgeAssignmentRequest, by principal: Principal, at time: Date = Date()
  ) async throws -> Assignment {
    let id = try FieldValidation.requiredID(request.assignmentID, field: "assignment_id")
    return try await writer.write { db in
      try IdempotencyLedger.perform(db, requestID: request.requestID, method: "AcknowledgeAssignment", request: request) {
        var assignment = try RecordTable.fetchRequired(db, from: "assignment", id: id, as: Assignment.self, resource: "assignment")
        guard assignment.state == .pending else {
          throw DomainError.failedPrecondition(
            rule: "an assignment is acknowledged while pending", detail: "\(id) is \(assignment.state)")
        }
        assignment.state = .acknowledged
        assignment.acknowledgeTime = .init(date: time)
        return try RecordTable.update(db, in: "assignment", record: assignment, by: principal, at: time) {
          ["case_id": $0.caseID, "worker_id": $0.workerID, "state": $0.state.rawValue]
        }
      }
    }
  }
}

extension Governance_Grid_V1_GridWorker: AuditedRecord {}
extension Governance_Grid_V1_DutyShift: AuditedRecord {}
extension Governance_Grid_V1_Assignment: AuditedRecord {}
