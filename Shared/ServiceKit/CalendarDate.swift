import Foundation
import GovernanceAPI

/// Calendar dates as the city reads them: in China Standard Time (UTC+8, no daylight saving).
public enum CalendarDate {
  public static let timeZone = TimeZone(identifier: "Asia/Shanghai")!

  /// The date in the city at the instant `time`.
  public static func today(at time: Date) -> Governance_Common_V1_Date {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = timeZone
    let parts = calendar.dateComponents([.year, .month, .day], from: time)
    return .with {
      $0.year = Int32(parts.year!)
      $0.month = Int32(parts.month!)
      $0.day = Int32(parts.day!)
    }
  }

  /// The date as `YYYY-MM-DD`, which sorts as the calendar does: the form dates take in columns
  /// that are compared.
  public static func iso(_ date: Governance_Common_V1_Date) -> String {
    String(format: "%04d-%02d-%02d", date.year, date.month, date.day)
  }

  /// The rule "a date is a real calendar day": INVALID_ARGUMENT naming `field` otherwise.
  public static func validate(_ date: Governance_Common_V1_Date, field: String) throws(DomainError) {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = timeZone
    let components = DateComponents(year: Int(date.year), month: Int(date.month), day: Int(date.day))
    guard (1900...2200).contains(date.year), components.isValidDate(in: calendar) else {
      throw DomainError.invalidArgument(
        field: field, rule: "\(date.year)-\(date.month)-\(date.day) is not a calendar date")
    }
  }
}
