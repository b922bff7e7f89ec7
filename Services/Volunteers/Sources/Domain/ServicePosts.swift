import Foundation
import GovernanceAPI
import ServiceKit

/// Service posts (服务岗位) a community publishes and volunteers claim (认领), with a waitlist
/// when full.
public enum ServicePosts {
  public typealias Post = Governance_Volunteers_V1_ServicePost

  public static let maximumCapacity: Int32 = 1000

  /// The rule "a post has a title, 1 to 1000 places, and ends after it starts": validates a new
  /// or changed post.
  public static func validate(_ post: Post) throws(DomainError) -> Post {
    var validated = post
    let community = try DivisionCode(post.divisionCode, field: "post.division_code")
    guard community.level == .community else {
      throw DomainError.invalidArgument(
        field: "post.division_code", rule: "a community publishes posts, got a \(community.level)")
    }
    validated.title = try FieldValidation.requiredName(post.title, field: "post.title")
    validated.details = try FieldValidation.optionalText(post.details, field: "post.details")
    validated.skills = try VolunteerRegistry.skills(post.skills, field: "post.skills")
    guard (1...maximumCapacity).contains(post.capacity) else {
      throw DomainError.invalidArgument(
        field: "post.capacity", rule: "from 1 to \(maximumCapacity) places, got \(post.capacity)")
    }
    if post.hasStartTime, post.hasEndTime, post.endTime.seconds <= post.startTime.seconds {
      throw DomainError.invalidArgument(field: "post.end_time", rule: "after start_time")
    }
    return validated
  }

  /// What a claim on a post gets.
  public enum ClaimOutcome: Equatable, Sendable {
    case place
    case waitlist
  }

  /// The rule "a place while places are left; when full, the waitlist if asked for, otherwise
  /// refused; a closed or ended post takes no claims".
  public static func claimOutcome(_ post: Post, joinWaitlist: Bool, at time: Date) throws(DomainError) -> ClaimOutcome {
    guard post.state != .closed else {
      throw DomainError.failedPrecondition(rule: "a closed post takes no claims", detail: "post \(post.id) is closed")
    }
    if post.hasEndTime, post.endTime.date <= time {
      throw DomainError.failedPrecondition(rule: "an ended post takes no claims", detail: "post \(post.id) has ended")
    }
    if post.claimedCount < post.capacity { return .place }
    guard joinWaitlist else {
      throw DomainError.failedPrecondition(
        rule: "a full post takes no more claims",
        detail: "post \(post.id) has \(post.claimedCount) of \(post.capacity) places claimed; ask to join the waitlist")
    }
    return .waitlist
  }

  /// The rule "a post is full exactly when its places are all claimed; a closed post stays closed".
  public static func state(of post: Post) -> Governance_Volunteers_V1_ServicePostState {
    if post.state == .closed { return .closed }
    return post.claimedCount >= post.capacity ? .full : .open
  }

  /// The rule "capacity never drops below the places already claimed".
  public static func checkCapacity(_ capacity: Int32, claimed: Int32) throws(DomainError) {
    guard capacity >= claimed else {
      throw DomainError.failedPrecondition(
        rule: "capacity never drops below the places claimed",
        detail: "\(claimed) places are claimed, asked for \(capacity)")
    }
  }
}

extension ServicePosts {
  /// The rule "a post is closed once": FAILED_PRECONDITION for a closed post.
  public static func checkClose(_ post: Governance_Volunteers_V1_ServicePost) throws(DomainError) {
    guard post.state != .closed else {
      throw DomainError.failedPrecondition(rule: "a post is closed once", detail: "post \(post.id) is already closed")
    }
  }

  /// The rule "an active volunteer claims posts": FAILED_PRECONDITION for one who has withdrawn.
  public static func checkClaimant(_ volunteer: Governance_Volunteers_V1_Volunteer) throws(DomainError) {
    guard volunteer.active else {
      throw DomainError.failedPrecondition(
        rule: "an active volunteer claims posts", detail: "\(volunteer.id) has withdrawn")
    }
  }
}
