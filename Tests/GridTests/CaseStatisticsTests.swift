import GRPCCore
import GovernanceAPI
import ServiceKit
import ServiceKitTesting
import Testing

@testable import Grid

@Suite("Case KPIs: where cases are resolved, on time, and how satisfied reporters are")
struct CaseStatisticsTests {
  @Test("statistics match a hand count, in total and by grid")
  func statisticsMatchAHandCount() async throws {
    let store = try await GridFixture.store()
    try await withTestServer([GridService(store: store).routes]) { client in
      let grid = Governance_Grid_V1_GridService.Client(wrapping: client)
      func report(_ gridCode: String, _ category: String) async throws -> String {
        try await grid.createCase(
          .with {
            $0.gridCase.source = .resident
            $0.gridCase.category = category
            $0.gridCase.title = category
            $0.gridCase.location.gridCode = gridCode
          }
        ).id
      }
      func finish(_ id: String, satisfaction: Int32) async throws {
        _ = try await grid.assignCase(
          .with {
            $0.caseID = id
            $0.assigneeID = "worker_1"
          })
        _ = try await grid.startCase(.with { $0.caseID = id })
        _ = try await grid.resolveCase(
          .with {
            $0.caseID = id
            $0.resolution = "已处理"
          })
        _ = try await grid.evaluateCase(
          .with {
            $0.caseID = id
            $0.satisfaction = satisfaction
          })
      }
      // A: resolved in the grid, satisfied. B: escalated, resolved in the community, not
      // satisfied. C: still open in another grid.
      let a = try await report("320113005001001", "环境卫生")
      _ = try await grid.acceptCase(.with { $0.caseID = a })
      try await finish(a, satisfaction: 5)
      let b = try await report("320113005001001", "设施维修")
      _ = try await grid.acceptCase(.with { $0.caseID = b })
      _ = try await grid.escalateCase(.with { $0.caseID = b })
      try await finish(b, satisfaction: 2)
      _ = try await report("320113005001002", "环境卫生")

      let statistics = try await grid.getCaseStatistics(
        .with {
          $0.divisionPrefix = "320113005001"
          $0.groupBy = .grid
        })
      let totals = statistics.totals
      #expect(totals.total == 3)
      #expect(totals.evaluated == 2)
      #expect(totals.meanSatisfaction == 3.5)
      #expect(totals.satisfiedRate == 0.5)
      #expect(totals.onTimeRate == 1)
      #expect(totals.resolvedByLevel.map(\.level) == [.grid, .community])
      #expect(totals.resolvedByLevel.map(\.share) == [0.5, 0.5])
      #expect(
        Dictionary(uniqueKeysWithValues: totals.byCategory.map { ($0.category, $0.count) }) == ["环境卫生": 2, "设施维修": 1])
      #expect(statistics.rows.map(\.unitCode) == ["320113005001001", "320113005001002"])
      #expect(statistics.rows.map(\.total) == [2, 1])
      let elsewhere = try await grid.getCaseStatistics(.with { $0.divisionPrefix = "320114" })
      #expect(elsewhere.totals.total == 0)
    }
  }
}
