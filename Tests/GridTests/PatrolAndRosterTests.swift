import Foundation
import GRPCCore
import GovernanceAPI
import ServiceKit
import ServiceKitTesting
import Testing

@testable import Grid

@Suite("Patrols, workers, grids and corrections")
struct PatrolAndRosterTests {
  @Test("a patrol's finding opens a case in the same call; a worker patrols only their grid")
  func patrolFindingOpensACase() async throws {
    let store = try await GridFixture.store()
    try await withTestServer([GridService(store: store).routes]) { client in
      let grid = Governance_Grid_V1_GridService.Client(wrapping: client)
      let worker = try await grid.createGridWorker(
        .with {
          $0.worker.name = "赵巡查"
          $0.worker.kind = .partTimePartyMember
          $0.worker.gridCodes = [GridFixture.grid1]
          $0.worker.phone = "13900001111"
        })
      let start = Date()
      let patrol = try await grid.createPatrol(
        .with {
          $0.patrol.gridCode = GridFixture.grid1
          $0.patrol.workerID = worker.id
          $0.patrol.kind = .patrol
          $0.patrol.startTime = .init(date: start)
          $0.patrol.endTime = .init(date: start.addingTimeInterval(5400))
          $0.patrol.householdsVisited = 12
          $0.patrol.findings = [
            .with {
              $0.details = "3栋楼道堆放杂物，堵塞消防通道"
              $0.category = "消防隐患"
              $0.openCase = true
              $0.priority = .high
            },
            .with { $0.details = "健身器材完好" },
          ]
        })
      #expect(patrol.divisionCode == GridFixture.community)
      let caseID = patrol.findings[0].caseID
      #expect(!caseID.isEmpty && patrol.findings[1].caseID.isEmpty)
      let opened = try await grid.getCase(.with { $0.id = caseID })
      #expect(opened.source == .patrol && opened.sourceRefID == patrol.id)
      #expect(opened.priority == .high && opened.location.gridCode == GridFixture.grid1 && opened.status == .reported)
      #expect(try await grid.getPatrol(.with { $0.id = patrol.id }) == patrol)

      let withFindings = try await grid.listPatrols(
        .with {
          $0.workerID = worker.id
          $0.withFindingsOnly = true
          $0.fromDate = CalendarDate.today(at: start)
          $0.toDate = CalendarDate.today(at: start)
        })
      #expect(withFindings.patrols.map(\.id) == [patrol.id])

      let stranger = try await grid.createGridWorker(
        .with {
          $0.worker.name = "钱外格"
          $0.worker.kind = .fullTime
          $0.worker.gridCodes = [GridFixture.grid2]
          $0.worker.phone = "13900002222"
        })
      await expectRPCError(.failedPrecondition, mentioning: "does not serve") {
        _ = try await grid.createPatrol(
          .with {
            $0.patrol.gridCode = GridFixture.grid1
            $0.patrol.workerID = stranger.id
            $0.patrol.kind = .visit
            $0.patrol.startTime = .init(date: start)
          })
      }
      await expectRPCError(.invalidArgument, mentioning: "patrol.households_visited") {
        _ = try await grid.createPatrol(
          .with {
            $0.patrol.gridCode = GridFixture.grid1
            $0.patrol.workerID = worker.id
            $0.patrol.kind = .visit
            $0.patrol.startTime = .init(date: start)
            $0.patrol.householdsVisited = -1
          })
      }
      await expectRPCError(.invalidArgument, mentioning: "patrol.findings[0].category") {
        _ = try await grid.createPatrol(
          .with {
            $0.patrol.gridCode = GridFixture.grid1
            $0.patrol.workerID = worker.id
            $0.patrol.kind = .patrol
            $0.patrol.startTime = .init(date: start)
            $0.patrol.findings = [
              .with {
                $0.details = "井盖缺失"
                $0.openCase = true
              }
            ]
          })
      }
      // Nothing of the refused patrols was written: still one patrol, one case.
      #expect(try await grid.listPatrols(.with { $0.gridCode = GridFixture.grid1 }).patrols.count == 1)
      #expect(try await grid.listCases(.with { $0.divisionPrefix = GridFixture.community }).cases.count == 1)
    }
  }

