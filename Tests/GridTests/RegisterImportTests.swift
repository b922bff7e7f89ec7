import Foundation
import GRPCCore
import GovernanceAPI
import ServiceKit
import ServiceKitTesting
import Testing

@testable import Grid

/// Registers (台账) of divisions and grid workers, taken in batches row by row: each row created,
/// updated or found unchanged by the rules of the single calls, a row that breaks one FAILED.
@Suite("Register imports: divisions by code, grid workers by phone in their community, by the single calls' rules")
struct RegisterImportTests {
  static let setup = Principal(service: .grid)
  /// Monday 2 March 2026, 10:00 in the city.
  static let monday = ISO8601DateFormatter().date(from: "2026-03-02T02:00:00Z")!

  static func division(_ row: Int32, _ code: String, _ name: String, boundary: String = "")
    -> Governance_Grid_V1_ImportedDivision
  {
    .with {
      $0.row = row
      $0.division.divisionCode = code
      $0.division.name = name
      $0.division.boundary = boundary
    }
  }

  /// A new street 320113006000 with two communities inside its boundary.
  static var streetAndCommunities: [Governance_Grid_V1_ImportedDivision] {
    [
      division(2, "320113006000", "马群街道", boundary: PlacesTests.square(118.80, 32.00, 0.05, 0.05)),
      division(3, "320113006001", "花园社区", boundary: PlacesTests.square(118.80, 32.00, 0.01, 0.01)),
      division(4, "320113006002", "百水社区", boundary: PlacesTests.square(118.81, 32.00, 0.01, 0.01)),
    ]
  }

  static func importDivisions(
    _ store: GridStore, _ rows: [Governance_Grid_V1_ImportedDivision], validateOnly: Bool = false,
    by principal: Principal = setup, at time: Date = Date()
  ) async throws -> [Governance_Common_V1_ImportRowResult] {
    try await store.importDivisions(
      .with {
        $0.rows = rows
        $0.validateOnly = validateOnly
      }, by: principal, at: time
    ).results
  }

  static func divisions(_ store: GridStore) async throws -> [Governance_Grid_V1_Division] {
    try await store.listDivisions(.with { $0.pageSize = 500 }).divisions
  }

  @Test(
    "a register of divisions creates each code once, a street before its communities; the same batch again is UNCHANGED"
  )
  func divisionsAreKeyedByTheirCode() async throws {
    let store = try await GridFixture.store()
    let first = try await Self.importDivisions(store, Self.streetAndCommunities)
    #expect(first.map(\.outcome) == [.created, .created, .created])
    #expect(first.map(\.row) == [2, 3, 4] && first.allSatisfy { !$0.id.isEmpty })
    let community = try #require(try await store.division(code: "320113006001"))
    #expect(community.parentCode == "320113006000" && community.level == .community)
    #expect(Boundary.stored(text: community.boundary) != nil)
    // Stored as ImportBoundaries stores it: a point inside routes to the community.
    #expect(try await store.locate(PlacesTests.point(118.805, 32.005)).divisionCode == "320113006001")

    let before = try await Self.divisions(store)
    let again = try await Self.importDivisions(store, Self.streetAndCommunities, at: Date().addingTimeInterval(60))
    #expect(again.map(\.outcome) == [.unchanged, .unchanged, .unchanged])
    #expect(again.map(\.id) == first.map(\.id))
    #expect(try await Self.divisions(store) == before)
  }

