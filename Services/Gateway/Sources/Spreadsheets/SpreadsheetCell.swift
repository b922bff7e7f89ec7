import Foundation

/// One cell's value, as the spreadsheet writers take it and the reader gives it.
///
/// Dates are calendar days (`date`) or instants (`dateTime`); both are shown in the city's time,
/// Asia/Shanghai (UTC+8, no daylight saving), as the console shows them.
enum SpreadsheetCell: Sendable, Equatable {
  /// No value: written as nothing, read for a missing cell, an empty string or an empty CSV field.
  case empty
  /// Text, at most 32,767 UTF-16 code units in an XLSX cell (Excel's limit; the writer cuts it).
  case text(String)
  /// A whole number. Excel keeps 15 significant digits, so the XLSX writer writes one of more
  /// than 15 digits as text (an identifier, not a quantity) rather than let Excel round it.
  case integer(Int64)
  /// A number with a fraction; written with the fewest digits that read back as the same
  /// `Double`. NaN and the infinities have no spreadsheet form: XLSX writes `#NUM!`, CSV nothing.
  case decimal(Double)
  /// A calendar day: in XLSX a real date cell (a serial number styled `yyyy-mm-dd`), in CSV
  /// `2026-11-30`. A day before 1900-01-01, which Excel cannot hold, is written as that text.
  case date(year: Int, month: Int, day: Int)
  /// An instant, shown in UTC+8: in XLSX a date-time cell (styled `yyyy-mm-dd hh:mm`, the value
  /// keeping its seconds), in CSV `2026-11-30 08:05`.
  case dateTime(Date)
  /// A cell holding a formula, its text without the `=` (`SUM(B2:B9)`), whatever value Excel
  /// cached for it: only ever read, so an importer can refuse it. The writers write it as the
  /// plain text `=SUM(B2:B9)`, never as a formula.
  case formula(String)
}

/// Day arithmetic shared by the readers and writers: days since 1970-01-01 in the proleptic
/// Gregorian calendar, Excel's serial numbers (ECMA-376 Part 1, §18.17.4 "Dates and Times") and
/// the text forms in UTC+8.
///
/// Excel counts days from 1900-01-01 = 1 and, to stay compatible with Lotus 1-2-3, holds the
/// fictional 1900-02-29 as serial 60, so serials from 61 (1900-03-01) on are one more than the
/// true day count; the 1904 date system (Excel for Mac before 2011) counts from 1904-01-01 = 0
/// without that bug. Hand-written arithmetic rather than `Calendar`, because a million cells
/// each go through it and the rule is fixed.
enum SpreadsheetCalendar {
  /// Seconds the city's clock is ahead of UTC: Asia/Shanghai, UTC+8 all year.
  static let cityOffset = 8 * 3600
  /// Excel's 1900-system serial of 1970-01-01.
  static let serialOf1970 = 25_569
  /// Days from 1904-01-01 (the 1904 system's serial 0) to 1970-01-01.
  static let daysFrom1904To1970 = 24_107
  /// The largest serial Excel shows as a date: 9999-12-31.
  static let largestSerial = 2_958_465.0

  /// Days since 1970-01-01 of a day (H. Hinnant's `days_from_civil`); nil for a month outside
  /// 1...12 or a day outside the month.
  static func days(year: Int, month: Int, day: Int) -> Int? {
    guard (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year) else { return nil }
    let y = month <= 2 ? year - 1 : year
    let era = (y >= 0 ? y : y - 399) / 400
    let yearOfEra = y - era * 400
    let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
    let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
    return era * 146_097 + dayOfEra - 719_468
  }

  /// The day `days` after 1970-01-01 (H. Hinnant's `civil_from_days`).
  static func civil(days: Int) -> (year: Int, month: Int, day: Int) {
    let z = days + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let dayOfEra = z - era * 146_097
    let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
    let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
    let shifted = (5 * dayOfYear + 2) / 153
    let day = dayOfYear - (153 * shifted + 2) / 5 + 1
    let month = shifted < 10 ? shifted + 3 : shifted - 9
    return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
  }

