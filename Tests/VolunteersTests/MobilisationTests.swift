import Foundation
import GRPCCore
import GovernanceAPI
import ServiceKit
import ServiceKitTesting
import Testing

@testable import Volunteers

@Suite("Mobilisation: a squad called out for a grid case, on its members' streams")
struct MobilisationTests {
  @Test(
    "a volunteer's call-out stream and answers are theirs: another grid worker is refused, and cannot bind the record")
  func aVolunteersStreamIsTheirs() async throws {
    let worker = Principal(subject: "user:X", role: .gridWorker, scope: Fixture.community)
    try await withVolunteersService(as: worker) { volunteers, _, _, _ in
      let someone = try await Fixture.volunteers(volunteers, count: 1)[0]
      await expectRPCError(.permissionDenied, mentioning: "user:X") {
        try await volunteers.watchMobilisations(.with { $0.volunteerID = someone }) { response in
          for try await _ in response.messages {}
        }
      }
      await expectRPCError(.permissionDenied, mentioning: "principal_id") {
        _ = try await volunteers.updateVolunteer(
          .with {
            $0.volunteer.id = someone
            $0.volunteer.principalID = "user:X"
            $0.updateMask = .with { $0.paths = ["principal_id"] }
          })
      }
    }
  }

  @Test("the case is checked with the grid service; watching members get the call-out; answers are kept")
  func mobilisationReachesWatchingMember() async throws {
    try await withVolunteersService { volunteers, _, grid, _ in
      for (code, name) in [("320113000000", "玄武区"), ("320113005000", "玄武门街道"), (Fixture.community, "樱花社区")] {
        _ = try await grid.createDivision(
          .with {
            $0.division.divisionCode = code
            $0.division.name = name
          })
      }
      let gridCase = try await grid.createCase(
        .with {
          $0.gridCase.source = .resident
          $0.gridCase.category = "防汛"
          $0.gridCase.title = "地下车库进水"
          $0.gridCase.divisionCode = Fixture.community
        })
      let members = try await Fixture.volunteers(volunteers, count: 2)
      let outsider = try await Fixture.volunteers(volunteers, count: 1)[0]
      let squad = try await volunteers.createTeam(
        .with {
          $0.team = TeamFormationTests.squad
          $0.team.leaderVolunteerID = members[0]
        })
      _ = try await volunteers.addTeamMember(
        .with {
          $0.teamID = squad.id
          $0.volunteerID = members[1]
        })

      await expectRPCError(.failedPrecondition, mentioning: "case_id", "case_missing") {
        _ = try await volunteers.mobiliseTeam(
          .with {
            $0.teamID = squad.id
            $0.caseID = "case_missing"
            $0.message = "集合"
          })
      }

      let received = try await withThrowingTaskGroup(of: Governance_Volunteers_V1_Mobilisation?.self) { group in
        group.addTask {
          try await volunteers.watchMobilisations(.with { $0.volunteerID = members[1] }) { response in
            for try await mobilisation in response.messages { return mobilisation }
            return nil
          }
        }
        try await Task.sleep(for: .milliseconds(200))
        let called = try await volunteers.mobiliseTeam(
          .with {
            $0.teamID = squad.id
            $0.caseID = gridCase.id
            $0.message = "带沙袋到3号楼车库入口集合"
            $0.meetingPoint = "3号楼"
          })
        #expect(called.notifiedVolunteerIds.sorted() == members.sorted())
        #expect(called.divisionCode == Fixture.community)
        let first = try await group.next() ?? nil
        group.cancelAll()
        return first
      }
      let mobilisation = try #require(received)
      #expect(mobilisation.caseID == gridCase.id && mobilisation.state == .open)

      _ = try await volunteers.answerMobilisation(
        .with {
          $0.mobilisationID = mobilisation.id
          $0.volunteerID = members[1]
          $0.answer = .coming
          $0.etaMinutes = 10
        })
      let arrived = try await volunteers.answerMobilisation(
        .with {
          $0.mobilisationID = mobilisation.id
          $0.volunteerID = members[1]
          $0.answer = .arrived
        })
      #expect(arrived.answers.map(\.answer) == [.coming, .arrived])
      await expectRPCError(.failedPrecondition, mentioning: outsider) {
        _ = try await volunteers.answerMobilisation(
          .with {
            $0.mobilisationID = mobilisation.id
            $0.volunteerID = outsider
            $0.answer = .coming
          })
      }
      #expect(try await volunteers.getServiceTotals(.with { $0.teamID = squad.id }).mobilisationsAnswered == 1)

      // A member who comes back later gets the open call-out first.
      let pending = try await volunteers.watchMobilisations(
        .with {
          $0.volunteerID = members[0]
          $0.includeOpen = true
        }
      ) { response -> Governance_Volunteers_V1_Mobilisation? in
        for try await mobilisation in response.messages { return mobilisation }
        return nil
      }
      #expect(pending?.id == mobilisation.id)

      _ = try await volunteers.closeMobilisation(.with { $0.mobilisationID = mobilisation.id })
      await expectRPCError(.failedPrecondition, mentioning: "stood-down") {
        _ = try await volunteers.answerMobilisation(
          .with {
            $0.mobilisationID = mobilisation.id
            $0.volunteerID = members[0]
            $0.answer = .coming
          })
      }
      #expect(
        try await volunteers.listMobilisations(
          .with {
            $0.caseID = gridCase.id
            $0.state = .closed
          }
        ).mobilisations.count == 1)
    }
  }
}