  @Test("bad case input is INVALID_ARGUMENT naming the field")
  func badCaseInput() async throws {
    let store = try await GridFixture.store()
    try await withTestServer([GridService(store: store).routes]) { client in
      let grid = Governance_Grid_V1_GridService.Client(wrapping: client)
      @Sendable func report(_ change: @Sendable (inout Governance_Grid_V1_Case) -> Void) async throws {
        _ = try await grid.createCase(
          .with {
            $0.gridCase.source = .resident
            $0.gridCase.category = "环境卫生"
            $0.gridCase.title = "垃圾未清运"
            $0.gridCase.location.gridCode = GridFixture.grid1
            change(&$0.gridCase)
          })
      }
      await expectRPCError(.invalidArgument, mentioning: "grid_case.location.grid_code", "not registered") {
        try await report { $0.location.gridCode = "320113005001077" }
      }
      await expectRPCError(.invalidArgument, mentioning: "grid_case.location.grid_code") {
        try await report { $0.location.gridCode = "32011300500100A" }
      }
      await expectRPCError(.invalidArgument, mentioning: "grid_case.title") {
        try await report { $0.title = "  " }
      }
      await expectRPCError(.invalidArgument, mentioning: "grid_case.details") {
        try await report { $0.details = String(repeating: "长", count: FieldValidation.maximumTextLength + 1) }
      }
      await expectRPCError(.invalidArgument, mentioning: "grid_case.source") {
        try await report { $0.source = .unspecified }
      }
      for satisfaction: Int32 in [0, 6] {
        await expectRPCError(.invalidArgument, mentioning: "satisfaction") {
          _ = try await grid.evaluateCase(
            .with {
              $0.caseID = "case_x"
              $0.satisfaction = satisfaction
            })
        }
      }
      let written = try await grid.listCases(.with { $0.divisionPrefix = "3201" })
      #expect(written.cases.isEmpty)
    }
  }

  @Test("a case is corrected while handled, not after; the history says what changed")
  func caseCorrection() async throws {
    let store = try await GridFixture.store()
    try await withTestServer([GridService(store: store).routes]) { client in
      let grid = Governance_Grid_V1_GridService.Client(wrapping: client)
      let reported = try await grid.createCase(
        .with {
          $0.gridCase.source = .resident
          $0.gridCase.category = "环境卫生"
          $0.gridCase.title = "垃圾未清运"
          $0.gridCase.location.gridCode = GridFixture.grid1
        })
      let corrected = try await grid.updateCase(
        .with {
          $0.gridCase.id = reported.id
          $0.gridCase.category = "市政设施"
          $0.gridCase.location.gridCode = GridFixture.grid2
          $0.updateMask.paths = ["category", "location"]
        })
      #expect(corrected.category == "市政设施" && corrected.handler.unitCode == GridFixture.grid2)
      #expect(try await grid.listCases(.with { $0.gridCode = GridFixture.grid2 }).cases.map(\.id) == [reported.id])
      #expect(try await grid.listCaseEvents(.with { $0.caseID = reported.id }).events.last?.kind == .updated)

      await expectRPCError(.invalidArgument, mentioning: "update_mask", "status") {
        _ = try await grid.updateCase(
          .with {
            $0.gridCase.id = reported.id
            $0.updateMask.paths = ["status"]
          })
      }
      await expectRPCError(.invalidArgument, mentioning: "grid_case.location.grid_code", "community 320113005001") {
        _ = try await grid.updateCase(
          .with {
            $0.gridCase.id = reported.id
            $0.gridCase.location.gridCode = "320113005002001"
            $0.updateMask.paths = ["location"]
          })
      }
      _ = try await grid.rejectCase(
        .with {
          $0.caseID = reported.id
          $0.reason = "重复上报"
        })
      await expectRPCError(.failedPrecondition, mentioning: "corrected until it is resolved") {
        _ = try await grid.updateCase(
          .with {
            $0.gridCase.id = reported.id
            $0.gridCase.title = "改"
            $0.updateMask.paths = ["title"]
          })
      }
    }
  }

