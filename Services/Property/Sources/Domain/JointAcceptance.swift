import Foundation
import GovernanceAPI
import ServiceKit
import SwiftProtobuf

/// The four-level joint acceptance (四级联审) of a compound's property-ization: company
/// self-review → community party committee review → street working committee sign-off →
/// district joint acceptance by the organisation department, functional departments and the
/// industry party committee.
public enum JointAcceptance {
  public typealias Step = Governance_Property_V1_AcceptanceStep
  public typealias Acceptance = Governance_Property_V1_Acceptance

  /// The steps in their order.
  public static let order: [Step] = [.companySelfReview, .communityReview, .streetSignOff, .districtJointAcceptance]

  /// The rule "steps are decided in order; a failure goes back to the company self-review in a
  /// new round; a pass of the last step passes the acceptance": returns the acceptance after
  /// `decision` was recorded at `time`.
  public static func record(
    _ decision: Governance_Property_V1_RecordAcceptanceStepRequest,
    on acceptance: Acceptance,
    decidedBy principal: Principal,
    at time: Google_Protobuf_Timestamp
  ) throws(DomainError) -> Acceptance {
    guard acceptance.state == .inProgress else {
      throw DomainError.failedPrecondition(
        rule: "steps are recorded only while an acceptance is in progress",
        detail: "acceptance \(acceptance.id) is \(acceptance.state)")
    }
    let step = try FieldValidation.requiredCase(decision.step, field: "step", unspecified: .unspecified, known: order)
    guard step == acceptance.currentStep else {
      throw DomainError.failedPrecondition(
        rule: "the four levels decide in order: company self-review, community, street, district",
        detail: "acceptance \(acceptance.id) waits for \(acceptance.currentStep), not \(step)")
    }
    try checkDecider(principal, for: step)
    let outcome = try FieldValidation.requiredCase(
      decision.outcome, field: "outcome", unspecified: .unspecified, known: [.passed, .failed])
    guard decision.hasChecklist else {
      throw DomainError.invalidArgument(field: "checklist", rule: "every step records the seven-haves checklist")
    }
    if outcome == .passed, !sevenHavesMet(decision.checklist) {
      throw DomainError.invalidArgument(
        field: "checklist", rule: "a step passes only when all seven haves are met; otherwise it fails with its reasons"
      )
    }
    let reasons = decision.reasons.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
    if outcome == .failed, reasons.isEmpty {
      throw DomainError.invalidArgument(field: "reasons", rule: "a failed step gives its reasons")
    }
    let decidedBy = try FieldValidation.requiredName(decision.decidedBy, field: "decided_by")
    let body = try FieldValidation.optionalText(decision.decidingBody, field: "deciding_body", maximumLength: 100)

    var next = acceptance
    next.steps.append(
      .with {
        $0.step = step
        $0.round = acceptance.round
        $0.outcome = outcome
        $0.checklist = decision.checklist
        $0.decidedBy = decidedBy
        $0.decidingBody = body
        $0.participants = decision.participants
        $0.decidedTime = decision.hasDecidedTime ? decision.decidedTime : time
        $0.reasons = reasons
        $0.notes = decision.notes
      })
    switch outcome {
    case .failed:
      next.round += 1
      next.currentStep = .companySelfReview
    default:
      if let index = order.firstIndex(of: step), index + 1 < order.count {
        next.currentStep = order[index + 1]
      } else {
        next.state = .passed
        next.currentStep = .unspecified
        next.passedTime = time
      }
    }
    return next
  }
}

extension JointAcceptance {
  /// The level that decides `step`: the community records its own review and, on the company's
  /// behalf, the company's self-review; the street signs off; the district holds the joint
  /// acceptance.
  public static func decidingRole(of step: Step) -> Role? {
    switch step {
    case .companySelfReview, .communityReview: .community
    case .streetSignOff: .street
    case .districtJointAcceptance: .district
    default: nil
    }
  }

  /// The rule "each level decides its own step" (四级联审, each level signs its own review): a
  /// person records only the step of their level; a city administrator, the services and the
  /// system's own jobs record any. Throws PERMISSION_DENIED naming the step and the level that
  /// decides it.
  public static func checkDecider(_ principal: Principal, for step: Step) throws(DomainError) {
    guard let role = principal.role, role != .cityAdministrator, let level = decidingRole(of: step), role != level
    else { return }
    throw DomainError.permissionDenied(reason: "the \(step) step is decided at the \(level.rawValue) level")
  }

  /// The rule "a step passes only when the seven haves (七有) are met": every item satisfied.
  public static func sevenHavesMet(_ checklist: Governance_Property_V1_SevenHavesChecklist) -> Bool {
    [
      checklist.gateStaff, checklist.surveillance, checklist.cleaning, checklist.facilityRepair, checklist.greening,
      checklist.security, checklist.parkingManagement,
    ].allSatisfy(\.satisfied)
  }

  /// The rule "an acceptance reviews a compound under its trial or active contract": FAILED_PRECONDITION
  /// unless `contract` serves `compoundID` and is live.
  public static func checkContract(_ contract: Governance_Property_V1_ServiceContract, of compoundID: String)
    throws(DomainError)
  {
    guard contract.compoundID == compoundID, ContractLifecycle.liveStates.contains(contract.state) else {
      throw DomainError.failedPrecondition(
        rule: "an acceptance reviews a compound under its trial or active contract",
        detail: "contract \(contract.id) is \(contract.state) for compound \(contract.compoundID)")
    }
  }
}

extension JointAcceptance {
  /// The rule "a file of an acceptance documents one of its step decisions": `steps/{index}`
  /// naming a recorded decision, or, when empty, the latest decision (empty before the first).
  /// - Throws: `DomainError.invalidArgument` naming `event_id`.
  public static func attachmentStep(_ eventID: String, of acceptance: Acceptance) throws(DomainError) -> String {
    if eventID.isEmpty { return acceptance.steps.isEmpty ? "" : "steps/\(acceptance.steps.count - 1)" }
    guard eventID.hasPrefix("steps/"), let index = Int(eventID.dropFirst(6)), acceptance.steps.indices.contains(index)
    else {
      throw DomainError.invalidArgument(
        field: "event_id", rule: "is steps/{index} of a recorded decision, from 0 to \(acceptance.steps.count - 1)")
    }
    return "steps/\(index)"
  }
}
