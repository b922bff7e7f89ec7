import Foundation
import GRDB
import GovernanceAPI
import ServiceKit
import SwiftProtobuf
import Testing

@testable import Grid

@Suite("Case numbers: the report date in the city's calendar and the day's sequence, searchable")
struct CaseNumberTests {
  @Test("a case number is the report date in Beijing time and a five-digit sequence")
  func aCaseNumberIsTheReportDateAndAFiveDigitSequence() throws {
    // 2026-11-30 17:30 UTC is already 1 December in the city.
    let lateEvening = Date(timeIntervalSince1970: 1_796_059_800)
    #expect(CaseNumbers.day(reportedAt: lateEvening) == "20261201")
    #expect(try CaseNumbers.number(day: "20261201", sequence: 7) == "20261201-00007")
    #expect(CaseNumbers.sequence(of: "20261201-00007") == 7)
    #expect(CaseNumbers.sequence(of: "case_01M8") == nil)
    #expect(throws: DomainError.self) { try CaseNumbers.number(day: "20261201", sequence: 100_000) }
  }

  @Test("a case number query is digits and at most one dash")
  func aCaseNumberQueryIsDigitsAndAtMostOneDash() throws {
    try CaseNumbers.validateQuery("20261130-00")
    try CaseNumbers.validateQuery("2026")
    for bad in ["2026*", "2026-11-30", "abc", "20261130-000070"] {
      #expect(
        throws: DomainError.invalidArgument(
          field: "case_number", rule: "a case number such as 20261130-00007 or its leading part, got '\(bad)'")
      ) {
        try CaseNumbers.validateQuery(bad)
      }
    }
  }

  @Test("cases reported and imported are numbered per day, found by number, listed newest first")
  func casesAreNumberedPerDayFoundByNumberAndListedNewestFirst() async throws {
    let store = try await GridFixture.store()
    let setup = Principal(service: .grid)
    let now = Date()
    var numbers: [String] = []
    for title in ["楼道堆放杂物", "路灯不亮"] {
      let created = try await store.createCase(
        .with {
          $0.gridCase.source = .resident
          $0.gridCase.category = "环境卫生"
          $0.gridCase.title = title
          $0.gridCase.details = title
          $0.gridCase.location.gridCode = GridFixture.grid1
        }, by: setup, at: now)
      numbers.append(created.caseNumber)
    }
    let today = CaseNumbers.day(reportedAt: now)
    #expect(numbers == ["\(today)-00001", "\(today)-00002"])

    // Two archived cases of one earlier day, in one message, take that day's first two numbers.
    let archived = [CaseImportTests.archived(3), CaseImportTests.archived(3)]
    _ = try await store.importCases(archived, by: setup, at: now)
    let earlier = CaseNumbers.day(reportedAt: archived[0].reportTime.date)
    let found = try await store.listCases(.with { $0.caseNumber = earlier })
    #expect(found.cases.map(\.caseNumber).sorted() == ["\(earlier)-00001", "\(earlier)-00002"])

    let exact = try await store.listCases(.with { $0.caseNumber = numbers[1] })
    #expect(exact.cases.map(\.title) == ["路灯不亮"])

    let newest = try await store.listCases(
      .with {
        $0.orderBy = "create_time desc"
        $0.pageSize = 3
      })
    let oldest = try await store.listCases(.with { $0.pageSize = 4 })
    #expect(newest.cases.map(\.id) == Array(oldest.cases.map(\.id).reversed().prefix(3)))
    let rest = try await store.listCases(
      .with {
        $0.orderBy = "create_time desc"
        $0.pageToken = newest.nextPageToken
      })
    #expect(rest.cases.map(\.id) == [oldest.cases[0].id])

    // Level and report dates filter the list too.
    #expect(try await store.listCases(.with { $0.level = .community }).cases.isEmpty)
    #expect(try await store.listCases(.with { $0.level = .grid }).cases.count == 4)
    // The two archived cases were resolved in the grid; the two new ones not yet.
    #expect(try await store.listCases(.with { $0.resolvedLevel = .grid }).cases.count == 2)
    #expect(try await store.listCases(.with { $0.resolvedLevel = .street }).cases.isEmpty)
    let todays = try await store.listCases(.with { $0.fromDate = CalendarDate.today(at: now) })
    #expect(todays.cases.map(\.caseNumber).sorted() == numbers)
    let earlierOnly = try await store.listCases(
      .with { $0.toDate = CalendarDate.today(at: archived[0].reportTime.date) })
    #expect(earlierOnly.cases.count == 2)

    // The archived ones were resolved within their day, on time; none late.
    #expect(try await store.listCases(.with { $0.resolvedOnTime = true }).cases.count == 2)
    #expect(try await store.listCases(.with { $0.resolvedOnTime = false }).cases.isEmpty)

    // By case number, the order of report: the earlier day's first, whatever the order of creation.
    let byNumber = try await store.listCases(.with { $0.orderBy = "case_number" })
    #expect(byNumber.cases.map(\.caseNumber) == ["\(earlier)-00001", "\(earlier)-00002"] + numbers)
    let byNumberDesc = try await store.listCases(
      .with {
        $0.orderBy = "case_number desc"
        $0.pageSize = 3
      })
    let lastPage = try await store.listCases(
      .with {
        $0.orderBy = "case_number desc"
        $0.pageToken = byNumberDesc.nextPageToken
      })
    #expect((byNumberDesc.cases + lastPage.cases).map(\.caseNumber) == byNumber.cases.map(\.caseNumber).reversed())
    await #expect(
      throws: DomainError.invalidArgument(
        field: "page_token", rule: "belongs to the list in the order '\("case_number desc")', not '\("")'")
    ) {
      _ = try await store.listCases(.with { $0.pageToken = byNumberDesc.nextPageToken })
    }

    // An archived case marked overdue: the statistics count it; the desk's overdue list holds
    // open cases only, unless it includes finished ones, as the dashboard's figure does.
    var late = CaseImportTests.archived(5)
    late.overdue = true
    _ = try await store.importCases([late], by: setup, at: now)
    #expect(try await store.listCases(.with { $0.overdueOnly = true }).cases.isEmpty)
    let counted = try await store.listCases(
      .with {
        $0.overdueOnly = true
        $0.includeFinished = true
      })
    #expect(counted.cases.map(\.title) == [late.title])
    let statistics = try await store.caseStatistics(.init())
    #expect(statistics.totals.overdue == Int64(counted.cases.count))

    await #expect(
      throws: DomainError.invalidArgument(
        field: "order_by",
        rule:
          "one of \("create_time, case_number, deadline, priority"), then \"desc\" for the reverse, got '\("title")'")
    ) {
      _ = try await store.listCases(.with { $0.orderBy = "title" })
    }
  }
}

