import Foundation
import GRPCCore
import GovernanceAPI
import Organisation
import ServiceKit
import ServiceKitTesting
import SwiftProtobuf
import Testing

@Suite("Joint conferences by quarter, cross-appointments both ways")
struct JointWorkTests {
  /// 2026-05-20 10:00 in China Standard Time: the second quarter.
  static let mayMeeting = Google_Protobuf_Timestamp(seconds: 1_779_242_400)

  static func conference(_ organisation: String, at time: Google_Protobuf_Timestamp)
    -> Governance_Organisation_V1_CreateConferenceRequest
  {
    .with {
      $0.conference.organisationID = organisation
      $0.conference.title = "党建联席会议"
      $0.conference.heldTime = time
      $0.conference.participants = [
        .with { $0.kind = .communityPartyCommittee },
        .with {
          $0.kind = .propertyCompany
          $0.name = "鸿运物业"
        },
      ]
      $0.conference.agenda = [
        .with {
          $0.title = "电梯加装需求"
          $0.listKind = .needs
        }
      ]
    }
  }

  @Test("the conference gap by quarter: a community with none in the quarter is listed")
  func conferenceGapByQuarter() async throws {
    try await withOrganisationService { organisations, _, _ in
      let first = try await BranchFormationTests.committees(organisations)
      let street = try await organisations.getOrganisation(.with { $0.id = first }).parentID
      let second = try await organisations.createOrganisation(
        .with {
          $0.organisation.name = "尧林仙居社区党委"
          $0.organisation.level = .communityCommittee
          $0.organisation.divisionCode = "320113005002"
          $0.organisation.parentID = street
        }
      ).id
      let held = try await organisations.createConference(Self.conference(first, at: Self.mayMeeting))
      #expect(held.year == 2026 && held.quarter == 2)

      let q2 = try await organisations.listConferenceGaps(
        .with {
          $0.divisionPrefix = "320113"
          $0.year = 2026
          $0.quarter = 2
        })
      #expect(q2.gaps.map(\.organisationID) == [second])
      let q3 = try await organisations.listConferenceGaps(
        .with {
          $0.divisionPrefix = "320113"
          $0.year = 2026
          $0.quarter = 3
        })
      #expect(q3.gaps.map(\.organisationID).sorted() == [first, second].sorted())
      #expect(q3.gaps.first { $0.organisationID == first }?.lastHeldTime == Self.mayMeeting)

      let needs = try await organisations.listConferences(.with { $0.listKind = .needs })
      #expect(needs.conferences.count == 1)
      await expectRPCError(.invalidArgument, mentioning: "quarter", "from 1 to 4") {
        _ = try await organisations.listConferenceGaps(
          .with {
            $0.year = 2026
            $0.quarter = 5
          })
      }
      await expectRPCError(.invalidArgument, mentioning: "conference.participants") {
        var alone = Self.conference(first, at: Self.mayMeeting)
        alone.conference.participants = [.with { $0.kind = .communityPartyCommittee }]
        _ = try await organisations.createConference(alone)
      }
    }
  }

  @Test("cross-appointments both ways, with dates, listed by company and person")
  func crossAppointments() async throws {
    try await withOrganisationService { organisations, property, _ in
      let community = try await BranchFormationTests.committees(organisations)
      let company = try await property.createCompany(
        .with {
          $0.company.name = "鸿运物业"
          $0.company.unifiedSocialCreditCode = "91350100M000100Y43"
          $0.company.divisionCode = "320113000000"
        }
      ).id
      @Sendable func appointment(_ direction: Governance_Organisation_V1_CrossAppointmentDirection, _ name: String)
        -> Governance_Organisation_V1_CreateCrossAppointmentRequest
      {
        .with {
          $0.appointment.direction = direction
          $0.appointment.personName = name
          $0.appointment.communityOrganisationID = community
          $0.appointment.communityPost = direction == .communityToCompany ? "社区党委委员" : "社区党委兼职委员"
          $0.appointment.propertyCompanyID = company
          $0.appointment.companyPost = direction == .communityToCompany ? "质量监督员" : "项目经理"
          $0.appointment.startDate = .with {
            $0.year = 2026
            $0.month = 1
            $0.day = 1
          }
        }
      }
      let inward = try await organisations.createCrossAppointment(appointment(.communityToCompany, "刘委员"))
      _ = try await organisations.createCrossAppointment(appointment(.companyToCommunity, "陈经理"))
      let byCompany = try await organisations.listCrossAppointments(.with { $0.propertyCompanyID = company })
      #expect(Set(byCompany.appointments.map(\.direction)) == [.communityToCompany, .companyToCommunity])

      await expectRPCError(.invalidArgument, mentioning: "end_date", "after the start date") {
        _ = try await organisations.endCrossAppointment(
          .with {
            $0.id = inward.id
            $0.reason = "换届"
            $0.endDate = .with {
              $0.year = 2025
              $0.month = 12
              $0.day = 1
            }
          })
      }
      _ = try await organisations.endCrossAppointment(
        .with {
          $0.id = inward.id
          $0.reason = "换届"
          $0.endDate = .with {
            $0.year = 2026
            $0.month = 12
            $0.day = 31
          }
        })
      let current = try await organisations.listCrossAppointments(
        .with {
          $0.propertyCompanyID = company
          $0.currentOnly = true
        })
      #expect(current.appointments.map(\.personName) == ["陈经理"])
      await expectRPCError(.notFound, mentioning: "property company co_missing") {
        var unknown = appointment(.communityToCompany, "某人")
        unknown.appointment.propertyCompanyID = "co_missing"
        _ = try await organisations.createCrossAppointment(unknown)
      }
    }
  }
}
