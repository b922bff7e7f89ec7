import GRPCCore
import GovernanceAPI
import ServiceKit
import ServiceKitTesting
import Testing

@testable import Grid

@Suite("Grids extend their community's code; micro-grids their grid's")
struct GridRegistryTests {
  @Test("a grid's code extends a registered community's, a micro-grid's a registered grid's")
  func gridCodesExtendTheirParents() async throws {
    let store = GridStore(
      writer: try GovernanceDatabase.makeEmptyTestDatabase(migrator: GridStore.migrator), vault: .ephemeral())
    try await withTestServer([GridService(store: store).routes]) { client in
      let grid = Governance_Grid_V1_GridService.Client(wrapping: client)
      for (code, name) in [("320113000000", "栖霞区"), ("320113005000", "尧化街道"), ("320113005001", "仙林社区")] {
        _ = try await grid.createDivision(DivisionRegistryTests.division(code, name))
      }
      let basic = try await grid.createGrid(
        .with {
          $0.grid.gridCode = "320113005001001"
          $0.grid.name = "第一网格"
          $0.grid.kind = .basic
        })
      #expect(basic.divisionCode == "320113005001")
      let micro = try await grid.createGrid(
        .with {
          $0.grid.gridCode = "320113005001001002"
          $0.grid.name = "第一网格二号微网格"
          $0.grid.kind = .micro
        })
      #expect(micro.parentGridCode == "320113005001001")
      await expectRPCError(.failedPrecondition, mentioning: "community 320113005002") {
        _ = try await grid.createGrid(
          .with {
            $0.grid.gridCode = "320113005002001"
            $0.grid.name = "无社区网格"
            $0.grid.kind = .basic
          })
      }
      await expectRPCError(.invalidArgument, mentioning: "grid.grid_code", "18 digits") {
        _ = try await grid.createGrid(
          .with {
            $0.grid.gridCode = "320113005001003"
            $0.grid.name = "错级微网格"
            $0.grid.kind = .micro
          })
      }
      await expectRPCError(.alreadyExists, mentioning: "grid 320113005001001") {
        _ = try await grid.createGrid(
          .with {
            $0.grid.gridCode = "320113005001001"
            $0.grid.name = "重复"
            $0.grid.kind = .basic
          })
      }
      let basics = try await grid.listGrids(
        .with {
          $0.divisionPrefix = "320113005"
          $0.kind = .basic
        })
      #expect(basics.grids.map(\.gridCode) == ["320113005001001"])
      #expect(try await grid.getGrid(.with { $0.gridCode = "320113005001001002" }).id == micro.id)
    }
  }

  @Test("grid codes are listed in code order, by kind and prefix, many to a page and paged by code")
  func gridCodesListed() async throws {
    let store = try await GridFixture.store()
    try await withTestServer([GridService(store: store).routes]) { client in
      let grid = Governance_Grid_V1_GridService.Client(wrapping: client)
      let all = try await grid.listGridCodes(.init())
      #expect(all.gridCodes == [GridFixture.grid1, GridFixture.microGrid, GridFixture.grid2])
      #expect(all.nextPageToken.isEmpty)
      let basic = try await grid.listGridCodes(
        .with {
          $0.divisionPrefix = "320113005001"
          $0.kind = .basic
        })
      #expect(basic.gridCodes == [GridFixture.grid1, GridFixture.grid2])
      let first = try await grid.listGridCodes(.with { $0.pageSize = 2 })
      #expect(first.gridCodes == [GridFixture.grid1, GridFixture.microGrid])
      let second = try await grid.listGridCodes(
        .with {
          $0.pageSize = 2
          $0.pageToken = first.nextPageToken
        })
      #expect(second.gridCodes == [GridFixture.grid2] && second.nextPageToken.isEmpty)
      #expect(try await grid.listGridCodes(.with { $0.divisionPrefix = "320114" }).gridCodes.isEmpty)
      await expectRPCError(.invalidArgument, mentioning: "division_prefix") {
        _ = try await grid.listGridCodes(.with { $0.divisionPrefix = "3201a" })
      }
      await expectRPCError(.invalidArgument, mentioning: "page_token") {
        _ = try await grid.listGridCodes(.with { $0.pageToken = "not-a-token" })
      }
    }
  }
}
