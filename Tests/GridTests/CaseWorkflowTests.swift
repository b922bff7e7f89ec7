import Foundation
import GRPCCore
import GovernanceAPI
import ServiceKit
import ServiceKitTesting
import Testing

@testable import Grid

@Suite("Cases: one transition table, every step kept, reporters masked")
struct CaseWorkflowTests {
  @Test("a case moves only along the transition table")
  func caseMovesOnlyAlongTheTable() {
    let states: [CaseWorkflow.Status] = [
      .reported, .accepted, .assigned, .inProgress, .resolved, .evaluated, .closed, .rejected, .reopened,
    ]
    let allowed: Set<[CaseWorkflow.Status]> = [
      [.reported, .accepted], [.reported, .rejected], [.reopened, .accepted], [.accepted, .assigned],
      [.assigned, .assigned], [.assigned, .inProgress], [.inProgress, .resolved], [.resolved, .evaluated],
      [.resolved, .closed], [.resolved, .reopened], [.evaluated, .closed], [.evaluated, .reopened],
      [.closed, .reopened],
    ]
    for from in states {
      for to in states {
        let gridCase = CaseWorkflow.GridCase.with {
          $0.id = "case_1"
          $0.status = from
        }
        let moved = (try? CaseWorkflow.checkTransition(gridCase, to: to)) != nil
        #expect(moved == allowed.contains([from, to]), "\(from) → \(to)")
      }
    }
  }

  @Test("deadlines per level and priority: urgent is hours, the street has three times the grid's")
  func deadlines() {
    #expect(CaseWorkflow.deadlineHours(level: .grid, priority: .urgent) == 2)
    #expect(CaseWorkflow.deadlineHours(level: .grid, priority: .normal) == 72)
    #expect(CaseWorkflow.deadlineHours(level: .street, priority: .normal) == 216)
  }

