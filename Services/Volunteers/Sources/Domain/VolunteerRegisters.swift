import GovernanceAPI
import ServiceKit

/// The register of volunteers (志愿者台账) that ImportVolunteers takes: a row's key, what it gives
/// and how it changes a volunteer. Every row is then checked by CreateVolunteer's and
/// UpdateVolunteer's rules (`VolunteerRegistry`, `ResidentVolunteering`).
public enum VolunteerRegisters {
  public typealias Volunteer = Governance_Volunteers_V1_Volunteer
  public typealias Contact = Governance_Common_V1_ResidentContact

  /// The rule "a register's row is keyed by the volunteer's ID number, else their phone": the
  /// number the row's key is the digest of, as CreateVolunteer stores it (`PersonalData`).
  /// - Throws: `DomainError.invalidArgument` naming the contact's field that is wrong, or
  ///   `volunteer.contact` when the row gives neither.
  public static func keyNumber(of contact: Contact) throws(DomainError) -> String {
    if !contact.idNumber.isEmpty {
      return try ResidentIDNumber.validated(contact.idNumber, field: "volunteer.contact.id_number")
    }
    guard !contact.phone.isEmpty else {
      throw DomainError.invalidArgument(
        field: "volunteer.contact", rule: "a register's row gives the volunteer's ID number or phone")
    }
    return try PhoneNumber.normalized(contact.phone, field: "volunteer.contact.phone")
  }

  /// The number a stored (validated) contact is keyed by: its ID number, else its phone; empty
  /// for a contact with neither.
  public static func storedKeyNumber(of contact: Contact) -> String {
    contact.idNumber.isEmpty ? contact.phone : contact.idNumber
  }

  /// The rule "a register's key is one volunteer's": `ids`, the volunteers found by the row's
  /// key, hold at most one.
  public static func checkOneVolunteer(_ ids: [String], byIDNumber: Bool) throws(DomainError) {
    guard ids.count > 1 else { return }
    if byIDNumber {
      throw DomainError.failedPrecondition(
        rule: "an ID number in a register is one volunteer's",
        detail: "volunteers \(ids[0]) and \(ids[1]) hold the row's ID number")
    }
    throw DomainError.failedPrecondition(
      rule: "a phone in a register is one volunteer's",
      detail: "volunteers \(ids[0]) and \(ids[1]) hold the row's phone")
  }

  /// The rule "a register keeps a volunteer at the community they are registered at", as
  /// UpdateVolunteer does: a row found by its key but naming another community is refused.
  public static func checkCommunity(_ given: Volunteer, of current: Volunteer) throws(DomainError) {
    guard given.divisionCode.isEmpty || given.divisionCode == current.divisionCode else {
      throw DomainError.failedPrecondition(
        rule: "a register keeps a volunteer at the community they are registered at",
        detail: "volunteer \(current.id) is registered at \(current.divisionCode), the row names \(given.divisionCode)")
    }
  }

  /// The rule "a register's row changes only the fields it gives": the change UpdateVolunteer
  /// would make of `current` (its contact whole) for the row `given`, and the update paths it
  /// names. The contact is named when the name, phone or ID number the row gives differs from the
  /// stored one; of the other fields UpdateVolunteer changes, those the row holds at other than
  /// their default (so a register reactivates a volunteer, never withdraws one). The community,
  /// teams and register date are never changed by a register.
  public static func change(_ given: Volunteer, over current: Volunteer) -> (changes: Volunteer, paths: [String]) {
    var changes = given
    var contact = current.contact
    if !given.contact.name.isEmpty { contact.name = given.contact.name }
    if !given.contact.phone.isEmpty { contact.phone = given.contact.phone }
    if !given.contact.idNumber.isEmpty { contact.idNumber = given.contact.idNumber }
    changes.contact = contact
    var paths: [String] = []
    if contact != current.contact { paths.append("contact") }
    if given.kind != .unspecified { paths.append("kind") }
    if !given.skills.isEmpty { paths.append("skills") }
    if !given.compoundID.isEmpty { paths.append("compound_id") }
    if given.hasPartyMemberID, !given.partyMemberID.isEmpty { paths.append("party_member_id") }
    if !given.propertyCompanyID.isEmpty { paths.append("property_company_id") }
    if !given.principalID.isEmpty { paths.append("principal_id") }
    if given.active { paths.append("active") }
    return (changes, paths)
  }
}
