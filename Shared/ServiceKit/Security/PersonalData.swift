import Foundation
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
    return String(text.prefix(first)) + String(repeating: "*", count: text.count - first - last)
      + String(text.suffix(last))
  }

  /// The rule "a phone is a mainland mobile or a landline, an ID number is a valid GB 11643 citizen
  /// identity number" (`PhoneNumber`, `ResidentIDNumber`): validates a contact for storage;
  /// `field` names it in the error.
  public static func validate(_ contact: Governance_Common_V1_ResidentContact, field: String) throws(DomainError)
    -> Governance_Common_V1_ResidentContact
  {
    var validated = contact
    validated.name = try FieldValidation.requiredName(contact.name, field: "\(field).name", maximumLength: 50)
    validated.phone = contact.phone.isEmpty ? "" : try PhoneNumber.normalized(contact.phone, field: "\(field).phone")
    validated.idNumber =
      contact.idNumber.isEmpty ? "" : try ResidentIDNumber.validated(contact.idNumber, field: "\(field).id_number")
    validated.masked = false
    return validated
  }
}

/// Citizen identity numbers (公民身份号码) as GB 11643-1999 defines them: six digits of the
/// address code, eight of the birth date (YYYYMMDD), three of the sequence, and a check
/// character computed by ISO 7064 MOD 11-2.
public enum ResidentIDNumber {
  /// Weights of the first 17 digits (GB 11643-1999 §6.2: 2^(i-1) mod 11, from the right).
  static let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
  /// The check character for each remainder mod 11.
  static let checkCharacters = Array("10X98765432")

  /// The check character of the first 17 digits (ASCII), per ISO 7064 MOD 11-2.
  public static func checkCharacter(_ digits: [UInt8]) -> Character {
    let sum = zip(digits.prefix(17), weights).reduce(0) { $0 + Int($1.0 - UInt8(ascii: "0")) * $1.1 }
    return checkCharacters[sum % 11]
  }

  /// The rule "an ID number is 17 ASCII digits and a check digit or X, with a real birth date
  /// no later than `today` and the right check character": the number, upper-cased.
  /// - Throws: `DomainError.invalidArgument` naming `field` and what is wrong.
  public static func validated(_ value: String, field: String, today: Date = Date()) throws(DomainError) -> String {
    let id = value.trimmingCharacters(in: .whitespaces).uppercased()
    let bytes = Array(id.utf8)
    let isDigit = { (byte: UInt8) in (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }
    guard bytes.count == 18, bytes.prefix(17).allSatisfy(isDigit), isDigit(bytes[17]) || bytes[17] == UInt8(ascii: "X")
    else {
      throw DomainError.invalidArgument(
        field: field,
        rule: "an ID number is 17 ASCII digits and a check digit or X (GB 11643), got \(id.count) characters")
    }
    let birth = String(decoding: bytes[6..<14], as: UTF8.self)
    let date = Governance_Common_V1_Date.with {
      $0.year = Int32(birth.prefix(4)) ?? 0
      $0.month = Int32(birth.dropFirst(4).prefix(2)) ?? 0
      $0.day = Int32(birth.suffix(2)) ?? 0
    }
    // ISO dates sort as the calendar does.
    guard (try? CalendarDate.validate(date, field: field)) != nil,
      CalendarDate.iso(date) <= CalendarDate.iso(CalendarDate.today(at: today))
    else {
      throw DomainError.invalidArgument(
        field: field, rule: "digits 7 to 14 are a birth date (YYYYMMDD) that was, got \(birth)")
    }
    let expected = checkCharacter(bytes)
    guard Character(Unicode.Scalar(bytes[17])) == expected else {
      throw DomainError.invalidArgument(
        field: field,
        rule:
          "the check character (ISO 7064 MOD 11-2) should be \(expected), got \(Character(Unicode.Scalar(bytes[17])))")
    }
    return id
  }
}

/// Mainland China phone numbers: a mobile (11 digits beginning 13 to 19, optionally after +86 or
/// 0086) or a landline with its area code (0, then 2 or 3 digits, then a 7- or 8-digit number).
public enum PhoneNumber {
  /// The rule "a phone is a mainland mobile or a landline with its area code": the number as
  /// digits only, without the country code; spaces, hyphens and brackets around the area code
  /// are dropped.
  /// - Throws: `DomainError.invalidArgument` naming `field` and the forms accepted.
  public static func normalized(_ value: String, field: String) throws(DomainError) -> String {
    var text = value.filter { $0 != " " && $0 != "-" && $0 != "(" && $0 != ")" }
    if text.hasPrefix("+86") {
      text.removeFirst(3)
    } else if text.hasPrefix("0086") {
      text.removeFirst(4)
    }
    let bytes = Array(text.utf8)
    let digitsOnly =
      text.unicodeScalars.count == bytes.count
      && bytes.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    let mobile =
      bytes.count == 11 && bytes[0] == UInt8(ascii: "1") && (UInt8(ascii: "3")...UInt8(ascii: "9")).contains(bytes[1])
    let landline =
      bytes.first == UInt8(ascii: "0") && (10...12).contains(bytes.count) && bytes.count > 1
      && bytes[1] != UInt8(ascii: "0")
    guard digitsOnly, mobile || landline else {
      throw DomainError.invalidArgument(
        field: field,
        rule:
          "a mainland mobile (11 digits from 13 to 19, +86 allowed) or a landline with its area code (e.g. 025-83456789), in ASCII digits; got '\(value)'"
      )
    }
    return text
  }
}
