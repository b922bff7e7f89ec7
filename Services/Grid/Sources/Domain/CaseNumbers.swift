import Foundation
import ServiceKit

/// The case number (案件编号) people read, say and search in place of a case's id: the report date
/// in the city's calendar and the day's sequence, "YYYYMMDD-NNNNN" (e.g. "20261130-00007").
/// Five digits hold a whole city's day (Nanjing's 1,000,000 cases a year are about 2,700 a day),
/// and the fixed width makes the numbers sort as they were given.
public enum CaseNumbers {
  /// The widest day the numbers hold.
  public static let maximumSequence = 99_999

  /// The date part of a number: the report date in the city's calendar, "YYYYMMDD".
  public static func day(reportedAt reportTime: Date) -> String {
    // Filtered in Swift: an archive's million cases each take a number, and Foundation's
    // `replacingOccurrences` was a twentieth of the import's time.
    String(CalendarDate.iso(CalendarDate.today(at: reportTime)).filter { $0 != "-" })
  }

  /// The number of the `sequence`-th case (from 1) reported on `day` ("YYYYMMDD").
  /// Throws FAILED_PRECONDITION past `maximumSequence` cases in a day.
  public static func number(day: String, sequence: Int) throws(DomainError) -> String {
    guard sequence <= maximumSequence else {
      throw DomainError.failedPrecondition(
        rule: "a day holds at most \(maximumSequence) case numbers", detail: "\(day) is full")
    }
    let digits = String(sequence)
    return "\(day)-\(String(repeating: "0", count: max(0, 5 - digits.count)))\(digits)"
  }

  /// The sequence in a number made by `number(day:sequence:)`, or nil for anything else.
  public static func sequence(of number: String) -> Int? {
    let parts = number.split(separator: "-", omittingEmptySubsequences: false)
    guard parts.count == 2, parts[0].count == 8, parts[1].count == 5 else { return nil }
    return Int(parts[1])
  }

  /// Checks a ListCases `case_number` query: digits and at most one '-', as a number or its
  /// leading part is written, at most 14 characters. Throws INVALID_ARGUMENT naming `case_number`.
  public static func validateQuery(_ query: String) throws(DomainError) {
    let dashes = query.filter { $0 == "-" }.count
    guard query.count <= 14, dashes <= 1, query.allSatisfy({ $0 == "-" || ("0"..."9").contains($0) }) else {
      throw DomainError.invalidArgument(
        field: "case_number", rule: "a case number such as 20261130-00007 or its leading part, got '\(query)'")
    }
  }
}
