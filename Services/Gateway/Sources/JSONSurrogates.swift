import Foundation

/// Rewrites JSON's UTF-16 surrogate-pair escapes (`\ud840\udc00`) as the UTF-8 bytes of the
/// scalar they stand for (U+20000 𠀀), before the JSON reaches swift-protobuf.
///
/// swift-protobuf 1.39.0 combines a pair with OR instead of addition, so every scalar in planes
/// 2, 4, 6, … (CJK Extensions B–F, the rare characters of people's names) decoded as another
/// (docs/UPSTREAM.md). Python's `json.dumps`, JavaScript's `JSON.stringify` of lone surrogates and
/// many clients escape such characters this way (RFC 8259 §7). Everything else, a lone surrogate
/// included, is left for the decoder to judge.
enum JSONSurrogates {
  /// `json` with every escaped surrogate pair written as UTF-8; the same bytes when there is none.
  static func combined(_ json: Data) -> Data {
    // Fast path: no escape that could start a pair.
    guard json.count >= 12, json.range(of: Data("\\u".utf8)) != nil else { return json }
    let bytes = [UInt8](json)
    var output: [UInt8] = []
    output.reserveCapacity(bytes.count)
    var index = 0
    while index < bytes.count {
      let byte = bytes[index]
      guard byte == UInt8(ascii: "\\"), index + 1 < bytes.count else {
        output.append(byte)
        index += 1
        continue
      }
      // An escape: `\uXXXX` may begin a pair; any other is copied with its escaped character.
      if bytes[index + 1] == UInt8(ascii: "u"), let high = hex4(bytes, at: index + 2), (0xD800...0xDBFF).contains(high),
        index + 11 < bytes.count, bytes[index + 6] == UInt8(ascii: "\\"), bytes[index + 7] == UInt8(ascii: "u"),
        let low = hex4(bytes, at: index + 8), (0xDC00...0xDFFF).contains(low),
        let scalar = Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
      {
        output.append(contentsOf: Array(String(Character(scalar)).utf8))
        index += 12
      } else {
        output.append(byte)
        output.append(bytes[index + 1])
        index += 2
      }
    }
    return Data(output)
  }

  /// The four hexadecimal digits at `index` as a number, or nil.
  private static func hex4(_ bytes: [UInt8], at index: Int) -> UInt32? {
    guard index + 4 <= bytes.count else { return nil }
    var value: UInt32 = 0
    for byte in bytes[index..<index + 4] {
      let digit: UInt32
      switch byte {
      case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
      case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
      case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
      default: return nil
      }
      value = value << 4 | digit
    }
    return value
  }
}
