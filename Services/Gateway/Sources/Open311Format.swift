import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import ServiceKit

/// The two formats Open311 GeoReport v2 answers in ("Format Support"): XML, which the standard
/// requires, and JSON. A resource names its format as its extension (`services.xml`).
enum Open311Format: String, Sendable, CaseIterable {
  case json
  case xml

  /// The MIME type of the answer, UTF-8 as the standard's "Encoding" section asks.
  var contentType: String {
    switch self {
    case .json: "application/json; charset=utf-8"
    case .xml: "text/xml; charset=utf-8"
    }
  }

  /// A path segment split into its resource and format: `services.json` is `("services", .json)`.
  /// The format is nil when the extension is missing or not one of the two (the caller answers
  /// 404, as for any resource the server does not have).
  static func split(_ segment: String) -> (resource: String, format: Open311Format?) {
    guard let dot = segment.lastIndex(of: ".") else { return (segment, nil) }
    return (String(segment[..<dot]), Open311Format(rawValue: String(segment[segment.index(after: dot)...])))
  }
}

/// A value in an Open311 answer, written the same way to JSON and XML: XML elements in the order
/// given, JSON objects with the same keys.
indirect enum Open311Value: Sendable {
  /// A string; empty is `""` in JSON and an empty element in XML.
  case text(String)
  /// A number (a latitude, an error code); JSON writes it bare.
  case number(Double)
  case bool(Bool)
  /// No value: `null` in JSON, an empty element in XML.
  case null
  /// A record: named fields in order.
  case record([(String, Open311Value)])
  /// A list: a JSON array; in XML, one element named `element` per item.
  case list(element: String, [Open311Value])

  /// A text value, or `null` when the string is empty.
  static func optional(_ text: String) -> Open311Value { text.isEmpty ? .null : .text(text) }
}

/// A whole Open311 answer: a root element holding one value. The standard's JSON drops the root
/// (a list answer is a bare array, `[{"service_code": ...}]`); its XML keeps it
/// (`<services><service>...</service></services>`).
struct Open311Document: Sendable {
  var root: String
  var value: Open311Value

  /// The document as a response in `format`, with `status`.
  func response(_ format: Open311Format, status: HTTPResponse.Status = .ok) -> Response {
    var bytes = ByteBuffer()
    switch format {
    case .json: bytes.writeString(Self.json(value))
    case .xml:
      bytes.writeString(#"<?xml version="1.0" encoding="utf-8"?>"#)
      bytes.writeString(Self.xml(value, element: root))
    }
    return Response(status: status, headers: [.contentType: format.contentType], body: .init(byteBuffer: bytes))
  }

  // MARK: JSON (RFC 8259)

  static func json(_ value: Open311Value) -> String {
    var out = ""
    writeJSON(value, into: &out)
    return out
  }

  static func writeJSON(_ value: Open311Value, into out: inout String) {
    switch value {
    case .text(let text): out += jsonString(text)
    case .number(let number): out += jsonNumber(number)
    case .bool(let flag): out += flag ? "true" : "false"
    case .null: out += "null"
    case .record(let fields):
      out += "{"
      for (index, (name, field)) in fields.enumerated() {
        if index > 0 { out += "," }
        out += jsonString(name) + ":"
        writeJSON(field, into: &out)
      }
      out += "}"
    case .list(_, let items):
      out += "["
      for (index, item) in items.enumerated() {
        if index > 0 { out += "," }
        writeJSON(item, into: &out)
      }
      out += "]"
    }
  }

  /// A JSON string: quotes, backslashes and control characters escaped; everything else, Chinese
  /// included, as UTF-8.
  static func jsonString(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      case _ where scalar.value < 0x20 || scalar.value == 0x2028 || scalar.value == 0x2029:
        // U+2028 and U+2029 are valid JSON but end a line in JavaScript.
        let hex = String(scalar.value, radix: 16)
        out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
      default: out.unicodeScalars.append(scalar)
      }
    }
    return out + "\""
  }

  /// A finite number as JSON writes it: whole numbers without a fraction (`400`), others in
  /// Swift's shortest form that reads back the same (`32.0583`).
  static func jsonNumber(_ number: Double) -> String {
    guard number.isFinite else { return "null" }
    if number == number.rounded(), abs(number) < 1e15 { return String(Int64(number)) }
    return String(number)
  }

  // MARK: XML 1.0

  static func xml(_ value: Open311Value, element: String) -> String {
    var out = ""
    writeXML(value, element: element, into: &out)
    return out
  }

  static func writeXML(_ value: Open311Value, element: String, into out: inout String) {
    switch value {
    case .text(let text) where text.isEmpty: out += "<\(element)/>"
    case .null: out += "<\(element)/>"
    case .text(let text): out += "<\(element)>\(xmlEscaped(text))</\(element)>"
    case .number(let number): out += "<\(element)>\(jsonNumber(number))</\(element)>"
    case .bool(let flag): out += "<\(element)>\(flag ? "true" : "false")</\(element)>"
    case .record(let fields):
      out += "<\(element)>"
      for (name, field) in fields { writeXML(field, element: name, into: &out) }
      out += "</\(element)>"
    case .list(let itemElement, let items):
      guard !items.isEmpty else {
        out += "<\(element)/>"
        return
      }
      out += "<\(element)>"
      for item in items { writeXML(item, element: itemElement, into: &out) }
      out += "</\(element)>"
    }
  }

  /// Text as XML character data: the five markup characters as entities, and the characters XML
  /// 1.0 does not allow at all (controls other than tab, line feed and carriage return; U+FFFE,
  /// U+FFFF) as U+FFFD, since no escape can carry them and a parser refuses the whole document.
  static func xmlEscaped(_ text: String) -> String {
    var out = ""
    for scalar in text.unicodeScalars {
      switch scalar {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"": out += "&quot;"
      case "'": out += "&apos;"
      // A carriage return is kept as a reference: a parser would turn a literal one into a line feed.
      case "\r": out += "&#13;"
      case "\t", "\n": out.unicodeScalars.append(scalar)
      case _ where scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF:
        out += "\u{FFFD}"
      default: out.unicodeScalars.append(scalar)
      }
    }
    return out
  }
}

