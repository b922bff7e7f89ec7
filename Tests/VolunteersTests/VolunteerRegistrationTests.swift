import GRDB
import GRPCCore
import GovernanceAPI
import ServiceKit
import ServiceKitTesting
import Testing

@testable import Volunteers

@Suite("Volunteers: kinds, skills, party members checked with the organisation service, contacts masked")
struct VolunteerRegistrationTests {
  @Test("a party-member volunteer is linked to a member the organisation service knows, once")
  func partyMemberIsChecked() async throws {
    try await withVolunteersService { volunteers, organisations, _, _ in
      var parent = ""
      for (name, level, code) in [
        ("玄武区委", Governance_Organisation_V1_OrganisationLevel.districtCommittee, "320113000000"),
        ("街道党工委", .streetWorkingCommittee, "320113005000"), ("社区党委", .communityCommittee, Fixture.community),
      ] {
        parent = try await organisations.createOrganisation(
          .with {
            $0.organisation.name = name
            $0.organisation.level = level
            $0.organisation.divisionCode = code
            $0.organisation.parentID = parent
          }
        ).id
      }
      let member = try await organisations.createMember(
        .with {
          $0.member.contact = .with {
            $0.name = "陈红"
            $0.phone = "13911112222"
          }
          $0.member.kind = .inService
          $0.member.standing = .formal
          $0.member.organisationID = parent
        })
      var request = Fixture.volunteer(
        "陈红", phone: "13911112222", kind: .inServicePartyMember, skills: ["First_Aid", "first_aid", "电工"])
      let unlinked = request
      await expectRPCError(.invalidArgument, mentioning: "volunteer.party_member_id") {
        _ = try await volunteers.createVolunteer(unlinked)
      }
      request.volunteer.partyMemberID = "pm_unknown"
      let unknown = request
      await expectRPCError(.failedPrecondition, mentioning: "party_member_id", "pm_unknown") {
        _ = try await volunteers.createVolunteer(unknown)
      }
      request.volunteer.partyMemberID = member.id
      let linked = request
      let created = try await volunteers.createVolunteer(linked)
      #expect(created.partyMemberID == member.id)
      #expect(created.skills == ["first_aid", "电工"])
      #expect(created.contact.masked && created.contact.name == "陈*" && created.contact.phone == "139****2222")
      await expectRPCError(.alreadyExists, mentioning: member.id) {
        _ = try await volunteers.createVolunteer(linked)
      }
      let bySkill = try await volunteers.listVolunteers(.with { $0.skills = ["FIRST_AID"] })
      #expect(bySkill.volunteers.map(\.id) == [created.id])
      #expect(try await volunteers.listVolunteers(.with { $0.skills = ["first_aid", "tutoring"] }).volunteers.isEmpty)
    }
  }

  @Test("bad volunteer input is INVALID_ARGUMENT naming the field; nothing is written")
  func badInput() async throws {
    try await withVolunteersService { volunteers, _, _, _ in
      let cases: [(String, @Sendable (inout Governance_Volunteers_V1_Volunteer) -> Void)] = [
        ("volunteer.division_code", { $0.divisionCode = "320113005000" }),
        ("volunteer.division_code", { $0.divisionCode = "3201130050" }),
        ("volunteer.contact.name", { $0.contact.name = "" }),
        ("volunteer.contact.phone", { $0.contact.phone = "12ab" }),
        ("volunteer.kind", { $0.kind = .unspecified }),
        ("volunteer.property_company_id", { $0.kind = .propertyStaff }),
        ("volunteer.skills[0]", { $0.skills = [String(repeating: "技", count: 31)] }),
        ("volunteer.contact.name", { $0.contact.name = "<script>\u{7}" }),
      ]
      for (field, change) in cases {
        await expectRPCError(.invalidArgument, mentioning: field) {
          var request = Fixture.volunteer("王芳", phone: "13700001111")
          change(&request.volunteer)
          _ = try await volunteers.createVolunteer(request)
        }
      }
      let written = try await volunteers.listVolunteers(.with { $0.includeInactive = true })
      #expect(written.volunteers.isEmpty)
    }
  }

  @Test("the whole contact is revealed only to staff whose role allows it, and each reveal is recorded")
  func revealIsForStaffAndRecorded() async throws {
    let id = try await withVolunteersService { volunteers, _, _, store in
      let id = try await volunteers.createVolunteer(Fixture.volunteer("欧阳明月", phone: "13600002222")).id
      let revealed = try await volunteers.getVolunteer(
        .with {
          $0.id = id
          $0.revealContact = true
        })
      #expect(revealed.contact.name == "欧阳明月" && revealed.contact.phone == "13600002222")
      await #expect(
        throws: DomainError.permissionDenied(
          reason: "personal data is revealed only to staff whose role allows it, not to user:clerk")
      ) {
        _ = try await store.volunteer(id: id, reveal: true, by: .staff(.evaluator))
      }
      let reveals = try await store.writer.read { db in try ContactReveal.count(db, subject: id) }
      #expect(reveals == 1)
      return id
    }
    #expect(id.hasPrefix("vol_"))
  }
}