  @Test(
    "a resident's case from report to close over gRPC, history kept, reporter masked, its deadline watched while open")
  func caseLifecycle() async throws {
    let store = try await GridFixture.store()
    try await withTestServer([GridService(store: store).routes]) { client in
      let grid = Governance_Grid_V1_GridService.Client(wrapping: client)
      let reported = try await grid.createCase(
        .with {
          $0.gridCase.source = .resident
          $0.gridCase.category = "环境卫生"
          $0.gridCase.title = "楼道堆放杂物"
          $0.gridCase.location.gridCode = "320113005001001"
          $0.gridCase.reporter = .with {
            $0.name = "王秀英"
            $0.phone = "13812345678"
          }
        })
      #expect(reported.status == .reported)
      #expect(reported.handler.level == .grid)
      #expect(reported.reporter.name == "王**" && reported.reporter.phone == "138****5678")
      let id = reported.id
      // What the deadline sweep and the late counts see of the case.
      func watchedDeadline() async throws -> Int64? {
        try await store.writer.read { db in
          try Int64.fetchOne(db, sql: "SELECT deadline FROM grid_case WHERE id = ?", arguments: [id])
        }
      }

      await expectRPCError(.failedPrecondition, mentioning: "reported", "cannot become inProgress") {
        _ = try await grid.startCase(.with { $0.caseID = id })
      }
      let accepted = try await grid.acceptCase(.with { $0.caseID = id })
      #expect(accepted.hasDeadline)
      #expect(try await watchedDeadline() == accepted.deadline.seconds)
      _ = try await grid.assignCase(
        .with {
          $0.caseID = id
          $0.assigneeID = "worker_1"
        })
      _ = try await grid.assignCase(
        .with {
          $0.caseID = id
          $0.assigneeID = "worker_2"
          $0.note = "改派"
        })
      _ = try await grid.startCase(.with { $0.caseID = id })
      let resolved = try await grid.resolveCase(
        .with {
          $0.caseID = id
          $0.resolution = "已清理"
        })
      #expect(resolved.resolvedLevel == .grid)
      await expectRPCError(.invalidArgument, mentioning: "satisfaction", "from 1 to 5") {
        _ = try await grid.evaluateCase(
          .with {
            $0.caseID = id
            $0.satisfaction = 6
          })
      }
      _ = try await grid.evaluateCase(
        .with {
          $0.caseID = id
          $0.satisfaction = 2
          $0.comment = "还有残留"
        })
      #expect(try await watchedDeadline() == nil)
      let reopened = try await grid.reopenCase(
        .with {
          $0.caseID = id
          $0.reason = "居民不满意"
        })
      #expect(reopened.reopenCount == 1)
      let events = try await grid.listCaseEvents(.with { $0.caseID = id })
      #expect(
        events.events.map(\.kind) == [
          .reported, .accepted, .assigned, .reassigned, .started, .resolved, .evaluated, .reopened,
        ])
      let listed = try await grid.listCases(
        .with {
          $0.divisionPrefix = "320113005001"
          $0.statuses = [.reopened]
        })
      #expect(listed.cases.map(\.id) == [id])
      #expect(listed.cases.allSatisfy { $0.reporter.masked })
    }
    // A system such as the city platform never sees a reporter whole.
    try await withTestServer([GridService(store: store).routes], as: .staff(.cityPlatform)) { client in
      let grid = Governance_Grid_V1_GridService.Client(wrapping: client)
      let id = try await grid.listCases(.with { $0.divisionPrefix = "320113005001" }).cases[0].id
      await expectRPCError(.permissionDenied, mentioning: "role allows") {
        _ = try await grid.getCase(
          .with {
            $0.id = id
            $0.revealReporter = true
          })
      }
    }
    // A grid worker sees the reporter whole, to call them back, and the reveal is recorded.
    try await withTestServer([GridService(store: store).routes], as: .staff(.gridWorker, scope: "320113005")) { client in
      let grid = Governance_Grid_V1_GridService.Client(wrapping: client)
      let id = try await grid.listCases(.with { $0.divisionPrefix = "320113005001" }).cases[0].id
      let revealed = try await grid.getCase(
        .with {
          $0.id = id
          $0.revealReporter = true
        })
      #expect(revealed.reporter.name == "王秀英" && revealed.reporter.phone == "13812345678")
      #expect(try await store.writer.read { db in try ContactReveal.count(db, subject: id) } == 1)
    }
  }

  @Test("two workers accepting the same case at once: exactly one succeeds")
  func concurrentAccept() async throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("grid-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: directory) }
    let pool = try GovernanceDatabase.openPool(
      path: directory.appendingPathComponent("grid.sqlite").path, migrator: GridStore.migrator,
      logger: .init(label: "test"))
    let store = GridStore(writer: pool, vault: .ephemeral())
    try await GridFixture.register(in: store)
    try await withTestServer([GridService(store: store).routes]) { client in
      let grid = Governance_Grid_V1_GridService.Client(wrapping: client)
      for _ in 0..<10 {
        let id = try await grid.createCase(
          .with {
            $0.gridCase.source = .patrol
            $0.gridCase.category = "安全隐患"
            $0.gridCase.title = "消防通道堵塞"
            $0.gridCase.divisionCode = "320113005001"
          }
        ).id
        let outcomes = await withTaskGroup(of: Bool.self) { group in
          for _ in 0..<2 {
            group.addTask { (try? await grid.acceptCase(.with { $0.caseID = id })) != nil }
          }
          var outcomes: [Bool] = []
          for await outcome in group { outcomes.append(outcome) }
          return outcomes
        }
        #expect(outcomes.filter { $0 }.count == 1)
      }
    }
  }

  @Test("a case pushed twice by the city platform is one case")
  func cityIntakeIsIdempotent() async throws {
    let store = try await GridFixture.store()
    try await withTestServer([GridService(store: store).routes], as: .staff(.cityPlatform, name: "city-platform")) { client in
      let grid = Governance_Grid_V1_GridService.Client(wrapping: client)
      let push = Governance_Grid_V1_IntakeCityCaseRequest.with {
        $0.externalID = "12345-20261125-0001"
        $0.channel = "12345热线"
        $0.gridCase.category = "噪音扰民"
        $0.gridCase.title = "夜间施工噪音"
        $0.gridCase.divisionCode = "320113005001"
        $0.gridCase.reporter = .with {
          $0.name = "赵女士"
          $0.phone = "13900001111"
        }
      }
      let first = try await grid.intakeCityCase(push)
      let second = try await grid.intakeCityCase(push)
      #expect(first.created && !second.created)
      #expect(second.gridCase.id == first.gridCase.id)
      #expect(first.gridCase.source == .cityPlatform)
      let byExternal = try await grid.getCase(.with { $0.externalID = "12345-20261125-0001" })
      #expect(byExternal.id == first.gridCase.id)
      let events = try await grid.listCaseEvents(.with { $0.caseID = first.gridCase.id })
      #expect(events.events.map(\.kind) == [.reported, .duplicateIntake])
      await expectRPCError(.invalidArgument, mentioning: "external_id", "is required") {
        var missing = push
        missing.externalID = ""
        _ = try await grid.intakeCityCase(missing)
      }
    }
  }
}
