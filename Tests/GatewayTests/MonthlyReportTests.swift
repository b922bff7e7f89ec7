import Foundation
import GovernanceAPI
import ServiceKit
import Testing

@testable import Gateway

@Suite("The monthly report's rules")
struct MonthlyReportTests {
  func day(_ year: Int32, _ month: Int32, _ day: Int32) -> Governance_Common_V1_Date {
    .with {
      $0.year = year
      $0.month = month
      $0.day = day
    }
  }

  @Test("a period is YYYY-MM or YYYY-Qn, from its first to its last day, beside the period before")
  func aPeriodIsAMonthOrAQuarterBesideThePeriodBefore() throws {
    let november = try #require(ReportPeriod.parse("2026-11"))
    #expect(november == ReportPeriod(kind: .month, year: 2026, number: 11))
    #expect(november.label == "2026-11")
    #expect(november.title == "2026年11月")
    #expect(november.firstDay == day(2026, 11, 1))
    #expect(november.lastDay == day(2026, 11, 30))
    #expect(november.previous == ReportPeriod(kind: .month, year: 2026, number: 10))

    let fourth = try #require(ReportPeriod.parse("2026-Q4"))
    #expect(fourth == ReportPeriod(kind: .quarter, year: 2026, number: 4))
    #expect(fourth.label == "2026-Q4")
    #expect(fourth.title == "2026年第4季度")
    #expect(fourth.firstDay == day(2026, 10, 1))
    #expect(fourth.lastDay == day(2026, 12, 31))
    #expect(fourth.previous.label == "2026-Q3")
    #expect(fourth.previous.firstDay == day(2026, 7, 1))
    #expect(fourth.previous.lastDay == day(2026, 9, 30))
    #expect(ReportPeriod.parse("2026-q2") == ReportPeriod(kind: .quarter, year: 2026, number: 2))

    // The period before the first of a year is the last of the year before.
    #expect(ReportPeriod.parse("2026-01")?.previous.label == "2025-12")
    #expect(ReportPeriod.parse("2026-Q1")?.previous.label == "2025-Q4")
    #expect(ReportPeriod.parse("2026-Q1")?.previous.firstDay == day(2025, 10, 1))

    // A month's last day, leap years as the Gregorian calendar has them.
    #expect(ReportPeriod.parse("2028-02")?.lastDay == day(2028, 2, 29))
    #expect(ReportPeriod.parse("2026-02")?.lastDay == day(2026, 2, 28))
    #expect(ReportPeriod.parse("2100-02")?.lastDay == day(2100, 2, 28))
    #expect(ReportPeriod.parse("2000-02")?.lastDay == day(2000, 2, 29))
    #expect(ReportPeriod.parse("2026-03")?.previous.lastDay == day(2026, 2, 28))
    #expect(ReportPeriod.parse("2024-Q1")?.lastDay == day(2024, 3, 31))
    #expect(ReportPeriod.parse("2026-Q2")?.lastDay == day(2026, 6, 30))

    // Anything else is no period.
    for text in [
      "", "2026", "2026-13", "2026-00", "2026-1", "2026-Q0", "2026-Q5", "2026-Q", "26-11", " 2026-11", "2026-11 ",
      "2026/11", "2026-11-01", "0999-11", "２０２６-11", "2026-H2",
    ] {
      #expect(ReportPeriod.parse(text) == nil, "\(text) is no period")
    }
  }

  @Test("a period is reported once it has begun, and runs while today is within it")
  func aPeriodIsReportedOnceItHasBegun() throws {
    let november = try #require(ReportPeriod.parse("2026-11"))
    let fourth = try #require(ReportPeriod.parse("2026-Q4"))
    let december = try #require(ReportPeriod.parse("2026-12"))
    let today = day(2026, 12, 1)
    #expect(november.hasBegun(by: today) && !november.isUnderWay(on: today))
    #expect(fourth.hasBegun(by: today) && fourth.isUnderWay(on: today))
    #expect(december.hasBegun(by: today) && december.isUnderWay(on: today))
    #expect(!ReportPeriod.parse("2027-01")!.hasBegun(by: today))
    #expect(!ReportPeriod.parse("2027-Q1")!.hasBegun(by: today))
    #expect(november.contains(day(2026, 11, 30)) && !november.contains(day(2026, 12, 1)))
  }

