import GRPCCore
import GovernanceAPI
import Organisation
import ServiceKit
import ServiceKitTesting
import Testing

@Suite("Positions: one secretary, dispatched first secretaries, one shoulder")
struct PositionsTests {
  @Test("the branch secretary who chairs the compound's committee carries one shoulder")
  func oneShoulder() async throws {
    try await withOrganisationService { organisations, property, _ in
      let community = try await BranchFormationTests.committees(organisations)
      let compound = try await property.createCompound(
        .with {
          $0.compound.name = "一肩挑小区"
          $0.compound.divisionCode = "320113005001"
          $0.compound.kind = .old
        }
      ).id
      var members: [String] = []
      for index in 0..<3 {
        members.append(
          try await organisations.createMember(
            BranchFormationTests.member("党员\(index)", organisation: community, compound: compound)
          ).id)
      }
      let branch = try await organisations.createOrganisation(
        .with {
          $0.organisation.name = "一肩挑小区支部"
          $0.organisation.level = .branch
          $0.organisation.branchKind = .compound
          $0.organisation.divisionCode = "320113005001"
          $0.organisation.parentID = community
          $0.organisation.compoundID = compound
        }
      ).id
      let secretary = try await organisations.appointPosition(
        .with {
          $0.organisationID = branch
          $0.memberID = members[0]
          $0.kind = .secretary
          $0.selectionMethod = .communityRecommendation
          $0.preAppointmentTalk = .with {
            $0.talkedBy = "社区党委书记"
            $0.summary = "任前谈话"
          }
        })
      #expect(!secretary.oneShoulder)
      let second = members[1]
      await expectRPCError(.failedPrecondition, mentioning: "one current secretary") {
        _ = try await organisations.appointPosition(
          .with {
            $0.organisationID = branch
            $0.memberID = second
            $0.kind = .secretary
            $0.selectionMethod = .selfNomination
          })
      }
      await expectRPCError(.invalidArgument, mentioning: "dispatching_unit") {
        _ = try await organisations.appointPosition(
          .with {
            $0.organisationID = branch
            $0.memberID = second
            $0.kind = .firstSecretary
            $0.selectionMethod = .streetAppointment
          })
      }

      let body = try await organisations.createGovernanceBody(
        .with {
          $0.body.kind = .selfManagementCommittee
          $0.body.name = "自管会"
          $0.body.divisionCode = "320113005001"
          $0.body.compoundIds = [compound]
        }
      ).id
      _ = try await organisations.addBodyMember(
        SelfGovernanceTests.person("党员0", id: "320113198001011237", party: members[0], post: .chair, body: body))
      #expect(try await organisations.getGovernanceBody(.with { $0.id = body }).oneShoulder)
      let positions = try await organisations.listPositions(
        .with {
          $0.organisationID = branch
          $0.oneShoulderOnly = true
        })
      #expect(positions.positions.map(\.memberID) == [members[0]])

      _ = try await organisations.endPosition(
        .with {
          $0.id = secretary.id
          $0.reason = "换届"
          $0.endDate = .with {
            $0.year = 2099
            $0.month = 1
            $0.day = 1
          }
        })
      #expect(try await organisations.getGovernanceBody(.with { $0.id = body }).oneShoulder == false)
    }
  }
}
