import Foundation
import GovernanceAPI

/// What the grid service tells the world of its cases, through its outbox (`Outbox`): which
/// lines of a case's history are announced, under what kind, and when a case's handler is
/// reminded of its deadline.
public enum CaseNotices {
  /// The rule "a case's handler is warned once 80% of the time allowed at its level has passed":
  /// the share of the level's limit (DeadlinePolicies) after which the warning goes out. The
  /// seeds set the limits, not the warning; 80% leaves a fifth of the time (a day of a 5-day
  /// limit, about 5 hours of a day) to act, as the city's 12345 hot line warns its departments.
  public static let warningShare = 0.8

  /// When the warning for a case with `deadline` and a level limit of `limit` seconds goes out.
  public static func warningTime(deadline: Date, limit: TimeInterval) -> Date {
    deadline.addingTimeInterval(-limit * (1 - warningShare))
  }

  /// The outbox kind of a line of a case's history, `case.<what>`: `case.reported`,
  /// `case.assigned`, `case.escalated`, …; nil for lines nobody outside needs (archived cases
  /// imported in bulk, a field corrected).
  public static func kind(of event: Governance_Grid_V1_CaseEventKind) -> String? {
    switch event {
    case .reported: "case.reported"
    case .accepted: "case.accepted"
    case .assigned: "case.assigned"
    case .started: "case.started"
    case .resolved: "case.resolved"
    case .evaluated: "case.evaluated"
    case .closed: "case.closed"
    case .rejected: "case.rejected"
    case .reopened: "case.reopened"
    case .escalated: "case.escalated"
    case .transferred: "case.transferred"
    case .reassigned: "case.reassigned"
    case .acknowledged: "case.acknowledged"
    case .noted: "case.noted"
    case .duplicateIntake: "case.duplicate_intake"
    case .unspecified, .imported, .updated, .UNRECOGNIZED: nil
    }
  }

  /// Reminders and digests, which no line of history announces.
  public static let deadlineApproaching = "case.deadline_approaching"
  public static let overdue = "case.overdue"
  public static let dailyDigest = "digest.daily"

  /// The rule "an escalation reaches the secretary of the community (or the street) it arrives
  /// at": the division whose officials hear of an escalation to `unit`.
  public static func escalationAudience(_ unit: Governance_Grid_V1_HandlingUnit, caseDivision: String) -> String {
    unit.unitCode.isEmpty ? caseDivision : unit.unitCode
  }
}
