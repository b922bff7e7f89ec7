import Foundation
import GovernanceAPI
import ServiceKit
import SwiftProtobuf

/// How long each handling level has for a case of each priority, and the reporter's windows: a
/// built-in policy, which a district, street or community may replace for itself and below.
public enum DeadlinePolicies {
  public typealias Policy = Governance_Grid_V1_DeadlinePolicy

  static let levels: [Governance_Grid_V1_CaseLevel] = [.grid, .community, .street, .districtDepartment]
  static let priorities: [Governance_Grid_V1_CasePriority] = [.low, .normal, .high, .urgent]

  /// The built-in policy: urgent 2 hours, high 24, normal 72, low a week at the grid; twice that
  /// at the community, three times at the street and the department; reopen and evaluate within
  /// 7 days; an alarm is acknowledged within 60 seconds.
  public static func builtIn(for division: String) -> Policy {
    .with {
      $0.divisionCode = division
      $0.inherited = true
      $0.reopenWindowDays = Int32(CaseWorkflow.reopenWindowDays)
      $0.evaluationWindowDays = 7
      $0.alarmAckTimeout = .init(seconds: 60)
      $0.deadlines = levels.flatMap { level in
        priorities.map { priority in
          .with {
            $0.level = level
            $0.priority = priority
            $0.limit = .init(seconds: Int64(CaseWorkflow.deadlineHours(level: level, priority: priority)) * 3600)
          }
        }
      }
    }
  }

  /// The longest limit a policy may set, in seconds (90 days).
  public static let longestLimit: TimeInterval = 90 * 86_400

  /// The rule "a policy belongs to a district, street or community, gives each level and
  /// priority at most one limit between a minute and 90 days, and windows of 1 to 90 days".
  public static func validate(_ policy: Policy) throws(DomainError) -> Policy {
    let division = try DivisionCode(policy.divisionCode, field: "policy.division_code")
    guard [.district, .street, .community].contains(division.level) else {
      throw DomainError.invalidArgument(
        field: "policy.division_code", rule: "a district, street or community sets a policy, not a \(division.level)")
    }
    var seen: Set<[Int]> = []
    for (index, entry) in policy.deadlines.enumerated() {
      let field = "policy.deadlines[\(index)]"
      guard levels.contains(entry.level), priorities.contains(entry.priority) else {
        throw DomainError.invalidArgument(field: field, rule: "names a handling level and a priority")
      }
      guard seen.insert([entry.level.rawValue, entry.priority.rawValue]).inserted else {
        throw DomainError.invalidArgument(field: field, rule: "repeats \(entry.level) \(entry.priority)")
      }
      guard (60...Int64(longestLimit)).contains(entry.limit.seconds) else {
        throw DomainError.invalidArgument(field: "\(field).limit", rule: "from 1 minute to 90 days")
      }
    }
    for (value, field) in [
      (policy.reopenWindowDays, "policy.reopen_window_days"),
      (policy.evaluationWindowDays, "policy.evaluation_window_days"),
    ] {
      guard (1...90).contains(value) else {
        throw DomainError.invalidArgument(field: field, rule: "from 1 to 90 days, got \(value)")
      }
    }
    var validated = policy
    validated.inherited = false
    return validated
  }

  /// The limit `policy` gives a level and priority, falling back to the built-in one.
  public static func limit(
    in policy: Policy, level: Governance_Grid_V1_CaseLevel, priority: Governance_Grid_V1_CasePriority
  ) -> TimeInterval {
    if let entry = policy.deadlines.first(where: { $0.level == level && $0.priority == priority }) {
      return TimeInterval(entry.limit.seconds)
    }
    return TimeInterval(CaseWorkflow.deadlineHours(level: level, priority: priority) * 3600)
  }
}
