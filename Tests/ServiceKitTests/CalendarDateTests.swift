import Foundation
import GovernanceAPI
import ServiceKit
import Testing

@Suite("Calendar dates in China Standard Time")
struct CalendarDateTests {
  /// What the zone database says the date in the city is at `time`.
  static func zoneDatabaseDate(at time: Date) -> (Int, Int, Int) {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = CalendarDate.timeZone
    let parts = calendar.dateComponents([.year, .month, .day], from: time)
    return (parts.year!, parts.month!, parts.day!)
  }

  @Test("the date in the city is the zone database's date in Asia/Shanghai, around midnight and leap days too")
  func dateInTheCity() {
    var instants: [TimeInterval] = [
      // Midnight in Beijing on 2024-02-29 and the seconds either side; the turn of 2000 and 2100.
      1_709_136_000, 1_709_135_999, 1_709_136_001, 946_656_000, 946_655_999, 4_102_416_000, 4_102_415_999,
      // Summer time in 1988 and before the zone's history: the calendar's way.
      580_000_000, -2_000_000_000, 0,
    ]
    var generator = SystemRandomNumberGenerator()
    for _ in 0..<2_000 {
      instants.append(TimeInterval(Int64.random(in: 694_224_000...4_200_000_000, using: &generator)))
    }
    for seconds in instants {
      let time = Date(timeIntervalSince1970: seconds)
      let date = CalendarDate.today(at: time)
      let expected = Self.zoneDatabaseDate(at: time)
      #expect((Int(date.year), Int(date.month), Int(date.day)) == expected, "at \(seconds)")
    }
  }

  @Test("a date is a real calendar day: 29 February only in leap years, centuries only every 400")
  func realCalendarDay() throws {
    func date(_ year: Int32, _ month: Int32, _ day: Int32) -> Governance_Common_V1_Date {
      .with {
        $0.year = year
        $0.month = month
        $0.day = day
      }
    }
    for valid in [date(2024, 2, 29), date(2000, 2, 29), date(2026, 12, 31), date(2026, 4, 30)] {
      try CalendarDate.validate(valid, field: "from_date")
    }
    for invalid in [
      date(2026, 2, 29), date(1900, 2, 29), date(2026, 4, 31), date(2026, 13, 1), date(2026, 0, 10), date(1899, 1, 1),
    ] {
      #expect(throws: DomainError.self) { try CalendarDate.validate(invalid, field: "from_date") }
    }
    do {
      try CalendarDate.validate(date(2026, 2, 30), field: "from_date")
      Issue.record("30 February accepted")
    } catch {
      #expect("\(error)".contains("from_date") && "\(error)".contains("2026-2-30"))
    }
  }

  @Test("dates are written YYYY-MM-DD, zero-padded, so that they sort as the calendar does")
  func isoForm() {
    #expect(
      CalendarDate.iso(
        .with {
          $0.year = 2026
          $0.month = 3
          $0.day = 7
        }) == "2026-03-07")
    #expect(
      CalendarDate.iso(
        .with {
          $0.year = 2026
          $0.month = 11
          $0.day = 26
        }) == "2026-11-26")
  }

  @Test("days since 1970 and the civil date convert both ways, as Foundation's Gregorian calendar counts them")
  func daysSinceEpochAndTheCivilDateConvertBothWays() {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(identifier: "UTC")!
    for days in stride(from: Int64(-800_000), through: 800_000, by: 997) {
      let civil = CalendarDate.civil(daysSinceEpoch: days)
      #expect(CalendarDate.daysSinceEpoch(year: civil.year, month: civil.month, day: civil.day) == days)
      let parts = calendar.dateComponents(
        [.year, .month, .day], from: Date(timeIntervalSince1970: Double(days) * 86_400))
      if days >= -141_427 {  // Foundation's Gregorian calendar from 15 October 1582 on
        #expect(
          Int64(parts.year!) == civil.year && Int64(parts.month!) == civil.month && Int64(parts.day!) == civil.day)
      }
    }
  }
}
