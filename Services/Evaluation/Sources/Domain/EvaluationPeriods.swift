import Foundation
import GovernanceAPI
import ServiceKit

/// Monthly and quarterly evaluation periods (考评周期).
public enum EvaluationPeriods {
  public typealias Period = Governance_Evaluation_V1_EvaluationPeriod

  /// The rule "a period is a month 1-12 or a quarter 1-4 of a year, run by a division": validates
  /// a new period and fills its label and calendar span, OPEN.
  public static func validateNew(_ period: Period) throws(DomainError) -> Period {
    var validated = period
    _ = try DivisionCode(period.divisionCode, field: "period.division_code")
    validated.kind = try FieldValidation.requiredCase(
      period.kind, field: "period.kind", unspecified: .unspecified, known: [.monthly, .quarterly])
    guard (2000...2100).contains(period.year) else {
      throw DomainError.invalidArgument(field: "period.year", rule: "from 2000 to 2100, got \(period.year)")
    }
    let last: Int32 = validated.kind == .monthly ? 12 : 4
    guard (1...last).contains(period.number) else {
      throw DomainError.invalidArgument(
        field: "period.number",
        rule: "a \(validated.kind == .monthly ? "month 1 to 12" : "quarter 1 to 4"), got \(period.number)")
    }
    let (first, final) = months(of: validated)
    validated.label =
      validated.kind == .monthly
      ? String(format: "%04d-%02d", period.year, period.number) : "\(period.year)Q\(period.number)"
    validated.startDate = .with {
      $0.year = period.year
      $0.month = first
      $0.day = 1
    }
    validated.endDate = .with {
      $0.year = period.year
      $0.month = final
      $0.day = daysIn(month: final, year: period.year)
    }
    validated.state = .open
    return validated
  }

  /// The first and last month a period covers.
  public static func months(of period: Period) -> (first: Int32, last: Int32) {
    period.kind == .monthly ? (period.number, period.number) : (period.number * 3 - 2, period.number * 3)
  }

  static func daysIn(month: Int32, year: Int32) -> Int32 {
    switch month {
    case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
    case 4, 6, 9, 11: 30
    default: 31
    }
  }

  /// The rule "input is taken while a period is open".
  public static func checkOpen(_ period: Period) throws(DomainError) {
    guard period.state == .open else {
      throw DomainError.failedPrecondition(
        rule: "scores, surveys and evaluations are taken while the period is open",
        detail: "period \(period.label) is \(period.state)")
    }
  }
}

extension EvaluationPeriods {
  /// The rule "composites are computed for a closed, unpublished quarter": FAILED_PRECONDITION
  /// for a monthly period or one not closed.
  public static func checkComputable(_ period: Period) throws(DomainError) {
    guard period.kind == .quarterly else {
      throw DomainError.failedPrecondition(
        rule: "composites are computed for a quarter", detail: "\(period.label) is monthly")
    }
    guard period.state == .closed else {
      throw DomainError.failedPrecondition(
        rule: "composites are computed for a closed, unpublished quarter", detail: "\(period.label) is \(period.state)")
    }
  }

  /// The rule "a quarter is published after its composites are computed" (`composites`, how many).
  public static func checkPublishable(_ period: Period, composites: Int) throws(DomainError) {
    guard composites > 0 else {
      throw DomainError.failedPrecondition(
        rule: "a quarter is published after its composites are computed", detail: "\(period.label) has none")
    }
  }

  /// The rule "a period is closed once, while open".
  public static func checkClose(_ period: Period) throws(DomainError) {
    guard period.state == .open else {
      throw DomainError.failedPrecondition(
        rule: "a period is closed once, while open", detail: "\(period.label) is \(period.state)")
    }
  }

  /// The rule "a published period never changes".
  public static func checkUnpublished(_ period: Period) throws(DomainError) {
    guard period.state != .published else {
      throw DomainError.failedPrecondition(
        rule: "a published period never changes", detail: "\(period.label) is published")
    }
  }
}
