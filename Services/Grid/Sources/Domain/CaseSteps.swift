import Foundation
import GovernanceAPI
import ServiceKit

/// One step of the case workflow (办理流程): the status it moves a case to, the event kept in the
/// case's history, the note kept with the event, and what the step writes on the case.
///
/// Each step is made by one function of `CaseWorkflow` below, which validates what the caller
/// sent; `CaseWorkflow.take(_:on:policy:)` then applies it to the stored case under the write
/// lock, after the transition table allows it.
public struct CaseStep: Sendable {
  /// The status the case moves to.
  public let status: CaseWorkflow.Status
  /// The event recorded in the case's history.
  public let event: Governance_Grid_V1_CaseEventKind
  /// The note kept with the event: the caller's note, the resolution, the comment or the reason.
  public let note: String
  let change: @Sendable (inout CaseWorkflow.GridCase, Governance_Grid_V1_DeadlinePolicy) throws(DomainError) -> Void
}

extension CaseWorkflow {
  /// Accepting (受理): the handling unit takes the case. The level's time limit runs from the
  /// case's arrival (`deadline(arrivingAt:limit:)`), not from its acceptance: accepting late does
  /// not buy time. Throws INVALID_ARGUMENT for a note over the text limit.
  public static func accept(note: String, at time: Date) throws(DomainError) -> CaseStep {
    CaseStep(status: .accepted, event: .accepted, note: try FieldValidation.optionalText(note, field: "note")) {
      gridCase, _ in gridCase.acceptTime = .init(date: time)
    }
  }

  /// Starting: the assignee begins work.
  public static func start(note: String) throws(DomainError) -> CaseStep {
    CaseStep(status: .inProgress, event: .started, note: try FieldValidation.optionalText(note, field: "note")) {
      _, _ in
    }
  }

  /// Resolving (办结): the assignee reports what was done; the case is resolved at the level that
  /// handled it. Throws INVALID_ARGUMENT naming `resolution` when it is empty or too long.
  public static func resolve(resolution: String, at time: Date) throws(DomainError) -> CaseStep {
    let resolution = try FieldValidation.requiredName(
      resolution, field: "resolution", maximumLength: FieldValidation.maximumTextLength)
    return CaseStep(status: .resolved, event: .resolved, note: resolution) { gridCase, _ in
      gridCase.resolution = resolution
      gridCase.resolveTime = .init(date: time)
      gridCase.resolvedLevel = gridCase.handler.level
    }
  }

  /// Evaluating (评价): the reporter rates the handling 1 to 5 with a comment. Throws
  /// INVALID_ARGUMENT naming `satisfaction` or `comment`.
  public static func evaluate(satisfaction: Int32, comment: String, at time: Date) throws(DomainError) -> CaseStep {
    try checkSatisfaction(satisfaction)
    let comment = try FieldValidation.optionalText(comment, field: "comment", maximumLength: 500)
    return CaseStep(status: .evaluated, event: .evaluated, note: comment) { gridCase, _ in
      gridCase.evaluation = .with {
        $0.satisfaction = satisfaction
        $0.comment = comment
        $0.evaluateTime = .init(date: time)
      }
    }
  }

  /// Closing (结案) a resolved or evaluated case.
  public static func close(note: String, at time: Date) throws(DomainError) -> CaseStep {
    CaseStep(status: .closed, event: .closed, note: try FieldValidation.optionalText(note, field: "note")) {
      gridCase, _ in gridCase.closeTime = .init(date: time)
    }
  }

  /// Rejecting a reported case (out of scope, a duplicate, a false report), with a reason.
  /// Throws INVALID_ARGUMENT naming `reason` when it is empty or over 500 characters.
  public static func reject(reason: String) throws(DomainError) -> CaseStep {
    let reason = try FieldValidation.requiredName(reason, field: "reason", maximumLength: 500)
    return CaseStep(status: .rejected, event: .rejected, note: reason) { gridCase, _ in gridCase.rejectReason = reason }
  }

  /// Reopening (重办): a dissatisfied reporter reopens a case within the policy's window after its
  /// resolution (`checkReopenWindow`, FAILED_PRECONDITION outside it). The case arrives again at
  /// its level, unassigned, with a fresh limit, not the one it closed under.
  public static func reopen(reason: String, at time: Date) throws(DomainError) -> CaseStep {
    let reason = try FieldValidation.requiredName(reason, field: "reason", maximumLength: 500)
    return CaseStep(status: .reopened, event: .reopened, note: reason) { gridCase, policy throws(DomainError) in
      try checkReopenWindow(gridCase, days: policy.reopenWindowDays, at: time)
      gridCase.reopenCount += 1
      gridCase.assigneeID = ""
      gridCase.deadline = deadline(
        arrivingAt: time,
        limit: DeadlinePolicies.limit(in: policy, level: gridCase.handler.level, priority: gridCase.priority))
    }
  }

  /// The rule "a step is taken only where the transition table allows it": `step` applied to
  /// `gridCase` under its division's `policy`; FAILED_PRECONDITION naming both states otherwise.
  public static func take(
    _ step: CaseStep, on gridCase: GridCase, policy: Governance_Grid_V1_DeadlinePolicy
  ) throws(DomainError) -> GridCase {
    try checkTransition(gridCase, to: step.status)
    var next = gridCase
    next.status = step.status
    try step.change(&next, policy)
    return next
  }
}
