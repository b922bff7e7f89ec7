import GovernanceAPI
import ServiceKit

/// What a resident (居民) may do with cases from the public page, where they are known only by a
/// phone number proved with a one-time code: report for themselves (居民上报), add photos while the
/// report waits, and evaluate (评价) or reopen (重办) what they reported, nothing else. Staff
/// calls pass through unchanged.
public enum ResidentReports {
  /// The rule "a resident's report is their own": a case a resident reports has source
  /// RESIDENT and carries the resident's principal in `reporter_principal_id`, which EvaluateCase
  /// and ReopenCase check; on any other caller's case that field is empty, since only the
  /// reporter's own sign-in may set it.
  /// - Throws: `DomainError.invalidArgument` naming `grid_case.source` when a resident reports
  ///   under another source (a patrol finding, a city-platform case).
  public static func stamp(_ gridCase: CaseWorkflow.GridCase, by principal: Principal) throws(DomainError)
    -> CaseWorkflow.GridCase
  {
    var stamped = gridCase
    guard principal.service == nil, principal.role == .resident else {
      stamped.reporterPrincipalID = ""
      return stamped
    }
    guard gridCase.source == .resident || gridCase.source == .unspecified else {
      throw DomainError.invalidArgument(
        field: "grid_case.source", rule: "a resident's own report has source RESIDENT, got \(gridCase.source)")
    }
    stamped.source = .resident
    stamped.reporterPrincipalID = principal.subject
    return stamped
  }

  /// The rule "a resident acts only on the case they reported": evaluating, reopening or adding a
  /// photo to another resident's case (or a patrol's, or the city platform's) is refused.
  /// - Throws: `DomainError.permissionDenied` naming the case and the caller.
  public static func checkReporter(_ gridCase: CaseWorkflow.GridCase, by principal: Principal) throws(DomainError) {
    guard principal.service == nil, principal.role == .resident else { return }
    guard !gridCase.reporterPrincipalID.isEmpty, gridCase.reporterPrincipalID == principal.subject else {
      throw DomainError.permissionDenied(
        reason:
          "case \(gridCase.caseNumber) was not reported by \(principal.subject); a resident acts only on their own")
    }
  }

  /// The rule "a resident's photos come with the report": a resident adds files to their own case
  /// only while it is REPORTED, before anyone has taken it up; after that, what they have to add is
  /// a reopening's reason.
  /// - Throws: `DomainError.permissionDenied` (not theirs) or `DomainError.failedPrecondition`
  ///   (the case has moved on).
  public static func checkPhoto(_ gridCase: CaseWorkflow.GridCase, by principal: Principal) throws(DomainError) {
    guard principal.service == nil, principal.role == .resident else { return }
    try checkReporter(gridCase, by: principal)
    guard gridCase.status == .reported else {
      throw DomainError.failedPrecondition(
        rule: "a resident adds photos to their report while it is REPORTED",
        detail: "case \(gridCase.caseNumber) is \(gridCase.status)")
    }
  }
}
