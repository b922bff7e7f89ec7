import Foundation
import GovernanceAPI
import ServiceKit

/// Residents' micro-wishes (微心愿): posted, claimed by a volunteer, team or paired unit,
/// fulfilled, and confirmed by the resident.
public enum MicroWishWorkflow {
  public typealias Wish = Governance_Volunteers_V1_MicroWish
  public typealias State = Governance_Volunteers_V1_MicroWishState

  /// Every allowed transition, in one place.
  public static let transitions: [State: Set<State>] = [
    .open: [.claimed, .cancelled, .expired],
    .claimed: [.fulfilled, .cancelled, .expired],
    .fulfilled: [.confirmed],
  ]

  /// Days a wish stays open when its poster gives no expiry date.
  public static let defaultLifetimeDays = 30

  /// The rule "a wish moves only along the table": FAILED_PRECONDITION naming both states.
  public static func checkTransition(_ wish: Wish, to next: State) throws(DomainError) {
    guard transitions[wish.state, default: []].contains(next) else {
      throw DomainError.failedPrecondition(
        rule: "a micro-wish moves OPEN → CLAIMED → FULFILLED → CONFIRMED, or is cancelled or expires unfinished",
        detail: "wish \(wish.id) cannot go from \(wish.state) to \(next)")
    }
  }

  /// The rule "a wish past its expiry date is expired, whatever its stored state says, until it
  /// is fulfilled".
  public static func isExpired(_ wish: Wish, on today: Governance_Common_V1_Date) -> Bool {
    guard wish.state == .open || wish.state == .claimed, wish.hasExpireDate else { return false }
    return CalendarDate.iso(wish.expireDate) < CalendarDate.iso(today)
  }

  /// The rule "a wish has a title, a resident in a community, and an expiry date not in the
  /// past": validates a new wish, OPEN, with the resident whole for sealing.
  public static func validateNew(_ wish: Wish, on today: Governance_Common_V1_Date, at time: Date) throws(DomainError)
    -> Wish
  {
    var validated = wish
    let community = try DivisionCode(wish.divisionCode, field: "wish.division_code")
    guard community.level == .community else {
      throw DomainError.invalidArgument(
        field: "wish.division_code", rule: "a wish is posted in a community, got a \(community.level)")
    }
    validated.title = try FieldValidation.requiredName(wish.title, field: "wish.title")
    validated.details = try FieldValidation.optionalText(wish.details, field: "wish.details", maximumLength: 1000)
    validated.category = try FieldValidation.optionalText(wish.category, field: "wish.category", maximumLength: 30)
    validated.resident = try PersonalData.validate(wish.resident, field: "wish.resident")
    if wish.hasExpireDate {
      try CalendarDate.validate(wish.expireDate, field: "wish.expire_date")
      guard CalendarDate.iso(wish.expireDate) >= CalendarDate.iso(today) else {
        throw DomainError.invalidArgument(
          field: "wish.expire_date", rule: "not before today (\(CalendarDate.iso(today)))")
      }
    } else {
      validated.expireDate = CalendarDate.today(at: time.addingTimeInterval(TimeInterval(defaultLifetimeDays * 86_400)))
    }
    validated.state = .open
    validated.claimant = .init()
    validated.fulfilNote = ""
    validated.confirmComment = ""
    validated.cancelReason = ""
    return validated
  }
}

extension MicroWishWorkflow {
  /// The rule "an active volunteer claims wishes".
  public static func checkClaimant(_ volunteer: Governance_Volunteers_V1_Volunteer) throws(DomainError) {
    guard volunteer.active else {
      throw DomainError.failedPrecondition(
        rule: "an active volunteer claims wishes", detail: "\(volunteer.id) has withdrawn")
    }
  }

  /// The rule "an active team claims wishes".
  public static func checkClaimant(_ team: Governance_Volunteers_V1_Team) throws(DomainError) {
    guard team.active else {
      throw DomainError.failedPrecondition(rule: "an active team claims wishes", detail: "\(team.id) is disbanded")
    }
  }
}

extension MicroWishWorkflow {
  /// The rule "a wish is claimed by a volunteer, a team or a paired unit": the refusal of any
  /// other claimant kind.
  public static let unknownClaimantKind = DomainError.invalidArgument(
    field: "claimant.kind", rule: "one of VOLUNTEER, TEAM or PAIRED_UNIT")
}