/// An error in the standard's format ("Errors" in each method of GeoReport v2): JSON
/// `[{"code":400,"description":"..."}]`, XML
/// `<errors><error><code>400</code><description>...</description></error></errors>`, with the
/// HTTP status equal to the code. Descriptions are English and name the parameter at fault.
struct Open311Error: Error, Sendable, Equatable {
  var status: HTTPResponse.Status
  var description: String

  init(_ status: HTTPResponse.Status, _ description: String) {
    self.status = status
    self.description = description
  }

  /// 400: a parameter is missing or malformed; the description starts with its name.
  static func badRequest(_ parameter: String, _ problem: String) -> Open311Error {
    Open311Error(.badRequest, "\(parameter): \(problem)")
  }

  /// 404: no such resource (service code, service request, token, format).
  static func notFound(_ description: String) -> Open311Error { Open311Error(.notFound, description) }

  var document: Open311Document {
    Open311Document(
      root: "errors",
      value: .list(
        element: "error",
        [.record([("code", .number(Double(status.code))), ("description", .text(description))])]))
  }

  func response(_ format: Open311Format) -> Response { document.response(format, status: status) }
}

/// Parameters as `application/x-www-form-urlencoded` writes them, in a query string or a POST
/// body (WHATWG URL "application/x-www-form-urlencoded parsing"): `+` is a space, `%XX` a byte,
/// the bytes UTF-8. The first of a repeated name counts.
enum Open311Form {
  /// The parameters of `text`.
  /// - Throws: `Open311Error` 400 naming the parameter whose `%` escape is broken or whose
  ///   bytes are not UTF-8.
  static func parse(_ text: Substring) throws(Open311Error) -> [String: String] {
    var values: [String: String] = [:]
    for pair in text.split(separator: "&") {
      let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
      let name = try decode(parts[0], parameter: "parameter name")
      let value = try decode(parts.count > 1 ? parts[1] : "", parameter: name)
      if values[name] == nil { values[name] = value }
    }
    return values
  }

  static func decode(_ encoded: Substring, parameter: String) throws(Open311Error) -> String {
    let input = Array(encoded.utf8)
    var bytes: [UInt8] = []
    bytes.reserveCapacity(input.count)
    var index = 0
    while index < input.count {
      switch input[index] {
      case UInt8(ascii: "+"):
        bytes.append(UInt8(ascii: " "))
        index += 1
      case UInt8(ascii: "%"):
        guard index + 2 < input.count, let high = hexValue(input[index + 1]), let low = hexValue(input[index + 2])
        else {
          throw Open311Error.badRequest(parameter, "has a broken percent escape")
        }
        bytes.append(high << 4 | low)
        index += 3
      case let byte:
        bytes.append(byte)
        index += 1
      }
    }
    guard let text = String(validating: bytes, as: UTF8.self) else {
      throw Open311Error.badRequest(parameter, "is not UTF-8")
    }
    return text
  }

