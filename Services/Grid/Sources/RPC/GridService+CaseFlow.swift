import Foundation
import GRPCCore
import GovernanceAPI
import ServiceKit

/// The case workflow: each step one method, the rule in `CaseWorkflow`, the transaction in `GridStore.transition`.
extension GridService {
  /// The handling unit takes the case. Of two concurrent accepts exactly one succeeds.
  public func acceptCase(
    request: Governance_Grid_V1_AcceptCaseRequest, context: ServerContext
  ) async throws -> Governance_Grid_V1_Case {
    // case_id is checked before the note: the order these two errors have always come in.
    let caseID = try FieldValidation.requiredID(request.caseID, field: "case_id")
    let now = Date()
    return try await store.transition(
      try CaseWorkflow.accept(note: request.note, at: now), caseID: caseID, requestID: request.requestID,
      request: request,
      by: Principal.current, at: now)
  }

  /// The assignee starts work.
  public func startCase(
    request: Governance_Grid_V1_StartCaseRequest, context: ServerContext
  ) async throws -> Governance_Grid_V1_Case {
    // case_id is checked before the note: the order these two errors have always come in.
    let caseID = try FieldValidation.requiredID(request.caseID, field: "case_id")
    let now = Date()
    return try await store.transition(
      try CaseWorkflow.start(note: request.note), caseID: caseID, requestID: request.requestID,
      request: request,
      by: Principal.current, at: now)
  }

  /// The assignee reports the case resolved, with what was done.
  public func resolveCase(
    request: Governance_Grid_V1_ResolveCaseRequest, context: ServerContext
  ) async throws -> Governance_Grid_V1_Case {
    let now = Date()
    return try await store.transition(
      try CaseWorkflow.resolve(resolution: request.resolution, at: now), caseID: request.caseID,
      requestID: request.requestID, request: request,
      by: Principal.current, at: now)
  }

  /// The reporter rates the handling 1 to 5 with a comment.
  public func evaluateCase(
    request: Governance_Grid_V1_EvaluateCaseRequest, context: ServerContext
  ) async throws -> Governance_Grid_V1_Case {
    let now = Date()
    return try await store.transition(
      try CaseWorkflow.evaluate(satisfaction: request.satisfaction, comment: request.comment, at: now),
      caseID: request.caseID, requestID: request.requestID, request: request,
      by: Principal.current, at: now)
  }

  /// Closes a resolved or evaluated case.
  public func closeCase(
    request: Governance_Grid_V1_CloseCaseRequest, context: ServerContext
  ) async throws -> Governance_Grid_V1_Case {
    // case_id is checked before the note: the order these two errors have always come in.
    let caseID = try FieldValidation.requiredID(request.caseID, field: "case_id")
    let now = Date()
    return try await store.transition(
      try CaseWorkflow.close(note: request.note, at: now), caseID: caseID, requestID: request.requestID,
      request: request,
      by: Principal.current, at: now)
  }

  /// Refuses a reported case (not in scope, duplicate, false report), with a reason.
  public func rejectCase(
    request: Governance_Grid_V1_RejectCaseRequest, context: ServerContext
  ) async throws -> Governance_Grid_V1_Case {
    let now = Date()
    return try await store.transition(
      try CaseWorkflow.reject(reason: request.reason), caseID: request.caseID, requestID: request.requestID,
      request: request,
      by: Principal.current, at: now)
  }

  /// A dissatisfied reporter (or staff on their behalf) reopens an evaluated or closed case within the
  /// configured number of days.
  public func reopenCase(
    request: Governance_Grid_V1_ReopenCaseRequest, context: ServerContext
  ) async throws -> Governance_Grid_V1_Case {
    let now = Date()
    return try await store.transition(
      try CaseWorkflow.reopen(reason: request.reason, at: now), caseID: request.caseID, requestID: request.requestID,
      request: request,
      by: Principal.current, at: now)
  }

  /// Adds a note (办理记录) to a case's history, its state unchanged; answers the NOTED event.
  public func addCaseNote(request: Governance_Grid_V1_AddCaseNoteRequest, context: ServerContext) async throws
    -> Governance_Grid_V1_CaseEvent
  {
    try await store.addCaseNote(request, by: Principal.current)
  }

  /// Moves the case one handling level up: grid → community → street → district department (the street summons
  /// departments, 街社吹哨、部门报到). Also done automatically when a deadline passes, at most once per deadline.
  public func escalateCase(request: Governance_Grid_V1_EscalateCaseRequest, context: ServerContext) async throws
    -> Governance_Grid_V1_Case
  {
    try await store.moveCase(
      requestID: request.requestID, request: request, caseID: request.caseID,
      note: request.note, by: Principal.current
    ) { try CaseEscalation.nextUnit(above: $0.handler, department: request.department) }
  }

  /// Hands the case to another grid, or another district department, at the same level.
  public func transferCase(request: Governance_Grid_V1_TransferCaseRequest, context: ServerContext) async throws
    -> Governance_Grid_V1_Case
  {
    try await store.moveCase(
      requestID: request.requestID, request: request, caseID: request.caseID,
      note: request.note, by: Principal.current
    ) { gridCase in
      try CaseEscalation.transferTarget(from: gridCase.handler, to: request.to)
    }
  }

  /// Assigns an accepted case to a grid worker or staff member; the assignee is notified on WatchAssignments.
  public func assignCase(request: Governance_Grid_V1_AssignCaseRequest, context: ServerContext) async throws
    -> Governance_Grid_V1_Case
  {
    try await store.assignCase(request, hub: hub, by: Principal.current)
  }
}
