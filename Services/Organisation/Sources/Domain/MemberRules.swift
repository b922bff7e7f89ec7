import GovernanceAPI
import ServiceKit

/// Party members (党员) registered in the service: kind, standing, home and organisation.
public enum MemberRules {
  public typealias Member = Governance_Organisation_V1_PartyMember

  /// The rule "a member has a name, a kind, a standing and an active organisation": validates a
  /// new member of `organisation`; the contact is kept whole here and masked when shown.
  public static func validateNew(_ member: Member, organisation: Governance_Organisation_V1_Organisation)
    throws(DomainError) -> Member
  {
    var validated = member
    validated.contact = try PersonalData.validate(member.contact, field: "member.contact")
    validated.kind = try FieldValidation.requiredCase(
      member.kind, field: "member.kind", unspecified: .unspecified,
      known: [.directManaged, .inService, .pairedUnit, .retired, .floating])
    validated.standing = try FieldValidation.requiredCase(
      member.standing, field: "member.standing", unspecified: .unspecified, known: [.formal, .probationary])
    guard organisation.status == .active else {
      throw DomainError.failedPrecondition(
        rule: "members join an active organisation", detail: "organisation \(organisation.id) is dissolved")
    }
    validated.divisionCode = organisation.divisionCode
    if !member.homeCompoundID.isEmpty {
      validated.homeCompoundID = try FieldValidation.requiredID(member.homeCompoundID, field: "member.home_compound_id")
    }
    if !member.homeBuildingID.isEmpty {
      validated.homeBuildingID = try FieldValidation.requiredID(member.homeBuildingID, field: "member.home_building_id")
    }
    validated.workUnit = try FieldValidation.optionalText(
      member.workUnit, field: "member.work_unit", maximumLength: 100)
    for (index, skill) in member.skills.enumerated() {
      validated.skills[index] = try FieldValidation.requiredName(
        skill, field: "member.skills[\(index)]", maximumLength: 30)
    }
    if member.hasJoinedPartyDate {
      try CalendarDate.validate(member.joinedPartyDate, field: "member.joined_party_date")
    }
    validated.status = .active
    return validated
  }
}

extension MemberRules {
  /// The rule "dual registration (双报到) is for active in-service members (在职党员)".
  public static func checkRegistersAtCommunity(_ member: Member) throws(DomainError) {
    guard member.kind == .inService, member.status == .active else {
      throw DomainError.failedPrecondition(
        rule: "dual registration is for active in-service members (在职党员)",
        detail: "member \(member.id) is \(member.kind), \(member.status)")
    }
  }

  /// The rule "members transfer to an active organisation".
  public static func checkTransferTarget(_ target: Governance_Organisation_V1_Organisation) throws(DomainError) {
    guard target.status == .active else {
      throw DomainError.failedPrecondition(
        rule: "members transfer to an active organisation", detail: "organisation \(target.id) is dissolved")
    }
  }

  /// The rule "a transfer moves a member to another organisation".
  public static func checkTransfer(_ member: Member, to target: Governance_Organisation_V1_Organisation)
    throws(DomainError)
  {
    guard member.organisationID != target.id else {
      throw DomainError.failedPrecondition(
        rule: "a transfer moves a member to another organisation", detail: "member \(member.id) is already there")
    }
  }
}

extension MemberRules {
  /// The rule "members register at a community (双报到)": the community `code` names.
  public static func registrationCommunity(_ code: String) throws(DomainError) -> DivisionCode {
    let community = try DivisionCode(code, field: "community_division_code")
    guard community.level == .community else {
      throw DomainError.invalidArgument(
        field: "community_division_code", rule: "members register at a community, got a \(community.level)")
    }
    return community
  }

  /// The rule "only party members' contacts are kept here": a reveal names a party member.
  public static func checkRevealSubject(_ subject: Governance_Organisation_V1_ContactSubject) throws(DomainError) {
    guard subject == .partyMember else {
      throw DomainError.invalidArgument(field: "subject", rule: "only party members' contacts are kept here so far")
    }
  }
}
