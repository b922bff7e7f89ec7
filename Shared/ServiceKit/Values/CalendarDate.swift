import Foundation
import GovernanceAPI

/// Calendar dates as the city reads them: in China Standard Time (UTC+8, no daylight saving).
///
/// Dates are worked out by arithmetic rather than through Foundation's `Calendar`: every stored
/// case, score and shift dates itself, and a calendar made per call cost more than the insert it
/// served. The zone database's `Asia/Shanghai` agrees with UTC+8 from 1992 on (China kept summer
/// time from 1986 to 1991); earlier instants still go through the calendar.
public enum CalendarDate {
  public static let timeZone = TimeZone(identifier: "Asia/Shanghai")!

  /// From this instant (1992-01-01 UTC) on, the city's clock is UTC+8 all year round.
  static let fixedOffsetSince: TimeInterval = 694_224_000
  static let offset: Int64 = 8 * 3600

  /// The date in the city at the instant `time`.
  public static func today(at time: Date) -> Governance_Common_V1_Date {
    let seconds = time.timeIntervalSince1970
    guard seconds >= fixedOffsetSince, seconds < 1e12 else { return calendarDate(at: time) }
    let days = (Int64(seconds.rounded(.down)) + offset) / 86_400
    let (year, month, day) = civil(daysSinceEpoch: days)
    return .with {
      $0.year = Int32(year)
      $0.month = Int32(month)
      $0.day = Int32(day)
    }
  }

  /// The Gregorian year, month and day of a count of days since 1970-01-01, counted in 400-year
  /// cycles from a year that starts in March (so that the leap day falls at a cycle's end).
  public static func civil(daysSinceEpoch days: Int64) -> (year: Int64, month: Int64, day: Int64) {
    let shifted = days + 719_468  // days from 0000-03-01 to 1970-01-01
    let cycle = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
    let dayOfCycle = shifted - cycle * 146_097
    let yearOfCycle = (dayOfCycle - dayOfCycle / 1460 + dayOfCycle / 36_524 - dayOfCycle / 146_096) / 365
    let dayOfYear = dayOfCycle - (365 * yearOfCycle + yearOfCycle / 4 - yearOfCycle / 100)
    let marchMonth = (5 * dayOfYear + 2) / 153
    let day = dayOfYear - (153 * marchMonth + 2) / 5 + 1
    let month = marchMonth < 10 ? marchMonth + 3 : marchMonth - 9
    return (yearOfCycle + cycle * 400 + (month <= 2 ? 1 : 0), month, day)
  }

  /// Days from 1970-01-01 to a Gregorian date, counted in the same 400-year cycles from a year
  /// that starts in March (the inverse of `civil`).
  public static func daysSinceEpoch(year: Int64, month: Int64, day: Int64) -> Int64 {
    let shiftedYear = month <= 2 ? year - 1 : year
    let cycle = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
    let yearOfCycle = shiftedYear - cycle * 400
    let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
    let dayOfCycle = yearOfCycle * 365 + yearOfCycle / 4 - yearOfCycle / 100 + dayOfYear
    return cycle * 146_097 + dayOfCycle - 719_468
  }

  static func calendarDate(at time: Date) -> Governance_Common_V1_Date {
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
    "\(padded(date.year, 4))-\(padded(date.month, 2))-\(padded(date.day, 2))"
  }

  /// `value`'s digits with zeros before them up to `width`.
  static func padded(_ value: some BinaryInteger, _ width: Int) -> String {
    let digits = String(value)
    return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
  }

  /// The rule "a date is a real calendar day": INVALID_ARGUMENT naming `field` otherwise.
  public static func validate(_ date: Governance_Common_V1_Date, field: String) throws(DomainError) {
    guard (1900...2200).contains(date.year), (1...12).contains(date.month),
      (1...daysIn(month: date.month, of: date.year)).contains(date.day)
    else {
      throw DomainError.invalidArgument(
        field: field, rule: "\(date.year)-\(date.month)-\(date.day) is not a calendar date")
    }
  }

  /// Days in a month of the Gregorian calendar: February has 29 in years divisible by 4, except
  /// centuries not divisible by 400.
  public static func daysIn(month: Int32, of year: Int32) -> Int32 {
    switch month {
    case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
    case 4, 6, 9, 11: 30
    default: 31
    }
  }
}
