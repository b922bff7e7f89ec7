import Foundation
import Testing

@testable import ServiceKit

@Suite("Text fields: limits in characters and bytes, combining marks bounded, no control characters")
struct FieldValidationTests {
  @Test("text is trimmed as Foundation trims white space and newlines, of every kind, at either end")
  func trimmingIsFoundations() {
    let foundation = CharacterSet.whitespacesAndNewlines
    let spaces = (0...0x10FFFF).compactMap(Unicode.Scalar.init).filter {
      $0.properties.isWhitespace || foundation.contains($0)
    }
    #expect(spaces.count > 20)
    for space in spaces.map(String.init) {
      for text in [space + "网格", "网格" + space, space + "网 格" + space, space, space + space, "网格"] {
        #expect(
          FieldValidation.trimmed(text) == text.trimmingCharacters(in: foundation),
          "\(space.unicodeScalars.map { String($0.value, radix: 16) })")
      }
    }
    #expect(FieldValidation.trimmed("") == "")
  }

  @Test("a text limit is a limit in characters and in bytes, and a character carries at most a few marks")
  func aTextLimitIsAlsoAByteLimit() throws {
    // A "100-character" name whose characters each carry fifty combining marks (10,000 bytes).
    let zalgo = String(repeating: "a" + String(repeating: "\u{0301}", count: 50), count: 100)
    #expect(zalgo.count == 100)
    #expect(throws: DomainError.self) { try FieldValidation.requiredName(zalgo, field: "compound.name") }
    do {
      _ = try FieldValidation.requiredName(zalgo, field: "compound.name")
    } catch {
      #expect("\(error)".contains("compound.name") && "\(error)".contains("bytes"), "\(error)")
    }
    let fewMarks = String(repeating: "a\u{0301}\u{0323}", count: 10)
    #expect(try FieldValidation.requiredName(fewMarks, field: "name") == fewMarks)
    let stacked = "a" + String(repeating: "\u{0301}", count: 5)
    #expect(throws: DomainError.self) { try FieldValidation.requiredName(stacked, field: "name") }
    // Rare characters beyond the BMP take four bytes each and fit the limit exactly.
    let rare = String(repeating: "𠀀", count: 100)
    #expect(try FieldValidation.requiredName(rare, field: "name") == rare)
    #expect(throws: DomainError.self) { try FieldValidation.requiredName(rare + "𠀀", field: "name") }
    // A variation selector on a CJK character (葛󠄀) is a mark-free selector and passes.
    #expect(try FieldValidation.requiredName("葛\u{E0100}亮", field: "name") == "葛\u{E0100}亮")
    #expect(throws: DomainError.self) {
      try FieldValidation.optionalText(String(repeating: "说明", count: 1001), field: "grid_case.details")
    }
  }
}
