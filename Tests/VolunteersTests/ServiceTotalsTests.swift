import Foundation
import GRPCCore
import GovernanceAPI
import ServiceKit
import ServiceKitTesting
import Testing

@testable import Volunteers

@Suite("Service hours: confirmed records counted in totals and leaderboards")
struct ServiceTotalsTests {
  @Test("ties share a rank and the next rank skips")
  func tiesShareARank() {
    #expect(Leaderboards.ranks(ofDescending: [9, 7, 7, 3, 3, 3, 1]) == [1, 2, 2, 4, 4, 4, 7])
    #expect(Leaderboards.ranks(ofDescending: []) == [])
  }

  @Test("totals and leaderboards match a hand count")
  func totalsMatchAHandCount() async throws {
    try await withVolunteersService { volunteers, _, grid, _ in
      for (code, name) in [
        ("320113000000", "玄武区"), ("320113005000", "玄武门街道"), (Fixture.community, "樱花社区"),
        (Fixture.otherCommunity, "梅园社区"),
      ] {
        _ = try await grid.createDivision(
          .with {
            $0.division.divisionCode = code
            $0.division.name = name
          })
      }
      let a = try await Fixture.volunteers(volunteers, count: 2)
      let b = try await Fixture.volunteers(volunteers, count: 1, community: Fixture.otherCommunity)
      let team = try await volunteers.createTeam(
        .with {
          $0.team = TeamFormationTests.squad
          $0.team.leaderVolunteerID = a[0]
        })
      _ = try await volunteers.addTeamMember(
        .with {
          $0.teamID = team.id
          $0.volunteerID = a[1]
        })
      let start = Date()
      @Sendable func serve(
        _ volunteer: String, _ hours: Double, _ residents: Int32, community: String, team: String = ""
      )
        async throws -> String
      {
        try await volunteers.createServiceRecord(
          .with {
            $0.record.divisionCode = community
            $0.record.volunteerID = volunteer
            $0.record.teamID = team
            $0.record.activity = "楼道清理"
            $0.record.startTime = .init(date: start)
            $0.record.hours = hours
            $0.record.residentsServed = residents
          }
        ).id
      }
      // Hand count: a0 3h/10 (team) + 2h/5 (team); a1 4h/8 (team); b0 5h/1; a1's 9h rejected.
      let confirmedRecords = [
        try await serve(a[0], 3, 10, community: Fixture.community, team: team.id),
        try await serve(a[0], 2, 5, community: Fixture.community, team: team.id),
        try await serve(a[1], 4, 8, community: Fixture.community, team: team.id),
        try await serve(b[0], 5, 1, community: Fixture.otherCommunity),
      ]
      let rejected = try await serve(a[1], 9, 30, community: Fixture.community)
      let pending = try await serve(b[0], 7, 7, community: Fixture.otherCommunity)
      for id in confirmedRecords { _ = try await volunteers.confirmServiceRecord(.with { $0.recordID = id }) }
      _ = try await volunteers.rejectServiceRecord(
        .with {
          $0.recordID = rejected
          $0.reason = "无签到记录"
        })
      await expectRPCError(.failedPrecondition, mentioning: "pending", "rejected") {
        _ = try await volunteers.confirmServiceRecord(.with { $0.recordID = rejected })
      }
      #expect(try await volunteers.listServiceRecords(.with { $0.state = .pending }).records.map(\.id) == [pending])

      let post = try await volunteers.createServicePost(
        .with {
          $0.post.divisionCode = Fixture.community
          $0.post.title = "文明劝导"
          $0.post.capacity = 5
        })
      for id in a {
        _ = try await volunteers.claimPost(
          .with {
            $0.postID = post.id
            $0.volunteerID = id
          })
      }

      let ofA0 = try await volunteers.getServiceTotals(.with { $0.volunteerID = a[0] })
      #expect(ofA0.hours == 5 && ofA0.residentsServed == 15 && ofA0.recordCount == 2 && ofA0.postsClaimed == 1)
      #expect(ofA0.teams == 1)
      let ofTeam = try await volunteers.getServiceTotals(.with { $0.teamID = team.id })
      #expect(ofTeam.hours == 9 && ofTeam.residentsServed == 23 && ofTeam.volunteerCount == 2)
      #expect(ofTeam.registeredVolunteers == 2 && ofTeam.postsClaimed == 2)
      let ofStreet = try await volunteers.getServiceTotals(.with { $0.divisionPrefix = "320113005" })
      #expect(ofStreet.hours == 14 && ofStreet.residentsServed == 24 && ofStreet.recordCount == 4)
      #expect(ofStreet.volunteerCount == 3 && ofStreet.registeredVolunteers == 3 && ofStreet.teams == 1)
      let tomorrow = CalendarDate.today(at: start.addingTimeInterval(86_400))
      let future = try await volunteers.getServiceTotals(
        .with {
          $0.divisionPrefix = "320113005"
          $0.fromDate = tomorrow
        })
      #expect(future.hours == 0 && future.recordCount == 0 && future.registeredVolunteers == 3)

      let byVolunteer = try await volunteers.getLeaderboard(
        .with {
          $0.subject = .volunteer
          $0.divisionPrefix = "320113"
        })
      #expect(byVolunteer.entries.map(\.subjectID) == [a[0], b[0], a[1]])
      #expect(byVolunteer.entries.map(\.rank) == [1, 1, 3])
      #expect(byVolunteer.entries.allSatisfy { $0.name.contains("*") })
      let byCommunity = try await volunteers.getLeaderboard(
        .with {
          $0.subject = .community
          $0.metric = .residentsServed
        })
      #expect(byCommunity.entries.map(\.name) == ["樱花社区", "梅园社区"])
      #expect(byCommunity.entries.map(\.totals.residentsServed) == [23, 1])
      let byPosts = try await volunteers.getLeaderboard(
        .with {
          $0.subject = .street
          $0.metric = .postsClaimed
        })
      #expect(byPosts.entries.map(\.subjectID) == ["320113005000"] && byPosts.entries.first?.name == "玄武门街道")
      let firstPage = try await volunteers.getLeaderboard(
        .with {
          $0.subject = .volunteer
          $0.pageSize = 2
        })
      let secondPage = try await volunteers.getLeaderboard(
        .with {
          $0.subject = .volunteer
          $0.pageSize = 2
          $0.pageToken = firstPage.nextPageToken
        })
      #expect(
        firstPage.entries.count == 2 && secondPage.entries.map(\.subjectID) == [a[1]]
          && secondPage.nextPageToken.isEmpty)

      for (field, hours) in [("record.hours", 0.0), ("record.hours", 24.5)] {
        await expectRPCError(.invalidArgument, mentioning: field) {
          _ = try await serve(a[0], hours, 1, community: Fixture.community)
        }
      }
      await expectRPCError(.failedPrecondition, mentioning: "not in") {
        _ = try await serve(b[0], 1, 1, community: Fixture.otherCommunity, team: team.id)
      }
    }
  }
}