  @Test("a changed row renames a division and moves its boundary by UpdateDivision's and ImportBoundaries' rules")
  func aChangedDivisionRowIsUpdated() async throws {
    let store = try await GridFixture.store()
    let first = try await Self.importDivisions(store, Self.streetAndCommunities)
    let later = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 + 60).rounded())
    let changed = try await Self.importDivisions(
      store,
      [
        Self.division(3, "320113006001", "花园新村社区"),
        Self.division(4, "320113006002", "", boundary: PlacesTests.square(118.82, 32.01, 0.01, 0.01)),
        // The district of the fixture, as it is.
        Self.division(5, "320113000000", "玄武区"),
      ], at: later)
    #expect(changed.map(\.outcome) == [.updated, .updated, .unchanged])
    #expect(Array(changed.map(\.id).prefix(2)) == Array(first.map(\.id).suffix(2)))
    let renamed = try #require(try await store.division(code: "320113006001"))
    #expect(renamed.name == "花园新村社区" && renamed.audit.updateTime.date == later)
    // A row without a boundary keeps the one stored.
    #expect(Boundary.stored(text: renamed.boundary) != nil)
    let moved = try #require(try await store.division(code: "320113006002"))
    #expect(moved.name == "百水社区")
    #expect(try await store.locate(PlacesTests.point(118.825, 32.015)).divisionCode == "320113006002")
  }

  @Test("a division row breaking a rule fails naming its field and rule while the others go in")
  func badDivisionRowsFailAlone() async throws {
    let store = try await GridFixture.store()
    _ = try await Self.importDivisions(store, Array(Self.streetAndCommunities.prefix(1)))
    let open = #"{"type":"Polygon","coordinates":[[[118.80,32.02],[118.81,32.02],[118.81,32.03],[118.80,32.03]]]}"#
    let results = try await Self.importDivisions(
      store,
      [
        Self.division(10, "320113006003", "开口社区", boundary: open),
        Self.division(11, "320113006004", "界外社区", boundary: PlacesTests.square(119.50, 32.00, 0.01, 0.01)),
        Self.division(12, "320113006005", "仙鹤社区", boundary: PlacesTests.square(118.82, 32.02, 0.01, 0.01)),
        // Outside the street clerk's jurisdiction.
        Self.division(13, "320113005002", "他街社区"),
        Self.division(14, "320113006006", ""),
      ], by: .staff(.street, scope: "320113006"))
    #expect(results.map(\.outcome) == [.failed, .failed, .created, .failed, .failed])
    #expect(results[0].reason == "FIELD_INVALID" && results[0].field == "division.boundary.coordinates[0]")
    #expect(results[0].rule == "is closed: its last position equals its first (RFC 7946 §3.1.6)")
    #expect(results[1].field == "division.boundary")
    #expect(results[1].rule.hasPrefix("lies inside the boundary of {0} within {1} m"))
    #expect(results[1].ruleArguments.prefix(2) == ["320113006000", "20"])
    #expect(results[3].reason == "NOT_PERMITTED" && results[3].message.contains("320113005002"))
    #expect(results[4].field == "division.name" && results[4].rule == "is required")
    #expect(results.map(\.row) == [10, 11, 12, 13, 14])
    #expect(try await store.division(code: "320113006005") != nil)
    for code in ["320113006003", "320113006004", "320113005002", "320113006006"] {
      #expect(try await store.division(code: code) == nil)
    }
  }

  @Test("validate_only checks every division row by the same rules and writes nothing")
  func divisionDryRunWritesNothing() async throws {
    let store = try await GridFixture.store()
    let before = try await Self.divisions(store)
    let results = try await Self.importDivisions(
      store, Self.streetAndCommunities + [Self.division(9, "320113007001", "无街道社区")], validateOnly: true)
    // Later rows see what earlier ones would have created: the communities find their street.
    #expect(results.map(\.outcome) == [.created, .created, .created, .failed])
    #expect(results.allSatisfy { $0.id.isEmpty })
    #expect(results[3].reason == "RULE_NOT_MET" && results[3].rule == "a {0} is registered under its parent division")
    #expect(try await Self.divisions(store) == before)
    // Nor any boundary in the place index.
    await #expect(throws: DomainError.self) { try await store.locate(PlacesTests.point(118.805, 32.005)) }
  }

  @Test("a batch holds 1 to 500 rows")
  func aBatchHoldsOneTo500Rows() async throws {
    let store = try await GridFixture.store()
    try await withTestServer([GridService(store: store).routes]) { client in
      let grid = Governance_Grid_V1_GridService.Client(wrapping: client)
      let rows = (0..<501).map { Self.division(Int32($0 + 2), "320113006000", "马群街道") }
      await expectRPCError(.invalidArgument, mentioning: "rows", "1 to 500 rows a call, got 501") {
        _ = try await grid.importDivisions(.with { $0.rows = rows })
      }
      await expectRPCError(.invalidArgument, mentioning: "rows", "got 0") {
        _ = try await grid.importGridWorkers(.init())
      }
      let workers = (0..<501).map { index in
        Governance_Grid_V1_ImportedGridWorker.with { $0.row = Int32(index) }
      }
      await expectRPCError(.invalidArgument, mentioning: "rows", "got 501") {
        _ = try await grid.importGridWorkers(.with { $0.rows = workers })
      }
      // 500 rows are taken, over gRPC, each with its result.
      let results = try await grid.importDivisions(.with { $0.rows = Array(rows.prefix(500)) }).results
      #expect(results.count == 500 && results[0].outcome == .created)
      #expect(results.dropFirst().allSatisfy { $0.outcome == .unchanged && $0.id == results[0].id })
    }
  }

  // MARK: - Grid workers

  static func duty(_ grid: String, _ weekdays: [Int32], _ start: String, _ end: String)
    -> Governance_Grid_V1_WeeklyDuty
  {
    .with {
      $0.gridCode = grid
      $0.weekdays = weekdays
      $0.start = start
      $0.end = end
    }
  }

  static func worker(
    _ row: Int32, _ name: String, phone: String, grids: [String] = [GridFixture.grid1, GridFixture.grid2],
    duties: [Governance_Grid_V1_WeeklyDuty] = []
  ) -> Governance_Grid_V1_ImportedGridWorker {
    .with {
      $0.row = row
      $0.worker.divisionCode = GridFixture.community
      $0.worker.name = name
      $0.worker.phone = phone
      $0.worker.kind = .fullTime
      $0.worker.gridCodes = grids
      $0.duties = duties
    }
  }

  /// Two workers: one on weekday days in grid 001 and Saturday nights in grid 002, one without
  /// duties.
  static var workers: [Governance_Grid_V1_ImportedGridWorker] {
    [
      worker(
        2, "周网格", phone: "13900003333",
        duties: [
          duty(GridFixture.grid1, [1, 3, 5], "08:00", "18:00"), duty(GridFixture.grid2, [6], "22:00", "06:00"),
        ]),
      worker(3, "吴网格", phone: "13900004444", grids: [GridFixture.grid2]),
    ]
  }

  static func importWorkers(
    _ store: GridStore, _ rows: [Governance_Grid_V1_ImportedGridWorker], validateOnly: Bool = false,
    by principal: Principal = setup, at time: Date = monday
  ) async throws -> [Governance_Common_V1_ImportRowResult] {
    try await store.importGridWorkers(
      .with {
        $0.rows = rows
        $0.validateOnly = validateOnly
      }, by: principal, at: time
    ).results
  }

  static func shifts(_ store: GridStore, worker: String = "") async throws -> [Governance_Grid_V1_DutyShift] {
    try await store.listShifts(
      .with {
        $0.workerID = worker
        $0.pageSize = 500
      }
    ).shifts
  }

  static func allWorkers(_ store: GridStore) async throws -> [Governance_Grid_V1_GridWorker] {
    try await store.listWorkers(
      .with {
        $0.pageSize = 500
        $0.includeInactive = true
      }
    ).workers
  }

  @Test("weekly duties become shifts for the 28 days from the city's today; an end before the start runs past midnight")
  func weeklyDutiesBecomeShiftsForFourWeeks() throws {
    let start = DutyRoster.cityMidnight(of: Self.monday)
    #expect(start == ISO8601DateFormatter().date(from: "2026-03-01T16:00:00Z"))
    // Just after the city's midnight the city's day has begun, whatever UTC says.
    #expect(DutyRoster.cityMidnight(of: start.addingTimeInterval(60)) == start)
    let planned = try DutyRoster.weeklyShifts(
      [
        Self.duty(GridFixture.grid1, [1, 3, 5], "08:00", "18:00"), Self.duty(GridFixture.grid2, [7], "22:30", "06:00"),
      ],
      from: start)
    let days = planned.filter { $0.duty == 0 }.map(\.shift)
    let nights = planned.filter { $0.duty == 1 }.map(\.shift)
    #expect(days.count == 12 && nights.count == 4)
    #expect(days[0].startTime.date == ISO8601DateFormatter().date(from: "2026-03-02T00:00:00Z"))
    #expect(days[0].endTime.seconds - days[0].startTime.seconds == 10 * 3600)
    // Wednesday, then Friday.
    #expect(days[1].startTime.seconds - days[0].startTime.seconds == 2 * 86_400)
    #expect(days.last!.startTime.date == ISO8601DateFormatter().date(from: "2026-03-27T00:00:00Z"))
    // Sunday 22:30 to Monday 06:00.
    #expect(nights[0].startTime.date == ISO8601DateFormatter().date(from: "2026-03-08T14:30:00Z"))
    #expect(nights[0].endTime.seconds - nights[0].startTime.seconds == 7 * 3600 + 1800)
    #expect(nights.last!.endTime.date > start.addingTimeInterval(28 * 86_400))

    for (duty, field, rule) in [
      (
        Self.duty(GridFixture.grid1, [8], "08:00", "18:00"), "duties[0].weekdays",
        "each from 1 (Monday) to 7 (Sunday), got 8"
      ),
      (Self.duty(GridFixture.grid1, [], "08:00", "18:00"), "duties[0].weekdays", "is required"),
      (
        Self.duty(GridFixture.grid1, [1], "8:00", "18:00"), "duties[0].start",
        "a time of day as HH:MM from 00:00 to 23:59, got '8:00'"
      ),
      (
        Self.duty(GridFixture.grid1, [1], "08:00", "24:00"), "duties[0].end",
        "a time of day as HH:MM from 00:00 to 23:59, got '24:00'"
      ),
      (
        Self.duty(GridFixture.grid1, [1], "08:00", "08:00"), "duties[0].end",
        "differs from the start; an end before the start runs past midnight"
      ),
      (Self.duty(GridFixture.community, [1], "08:00", "18:00"), "duties[0].grid_code", "names a grid, got a community"),
    ] {
      #expect(throws: DomainError.invalidArgument(field: field, rule: RuleText(verbatim: rule))) {
        try DutyRoster.weeklyShifts([duty], from: start)
      }
    }
  }

  @Test(
    "a register of grid workers creates each phone of a community once with its shifts; the same batch again is UNCHANGED"
  )
  func gridWorkersAreKeyedByPhoneInTheirCommunity() async throws {
    let store = try await GridFixture.store()
    let first = try await Self.importWorkers(store, Self.workers)
    #expect(first.map(\.outcome) == [.created, .created])
    let zhou = try #require(try await store.worker(id: first[0].id))
    #expect(zhou.name == "周网格" && zhou.divisionCode == GridFixture.community && zhou.active)
    let shifts = try await Self.shifts(store, worker: zhou.id)
    #expect(shifts.filter { $0.gridCode == GridFixture.grid1 }.count == 12)
    #expect(shifts.filter { $0.gridCode == GridFixture.grid2 }.count == 4)
    #expect(try await Self.shifts(store, worker: first[1].id).isEmpty)
    // On duty on Monday morning, as SetDutyRoster's shifts would put them.
    let onDuty = try await store.onDuty(grid: GridFixture.grid1, at: Self.monday)
    #expect(onDuty.workers.map(\.id) == [zhou.id])

    let workersBefore = try await Self.allWorkers(store)
    let shiftsBefore = try await Self.shifts(store)
    // The same people, their phones written another way, a little later the same day.
    var again = Self.workers
    again[0].worker.phone = "139-0000-3333"
    again[1].worker.phone = "+86 139 0000 4444"
    let second = try await Self.importWorkers(store, again, at: Self.monday.addingTimeInterval(3600))
    #expect(second.map(\.outcome) == [.unchanged, .unchanged])
    #expect(second.map(\.id) == first.map(\.id))
    #expect(try await Self.allWorkers(store) == workersBefore)
    #expect(try await Self.shifts(store) == shiftsBefore)
  }

  @Test(
    "a changed worker row updates the given fields by UpdateGridWorker's rules and replaces the shifts of its grids")
  func aChangedWorkerRowIsUpdated() async throws {
    let store = try await GridFixture.store()
    let first = try await Self.importWorkers(store, Self.workers)
    let nightShifts = try await Self.shifts(store, worker: first[0].id).filter { $0.gridCode == GridFixture.grid2 }
    let later = Self.monday.addingTimeInterval(3600)
    var changed = Self.workers
    // Mondays and Wednesdays only in grid 001; grid 002's nights are not in the row.
    changed[0].duties = [Self.duty(GridFixture.grid1, [1, 3], "08:00", "18:00")]
    // A new name; kind and grids not given.
    changed[1].worker.name = "吴新网格"
    changed[1].worker.kind = .unspecified
    changed[1].worker.gridCodes = []
    let results = try await Self.importWorkers(store, changed, at: later)
    #expect(results.map(\.outcome) == [.updated, .updated])
    let shifts = try await Self.shifts(store, worker: first[0].id)
    #expect(shifts.filter { $0.gridCode == GridFixture.grid1 }.count == 8)
    #expect(shifts.filter { $0.gridCode == GridFixture.grid2 } == nightShifts)
    let zhou = try #require(try await store.worker(id: first[0].id))
    #expect(zhou.audit.updateTime == zhou.audit.createTime)
    let wu = try #require(try await store.worker(id: first[1].id))
    #expect(wu.name == "吴新网格" && wu.kind == .fullTime && wu.gridCodes == [GridFixture.grid2])
    #expect(wu.audit.updateTime.date == later)
  }

  @Test("a worker row breaking a rule fails naming its field and rule while the others go in")
  func badWorkerRowsFailAlone() async throws {
    let store = try await GridFixture.store()
    let noPhone = Self.worker(5, "郑无号", phone: "")
    let results = try await Self.importWorkers(
      store,
      [
        Self.worker(2, "王八日", phone: "13900005555", duties: [Self.duty(GridFixture.grid1, [1, 8], "08:00", "18:00")]),
        // A duty in a grid the worker does not serve.
        Self.worker(
          3, "冯外格", phone: "13900006666", grids: [GridFixture.grid1],
          duties: [Self.duty(GridFixture.grid2, [2], "08:00", "18:00")]),
        noPhone,
        Self.worker(4, "陈网格", phone: "13900007777", duties: [Self.duty(GridFixture.grid1, [2], "09:00", "17:00")]),
      ], by: .staff(.community, scope: "320113005002"))
    // Outside a community clerk's jurisdiction, every row.
    #expect(results.allSatisfy { $0.outcome == .failed && $0.reason == "NOT_PERMITTED" })
    let inScope = try await Self.importWorkers(
      store,
      [
        Self.worker(2, "王八日", phone: "13900005555", duties: [Self.duty(GridFixture.grid1, [1, 8], "08:00", "18:00")]),
        Self.worker(
          3, "冯外格", phone: "13900006666", grids: [GridFixture.grid1],
          duties: [Self.duty(GridFixture.grid2, [2], "08:00", "18:00")]),
        noPhone,
        Self.worker(4, "陈网格", phone: "13900007777", duties: [Self.duty(GridFixture.grid1, [2], "09:00", "17:00")]),
      ], by: .staff(.community, scope: GridFixture.community))
    #expect(inScope.map(\.outcome) == [.failed, .failed, .failed, .created])
    #expect(inScope[0].field == "duties[0].weekdays" && inScope[0].reason == "FIELD_INVALID")
    #expect(inScope[0].rule == "each from 1 (Monday) to 7 (Sunday), got {0}" && inScope[0].ruleArguments == ["8"])
    #expect(inScope[1].reason == "RULE_NOT_MET" && inScope[1].rule == "a shift is served by a worker of the grid")
    #expect(inScope[2].field == "worker.phone" && inScope[2].rule == "is required")
    // Nothing of a failed row stays: not the worker a later duty broke.
    let workers = try await Self.allWorkers(store)
    #expect(workers.map(\.name) == ["陈网格"])
    #expect(try await Self.shifts(store).count == 4)
  }

  @Test("validate_only checks every worker row by the same rules and writes nothing")
  func workerDryRunWritesNothing() async throws {
    let store = try await GridFixture.store()
    let results = try await Self.importWorkers(
      store,
      Self.workers + [
        Self.worker(4, "王八日", phone: "13900005555", duties: [Self.duty(GridFixture.grid1, [8], "08:00", "18:00")])
      ],
      validateOnly: true)
    #expect(results.map(\.outcome) == [.created, .created, .failed])
    #expect(results.allSatisfy { $0.id.isEmpty })
    #expect(try await Self.allWorkers(store).isEmpty)
    #expect(try await Self.shifts(store).isEmpty)
  }
}
