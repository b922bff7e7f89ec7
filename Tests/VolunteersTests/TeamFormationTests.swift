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
    #expect(
      throws: DomainError.invalidArgument(
        field: "team.division_code", rule: "a team belongs to a community, got a street")
    ) { try TeamFormation.validateNew(streetTeam) }
  }

  @Test("create then get over gRPC")
  func createAndGet() async throws {
    try await withVolunteersService { volunteers, _, _, _ in
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

@Suite("Team membership: a leader is a member, members are counted")
struct TeamMembershipTests {
  @Test("a leader named at formation is the first member; a leader leaves only after being replaced")
  func leaderIsAMember() async throws {
    try await withVolunteersService { volunteers, _, _, _ in
      let ids = try await Fixture.volunteers(volunteers, count: 3)
      var squad = TeamFormationTests.squad
      squad.leaderVolunteerID = ids[0]
      squad.compoundIds = ["cmp_a"]
      let team = try await volunteers.createTeam(.with { $0.team = squad })
      #expect(team.memberCount == 1)
      let grown = try await volunteers.addTeamMember(
        .with {
          $0.teamID = team.id
          $0.volunteerID = ids[1]
        })
      #expect(grown.memberCount == 2)
      #expect(try await volunteers.getVolunteer(.with { $0.id = ids[1] }).teamIds == [team.id])
      await expectRPCError(.alreadyExists, mentioning: ids[1]) {
        _ = try await volunteers.addTeamMember(
          .with {
            $0.teamID = team.id
            $0.volunteerID = ids[1]
          })
      }
      await expectRPCError(.failedPrecondition, mentioning: "is not a member") {
        _ = try await volunteers.updateTeam(
          .with {
            $0.team.id = team.id
            $0.team.leaderVolunteerID = ids[2]
            $0.updateMask.paths = ["leader_volunteer_id"]
          })
      }
      await expectRPCError(.failedPrecondition, mentioning: "replaced before leaving") {
        _ = try await volunteers.removeTeamMember(
          .with {
            $0.teamID = team.id
            $0.volunteerID = ids[0]
          })
      }
      _ = try await volunteers.updateTeam(
        .with {
          $0.team.id = team.id
          $0.team.leaderVolunteerID = ids[1]
          $0.updateMask.paths = ["leader_volunteer_id"]
        })
      let shrunk = try await volunteers.removeTeamMember(
        .with {
          $0.teamID = team.id
          $0.volunteerID = ids[0]
        })
      #expect(shrunk.memberCount == 1 && shrunk.leaderVolunteerID == ids[1])
      #expect(try await volunteers.listTeams(.with { $0.compoundID = "cmp_a" }).teams.map(\.id) == [team.id])
      #expect(try await volunteers.listTeams(.with { $0.volunteerID = ids[0] }).teams.isEmpty)
      #expect(try await volunteers.listVolunteers(.with { $0.teamID = team.id }).volunteers.map(\.id) == [ids[1]])
    }
  }
}