  @Test("a period ends at midnight after its last day in the city's calendar")
  func aPeriodEndsAtMidnightInTheCity() throws {
    let november = try #require(ReportPeriod.parse("2026-11"))
    // 2026-12-01 00:00 in Beijing is 2026-11-30 16:00 UTC.
    let end = MonthlyReportGatherer.endInstant(of: november)
    #expect(ISO8601DateFormatter().string(from: end) == "2026-11-30T16:00:00Z")
  }

  @Test("a report covers a district or a street the caller's jurisdiction holds")
  func aReportCoversADistrictOrAStreetInJurisdiction() {
    #expect(ReportDivision.parse("320102")?.prefix == "320102")
    #expect(ReportDivision.parse("320102001")?.prefix == "320102001")
    #expect(ReportDivision.parse("320102000000")?.prefix == "320102")
    #expect(ReportDivision.parse("320102001000")?.prefix == "320102001")
    #expect(ReportDivision.parse("320102001000")?.code == "320102001000")
    #expect(ReportDivision.parse("320102")?.level == "district")
    for text in [
      "", "3201", "320100", "320100000000", "320100001", "320102000", "320102001001", "320102001001001", "32010200100",
      "32010a", "320102 ", "000000000000",
    ] {
      #expect(ReportDivision.parse(text) == nil, "\(text) is no district or street")
    }
    let street = Principal(subject: "user:jiedao", role: .street, scope: "320102001")
    let district = Principal(subject: "user:quji", role: .district, scope: "320102")
    let city = Principal(subject: "user:admin", role: .cityAdministrator, scope: "3201")
    let streetReport = ReportDivision(prefix: "320102001")
    let districtReport = ReportDivision(prefix: "320102")
    #expect(streetReport.isHeld(by: street) && streetReport.isHeld(by: district) && streetReport.isHeld(by: city))
    #expect(!districtReport.isHeld(by: street) && districtReport.isHeld(by: district))
    #expect(!ReportDivision(prefix: "320102002").isHeld(by: street))
  }

  @Test("a report request names its parameter and rule when refused")
  func aRefusedRequestNamesItsParameter() throws {
    let street = Principal(subject: "user:jiedao", role: .street, scope: "320102001")
    let now = ISO8601DateFormatter().date(from: "2026-12-01T07:00:00Z")!
    func query(_ values: [String: String]) throws -> ReportController.Query {
      try ReportController.Query(parameters: { values[$0] }, principal: street, now: now)
    }
    let asked = try query(["division": "320102001", "period": "2026-11", "format": "xlsx"])
    #expect(asked.division.prefix == "320102001" && asked.period.label == "2026-11" && asked.format == .xlsx)
    #expect(try query(["division": "320102001", "period": "2026-Q4"]).format == .json)
    let refusals: [([String: String], String, String)] = [
      (["division": "320102001", "period": "2026-13"], "period: ", "invalid_argument"),
      (["division": "320102001"], "period: ", "invalid_argument"),
      (["division": "320102001", "period": "2027-01"], "period: ", "invalid_argument"),
      (["division": "320102001001", "period": "2026-11"], "division: ", "invalid_argument"),
      (["division": "320102002", "period": "2026-11"], "division: ", "permission_denied"),
      (["division": "320102", "period": "2026-11"], "division: ", "permission_denied"),
      (["division": "320102001", "period": "2026-11", "format": "pdf"], "format: ", "invalid_argument"),
    ]
    for (values, prefix, code) in refusals {
      do {
        _ = try query(values)
        Issue.record("\(values) was taken")
      } catch let error as ConnectError {
        #expect(error.message.hasPrefix(prefix), "\(values): \(error.message)")
        #expect(error.connect.name == code, "\(values): \(error.connect.name)")
      }
    }
  }