  static func hexValue(_ byte: UInt8) -> UInt8? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
    default: nil
    }
  }
}

/// Date-times as GeoReport v2 writes them ("Date/time format"): the W3C profile of ISO 8601
/// (www.w3.org/TR/NOTE-datetime) with its time zone, `Z` or `±hh:mm`.
enum Open311DateTime {
  /// The offset answers are written in: the city's time, China Standard Time (UTC+8, no daylight
  /// saving), so a resident reads the time as their clock shows it.
  static let cityOffset = 8 * 3600

  /// `time` as `2026-11-30T14:05:09+08:00`, in the city's time.
  static func format(_ time: Date) -> String {
    let seconds = Int64(time.timeIntervalSince1970.rounded(.down)) + Int64(cityOffset)
    let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
    let (year, month, day) = CalendarDate.civil(daysSinceEpoch: days)
    let secondOfDay = seconds - days * 86_400
    func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
    let yearText = String(year)
    let paddedYear = String(repeating: "0", count: max(0, 4 - yearText.count)) + yearText
    return
      "\(paddedYear)-\(two(month))-\(two(day))T\(two(secondOfDay / 3600)):\(two(secondOfDay / 60 % 60)):\(two(secondOfDay % 60))+08:00"
  }

  /// A W3C date-time: `YYYY-MM-DDThh:mm[:ss[.s+]]TZD` with `TZD` = `Z` or `±hh:mm`; or a date alone,
  /// `YYYY-MM-DD`, which stands for midnight starting that day in the city (or, with
  /// `endOfDay`, the midnight ending it, so that `end_date=2026-11-30` takes in the whole day).
  /// A space is taken for `T` and for the `+` of an offset, since a `+` left unescaped in a query
  /// string arrives as a space.
  /// - Throws: `Open311Error` 400 naming `parameter` for anything else.
  static func parse(_ text: String, parameter: String, endOfDay: Bool = false) throws(Open311Error) -> Date {
    let bad = Open311Error.badRequest(
      parameter, "'\(text.prefix(40))' is not a W3C date-time such as 2026-11-30T08:00:00Z or 2026-11-30T16:00:00+08:00"
    )
    let chars = Array(text.utf8)
    var index = 0
    func digits(_ count: Int) throws(Open311Error) -> Int64 {
      guard index + count <= chars.count else { throw bad }
      var value: Int64 = 0
      for byte in chars[index..<index + count] {
        guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { throw bad }
        value = value * 10 + Int64(byte - UInt8(ascii: "0"))
      }
      index += count
      return value
    }
    func expect(_ characters: String) throws(Open311Error) {
      guard index < chars.count, characters.utf8.contains(chars[index]) else { throw bad }
      index += 1
    }
    let year = try digits(4)
    try expect("-")
    let month = try digits(2)
    try expect("-")
    let day = try digits(2)
    guard (1...12).contains(month), day >= 1, day <= CalendarDate.daysIn(month: Int32(month), of: Int32(year))
    else { throw bad }
    let days = CalendarDate.daysSinceEpoch(year: year, month: month, day: day)
    if index == chars.count {
      return Date(timeIntervalSince1970: Double((days + (endOfDay ? 1 : 0)) * 86_400 - Int64(cityOffset)))
    }
    try expect("T ")
    let hour = try digits(2)
    try expect(":")
    let minute = try digits(2)
    var second: Int64 = 0
    var fraction = 0.0
    if index < chars.count, chars[index] == UInt8(ascii: ":") {
      index += 1
      second = try digits(2)
      if index < chars.count, chars[index] == UInt8(ascii: ".") {
        index += 1
        var scale = 0.1
        let start = index
        while index < chars.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(chars[index]) {
          fraction += Double(chars[index] - UInt8(ascii: "0")) * scale
          scale /= 10
          index += 1
        }
        guard index > start else { throw bad }
      }
    }
    guard hour <= 23, minute <= 59, second <= 59 else { throw bad }
    guard index < chars.count else { throw bad }
    var offset: Int64 = 0
    if chars[index] == UInt8(ascii: "Z") {
      index += 1
    } else {
      let sign: Int64 = chars[index] == UInt8(ascii: "-") ? -1 : 1
      try expect("+- ")
      let offsetHours = try digits(2)
      try expect(":")
      let offsetMinutes = try digits(2)
      guard offsetHours <= 14, offsetMinutes <= 59 else { throw bad }
      offset = sign * (offsetHours * 3600 + offsetMinutes * 60)
    }
    guard index == chars.count else { throw bad }
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset
    return Date(timeIntervalSince1970: Double(seconds) + fraction)
  }
}
