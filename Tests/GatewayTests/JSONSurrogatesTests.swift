import Foundation
import GovernanceAPI
import SwiftProtobuf
import Testing

@testable import Gateway

@Suite("Text through the gateway's JSON: every Unicode scalar round-trips, escaped or raw")
struct JSONSurrogatesTests {
  /// JSON for a compound named `name`, with every character outside the BMP written as the
  /// UTF-16 surrogate-pair escape Python's `json.dumps` writes.
  static func escapedJSON(_ name: String) -> Data {
    var escaped = ""
    for unit in name.utf16 {
      escaped += unit < 0x80 ? String(UnicodeScalar(UInt8(unit))) : String(format: "\\u%04x", unit)
    }
    return Data("{\"name\":\"\(escaped)\"}".utf8)
  }

  static func decodedName(_ json: Data) throws -> String {
    try Governance_Property_V1_Compound(jsonUTF8Data: JSONSurrogates.combined(json)).name
  }

  @Test("a surrogate pair decodes to its scalar on every plane (U+20000 is not U+10000)")
  func everyPlane() async throws {
    #expect(try Self.decodedName(Data(#"{"name":"\ud840\udc00三"}"#.utf8)) == "𠀀三")
    // Every plane from 1 to 16, each sampled at its ends and every 509th scalar between, and a
    // random draw besides: about 2,600 scalars, every high and low surrogate among them.
    var generator = SystemRandomNumberGenerator()
    var scalars = Array(stride(from: 0x10000, through: 0x10FFFF, by: 509))
    for plane in 1...16 { scalars += [plane << 16, plane << 16 | 0xFFFF] }
    scalars += (0..<500).map { _ in Int.random(in: 0x10000...0x10FFFF, using: &generator) }
    for (index, value) in scalars.enumerated() {
      // CPU-bound: let the other suites' tasks run between samples.
      if index % 100 == 0 { await Task.yield() }
      let scalar = try #require(Unicode.Scalar(UInt32(value)))
      let name = "甲" + String(Character(scalar)) + "乙"
      let decoded = try Self.decodedName(Self.escapedJSON(name))
      #expect(decoded == name, "U+\(String(value, radix: 16, uppercase: true))")
      if decoded != name { return }
      #expect(
        try Self.decodedName(Data(try Governance_Property_V1_Compound.with { $0.name = name }.jsonUTF8Data())) == name)
    }
  }

  @Test("escapes that are not pairs stay as the JSON says: a lone surrogate, an escaped backslash")
  func notPairs() throws {
    #expect(try Self.decodedName(Data(#"{"name":"\u005cud840\u4e09"}"#.utf8)) == "\\ud840三")
    #expect(try Self.decodedName(Data(#"{"name":"\\ud840\\udc00"}"#.utf8)) == "\\ud840\\udc00")
    #expect(throws: (any Error).self) { try Self.decodedName(Data(#"{"name":"\ud840x"}"#.utf8)) }
    #expect(try Self.decodedName(Data(#"{"name":"\u00e9\uFE0F 葛\uDB40\uDD00"}"#.utf8)) == "é\u{FE0F} 葛\u{E0100}")
  }
}
