import GRPCCore
import GovernanceAPI
import ServiceKit
import ServiceKitTesting
import Testing

@testable import Grid

@Suite("Divisions: codes name their level, streets and communities hang under registered parents")
struct DivisionRegistryTests {
  static func division(_ code: String, _ name: String) -> Governance_Grid_V1_CreateDivisionRequest {
    .with {
      $0.division.divisionCode = code
      $0.division.name = name
    }
  }

  @Test("a division's parent must be registered first")
  func divisionParentMustBeRegistered() throws {
    let community = Governance_Grid_V1_Division.with {
      $0.divisionCode = "320113005001"
      $0.name = "仙林社区"
    }
    #expect(
      throws: DomainError.failedPrecondition(
        rule: "a community is registered under its parent division",
        detail: "parent 320113005000 of 320113005001 is not registered")
    ) { try DivisionRegistry.validateNew(community) { _ in false } }
    let validated = try DivisionRegistry.validateNew(community) { $0.code == "320113005000" }
    #expect(validated.level == .community)
    #expect(validated.parentCode == "320113005000")
    // A district needs no registered city above it.
    let district = try DivisionRegistry.validateNew(
      .with {
        $0.divisionCode = "320113000000"
        $0.name = "栖霞区"
      }
    ) { _ in false }
    #expect(district.level == .district)
  }

  @Test("create a district, street and community over gRPC; read by id and by code")
  func createAndGet() async throws {
    let store = GridStore(
      writer: try GovernanceDatabase.makeEmptyTestDatabase(migrator: GridStore.migrator), vault: .ephemeral())
    try await withTestServer([GridService(store: store).routes]) { client in
      let grid = Governance_Grid_V1_GridService.Client(wrapping: client)
      _ = try await grid.createDivision(Self.division("320113000000", "栖霞区"))
      let street = try await grid.createDivision(Self.division("320113005000", "尧化街道"))
      _ = try await grid.createDivision(Self.division("320113005001", "仙林社区"))

      let byID = try await grid.getDivision(.with { $0.id = street.id })
      #expect(byID.name == "尧化街道")
      let byCode = try await grid.getDivision(.with { $0.divisionCode = "320113005001" })
      #expect(byCode.level == .community)
      #expect(byCode.parentCode == "320113005000")

      await expectRPCError(.alreadyExists, mentioning: "division 320113005000") {
        _ = try await grid.createDivision(Self.division("320113005000", "重复"))
      }
      await expectRPCError(.failedPrecondition, mentioning: "parent 320113006000") {
        _ = try await grid.createDivision(Self.division("320113006001", "无街道社区"))
      }
      await expectRPCError(.invalidArgument, mentioning: "division.division_code", "CreateGrid") {
        _ = try await grid.createDivision(Self.division("320113005001001", "网格"))
      }
      await expectRPCError(.invalidArgument, mentioning: "key") {
        _ = try await grid.getDivision(.init())
      }
    }
  }
}
