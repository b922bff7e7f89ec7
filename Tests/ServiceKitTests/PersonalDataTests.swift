import GovernanceAPI
import Testing

@testable import ServiceKit

@Suite("Personal data is masked when shown")
struct PersonalDataTests {
  @Test("personal data is masked when shown", arguments: [
    ("张三", "13812345678", "320113199001011234", "张*", "138****5678", "320113********1234"),
    ("欧阳娜娜", "025-8888 6666", "", "欧阳**", "025****6666", ""),
    ("李", "", "", "李", "", ""),
  ])
  func personalDataIsMaskedWhenShown(name: String, phone: String, id: String, maskedName: String,
    maskedPhone: String, maskedID: String) throws
  {
    let stored = try PersonalData.validate(.with {
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

  @Test("malformed phone and ID numbers are refused naming the field")
  func malformedContact() {
    #expect(throws: DomainError.self) {
      try PersonalData.validate(.with {
        $0.name = "王五"
        $0.phone = "call me"
      }, field: "member.contact")
    }
    #expect(throws: DomainError.invalidArgument(
      field: "member.contact.id_number", rule: "a resident ID number has 17 digits and a digit or X")
    ) {
      try PersonalData.validate(.with {
        $0.name = "王五"
        $0.idNumber = "12345"
      }, field: "member.contact")
    }
  }
}
