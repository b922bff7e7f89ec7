import GovernanceAPI

/// Residents' and members' personal information (个人信息): names, phone numbers and ID numbers
/// are shown masked in every listing and read; only an audited reveal returns them whole.
public enum PersonalData {
  /// The rule "personal data is masked when shown": the surname and nothing else of a name
  /// ("张*", "欧阳**"), the first 3 and last 4 digits of a phone ("138****5678"), the first 6 and
  /// last 4 characters of an ID number.
  public static func masked(_ contact: Governance_Common_V1_ResidentContact) -> Governance_Common_V1_ResidentContact {
    .with {
      $0.name = maskName(contact.name)
      $0.phone = keepEnds(contact.phone, first: 3, last: 4)
      $0.idNumber = keepEnds(contact.idNumber, first: 6, last: 4)
      $0.masked = true
    }
  }

  static func maskName(_ name: String) -> String {
    guard let first = name.first else { return "" }
    // Two-character compound surnames (欧阳, 司马...) keep both characters when the name is long
    // enough to leave something hidden.
    let compoundSurnames: Set<String> = ["欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐"]
    let kept = name.count >= 3 && compoundSurnames.contains(String(name.prefix(2))) ? 2 : 1
    if name.count == 1 { return String(first) }
    return String(name.prefix(kept)) + String(repeating: "*", count: name.count - kept)
  }

  static func keepEnds(_ text: String, first: Int, last: Int) -> String {
    guard text.count > first + last else { return String(repeating: "*", count: text.count) }
    return String(text.prefix(first)) + String(repeating: "*", count: text.count - first - last) + String(text.suffix(last))
  }

  /// The rule "a phone is a mainland mobile or a landline, an ID number is 18 characters":
  /// validates a contact for storage; `field` names it in the error.
  public static func validate(_ contact: Governance_Common_V1_ResidentContact, field: String) throws(DomainError)
    -> Governance_Common_V1_ResidentContact
  {
    var validated = contact
    validated.name = try FieldValidation.requiredName(contact.name, field: "\(field).name", maximumLength: 50)
    let phone = contact.phone.filter { $0 != " " && $0 != "-" }
    if !phone.isEmpty {
      guard (7...13).contains(phone.count), phone.allSatisfy(\.isASCII), phone.allSatisfy(\.isNumber) else {
        throw DomainError.invalidArgument(field: "\(field).phone", rule: "7 to 13 digits, got '\(contact.phone)'")
      }
    }
    validated.phone = phone
    let id = contact.idNumber.uppercased()
    if !id.isEmpty {
      guard id.count == 18, id.dropLast().allSatisfy({ $0.isASCII && $0.isNumber }),
        id.last!.isNumber || id.last == "X"
      else {
        throw DomainError.invalidArgument(
          field: "\(field).id_number", rule: "a resident ID number has 17 digits and a digit or X")
      }
    }
    validated.idNumber = id
    validated.masked = false
    return validated
  }
}