  @Test("the case figures are the statistics', the shares kept within a level summed upwards")
  func theCaseFiguresAreTheStatistics() {
    let totals = Governance_Grid_V1_CaseStatistics.with {
      $0.total = 65
      $0.bySource = [
        .with {
          $0.source = .resident
          $0.count = 47
        },
        .with {
          $0.source = .cityPlatform
          $0.count = 18
        },
      ]
      $0.resolvedByLevel = [
        .with {
          $0.level = .grid
          $0.resolved = 50
          $0.share = 50.0 / 65
        },
        .with {
          $0.level = .community
          $0.resolved = 13
          $0.share = 13.0 / 65
        },
        .with {
          $0.level = .street
          $0.resolved = 2
          $0.share = 2.0 / 65
        },
      ]
      $0.onTimeRate = 0.75
      $0.overdue = 16
      $0.evaluated = 44
      $0.meanSatisfaction = 4.25
      $0.satisfiedRate = 0.84
    }
    let figures = MonthlyReportGatherer.caseFigures(totals, escalated: 3)
    #expect(figures["cases.total"] == 65)
    #expect(figures["cases.source.resident"] == 47 && figures["cases.source.patrol"] == 0)
    #expect(figures["cases.resolved"] == 65)
    #expect(figures["cases.kept_grid"] == 50.0 / 65)
    #expect(figures["cases.kept_community"] == 50.0 / 65 + 13.0 / 65)
    #expect(figures["cases.kept_street"] == 50.0 / 65 + 13.0 / 65 + 2.0 / 65)
    #expect(figures["cases.on_time_rate"] == 0.75 && figures["cases.satisfied_rate"] == 0.84)
    #expect(figures["cases.overdue"] == 16 && figures["cases.escalated"] == 3)
    // Nothing resolved or evaluated: no share of nothing.
    let quiet = MonthlyReportGatherer.caseFigures(.with { $0.total = 2 }, escalated: 0)
    #expect(quiet["cases.kept_grid"] == nil && quiet["cases.on_time_rate"] == nil)
    #expect(quiet["cases.satisfied_rate"] == nil && quiet["cases.mean_satisfaction"] == nil)
    #expect(quiet["cases.resolved"] == 0 && quiet["cases.evaluated"] == 0)
  }

  @Test("a registration counts at a period's end while it is active that day")
  func aRegistrationCountsWhileActiveAtThePeriodsEnd() throws {
    func registration(_ registered: Governance_Common_V1_Date, ended: Governance_Common_V1_Date? = nil)
      -> Governance_Organisation_V1_CommunityRegistration
    {
      .with {
        $0.registeredDate = registered
        if let ended { $0.endedDate = ended }
      }
    }
    let registrations = [
      registration(day(2026, 9, 30)), registration(day(2026, 10, 31)), registration(day(2026, 11, 1)),
      registration(day(2026, 8, 1), ended: day(2026, 10, 31)), registration(day(2026, 8, 1), ended: day(2026, 11, 1)),
      registration(day(2026, 12, 1)),
    ]
    let today = day(2026, 12, 1)
    let october = try #require(ReportPeriod.parse("2026-10"))
    let november = try #require(ReportPeriod.parse("2026-11"))
    let december = try #require(ReportPeriod.parse("2026-12"))
    #expect(MonthlyReportGatherer.registeredAtEnd(registrations, of: october, today: today) == 3)
    #expect(MonthlyReportGatherer.registeredAtEnd(registrations, of: november, today: today) == 3)
    #expect(MonthlyReportGatherer.registeredAtEnd(registrations, of: december, today: today) == 4)
  }

  @Test("a sheet shows shares as percentages, their change in points, and a missing figure as a dash")
  func aSheetShowsSharesAsPercentages() {
    let topic = ReportTopic(
      key: "cases", title: "事件办理",
      figures: [
        ReportFigure(
          key: "cases.total", name: "事件总数", unit: .count, current: 65, previous: 93, snapshot: false, source: ""),
        ReportFigure(
          key: "cases.on_time_rate", name: "按期办结率", unit: .share, current: 0.7538461538461538,
          previous: 0.7419354838709677, snapshot: false, source: ""),
        ReportFigure(
          key: "party.compound_coverage", name: "小区党组织覆盖率", unit: .share, current: 0.5, previous: nil,
          snapshot: true, source: ""),
      ], notes: ["说明"])
    let rows = ReportController.rows(of: topic)
    #expect(rows[0] == [.text("事件总数"), .integer(65), .integer(93), .integer(-28)])
    #expect(rows[1] == [.text("按期办结率（%）"), .decimal(75.38), .decimal(74.19), .decimal(1.19)])
    #expect(rows[2] == [.text("小区党组织覆盖率（%）（现状）"), .decimal(50), .text("—"), .text("—")])
    #expect(rows[3] == [.empty, .empty, .empty, .empty])
    #expect(rows[4] == [.text("注：说明"), .empty, .empty, .empty])
  }
}