  @Test("workers and grids are listed by grid and compound; a worker who left is not on duty")
  func workersGridsAndDuty() async throws {
    let store = try await GridFixture.store()
    try await withTestServer([GridService(store: store).routes]) { client in
      let grid = Governance_Grid_V1_GridService.Client(wrapping: client)
      let worker = try await grid.createGridWorker(
        .with {
          $0.worker.name = "孙值班"
          $0.worker.kind = .propertyStaff
          $0.worker.gridCodes = [GridFixture.microGrid]
          $0.worker.phone = "13700003333"
        })
      let now = Date()
      _ = try await grid.setDutyRoster(
        .with {
          $0.gridCode = GridFixture.microGrid
          $0.windowStart = .init(date: now.addingTimeInterval(-60))
          $0.windowEnd = .init(date: now.addingTimeInterval(3600))
          $0.shifts = [
            .with {
              $0.workerID = worker.id
              $0.startTime = .init(date: now.addingTimeInterval(-60))
              $0.endTime = .init(date: now.addingTimeInterval(3600))
            }
          ]
        })
      #expect(
        try await grid.listGridWorkers(.with { $0.gridCode = GridFixture.microGrid }).workers.map(\.id) == [worker.id])
      #expect(try await grid.listGridWorkers(.with { $0.kind = .fullTime }).workers.isEmpty)
      #expect(try await grid.listDutyShifts(.with { $0.workerID = worker.id }).shifts.count == 1)
      #expect(
        try await grid.listDutyShifts(.with { $0.fromTime = .init(date: now.addingTimeInterval(7200)) }).shifts.isEmpty)
      #expect(
        try await grid.listGrids(.with { $0.workerID = worker.id }).grids.map(\.gridCode) == [GridFixture.microGrid])
      #expect(
        try await grid.listGrids(.with { $0.compoundID = GridFixture.compound }).grids.map(\.gridCode).sorted()
          == [GridFixture.grid1, GridFixture.microGrid])

      _ = try await grid.updateGridWorker(
        .with {
          $0.worker.id = worker.id
          $0.worker.active = false
          $0.updateMask.paths = ["active"]
        })
      #expect(try await grid.getOnDuty(.with { $0.gridCode = GridFixture.microGrid }).workers.isEmpty)
      #expect(try await grid.listGridWorkers(.with { $0.gridCode = GridFixture.microGrid }).workers.isEmpty)

      let grid2 = try await grid.getGrid(.with { $0.gridCode = GridFixture.grid2 })
      _ = try await grid.updateGrid(
        .with {
          $0.grid.id = grid2.id
          $0.grid.compoundIds = [GridFixture.compound]
          $0.grid.branchOrganisationID = "org_branch"
          $0.updateMask.paths = ["compound_ids", "branch_organisation_id"]
        })
      #expect(try await grid.listGrids(.with { $0.compoundID = GridFixture.compound }).grids.count == 3)
      #expect(
        try await grid.listGrids(
          .with {
            $0.withoutBranch = true
            $0.kind = .basic
          }
        ).grids.map(\.gridCode) == [GridFixture.grid1])

      let divisions = try await grid.listDivisions(.with { $0.parentCode = "320113005000" }).divisions
      #expect(divisions.map(\.divisionCode) == [GridFixture.community])
      let renamed = try await grid.updateDivision(
        .with {
          $0.division.id = divisions[0].id
          $0.division.name = "樱花园社区"
          $0.updateMask.paths = ["name"]
        })
      #expect(renamed.name == "樱花园社区" && renamed.divisionCode == GridFixture.community)
      await expectRPCError(.invalidArgument, mentioning: "update_mask", "division_code") {
        _ = try await grid.updateDivision(
          .with {
            $0.division.id = divisions[0].id
            $0.updateMask.paths = ["division_code"]
          })
      }
    }
  }
}
