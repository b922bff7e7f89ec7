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

extension MemberRules {
  /// The rule "a register's row changes the parts of a contact it gives": `given`'s name and
  /// phone where it has them over the `stored` contact, with the row's ID number (its key).
  public static func importedContact(
    _ given: Governance_Common_V1_ResidentContact, over stored: Governance_Common_V1_ResidentContact,
    idNumber: String
  ) -> Governance_Common_V1_ResidentContact {
    var contact = stored
    if !given.name.isEmpty { contact.name = given.name }
    if !given.phone.isEmpty { contact.phone = given.phone }
    contact.idNumber = idNumber
    contact.masked = false
    return contact
  }

  /// The rule "a register names a member's organisation by its name at the member's division or
  /// above": the one of `candidates` (organisations called `name` at `division` or above), an
  /// active one before dissolved ones; INVALID_ARGUMENT naming `organisation_name` when there is
  /// none or more than one.
  public static func organisationNamed(
    _ name: String, at division: String, among candidates: [Governance_Organisation_V1_Organisation]
  ) throws(DomainError) -> Governance_Organisation_V1_Organisation {
    let active = candidates.filter { $0.status == .active }
    let chosen = candidates.count > 1 && !active.isEmpty ? active : candidates
    guard let organisation = chosen.first else {
      throw DomainError.invalidArgument(
        field: "organisation_name",
        rule: "names an organisation at division \(division) or above; none is called \(name)")
    }
    guard chosen.count == 1 else {
      throw DomainError.invalidArgument(
        field: "organisation_name",
        rule: "names one organisation at division \(division) or above; \(chosen.count) are called \(name)")
    }
    return organisation
  }

  /// The rule "a register keeps a member in their organisation; a member moves by a transfer
  /// (TransferMember), which keeps its history".
  public static func checkImportedOrganisation(
    _ member: Member, _ organisation: Governance_Organisation_V1_Organisation
  )
    throws(DomainError)
  {
    guard member.organisationID == organisation.id else {
      throw DomainError.failedPrecondition(
        rule: "a member moves to another organisation by a transfer (TransferMember)",
        detail: "member \(member.id) belongs to \(member.organisationID), the row names \(organisation.id)")
    }
  }

  /// The rule "an ID number is one member's": `ids`, the members found by an ID number's digest,
  /// hold at most one.
  public static func checkOneMemberByIDNumber(_ ids: [String]) throws(DomainError) {
    guard ids.count <= 1 else {
      throw DomainError.failedPrecondition(
        rule: "an ID number is one member's", detail: "members \(ids[0]) and \(ids[1]) hold the row's ID number")
    }
  }
}
