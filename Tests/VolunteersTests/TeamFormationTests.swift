import GRPCCore
import GovernanceAPI
import ServiceKit
import ServiceKitTesting
import Testing

@testable import Volunteers

@Suite("Teams: a named team of a known kind in one community")
struct TeamFormationTests {
  static let squad = Governance_Volunteers_V1_Team.with {
    $0.name = "红管家先锋突击队"
    $0.kind = .redButlerSquad
    $0.divisionCode = "320113005001"
  }

  @Test("a team belongs to one community")
  func teamBelongsToOneCommunity() throws {
    #expect(try TeamFormation.validateNew(Self.squad).active)
    var streetTeam = Self.squad
    streetTeam.divisionCode = "320113005000"
    #expect(throws: DomainError.invalidArgument(
      field: "team.division_code", rule: "a team belongs to a community, got a street")
    ) { try TeamFormation.validateNew(streetTeam) }
  }

  @Test("create then get over gRPC")
  func createAndGet() async throws {
    let store = VolunteersStore(writer: try GovernanceDatabase.makeEmptyTestDatabase(migrator: VolunteersStore.migrator))
    try await withTestServer([VolunteersRPCService(store: store)]) { client in
      let volunteers = Governance_Volunteers_V1_VolunteersService.Client(wrapping: client)
      let created = try await volunteers.createTeam(.with { $0.team = Self.squad })
      let fetched = try await volunteers.getTeam(.with { $0.id = created.id })
      #expect(fetched.kind == .redButlerSquad)
      #expect(fetched.name == "红管家先锋突击队")
      await expectRPCError(.invalidArgument, mentioning: "team.kind", "is required") {
        var noKind = Self.squad
        noKind.kind = .unspecified
        _ = try await volunteers.createTeam(.with { $0.team = noKind })
      }
      await expectRPCError(.invalidArgument, mentioning: "team.name", "at most 100 characters") {
        var long = Self.squad
        long.name = String(repeating: "志", count: 101)
        _ = try await volunteers.createTeam(.with { $0.team = long })
      }
    }
  }
}
