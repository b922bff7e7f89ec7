import GovernanceAPI
import ServiceKit

/// Who may register as a volunteer (志愿者) and what is kept of them.
public enum VolunteerRegistry {
  public typealias Volunteer = Governance_Volunteers_V1_Volunteer

  public static let maximumSkills = 20

  /// The rule "a volunteer is registered at a community with a contact and a kind; a party-member
  /// volunteer is linked to their member record, property staff to their company": validates a
  /// new or changed volunteer. The contact is returned whole, for sealing.
  public static func validate(_ volunteer: Volunteer) throws(DomainError) -> Volunteer {
    var validated = volunteer
    let community = try DivisionCode(volunteer.divisionCode, field: "volunteer.division_code")
    guard community.level == .community else {
      throw DomainError.invalidArgument(
        field: "volunteer.division_code", rule: "a volunteer registers at a community, got a \(community.level)")
    }
    validated.contact = try PersonalData.validate(volunteer.contact, field: "volunteer.contact")
    validated.kind = try FieldValidation.requiredCase(
      volunteer.kind, field: "volunteer.kind", unspecified: .unspecified,
      known: Governance_Volunteers_V1_VolunteerKind.allCases.filter { $0 != .unspecified })
    validated.skills = try skills(volunteer.skills, field: "volunteer.skills")
    switch validated.kind {
    case .inServicePartyMember, .directManagedPartyMember:
      guard volunteer.hasPartyMemberID, !volunteer.partyMemberID.isEmpty else {
        throw DomainError.invalidArgument(
          field: "volunteer.party_member_id", rule: "a party-member volunteer is linked to their member record")
      }
    case .propertyStaff:
      guard !volunteer.propertyCompanyID.isEmpty else {
        throw DomainError.invalidArgument(
          field: "volunteer.property_company_id", rule: "property staff register with their company")
      }
    default:
      break
    }
    if volunteer.hasPartyMemberID, volunteer.partyMemberID.isEmpty { validated.clearPartyMemberID() }
    if validated.hasPartyMemberID {
      validated.partyMemberID = try FieldValidation.requiredID(
        volunteer.partyMemberID, field: "volunteer.party_member_id")
    }
    return validated
  }

  /// The rule "skills are short tags, at most 20, each once": the normalised tags.
  public static func skills(_ tags: [String], field: String) throws(DomainError) -> [String] {
    guard tags.count <= maximumSkills else {
      throw DomainError.invalidArgument(field: field, rule: "at most \(maximumSkills) skills, got \(tags.count)")
    }
    var seen: [String] = []
    for (index, tag) in tags.enumerated() {
      let normalised = try FieldValidation.requiredName(tag, field: "\(field)[\(index)]", maximumLength: 30)
        .lowercased()
      guard !normalised.contains(",") else {
        throw DomainError.invalidArgument(field: "\(field)[\(index)]", rule: "a skill tag has no commas")
      }
      if !seen.contains(normalised) { seen.append(normalised) }
    }
    return seen
  }
}