  /// The number of days in `month` of `year`.
  static func daysIn(month: Int, year: Int) -> Int {
    switch month {
    case 2: return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
    case 4, 6, 9, 11: return 30
    default: return 31
    }
  }

  /// The 1900-system serial of the day `days` after 1970-01-01; nil before 1900-01-01, which
  /// Excel cannot hold.
  static func serial(days: Int) -> Int? {
    let serial = days + serialOf1970
    // From 1900-03-01 (serial 61) on, the fictional 1900-02-29 sits in the count.
    if serial >= 61 { return serial }
    return serial - 1 >= 1 ? serial - 1 : nil
  }

  /// The 1900-system serial of an instant in the city's time: whole days plus the fraction of
  /// the day; nil before 1900-01-01.
  static func serial(of date: Date) -> Double? {
    let local = date.timeIntervalSince1970 + Double(cityOffset)
    let days = (local / 86_400).rounded(.down)
    guard let serial = serial(days: Int(days)) else { return nil }
    return Double(serial) + (local - days * 86_400) / 86_400
  }

  /// The cell a date-styled number stands for: `.date` for a whole day, `.dateTime` (the
  /// wall-clock time in UTC+8, rounded to the millisecond) when it has a time of day. Serial 60
  /// of the 1900 system is Excel's fictional 1900-02-29 and comes back as that (invalid) day, so
  /// the importer reports what the user sees; serial 0 is the day before 1900-01-01 (Excel shows
  /// "1900-01-00"), which a time-only cell (`hh:mm`) uses. A negative serial or one after
  /// 9999-12-31 is no date in Excel either and stays `.decimal`.
  static func cell(serial value: Double, date1904: Bool) -> SpreadsheetCell {
    guard value >= 0, value < largestSerial + 1 else { return .decimal(value) }
    var whole = Int(value.rounded(.down))
    var milliseconds = Int(((value - Double(whole)) * 86_400_000).rounded())
    if milliseconds >= 86_400_000 {
      whole += 1
      milliseconds -= 86_400_000
    }
    let days: Int
    if date1904 {
      days = whole - daysFrom1904To1970
    } else if whole == 60 {
      return .date(year: 1900, month: 2, day: 29)
    } else {
      days = whole >= 61 ? whole - serialOf1970 : whole - serialOf1970 + 1
    }
    guard milliseconds > 0 else {
      let day = civil(days: days)
      return .date(year: day.year, month: day.month, day: day.day)
    }
    let seconds = Double(days * 86_400 - cityOffset) + Double(milliseconds) / 1000
    return .dateTime(Date(timeIntervalSince1970: seconds))
  }

  /// `2026-11-30`: ISO 8601's calendar date, what the console and the CSV writer show.
  static func text(year: Int, month: Int, day: Int) -> String {
    "\(padded(year, 4))-\(padded(month, 2))-\(padded(day, 2))"
  }

  /// `2026-11-30 08:05`: an instant in UTC+8 to the minute, seconds cut as Excel's `hh:mm`
  /// cuts them.
  static func text(_ date: Date) -> String {
    let local = Int((date.timeIntervalSince1970 + Double(cityOffset)).rounded(.down))
    let days = local >= 0 ? local / 86_400 : (local - 86_399) / 86_400
    let seconds = local - days * 86_400
    let day = civil(days: days)
    return text(year: day.year, month: day.month, day: day.day)
      + " \(padded(seconds / 3600, 2)):\(padded(seconds % 3600 / 60, 2))"
  }

  /// `value` in decimal, zero-padded to `width` digits.
  static func padded(_ value: Int, _ width: Int) -> String {
    let digits = String(abs(value))
    return (value < 0 ? "-" : "") + String(repeating: "0", count: max(0, width - digits.count)) + digits
  }
}