@Suite("Upgrading an old grid database: each migration writes only the columns its schema has")
struct GridUpgradeTests {
  @Test(
    "a database from before deadlines ran from arrival upgrades: its open case gets a deadline, every case a number")
  func aDatabaseFromBeforeDeadlinesRanFromArrivalUpgrades() async throws {
    let database = try DatabaseQueue()
    try GridStore.migrator.migrate(database, upTo: "v7-on-time-excludes-overdue")
    let store = GridStore(writer: database, vault: .ephemeral())
    try await GridFixture.register(in: store)
    let reported = Date(timeIntervalSince1970: 1_790_000_000)  // 2026-09-21 in Beijing
    @Sendable func stored(_ id: String, status: Governance_Grid_V1_CaseStatus) -> GridStore.GridCase {
      .with {
        $0.id = id
        $0.divisionCode = GridFixture.community
        $0.source = .resident
        $0.category = "环境卫生"
        $0.title = "楼道堆放杂物"
        $0.location.gridCode = GridFixture.grid1
        $0.status = status
        $0.handler = .with {
          $0.level = .grid
          $0.unitCode = GridFixture.grid1
        }
        $0.reportTime = Google_Protobuf_Timestamp(date: reported)
        // A number a client sent before numbers existed, kept as an unknown field: replaced.
        $0.caseNumber = "19990101-00042"
      }
    }
    // As the version before v8 stored them: no case_number column, the open case without a deadline.
    try await database.write { db in
      for (id, status, open) in [
        ("case_0001", Governance_Grid_V1_CaseStatus.reported, true), ("case_0002", .closed, false),
      ] {
        try db.execute(
          sql: """
            INSERT INTO grid_case (id, division_code, unit_code, status, source, priority, category, open, grid_code,
              level, report_date, overdue, record, created_at, created_by, updated_at, updated_by)
            VALUES (?, ?, ?, ?, 1, 0, '环境卫生', ?, ?, 1, '2026-09-21', 0, ?, ?, 'user:old', ?, 'user:old')
            """,
          arguments: [
            id, GridFixture.community, GridFixture.grid1, status.rawValue, open, GridFixture.grid1,
            try StoredMessage.encode(stored(id, status: status)), reported, reported,
          ])
      }
    }
    try GridStore.migrator.migrate(database)
    let cases = try await store.listCases(.init()).cases
    #expect(cases.map(\.caseNumber) == ["20260921-00001", "20260921-00002"])
    #expect(cases[0].hasDeadline && !cases[1].hasDeadline)
    let found = try await store.listCases(.with { $0.caseNumber = "20260921-00002" }).cases
    #expect(found.map(\.id) == ["case_0002"])
    // The next case reported that day continues the day's sequence.
    let next = try await database.read { db in
      var numbers = CaseNumberSequence()
      return try numbers.next(db, reportedAt: reported)
    }
    #expect(next == "20260921-00003")
  }
}
