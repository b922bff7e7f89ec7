import Foundation
import GovernanceAPI
import ServiceKit

@testable import Grid

/// The divisions and grids the grid tests work in: 玄武区 › 玄武门街道 › 樱花社区, with grids 001
/// (covering compound cmp-plum) and 002, and micro-grid 001001 inside grid 001.
enum GridFixture {
  static let community = "320113005001"
  static let grid1 = "320113005001001"
  static let grid2 = "320113005001002"
  static let microGrid = "320113005001001001"
  static let compound = "cmp-plum"

  static func store() async throws -> GridStore {
    let store = GridStore(
      writer: try GovernanceDatabase.makeEmptyTestDatabase(migrator: GridStore.migrator), vault: .ephemeral())
    try await register(in: store)
    return store
  }

  static func register(in store: GridStore) async throws {
    let setup = Principal(service: .grid)
    for (code, name) in [("320113000000", "玄武区"), ("320113005000", "玄武门街道"), (community, "樱花社区")] {
      _ = try await store.createDivision(
        .with {
          $0.division.divisionCode = code
          $0.division.name = name
        }, by: setup)
    }
    for (code, kind, compounds) in [
      (grid1, Governance_Grid_V1_GridKind.basic, [compound]), (grid2, .basic, []), (microGrid, .micro, [compound]),
    ] {
      _ = try await store.createGrid(
        .with {
          $0.grid.gridCode = code
          $0.grid.name = "网格\(code.suffix(3))"
          $0.grid.kind = kind
          $0.grid.compoundIds = compounds
        }, by: setup)
    }
  }
}
