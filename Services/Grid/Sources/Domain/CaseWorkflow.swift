import Foundation
import GovernanceAPI
import ServiceKit
import SwiftProtobuf

/// The life of a case (事件/诉求) from report to close, and the deadlines it runs against.
public enum CaseWorkflow {
  public typealias Status = Governance_Grid_V1_CaseStatus
  public typealias GridCase = Governance_Grid_V1_Case

  /// Every allowed transition, in one place. Escalation and transfer are events, not states.
  public static let transitions: [Status: Set<Status>] = [
    .reported: [.accepted, .rejected],
    .reopened: [.accepted],
    .accepted: [.assigned],
    .assigned: [.assigned, .inProgress],
    .inProgress: [.resolved],
    .resolved: [.evaluated, .closed, .reopened],
    .evaluated: [.closed, .reopened],
    .closed: [.reopened],
  ]

  /// Days after resolution within which a dissatisfied reporter may reopen a case.
  public static let reopenWindowDays = 7

  /// The rule "a case moves only along the table": FAILED_PRECONDITION naming both states.
  public static func checkTransition(_ gridCase: GridCase, to next: Status) throws(DomainError) {
    guard transitions[gridCase.status]?.contains(next) == true else {
      throw DomainError.failedPrecondition(
        rule: "a case moves along reported → accepted → assigned → in progress → resolved → evaluated → closed",
        detail: "case \(gridCase.id) is \(gridCase.status), cannot become \(next)")
    }
  }

  /// The rule "a case is reported with a source, a category, a title and a place in a grid or
  /// community": validates a new case, which starts REPORTED at the level of its place.
  public static func validateNew(_ gridCase: GridCase, at time: Date) throws(DomainError) -> GridCase {
    var validated = gridCase
    validated.source = try FieldValidation.requiredCase(
      gridCase.source, field: "grid_case.source", unspecified: .unspecified,
      known: Governance_Grid_V1_CaseSource.allCases.filter { $0 != .unspecified })
    validated.category = try FieldValidation.requiredName(gridCase.category, field: "grid_case.category", maximumLength: 50)
    validated.title = try FieldValidation.requiredName(gridCase.title, field: "grid_case.title")
    validated.details = try FieldValidation.optionalText(gridCase.details, field: "grid_case.details")
    validated.priority = gridCase.priority == .unspecified ? .normal : gridCase.priority
    let place: DivisionCode
    if !gridCase.location.gridCode.isEmpty {
      place = try DivisionCode(gridCase.location.gridCode, field: "grid_case.location.grid_code")
      guard place.level == .grid || place.level == .microGrid else {
        throw DomainError.invalidArgument(field: "grid_case.location.grid_code", rule: "names a grid, got a \(place.level)")
      }
    } else {
      place = try DivisionCode(gridCase.divisionCode, field: "grid_case.division_code")
      guard place.level == .community else {
        throw DomainError.invalidArgument(
          field: "grid_case.division_code", rule: "a case without a grid names its community, got a \(place.level)")
      }
    }
    validated.divisionCode = String(place.code.prefix(12))
    validated.handler = .with {
      $0.level = place.level == .community ? .community : .grid
      $0.unitCode = place.level == .microGrid ? String(place.code.prefix(15)) : place.code
    }
    validated.status = .reported
    validated.assigneeID = ""
    validated.reportTime = Google_Protobuf_Timestamp(date: time)
    validated.escalationCount = 0
    validated.reopenCount = 0
    return validated
  }

  /// Hours a handling level has for a case of a priority, before it escalates: the built-in
  /// policy, a division may set its own.
  public static func deadlineHours(level: Governance_Grid_V1_CaseLevel, priority: Governance_Grid_V1_CasePriority) -> Int {
    let base: Int
    switch priority {
    case .urgent: base = 2
    case .high: base = 24
    case .low: base = 168
    default: base = 72
    }
    switch level {
    case .community: return base * 2
    case .street, .districtDepartment: return base * 3
    default: return base
    }
  }

  /// The rule "a reporter rates 1 to 5".
  public static func checkSatisfaction(_ satisfaction: Int32) throws(DomainError) {
    guard (1...5).contains(satisfaction) else {
      throw DomainError.invalidArgument(field: "satisfaction", rule: "from 1 to 5, got \(satisfaction)")
    }
  }

  /// The rule "a case is reopened within the window after its resolution".
  public static func checkReopenWindow(_ gridCase: GridCase, at time: Date) throws(DomainError) {
    let resolved = gridCase.resolveTime.date
    guard time.timeIntervalSince(resolved) <= Double(reopenWindowDays) * 86_400 else {
      throw DomainError.failedPrecondition(
        rule: "a case is reopened within \(reopenWindowDays) days of its resolution",
        detail: "case \(gridCase.id) was resolved more than \(reopenWindowDays) days ago")
    }
  }
}
