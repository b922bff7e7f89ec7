import Foundation
import GRPCCore
import GovernanceAPI
import ServiceKit
import ServiceKitTesting
import Testing

@testable import Volunteers

@Suite("Residents and micro-wishes: their own wishes, their own registration, others' wishes claimed")
struct ResidentVolunteeringTests {
  static let wang = Principal(subject: "resident:0123456789abcdef0123", role: .resident, scope: "")
  static let zhao = Principal(subject: "resident:fedcba9876543210fedc", role: .resident, scope: "")

  @Test("a resident's wish is their own")
  func aResidentsWishIsTheirOwn() {
    let stamped = ResidentVolunteering.stamp(
      Governance_Volunteers_V1_MicroWish.with {
        $0.residentPrincipalID = "resident:other"
        $0.postedOnBehalf = true
      }, by: Self.wang)
    #expect(stamped.residentPrincipalID == Self.wang.subject && !stamped.postedOnBehalf)
    let staff = ResidentVolunteering.stamp(
      Governance_Volunteers_V1_MicroWish.with { $0.postedOnBehalf = true }, by: .testAdministrator)
    #expect(staff.postedOnBehalf)
  }

  @Test("a resident registers only themselves, as a resident volunteer")
  func aResidentRegistersOnlyThemselves() throws {
    let stamped = try ResidentVolunteering.stamp(Governance_Volunteers_V1_Volunteer(), by: Self.wang)
    #expect(stamped.kind == .resident && stamped.principalID == Self.wang.subject)
    #expect(ResidentVolunteering.bindsSelf(stamped, by: Self.wang))
    #expect(!ResidentVolunteering.bindsSelf(stamped, by: Self.zhao))
    #expect(throws: DomainError.self) {
      try ResidentVolunteering.stamp(.with { $0.principalID = "user:someone" }, by: Self.wang)
    }
    #expect(throws: DomainError.self) {
      try ResidentVolunteering.stamp(.with { $0.kind = .fiveElders }, by: Self.wang)
    }
    #expect(throws: DomainError.self) {
      try ResidentVolunteering.stamp(.with { $0.partyMemberID = "mbr_1" }, by: Self.wang)
    }
  }

  @Test("a resident claims someone else's wish, as themselves")
  func aResidentClaimsSomeoneElsesWishAsThemselves() async throws {
    try await withVolunteersService(as: Self.wang) { volunteers, _, _, store in
      // Wang registers: the record is bound to Wang though nobody staff set it.
      let wang = try await volunteers.createVolunteer(
        .with {
          $0.volunteer.divisionCode = Fixture.community
          $0.volunteer.contact = .with {
            $0.name = "王五"
            $0.phone = "13912345678"
          }
        })
      #expect(wang.principalID == Self.wang.subject && wang.kind == .resident)
      // Zhao posted a wish and registered too.
      let zhaosWish = try await store.createWish(MicroWishTests.wish(), by: Self.zhao)
      #expect(zhaosWish.residentPrincipalID == Self.zhao.subject)
      let zhao = try await store.createVolunteer(
        Fixture.volunteer("赵六", phone: "13712345678"),
        validated: try VolunteerRegistry.validate(
          try ResidentVolunteering.stamp(Fixture.volunteer("赵六", phone: "13712345678").volunteer, by: Self.zhao)),
        by: Self.zhao)
      // Wang may not claim as Zhao, nor as a team.
      await expectRPCError(.permissionDenied, mentioning: "registered to them") {
        _ = try await volunteers.claimMicroWish(
          .with {
            $0.wishID = zhaosWish.id
            $0.claimant = .with {
              $0.kind = .volunteer
              $0.id = zhao.id
            }
          })
      }
      // Wang's own wish is for someone else to meet.
      let wangsWish = try await volunteers.createMicroWish(MicroWishTests.wish())
      #expect(wangsWish.residentPrincipalID == Self.wang.subject)
      await expectRPCError(.failedPrecondition, mentioning: "someone else") {
        _ = try await volunteers.claimMicroWish(
          .with {
            $0.wishID = wangsWish.id
            $0.claimant = .with {
              $0.kind = .volunteer
              $0.id = wang.id
            }
          })
      }
      let claimed = try await volunteers.claimMicroWish(
        .with {
          $0.wishID = zhaosWish.id
          $0.claimant = .with {
            $0.kind = .volunteer
            $0.id = wang.id
          }
        })
      #expect(claimed.state == .claimed && claimed.claimant.id == wang.id)
    }
  }
}
