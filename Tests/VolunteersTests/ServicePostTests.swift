import Foundation
import GRPCCore
import GovernanceAPI
import ServiceKit
import ServiceKitTesting
import Testing

@testable import Volunteers

@Suite("Service posts: claims, a full post, the waitlist, release")
struct ServicePostTests {
  static func post(capacity: Int32) -> Governance_Volunteers_V1_CreateServicePostRequest {
    .with {
      $0.post.divisionCode = Fixture.community
      $0.post.title = "周末助老送餐"
      $0.post.capacity = capacity
      $0.post.skills = ["cooking"]
    }
  }

  @Test("post states and claim outcomes follow the rules")
  func claimOutcomes() throws {
    var post = ServicePosts.Post.with {
      $0.id = "post_1"
      $0.capacity = 2
      $0.claimedCount = 1
      $0.state = .open
    }
    let now = Date()
    #expect(try ServicePosts.claimOutcome(post, joinWaitlist: false, at: now) == .place)
    post.claimedCount = 2
    #expect(ServicePosts.state(of: post) == .full)
    #expect(throws: DomainError.self) { try ServicePosts.claimOutcome(post, joinWaitlist: false, at: now) }
    #expect(try ServicePosts.claimOutcome(post, joinWaitlist: true, at: now) == .waitlist)
    post.state = .closed
    #expect(ServicePosts.state(of: post) == .closed)
    #expect(throws: DomainError.self) { try ServicePosts.claimOutcome(post, joinWaitlist: true, at: now) }
    post.state = .open
    post.endTime = .init(date: now.addingTimeInterval(-1))
    #expect(throws: DomainError.self) { try ServicePosts.claimOutcome(post, joinWaitlist: true, at: now) }
  }

  @Test("claim, full, waitlist, release promotes the first waiting; no double claim")
  func claimWaitlistRelease() async throws {
    try await withVolunteersService { volunteers, _, _, _ in
      let ids = try await Fixture.volunteers(volunteers, count: 4)
      let post = try await volunteers.createServicePost(Self.post(capacity: 2))
      for id in ids.prefix(2) {
        #expect(
          try await volunteers.claimPost(
            .with {
              $0.postID = post.id
              $0.volunteerID = id
            }
          ).state == .claimed)
      }
      await expectRPCError(.alreadyExists, mentioning: ids[0]) {
        _ = try await volunteers.claimPost(
          .with {
            $0.postID = post.id
            $0.volunteerID = ids[0]
          })
      }
      await expectRPCError(.failedPrecondition, mentioning: "full", "2 of 2") {
        _ = try await volunteers.claimPost(
          .with {
            $0.postID = post.id
            $0.volunteerID = ids[2]
          })
      }
      for (index, id) in ids.suffix(2).enumerated() {
        let waiting = try await volunteers.claimPost(
          .with {
            $0.postID = post.id
            $0.volunteerID = id
            $0.joinWaitlist = true
          })
        #expect(waiting.state == .waitlisted && waiting.waitlistPosition == Int32(index + 1))
      }
      var full = try await volunteers.getServicePost(.with { $0.id = post.id })
      #expect(full.state == .full && full.claimedCount == 2 && full.waitlistCount == 2)
      await expectRPCError(.failedPrecondition, mentioning: "capacity") {
        _ = try await volunteers.updateServicePost(
          .with {
            $0.post.id = post.id
            $0.post.capacity = 1
            $0.updateMask.paths = ["capacity"]
          })
      }

      _ = try await volunteers.releasePost(
        .with {
          $0.postID = post.id
          $0.volunteerID = ids[0]
        })
      let claims = try await volunteers.listPostClaims(.with { $0.postID = post.id }).claims
      #expect(claims.map(\.state) == [.released, .claimed, .claimed, .waitlisted])
      #expect(claims[2].hasPromoteTime && claims[3].waitlistPosition == 1)
      full = try await volunteers.getServicePost(.with { $0.id = post.id })
      #expect(full.claimedCount == 2 && full.waitlistCount == 1)

      // A released volunteer may claim again: to the waitlist's end.
      let again = try await volunteers.claimPost(
        .with {
          $0.postID = post.id
          $0.volunteerID = ids[0]
          $0.joinWaitlist = true
        })
      #expect(again.waitlistPosition == 2)

      // One more place takes the first waiting; closing releases the rest of the waitlist.
      let grown = try await volunteers.updateServicePost(
        .with {
          $0.post.id = post.id
          $0.post.capacity = 3
          $0.updateMask.paths = ["capacity"]
        })
      #expect(grown.claimedCount == 3 && grown.waitlistCount == 1 && grown.state == .full)
      let closed = try await volunteers.closeServicePost(.with { $0.postID = post.id })
      #expect(closed.state == .closed && closed.claimedCount == 3 && closed.waitlistCount == 0)
      #expect(
        try await volunteers.listPostClaims(
          .with {
            $0.volunteerID = ids[0]
            $0.state = .released
          }
        ).claims.count == 2)
    }
  }

  @Test("two volunteers claiming the last place at the same moment: exactly one gets it")
  func concurrentLastPlace() async throws {
    try await withVolunteersService { volunteers, _, _, _ in
      for _ in 0..<5 {
        let ids = try await Fixture.volunteers(volunteers, count: 2)
        let post = try await volunteers.createServicePost(Self.post(capacity: 1))
        let outcomes = await withTaskGroup(of: Bool.self) { group in
          for id in ids {
            group.addTask {
              (try? await volunteers.claimPost(
                .with {
                  $0.postID = post.id
                  $0.volunteerID = id
                })) != nil
            }
          }
          return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(outcomes.filter { $0 }.count == 1)
        let settled = try await volunteers.getServicePost(.with { $0.id = post.id })
        #expect(settled.claimedCount == 1 && settled.state == .full)
      }
    }
  }

  @Test("bad post input is INVALID_ARGUMENT naming the field")
  func badPostInput() async throws {
    try await withVolunteersService { volunteers, _, _, _ in
      for (field, capacity) in [("post.capacity", Int32(0)), ("post.capacity", 1001)] {
        await expectRPCError(.invalidArgument, mentioning: field) {
          _ = try await volunteers.createServicePost(Self.post(capacity: capacity))
        }
      }
      await expectRPCError(.invalidArgument, mentioning: "post.title") {
        var request = Self.post(capacity: 1)
        request.post.title = String(repeating: "岗", count: 101)
        _ = try await volunteers.createServicePost(request)
      }
      await expectRPCError(.invalidArgument, mentioning: "post.end_time") {
        var request = Self.post(capacity: 1)
        request.post.startTime = .init(seconds: 2_000_000_000)
        request.post.endTime = .init(seconds: 1_999_999_000)
        _ = try await volunteers.createServicePost(request)
      }
    }
  }
}
