import Foundation
import GRPCCore
import GovernanceAPI
import ServiceKit
import ServiceKitTesting
import Testing

@testable import Volunteers

@Suite("Micro-wishes: one transition table, concurrent claims, expiry, residents masked")
struct MicroWishTests {
  @Test("a wish moves only along the transition table")
  func wishMovesOnlyAlongTheTable() {
    let states: [MicroWishWorkflow.State] = [.open, .claimed, .fulfilled, .confirmed, .cancelled, .expired]
    let allowed: Set<[MicroWishWorkflow.State]> = [
      [.open, .claimed], [.open, .cancelled], [.open, .expired], [.claimed, .fulfilled], [.claimed, .cancelled],
      [.claimed, .expired], [.fulfilled, .confirmed],
    ]
    for from in states {
      for to in states {
        let wish = MicroWishWorkflow.Wish.with {
          $0.id = "wish_1"
          $0.state = from
        }
        let moved = (try? MicroWishWorkflow.checkTransition(wish, to: to)) != nil
        #expect(moved == allowed.contains([from, to]), "\(from) → \(to)")
      }
    }
  }

  static func wish(expire: Governance_Common_V1_Date? = nil) -> Governance_Volunteers_V1_CreateMicroWishRequest {
    .with {
      $0.wish.divisionCode = Fixture.community
      $0.wish.title = "想要一台助听器"
      $0.wish.category = "daily_goods"
      $0.wish.resident = .with {
        $0.name = "刘奶奶"
        $0.phone = "13512345678"
        $0.idNumber = "320113194001010025"
      }
      if let expire { $0.wish.expireDate = expire }
    }
  }

  @Test("posted, claimed by one of two at once, fulfilled, confirmed; wrong steps name both states")
  func wishLifecycle() async throws {
    try await withVolunteersService { volunteers, _, _, store in
      let ids = try await Fixture.volunteers(volunteers, count: 2)
      let posted = try await volunteers.createMicroWish(Self.wish())
      #expect(posted.state == .open && posted.resident.masked && posted.resident.name == "刘**")
      // Volunteers hear of the wish through the outbox, written with it, masked as it is stored.
      let announced = try await store.writer.read { db in
        try Outbox.read(db, after: 0, limit: 100, service: .volunteers)
      }.filter { $0.kind == "micro_wish.created" }
      #expect(announced.map(\.record) == [posted.id])
      #expect(try Governance_Volunteers_V1_MicroWish(jsonString: announced[0].dataJson).resident.name == "刘**")
      #expect(posted.resident.idNumber == "320113********0025")
      #expect(posted.hasExpireDate)

      await expectRPCError(.failedPrecondition, mentioning: "open", "confirmed") {
        _ = try await volunteers.confirmMicroWish(.with { $0.wishID = posted.id })
      }
      let outcomes = await withTaskGroup(of: Bool.self) { group in
        for id in ids {
          group.addTask {
            (try? await volunteers.claimMicroWish(
              .with {
                $0.wishID = posted.id
                $0.claimant = .with {
                  $0.kind = .volunteer
                  $0.id = id
                }
              })) != nil
          }
        }
        return await group.reduce(into: [Bool]()) { $0.append($1) }
      }
      #expect(outcomes.filter { $0 }.count == 1)
      let claimed = try await volunteers.getMicroWish(.with { $0.id = posted.id })
      #expect(claimed.state == .claimed && ids.contains(claimed.claimant.id) && claimed.claimant.name.hasPrefix("志"))

      await expectRPCError(.invalidArgument, mentioning: "note") {
        _ = try await volunteers.fulfilMicroWish(.with { $0.wishID = posted.id })
      }
      _ = try await volunteers.fulfilMicroWish(
        .with {
          $0.wishID = posted.id
          $0.note = "已送到家中并调试"
        })
      await expectRPCError(.failedPrecondition, mentioning: "fulfilled", "cancelled") {
        _ = try await volunteers.cancelMicroWish(
          .with {
            $0.wishID = posted.id
            $0.reason = "不需要了"
          })
      }
      let confirmed = try await volunteers.confirmMicroWish(
        .with {
          $0.wishID = posted.id
          $0.comment = "谢谢小伙子"
        })
      #expect(confirmed.state == .confirmed && confirmed.hasConfirmTime)
      let byClaimant = try await volunteers.listMicroWishes(
        .with {
          $0.claimant = confirmed.claimant
          $0.states = [.confirmed]
        })
      #expect(byClaimant.wishes.map(\.id) == [posted.id])
      #expect(byClaimant.wishes.allSatisfy { $0.resident.masked })
    }
  }

  @Test("a wish past its date expires, by the sweep or at the next step")
  func expiry() async throws {
    try await withVolunteersService { volunteers, _, _, store in
      let today = CalendarDate.today(at: Date())
      let soon = try await volunteers.createMicroWish(Self.wish(expire: today))
      let later = try await volunteers.createMicroWish(Self.wish())
      let inTwoDays = Date().addingTimeInterval(2 * 86_400)
      #expect(try await store.expireWishes(at: inTwoDays, by: Principal(service: .volunteers)) == 1)
      #expect(try await volunteers.getMicroWish(.with { $0.id = soon.id }).state == .expired)
      #expect(try await volunteers.getMicroWish(.with { $0.id = later.id }).state == .open)
      await expectRPCError(.failedPrecondition, mentioning: "expired", "claimed") {
        _ = try await volunteers.claimMicroWish(
          .with {
            $0.wishID = soon.id
            $0.claimant = .with {
              $0.kind = .pairedUnit
              $0.id = "pu_1"
            }
          })
      }
      await expectRPCError(.invalidArgument, mentioning: "wish.expire_date", "not before today") {
        _ = try await volunteers.createMicroWish(
          Self.wish(
            expire: .with {
              $0.year = 2020
              $0.month = 1
              $0.day = 1
            }))
      }
      await expectRPCError(.invalidArgument, mentioning: "wish.resident.name") {
        var request = Self.wish()
        request.wish.resident.name = ""
        _ = try await volunteers.createMicroWish(request)
      }
      await expectRPCError(.invalidArgument, mentioning: "claimant.kind") {
        _ = try await volunteers.claimMicroWish(
          .with {
            $0.wishID = later.id
            $0.claimant.id = "x"
          })
      }
    }
  }
}
