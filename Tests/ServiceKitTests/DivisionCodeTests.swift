import Testing

@testable import ServiceKit

@Suite("Division codes: 12 digits, grids extend communities, jurisdiction is a prefix")
struct DivisionCodeTests {
  @Test(
    "levels are read from the zero groups",
    arguments: [
      ("320000000000", DivisionCode.Level.province),
      ("320100000000", .city),
      ("320113000000", .district),
      ("320113005000", .street),
      ("320113005001", .community),
      ("320113005001001", .grid),
      ("320113005001001002", .microGrid),
    ])
  func levels(code: String, level: DivisionCode.Level) throws {
    #expect(try DivisionCode(code, field: "division_code").level == level)
  }

  @Test(
    "a division code must be 12, 15 or 18 digits naming a real level",
    arguments: [
      ("", "required"),
      ("3201130050", "12 digits"),
      ("32011300500A", "digits only"),
      ("000000000000", "not 00"),
      ("320113005000001", "extends a community code"),
    ])
  func divisionCodeMustBeWellFormed(code: String, rule: String) {
    do {
      _ = try DivisionCode(code, field: "division_code")
      Issue.record("accepted '\(code)'")
    } catch {
      guard case .invalidArgument(let field, let message) = error else {
        Issue.record("unexpected \(error)")
        return
      }
      #expect(field == "division_code")
      #expect(message.description.contains(rule))
    }
  }

  @Test("jurisdiction is a prefix test and parents climb one level")
  func jurisdictionIsAPrefix() throws {
    let district = try DivisionCode("320113000000", field: "d")
    let grid = try DivisionCode("320113005001001", field: "g")
    let otherDistrict = try DivisionCode("320114005001", field: "o")
    #expect(district.contains(grid))
    #expect(!district.contains(otherDistrict))
    #expect(grid.parent?.code == "320113005001")
    #expect(grid.parent?.parent?.code == "320113005000")
    #expect(try DivisionCode("320000000000", field: "p").parent == nil)
  }
}
