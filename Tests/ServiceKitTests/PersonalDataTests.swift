import GovernanceAPI
import Testing

@testable import ServiceKit

@Suite("Personal data is masked when shown")
struct PersonalDataTests {
  @Test(
    "personal data is masked when shown",
    arguments: [
      ("张三", "13812345678", "320113199001011231", "张*", "138****5678", "320113********1231"),
      ("欧阳娜娜", "025-8888 6666", "", "欧阳**", "025****6666", ""),
      ("王二", "+86 139 1234 5678", "11010519491231002x", "王*", "139****5678", "110105********002X"),
      ("李", "", "", "李", "", ""),
    ])
  func personalDataIsMaskedWhenShown(
    name: String, phone: String, id: String, maskedName: String,
    maskedPhone: String, maskedID: String
  ) throws {
    let stored = try PersonalData.validate(
      .with {
        $0.name = name
        $0.phone = phone
        $0.idNumber = id
      }, field: "member.contact")
    let shown = PersonalData.masked(stored)
    #expect(shown.name == maskedName)
    #expect(shown.phone == maskedPhone)
    #expect(shown.idNumber == maskedID)
    #expect(shown.masked)
  }

  @Test(
    "an ID number is GB 11643's: ASCII digits, a real birth date, the MOD 11-2 check character",
    arguments: [
      "11010519491231002½", "11010519491231002９", "1101051949123100Ⅻ", "11010519491231002٣", "１１010519491231002X",
      "110105194912310021", "11010519491331002X", "110105194902300025", "110105209912310028", "12345",
      "11010519491231002XX", "110105 19491231002X",
    ])
  func anIDNumberIsGB11643s(id: String) {
    #expect(throws: DomainError.self) { try ResidentIDNumber.validated(id, field: "member.contact.id_number") }
    do {
      _ = try ResidentIDNumber.validated(id, field: "member.contact.id_number")
    } catch {
      #expect("\(error)".contains("member.contact.id_number"), "\(error)")
    }
  }

  @Test("valid ID numbers pass, X in either case, the 29th of February of a leap year")
  func validIDNumbers() throws {
    #expect(try ResidentIDNumber.validated("11010519491231002X", field: "id") == "11010519491231002X")
    #expect(try ResidentIDNumber.validated("11010519491231002x", field: "id") == "11010519491231002X")
    #expect(try ResidentIDNumber.validated("320113202402290010", field: "id") == "320113202402290010")
  }

  @Test(
    "a phone is a mainland mobile or a landline with its area code",
    arguments: [
      ("13812345678", "13812345678"), ("+86 138-1234-5678", "13812345678"), ("008619912345678", "19912345678"),
      ("025-83456789", "02583456789"), ("(0512) 6523 4567", "051265234567"), ("010-1234567", "0101234567"),
    ])
  func phoneForms(given: String, stored: String) throws {
    #expect(try PhoneNumber.normalized(given, field: "phone") == stored)
  }

  @Test(
    "anything else is refused naming the field",
    arguments: [
      "call me", "12ab", "12345678901", "1381234567", "138123456789", "１３８１２３４５６７８", "83456789",
      "00-12345678", "+1 415 555 0100", "13812345678 ext 9",
    ])
  func badPhones(given: String) {
    #expect(throws: DomainError.self) { try PhoneNumber.normalized(given, field: "member.contact.phone") }
  }
}
