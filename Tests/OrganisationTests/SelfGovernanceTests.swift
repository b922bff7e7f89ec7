import GRPCCore
import GovernanceAPI
import Organisation
import ServiceKit
import ServiceKitTesting
import Testing

@Suite("Self-governance bodies: party share, committee kind against the compound, negative list")
struct SelfGovernanceTests {
  @Test(
    "the party share at 29%, 30%, 50% and 51%",
    arguments: [
      (Governance_Organisation_V1_GovernanceBodyKind.propertyManagementGuidanceCommittee, 29, false),
      (.propertyManagementGuidanceCommittee, 30, true),
      (.areaOwnersCommittee, 50, false),
      (.areaOwnersCommittee, 51, true),
      (.ownersCommittee, 0, true),
    ])
  func partyShare(kind: Governance_Organisation_V1_GovernanceBodyKind, percent: Int, holds: Bool) {
    let result = Result { () throws(DomainError) in
      try SelfGovernance.checkPartyShare(kind: kind, before: (100, percent), after: (100, percent))
    }
    switch result {
    case .success(let change):
      #expect(holds)
      #expect(abs(change.shareAfter - Double(percent) / 100) < 1e-9)
    case .failure(let error):
      #expect(!holds)
      #expect(error.rpcErrorMessage.contains("\(percent).0% (\(percent) of 100)"), "\(error.rpcErrorMessage)")
    }
  }

  static func person(
    _ name: String, id: String, party: String = "", post: Governance_Organisation_V1_BodyPost = .member,
    body: String
  ) -> Governance_Organisation_V1_AddBodyMemberRequest {
    .with {
      $0.member.bodyID = body
      $0.member.contact = .with {
        $0.name = name
        $0.idNumber = id
      }
      $0.member.partyMemberID = party
      $0.member.post = post
    }
  }

  @Test("an owners' committee needs a property company; the guidance committee keeps 30%; the negative list bars")
  func bodiesWithTheirRules() async throws {
    try await withOrganisationService { organisations, property, _ in
      let community = try await BranchFormationTests.committees(organisations)
      let compound = try await property.createCompound(
        .with {
          $0.compound.name = "无物业小区"
          $0.compound.divisionCode = "320113005001"
          $0.compound.kind = .old
        })
      await expectRPCError(.failedPrecondition, mentioning: "property company", compound.id) {
        _ = try await organisations.createGovernanceBody(
          .with {
            $0.body.kind = .ownersCommittee
            $0.body.name = "业主委员会"
            $0.body.divisionCode = "320113005001"
            $0.body.compoundIds = [compound.id]
          })
      }
      _ = try await organisations.createGovernanceBody(
        .with {
          $0.body.kind = .selfManagementCommittee
          $0.body.name = "自管会"
          $0.body.divisionCode = "320113005001"
          $0.body.compoundIds = [compound.id]
        })
      await expectRPCError(.invalidArgument, mentioning: "body.term_end_date", "after the start date") {
        _ = try await organisations.createGovernanceBody(
          .with {
            $0.body.kind = .partyMassCouncil
            $0.body.name = "议事会"
            $0.body.divisionCode = "320113005001"
            $0.body.termStartDate = .with {
              $0.year = 2026
              $0.month = 6
              $0.day = 1
            }
            $0.body.termEndDate = .with {
              $0.year = 2025
              $0.month = 6
              $0.day = 1
            }
          })
      }

      let guidance = try await organisations.createGovernanceBody(
        .with {
          $0.body.kind = .propertyManagementGuidanceCommittee
          $0.body.name = "物业管理指导委员会"
          $0.body.divisionCode = "320113005001"
        }
      ).id
      let partyMember = try await organisations.createMember(
        BranchFormationTests.member("党员甲", organisation: community, compound: compound.id)
      ).id
      let first = try await organisations.addBodyMember(
        Self.person("党员甲", id: "320113198001011237", party: partyMember, post: .chair, body: guidance))
      #expect(first.partyShare.shareAfter == 1)
      // 1 of 2, 1 of 3 (33%) keep 30%; a fourth non-member would make it 25%.
      _ = try await organisations.addBodyMember(Self.person("群众乙", id: "320113198001011245", body: guidance))
      _ = try await organisations.addBodyMember(Self.person("群众丙", id: "320113198001011253", body: guidance))
      await expectRPCError(.failedPrecondition, mentioning: "at least 30%", "33.3% (1 of 3)", "25.0% (1 of 4)") {
        _ = try await organisations.addBodyMember(Self.person("群众丁", id: "320113198001011261", body: guidance))
      }
      // Ending the only party member's seat is refused the same way.
      await expectRPCError(.failedPrecondition, mentioning: "0.0% (0 of 2)") {
        _ = try await organisations.endBodyMembership(.with { $0.id = first.member.id })
      }

      _ = try await organisations.createNegativeListEntry(
        .with {
          $0.entry.divisionCode = "320113005001"
          $0.entry.contact = .with {
            $0.name = "失信人"
            $0.idNumber = "32011319800101127X"
          }
          $0.entry.reason = .feeArrears
        })
      let partyMember2 = try await organisations.createMember(
        BranchFormationTests.member("党员戊", organisation: community, compound: compound.id)
      ).id
      await expectRPCError(.failedPrecondition, mentioning: "negative list", "失**") {
        _ = try await organisations.addBodyMember(
          Self.person("失信人", id: "32011319800101127X", party: partyMember2, body: guidance))
      }
      let members = try await organisations.listBodyMembers(.with { $0.bodyID = guidance })
      #expect(members.members.count == 3)
      #expect(members.members.allSatisfy { $0.contact.masked && $0.contact.idNumber.contains("*") })
      let body = try await organisations.getGovernanceBody(.with { $0.id = guidance })
      #expect(body.memberCount == 3)
      #expect(body.partyMemberCount == 1)
    }
  }
}
