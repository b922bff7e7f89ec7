import Foundation
import GRDB
import GovernanceAPI
import Logging
import ServiceKit
import ServiceKitTesting
import Testing

@testable import Grid

@Suite("Case notices: the outbox, deadline warnings and the daily digest, on a clock the test sets")
struct CaseNoticesTests {
  static func outbox(_ store: GridStore) async throws -> [Outbox.Event] {
    try await store.writer.read { db in try Outbox.read(db, after: 0, limit: 1000, service: .grid) }
  }

  static func report(_ store: GridStore, at time: Date, title: String = "路灯不亮") async throws -> GridStore.GridCase {
    try await store.createCase(
      .with {
        $0.gridCase.source = .resident
        $0.gridCase.category = "设施维修"
        $0.gridCase.title = title
        $0.gridCase.location.gridCode = GridFixture.grid1
      }, by: .testAdministrator, at: time)
  }

  @Test("a case's handler is warned once 80% of the time allowed at its level has passed")
  func aCasesHandlerIsWarnedOnce80PercentOfTheTimeAllowedAtItsLevelHasPassed() {
    let deadline = Date(timeIntervalSince1970: 1_800_000_000)
    #expect(CaseNotices.warningTime(deadline: deadline, limit: 72 * 3600) == deadline.addingTimeInterval(-14.4 * 3600))
    #expect(CaseNotices.warningTime(deadline: deadline, limit: 0) == deadline)
  }

  @Test("every line of a case's history is in the outbox in the same transaction, but bulk imports are not")
  func linesOfHistoryAreAnnounced() async throws {
    let store = try await GridFixture.store()
    let gridCase = try await Self.report(store, at: Date())
    let events = try await Self.outbox(store)
    #expect(events.map(\.kind) == ["case.reported"])
    #expect(events[0].record == gridCase.id && events[0].divisionCode == gridCase.divisionCode)
    #expect(events[0].id == "evt_grid_\(events[0].sequence)")
    let notice = try Governance_Grid_V1_CaseNotice(jsonString: events[0].dataJson)
    #expect(notice.gridCase.caseNumber == gridCase.caseNumber && notice.event.kind == .reported)
    #expect(CaseNotices.kind(of: .imported) == nil && CaseNotices.kind(of: .escalated) == "case.escalated")
  }

  @Test("a change that is rolled back leaves nothing in the outbox")
  func aRolledBackChangeLeavesNothing() async throws {
    let store = try await GridFixture.store()
    await #expect(throws: (any Error).self) {
      try await store.writer.write { db in
        try Outbox.append(
          db,
          try Outbox.Entry(
            kind: "case.reported", record: "cas_x", divisionCode: GridFixture.community,
            data: GridStore.GridCase()), at: Date())
        throw DomainError.invalidArgument(field: "x", rule: "rolled back")
      }
    }
    #expect(try await Self.outbox(store).isEmpty)
  }

  @Test("the sweep warns at 80% of the limit, once per deadline, and the overdue case's handler hears of it once")
  func warningsAndOverdueAreOncePerDeadline() async throws {
    let store = try await GridFixture.store()
    let arrival = Date(timeIntervalSince1970: 1_800_000_000)
    let gridCase = try await Self.report(store, at: arrival)
    let limit = gridCase.deadline.date.timeIntervalSince(arrival)
    let sweep = DeadlineSweep(store: store, logger: Logger(label: "test"))
    #expect(try await sweep.sweep(at: arrival.addingTimeInterval(limit * 0.79)) == 0)
    #expect(try await sweep.sweep(at: arrival.addingTimeInterval(limit * 0.81)) == 1)
    #expect(try await sweep.sweep(at: arrival.addingTimeInterval(limit * 0.9)) == 0)
    var kinds = try await Self.outbox(store).map(\.kind)
    #expect(kinds == ["case.reported", "case.deadline_approaching"])
    // Past the deadline the case climbs to the community: its handler is told it is overdue,
    // the community hears of the escalation, and the new deadline gets its own warning later.
    #expect(try await sweep.sweep(at: arrival.addingTimeInterval(limit + 60)) == 1)
    #expect(try await sweep.sweep(at: arrival.addingTimeInterval(limit + 120)) == 0)
    let events = try await Self.outbox(store)
    kinds = events.map(\.kind)
    #expect(kinds == ["case.reported", "case.deadline_approaching", "case.overdue", "case.escalated"])
    let escalation = try #require(events.last)
    #expect(escalation.divisionCode == GridFixture.community)
    let moved = try #require(try await store.gridCase(id: gridCase.id))
    let communityLimit = moved.deadline.date.timeIntervalSince(arrival.addingTimeInterval(limit + 60))
    #expect(
      try await sweep.sweep(at: arrival.addingTimeInterval(limit + 60 + communityLimit * 0.85)) == 1)
    #expect(try await Self.outbox(store).map(\.kind).last == "case.deadline_approaching")
  }

  @Test("each community and street gets one digest of the day before, from 7:00 in the city")
  func dailyDigestOncePerDivisionAndDay() async throws {
    let store = try await GridFixture.store()
    // 2026-11-30 10:00 in the city.
    let reported = Date(timeIntervalSince1970: 1_796_004_000)
    _ = try await Self.report(store, at: reported)
    _ = try await Self.report(store, at: reported.addingTimeInterval(60), title: "井盖松动")
    let job = DailyDigest(store: store, logger: Logger(label: "test"))
    // 06:59 on 12-01 is still the day before's morning: the 11-29 digest, which has no cases.
    #expect(try await job.round(at: Date(timeIntervalSince1970: 1_796_079_540)) == 0)
    // 07:00 on 12-01: 11-30's digests, for the community and the street.
    let seven = Date(timeIntervalSince1970: 1_796_079_600)
    #expect(CalendarDate.iso(DailyDigest.dueDay(at: seven)) == "2026-11-30")
    #expect(try await job.round(at: seven) == 2)
    #expect(try await job.round(at: seven.addingTimeInterval(300)) == 0)
    let digests = try await Self.outbox(store).filter { $0.kind == "digest.daily" }
    #expect(Set(digests.map(\.divisionCode)) == [GridFixture.community, "320113005000"])
    let digest = try Governance_Grid_V1_CaseDigest(jsonString: digests[0].dataJson)
    #expect(digest.statistics.total == 2 && CalendarDate.iso(digest.day) == "2026-11-30")
  }
}
