import GRPCCore
import GovernanceAPI
import ServiceKit
import ServiceKitTesting
import Testing

@testable import Property

@Suite("Compounds: one community and its grids, a kind, a plausible household count")
struct CompoundRegistrationTests {
  static let compound = Governance_Property_V1_Compound.with {
    $0.name = "仙林翠谷"
    $0.divisionCode = "320113005001"
    $0.gridCodes = ["320113005001001", "320113005001002"]
    $0.kind = .commercialHousing
    $0.householdCount = 1280
    $0.address = "南京市栖霞区仙林大道 1 号"
  }

  @Test("a compound sits in one community and its grids")
  func compoundSitsInOneCommunityAndItsGrids() throws {
    let registered = try CompoundRegistration.validateNew(Self.compound)
    #expect(registered.managementMode == .none)
    #expect(registered.threeNo.noPropertyCompany)

    var foreignGrid = Self.compound
    foreignGrid.gridCodes = ["320113006001001"]
    #expect(
      throws: DomainError.invalidArgument(
        field: "compound.grid_codes[0]", rule: "320113006001001 is not a grid of community 320113005001")
    ) { try CompoundRegistration.validateNew(foreignGrid) }

    var street = Self.compound
    street.divisionCode = "320113005000"
    #expect(throws: DomainError.self) { try CompoundRegistration.validateNew(street) }

    var huge = Self.compound
    huge.householdCount = 1_000_000
    #expect(throws: DomainError.self) { try CompoundRegistration.validateNew(huge) }
  }

  @Test("create then get over gRPC, with Chinese text intact")
  func createAndGet() async throws {
    let store = PropertyStore(writer: try GovernanceDatabase.makeEmptyTestDatabase(migrator: PropertyStore.migrator))
    try await withTestServer([PropertyService(store: store)], as: .staff(.community, scope: "320113005001")) { client in
      let property = Governance_Property_V1_PropertyService.Client(wrapping: client)
      let created = try await property.createCompound(
        .with {
          $0.requestID = "c-1"
          $0.compound = Self.compound
        })
      let again = try await property.createCompound(
        .with {
          $0.requestID = "c-1"
          $0.compound = Self.compound
        })
      #expect(again.id == created.id)
      let fetched = try await property.getCompound(.with { $0.id = created.id })
      #expect(fetched.name == "仙林翠谷")
      #expect(fetched.gridCodes == Self.compound.gridCodes)
      #expect(fetched.audit.createdBy == "user:clerk")

      await expectRPCError(.invalidArgument, mentioning: "compound.kind") {
        var noKind = Self.compound
        noKind.kind = .unspecified
        _ = try await property.createCompound(.with { $0.compound = noKind })
      }
      await expectRPCError(.invalidArgument, mentioning: "compound.name", "control characters") {
        var control = Self.compound
        control.name = "小区\u{07}"
        _ = try await property.createCompound(.with { $0.compound = control })
      }
      await expectRPCError(.alreadyExists, mentioning: "request_id", "different CreateCompound") {
        var other = Self.compound
        other.name = "另一个小区"
        _ = try await property.createCompound(
          .with {
            $0.requestID = "c-1"
            $0.compound = other
          })
      }
    }
  }
}
