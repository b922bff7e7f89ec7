import Foundation
import GRDB
import GovernanceAPI
import ServiceKit

extension VolunteersStore {
  /// The condition of a live claim (claimed or waitlisted), as the partial index `post_claim_live`
  /// states it, so that SQLite uses the index.
  static let liveClaim =
    "state IN (\(Governance_Volunteers_V1_PostClaimState.claimed.rawValue), \(Governance_Volunteers_V1_PostClaimState.waitlisted.rawValue))"

  public typealias Post = Governance_Volunteers_V1_ServicePost
  public typealias Claim = Governance_Volunteers_V1_PostClaim

  public func createPost(
    _ request: Governance_Volunteers_V1_CreateServicePostRequest, by principal: Principal, at time: Date = Date()
  ) async throws -> Post {
    var post = try ServicePosts.validate(request.post)
    post.claimedCount = 0
    post.waitlistCount = 0
    post.state = .open
    return try await writer.write { [post] db in
      try IdempotencyLedger.perform(db, caller: principal, requestID: request.requestID, request: request) {
        if !post.projectID.isEmpty {
          _ = try RecordTable.fetchRequired(db, Project.self, id: post.projectID)
        }
        return try RecordTable.insertNew(db, post, by: principal, at: time)
      }
    }
  }

  public func post(id: String) async throws -> Post? {
    try await writer.read { db in try RecordTable.fetch(db, Post.self, id: id) }
  }

  public func listPosts(_ request: Governance_Volunteers_V1_ListServicePostsRequest) async throws
    -> Governance_Volunteers_V1_ListServicePostsResponse
  {
    let page = try PageRequest(pageSize: request.pageSize, pageToken: request.pageToken)
    let order = try ListOrder(request.orderBy)
    var filter = RecordFilter()
    try filter.divisionPrefix(request.divisionPrefix)
    filter.add("state = ?", request.state.rawValue, when: request.state != .unspecified)
    filter.add("compound_id = ?", request.compoundID, when: !request.compoundID.isEmpty)
    filter.add("project_id = ?", request.projectID, when: !request.projectID.isEmpty)
    if !request.skill.isEmpty {
      let skill = try VolunteerRegistry.skills([request.skill], field: "skill")[0]
      filter.add("skills LIKE ?", "%,\(skill),%")
    }
    let (posts, next) = try await writer.read { [filter] db in
      try RecordTable.list(db, Post.self, filter: filter, page: page, order: order)
    }
    return .with {
      $0.posts = posts
      $0.nextPageToken = next
    }
  }

  public func updatePost(
    _ request: Governance_Volunteers_V1_UpdateServicePostRequest, by principal: Principal, at time: Date = Date()
  ) async throws -> Post {
    let paths = try updatePaths(
      request.updateMask,
      allowed: ["title", "details", "compound_id", "skills", "capacity", "start_time", "end_time", "project_id"])
    let id = try FieldValidation.requiredID(request.post.id, field: "post.id")
    return try await writer.write { db in
      var post = try RecordTable.fetchRequired(db, Post.self, id: id)
      let changes = request.post
      for path in paths {
        switch path {
        case "title": post.title = changes.title
        case "details": post.details = changes.details
        case "compound_id": post.compoundID = changes.compoundID
        case "skills": post.skills = changes.skills
        case "capacity": post.capacity = changes.capacity
        case "start_time": post.startTime = changes.startTime
        case "end_time": post.endTime = changes.endTime
        default: post.projectID = changes.projectID
        }
      }
      var validated = try ServicePosts.validate(post)
      try ServicePosts.checkCapacity(validated.capacity, claimed: validated.claimedCount)
      // Places added to a full post go to the waitlist, first come first served.
      while validated.claimedCount < validated.capacity, let next = try Self.firstWaitlisted(db, post: id) {
        try Self.promote(db, next, by: principal, at: time)
        validated.claimedCount += 1
        validated.waitlistCount -= 1
      }
      validated.state = ServicePosts.state(of: validated)
      return try RecordTable.update(db, validated, by: principal, at: time)
    }
  }

  /// Stops a post taking claims; places already claimed stay, the waitlist is released.
  public func closePost(
    _ request: Governance_Volunteers_V1_CloseServicePostRequest, by principal: Principal, at time: Date = Date()
  ) async throws -> Post {
    let id = try FieldValidation.requiredID(request.postID, field: "post_id")
    _ = try FieldValidation.optionalText(request.reason, field: "reason", maximumLength: 200)
    return try await writer.write { db in
      try IdempotencyLedger.perform(db, caller: principal, requestID: request.requestID, request: request) {
        var post = try RecordTable.fetchRequired(db, Post.self, id: id)
        try ServicePosts.checkClose(post)
        while let waiting = try Self.firstWaitlisted(db, post: id) {
          var released = waiting
          released.state = .released
          released.releaseTime = .init(date: time)
          _ = try RecordTable.update(db, released, by: principal, at: time)
        }
        post.waitlistCount = 0
        post.state = .closed
        return try RecordTable.update(db, post, by: principal, at: time)
      }
    }
  }

  static func firstWaitlisted(_ db: Database, post: String) throws -> Claim? {
    try Data.fetchOne(
      db, sql: "SELECT record FROM post_claim WHERE post_id = ? AND state = ? ORDER BY id LIMIT 1",
      arguments: [post, Governance_Volunteers_V1_PostClaimState.waitlisted.rawValue]
    ).map { try StoredMessage.decode(Claim.self, from: $0) }
  }

  static func promote(_ db: Database, _ claim: Claim, by principal: Principal, at time: Date) throws {
    var promoted = claim
    promoted.state = .claimed
    promoted.promoteTime = .init(date: time)
    _ = try RecordTable.update(db, promoted, by: principal, at: time)
  }

