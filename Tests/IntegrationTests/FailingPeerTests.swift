import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import GovernanceAPI
import ServiceKit
import Testing

/// A peer down and back: the caller answers UNAVAILABLE at once, naming it; the client's retry
/// with the same request id then acts exactly once. Personal data never reaches a log line.
@Suite("Failing peers, against the real processes", .serialized)
struct FailingPeerTests {
  @Test(
    "organisation down: registering a party-member volunteer is UNAVAILABLE at once; retried when it is back, it happens once"
  )
  func volunteerCheckAcrossAnOutage() async throws {
    let system = try SystemHarness()
    for identity in [ServiceIdentity.organisation, .volunteers] { try system.start(identity) }
    for identity in [ServiceIdentity.organisation, .volunteers] { try await system.waitUntilServing(identity) }
    let member = try await system.withClient(.organisation) { client in
      let organisations = Governance_Organisation_V1_OrganisationService.Client(wrapping: client)
      var parent = ""
      for (name, level, code) in [
        ("玄武区委", Governance_Organisation_V1_OrganisationLevel.districtCommittee, "320113000000"),
        ("街道党工委", .streetWorkingCommittee, "320113005000"), ("社区党委", .communityCommittee, "320113005001"),
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
      return try await organisations.createMember(
        .with {
          $0.member.contact = .with {
            $0.name = "陈红梅"
            $0.phone = "13911117777"
            $0.idNumber = "320113198001017778"
          }
          $0.member.kind = .inService
          $0.member.standing = .formal
          $0.member.organisationID = parent
        }
      ).id
    }
    let request = Governance_Volunteers_V1_CreateVolunteerRequest.with {
      $0.requestID = "register-chen-1"
      $0.volunteer.divisionCode = "320113005001"
      $0.volunteer.contact = .with {
        $0.name = "陈红梅"
        $0.phone = "13911117777"
      }
      $0.volunteer.kind = .inServicePartyMember
      $0.volunteer.partyMemberID = member
    }

    #expect(try await system.stop(.organisation) == 0)
    let started = ContinuousClock.now
    let outage = await #expect(throws: RPCError.self) {
      try await system.withClient(.volunteers) { client in
        _ = try await Governance_Volunteers_V1_VolunteersService.Client(wrapping: client).createVolunteer(request)
      }
    }
    #expect(
      outage?.code == .unavailable && outage?.message.contains("organisation") == true, "\(String(describing: outage))")
    #expect(ContinuousClock.now - started < .seconds(8))

    try system.start(.organisation)
    try await system.waitUntilServing(.organisation)
    // The volunteers service finds its peer again within its reconnect interval (at most 2 s).
    var created: Governance_Volunteers_V1_Volunteer?
    for _ in 0..<20 where created == nil {
      created = try? await system.withClient(.volunteers) { client in
        try await Governance_Volunteers_V1_VolunteersService.Client(wrapping: client).createVolunteer(request)
      }
      if created == nil { try await Task.sleep(for: .milliseconds(250)) }
    }
    let first = try #require(created)
    let again = try await system.withClient(.volunteers) { client in
      try await Governance_Volunteers_V1_VolunteersService.Client(wrapping: client).createVolunteer(request)
    }
    #expect(again.id == first.id)
    let listed = try await system.withClient(.volunteers) { client in
      try await Governance_Volunteers_V1_VolunteersService.Client(wrapping: client).listVolunteers(.init())
    }
    #expect(listed.volunteers.map(\.id) == [first.id])
    #expect(listed.volunteers[0].contact.phone == "139****7777")

    for identity in [ServiceIdentity.organisation, .volunteers] {
      #expect(try await system.stop(identity) == 0)
      let log = system.log(of: identity)
      #expect(
        !log.contains("13911117777") && !log.contains("320113198001017778") && !log.contains("陈红梅"),
        "\(identity.rawValue) logged personal data")
    }
  }
}
