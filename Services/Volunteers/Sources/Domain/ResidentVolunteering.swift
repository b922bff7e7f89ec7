import GovernanceAPI
import ServiceKit

/// What a resident (居民) may do with micro-wishes (微心愿) and volunteering from the public page,
/// where they are known only by a phone number proved with a one-time code: post a wish for
/// themselves, register themselves as a resident volunteer, and claim a wish as that volunteer.
/// Staff calls pass through unchanged.
public enum ResidentVolunteering {
  static func isResident(_ principal: Principal) -> Bool {
    principal.service == nil && principal.role == .resident
  }

  /// The rule "a resident's wish is their own": a wish a resident posts carries their principal
  /// in `resident_principal_id` (ConfirmMicroWish and "my wishes" go by it) and is not posted on
  /// anyone's behalf.
  public static func stamp(_ wish: Governance_Volunteers_V1_MicroWish, by principal: Principal)
    -> Governance_Volunteers_V1_MicroWish
  {
    guard isResident(principal) else { return wish }
    var stamped = wish
    stamped.residentPrincipalID = principal.subject
    stamped.postedOnBehalf = false
    return stamped
  }

  /// The rule "a resident registers only themselves, as a resident volunteer": the record is
  /// bound to the resident's own principal, of kind RESIDENT, with no party member or company.
  /// - Throws: `DomainError.invalidArgument` naming `volunteer.kind`, `volunteer.principal_id`,
  ///   `volunteer.party_member_id` or `volunteer.property_company_id` when the request says
  ///   otherwise.
  public static func stamp(_ volunteer: Governance_Volunteers_V1_Volunteer, by principal: Principal)
    throws(DomainError) -> Governance_Volunteers_V1_Volunteer
  {
    guard isResident(principal) else { return volunteer }
    guard volunteer.kind == .resident || volunteer.kind == .unspecified else {
      throw DomainError.invalidArgument(
        field: "volunteer.kind", rule: "a resident registers as a RESIDENT volunteer, got \(volunteer.kind)")
    }
    guard volunteer.principalID.isEmpty || volunteer.principalID == principal.subject else {
      throw DomainError.invalidArgument(
        field: "volunteer.principal_id", rule: "a resident registers only themselves")
    }
    guard !volunteer.hasPartyMemberID else {
      throw DomainError.invalidArgument(
        field: "volunteer.party_member_id", rule: "party members are registered by their community")
    }
    guard volunteer.propertyCompanyID.isEmpty else {
      throw DomainError.invalidArgument(
        field: "volunteer.property_company_id", rule: "property staff are registered by their company")
    }
    var stamped = volunteer
    stamped.kind = .resident
    stamped.principalID = principal.subject
    return stamped
  }

  /// Whether the record binds `principal` to itself as a resident does on registering: the one
  /// binding that is not staff's to make (`Jurisdiction.checkMayBindPrincipal`).
  public static func bindsSelf(_ volunteer: Governance_Volunteers_V1_Volunteer, by principal: Principal) -> Bool {
    isResident(principal) && volunteer.principalID == principal.subject
  }

  /// The rule "a resident claims someone else's wish, as themselves": only as the volunteer bound
  /// to their own principal (never as a team, a paired unit or someone else), and never their own
  /// wish.
  /// - Throws: `DomainError.permissionDenied` naming the claimant, or
  ///   `DomainError.failedPrecondition` for their own wish.
  public static func checkClaimant(
    kind: Governance_Volunteers_V1_ClaimantKind, volunteer: Governance_Volunteers_V1_Volunteer?,
    wish: Governance_Volunteers_V1_MicroWish, by principal: Principal
  ) throws(DomainError) {
    guard isResident(principal) else { return }
    guard kind == .volunteer, let volunteer, volunteer.principalID == principal.subject else {
      throw DomainError.permissionDenied(
        reason: "\(principal.subject) claims a wish only as the volunteer registered to them")
    }
    guard wish.residentPrincipalID != principal.subject else {
      throw DomainError.failedPrecondition(
        rule: "a wish is met by someone else", detail: "wish \(wish.id) was posted by the resident claiming it")
    }
  }
}
