import GovernanceAPI
import ServiceKit

/// Call-outs of a team, usually a red-butler emergency squad (红管家先锋突击队), to a grid case.
public enum Mobilisations {
  public typealias Mobilisation = Governance_Volunteers_V1_Mobilisation

  /// The rule "only members who were called out answer, only while the call-out is open".
  public static func checkAnswer(
    _ mobilisation: Mobilisation, volunteer: String, answer: Governance_Volunteers_V1_MobilisationAnswerKind
  ) throws(DomainError) {
    guard mobilisation.state == .open else {
      throw DomainError.failedPrecondition(
        rule: "a stood-down call-out takes no answers", detail: "mobilisation \(mobilisation.id) is closed")
    }
    guard mobilisation.notifiedVolunteerIds.contains(volunteer) else {
      throw DomainError.failedPrecondition(
        rule: "members of the mobilised team answer", detail: "\(volunteer) was not called out by \(mobilisation.id)")
    }
    guard answer != .unspecified else {
      throw DomainError.invalidArgument(field: "answer", rule: "one of COMING, DECLINED or ARRIVED")
    }
  }

  /// The case statuses a team may be mobilised for.
  public static let mobilisableCaseStatuses: Set<Governance_Grid_V1_CaseStatus> = [
    .reported, .accepted, .assigned, .inProgress, .reopened,
  ]

  /// The rule "a team is called out for a grid case that is still being handled".
  public static func checkCase(_ gridCase: Governance_Grid_V1_Case) throws(DomainError) {
    guard mobilisableCaseStatuses.contains(gridCase.status) else {
      throw DomainError.failedPrecondition(
        rule: "a team is called out for a case still being handled", detail: "case \(gridCase.id) is \(gridCase.status)"
      )
    }
  }
}

extension Mobilisations {
  /// The rule "a disbanded team is not called out": FAILED_PRECONDITION for an inactive team.
  public static func checkCalledOut(_ team: Governance_Volunteers_V1_Team) throws(DomainError) {
    guard team.active else {
      throw DomainError.failedPrecondition(
        rule: "a disbanded team is not called out", detail: "team \(team.id) is disbanded")
    }
  }

  /// The rule "a team is called out to its members": FAILED_PRECONDITION when it has no active
  /// member (`members`, their volunteer ids).
  public static func checkMembersCalled(_ members: [String], team: Governance_Volunteers_V1_Team) throws(DomainError) {
    guard !members.isEmpty else {
      throw DomainError.failedPrecondition(
        rule: "a team is called out to its members", detail: "team \(team.id) has none")
    }
  }

  /// The rule "a call-out is stood down once": FAILED_PRECONDITION unless it is open.
  public static func checkStandDown(_ mobilisation: Governance_Volunteers_V1_Mobilisation) throws(DomainError) {
    guard mobilisation.state == .open else {
      throw DomainError.failedPrecondition(
        rule: "a call-out is stood down once", detail: "mobilisation \(mobilisation.id) is closed")
    }
  }
}

extension Mobilisations {
  /// The rule "a call-out asks for 0 (all members) or more".
  public static func checkNeeded(_ needed: Int32) throws(DomainError) {
    guard needed >= 0 else {
      throw DomainError.invalidArgument(field: "needed", rule: "0 (all) or more, got \(needed)")
    }
  }

  /// The rule "an answer's arrival estimate is from 0 to 1,440 minutes (a day)".
  public static func checkETA(_ minutes: Int32) throws(DomainError) {
    guard (0...1440).contains(minutes) else {
      throw DomainError.invalidArgument(field: "eta_minutes", rule: "from 0 to 1440, got \(minutes)")
    }
  }
}