  /// A claim on a post (认领), in one transaction with the post's counts: SQLite serialises
  /// writers, so of two claims for the last place the second finds the post full.
  public func claimPost(
    _ request: Governance_Volunteers_V1_ClaimPostRequest, by principal: Principal, at time: Date = Date()
  ) async throws -> Claim {
    let postID = try FieldValidation.requiredID(request.postID, field: "post_id")
    let volunteerID = try FieldValidation.requiredID(request.volunteerID, field: "volunteer_id")
    return try await writer.write { db in
      try IdempotencyLedger.perform(db, caller: principal, requestID: request.requestID, request: request) {
        var post = try RecordTable.fetchRequired(db, Post.self, id: postID)
        let volunteer = try RecordTable.fetchRequired(db, Volunteer.self, id: volunteerID)
        try ServicePosts.checkClaimant(volunteer)
        if let live = try String.fetchOne(
          db, sql: "SELECT id FROM post_claim WHERE post_id = ? AND volunteer_id = ? AND \(Self.liveClaim)",
          arguments: [postID, volunteerID])
        {
          throw DomainError.alreadyExists(
            resource: "claim", id: live, detail: "\(volunteerID) already claimed \(postID)")
        }
        let outcome = try ServicePosts.claimOutcome(post, joinWaitlist: request.joinWaitlist, at: time)
        var claim = try RecordTable.insertNew(
          db,
          Claim.with {
            $0.divisionCode = post.divisionCode
            $0.postID = postID
            $0.volunteerID = volunteerID
            $0.state = outcome == .place ? .claimed : .waitlisted
            $0.claimTime = .init(date: time)
          }, by: principal, at: time)
        if outcome == .place { post.claimedCount += 1 } else { post.waitlistCount += 1 }
        post.state = ServicePosts.state(of: post)
        _ = try RecordTable.update(db, post, by: principal, at: time)
        claim.waitlistPosition = try Self.waitlistPosition(db, of: claim)
        return claim
      }
    }
  }

  /// Gives up a place or a waitlist spot; a freed place goes to the first on the waitlist.
  public func releasePost(
    _ request: Governance_Volunteers_V1_ReleasePostRequest, by principal: Principal, at time: Date = Date()
  ) async throws -> Claim {
    let postID = try FieldValidation.requiredID(request.postID, field: "post_id")
    let volunteerID = try FieldValidation.requiredID(request.volunteerID, field: "volunteer_id")
    _ = try FieldValidation.optionalText(request.reason, field: "reason", maximumLength: 200)
    return try await writer.write { db in
      try IdempotencyLedger.perform(db, caller: principal, requestID: request.requestID, request: request) {
        guard
          let data = try Data.fetchOne(
            db, sql: "SELECT record FROM post_claim WHERE post_id = ? AND volunteer_id = ? AND \(Self.liveClaim)",
            arguments: [postID, volunteerID])
        else {
          throw DomainError.notFound(resource: "claim of \(volunteerID) on post", id: postID)
        }
        var claim = try StoredMessage.decode(Claim.self, from: data)
        var post = try RecordTable.fetchRequired(db, Post.self, id: postID)
        let heldPlace = claim.state == .claimed
        claim.state = .released
        claim.releaseTime = .init(date: time)
        let released = try RecordTable.update(db, claim, by: principal, at: time)
        if heldPlace {
          post.claimedCount -= 1
          if post.state != .closed, let next = try Self.firstWaitlisted(db, post: postID) {
            try Self.promote(db, next, by: principal, at: time)
            post.claimedCount += 1
            post.waitlistCount -= 1
          }
        } else {
          post.waitlistCount -= 1
        }
        post.state = ServicePosts.state(of: post)
        _ = try RecordTable.update(db, post, by: principal, at: time)
        return released
      }
    }
  }

  static func waitlistPosition(_ db: Database, of claim: Claim) throws -> Int32 {
    guard claim.state == .waitlisted else { return 0 }
    let ahead =
      try Int.fetchOne(
        db, sql: "SELECT COUNT(*) FROM post_claim WHERE post_id = ? AND state = ? AND id < ?",
        arguments: [claim.postID, Governance_Volunteers_V1_PostClaimState.waitlisted.rawValue, claim.id]) ?? 0
    return Int32(ahead + 1)
  }

  public func listClaims(_ request: Governance_Volunteers_V1_ListPostClaimsRequest) async throws
    -> Governance_Volunteers_V1_ListPostClaimsResponse
  {
    guard !request.postID.isEmpty || !request.volunteerID.isEmpty else {
      throw DomainError.invalidArgument(field: "post_id", rule: "give post_id, volunteer_id or both")
    }
    let page = try PageRequest(pageSize: request.pageSize, pageToken: request.pageToken)
    var filter = RecordFilter()
    filter.add("post_id = ?", request.postID, when: !request.postID.isEmpty)
    filter.add("volunteer_id = ?", request.volunteerID, when: !request.volunteerID.isEmpty)
    filter.add("state = ?", request.state.rawValue, when: request.state != .unspecified)
    return try await writer.read { [filter] db in
      let (claims, next) = try RecordTable.list(db, Claim.self, filter: filter, page: page)
      return try .with {
        $0.claims = try claims.map { claim in
          var placed = claim
          placed.waitlistPosition = try Self.waitlistPosition(db, of: claim)
          return placed
        }
        $0.nextPageToken = next
      }
    }
  }
}

extension Governance_Volunteers_V1_ServicePost: AuditedRecord {}
extension Governance_Volunteers_V1_PostClaim: AuditedRecord {}
