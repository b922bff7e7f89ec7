import Foundation

/// One piece of an XML document as `XMLPullParser` reads it. Names are local names, the prefix
/// dropped (`x:c` is `c`): SpreadsheetML is read by the names of its elements in their context,
/// and some writers prefix the main namespace.
enum XMLToken: Equatable {
  /// A start tag with its attributes (local names, values with references resolved); an empty
  /// element `<c/>` is a `start` directly followed by its `end`.
  case start(name: String, attributes: [XMLAttribute])
  /// An end tag.
  case end(name: String)
  /// Character data between tags (references resolved, line ends normalised to LF, CDATA
  /// included), possibly in several pieces.
  case text(String)
}

/// One attribute of a start tag: its local name (`r:id` is `id`) and its value.
struct XMLAttribute: Equatable {
  /// The local name.
  let name: String
  /// The value, references resolved.
  let value: String
}

/// Attribute lookup by local name.
extension [XMLAttribute] {
  /// The value of the attribute whose local name is `name`.
  subscript(_ name: String) -> String? {
    // A plain loop: a tag has a few attributes, and this runs for every cell.
    var index = 0
    while index < count {
      if self[index].name == name { return self[index].value }
      index += 1
    }
    return nil
  }
}

/// A pull parser for the XML 1.0 that OOXML parts are (UTF-8, ECMA-376 Part 2 §8.1), reading
/// forward through a `ByteSource` in constant memory: a token at a time, for a sheet of a
/// million rows.
///
/// Its own tokenizer rather than Foundation's `XMLParser`, which only pushes a whole document
/// through a delegate and so cannot feed a row iterator. It scans the source's window in place
/// (`memchr` for the next `<`, `>` or quote) and decodes a text or value only when it holds a
/// reference or a carriage return. It checks that tags nest and close, resolves the five
/// predefined entities and character references, and refuses a document type declaration: no
/// OOXML part has one, and refusing it rules out entity expansion attacks. Comments and
/// processing instructions are skipped. Namespaces are not resolved (see `XMLToken`).
final class XMLPullParser {
  /// The longest token accepted (4 MiB): a longer text, tag or comment is no spreadsheet content
  /// (Excel's cells hold 32,767 characters) but a broken or hostile part.
  static let longestToken = 4 * 1024 * 1024
  /// How many tokens one scan of the window queues at most.
  static let batch = 256

  /// The part's bytes.
  private let source: ByteSource
  /// What the part is, for error messages: `xl/worksheets/sheet1.xml`.
  private let part: String
  /// The names of the open elements, to check that end tags match.
  private var open: [String] = []
  /// Tokens scanned and not yet returned, from `queued`.
  private var queue: [XMLToken] = []
  /// The index in `queue` of the next token to return.
  private var queued = 0
  /// Why the last scan stopped.
  private var stop = Stop.needMore
  /// Whether the byte order mark was looked for.
  private var started = false

  /// Why scanning the window stopped.
  private enum Stop {
    /// The batch is full.
    case full
    /// The window ends inside a token.
    case needMore
    /// The document ended.
    case end
    /// The XML is not well-formed.
    case failure(String)
  }

  /// What scanning one token found.
  private enum Scan {
    /// A token (nil for a comment or processing instruction, skipped) of `consumed` bytes;
    /// `empty` for the start of an empty element (`<c/>`).
    case token(XMLToken?, consumed: Int, empty: Bool = false)
    /// Scanning stops.
    case stop(Stop)
  }

  /// A parser over `source`, which holds the part `part`.
  init(_ source: ByteSource, part: String) {
    self.source = source
    self.part = part
    queue.reserveCapacity(Self.batch + 1)
  }

  /// The next token; nil at the end of the document.
  /// - Throws: `SpreadsheetError.malformed` naming the part and byte offset for XML that is
  ///   not well-formed (as far as checked) or cannot be read.
  func next() throws(SpreadsheetError) -> XMLToken? {
    while true {
      if queued < queue.count {
        queued += 1
        return queue[queued - 1]
      }
      queue.removeAll(keepingCapacity: true)
      queued = 0
      switch stop {
      case .full:
        break
      case .needMore:
        if started {
          guard source.available <= Self.longestToken else { throw malformed("a token longer than 4 MiB") }
          _ = try source.readMore()
        } else {
          started = true
          // A UTF-8 byte order mark may start the part.
          _ = try source.take(prefix: [0xEF, 0xBB, 0xBF])
        }
      case .end:
        if let unclosed = open.last { throw malformed("the part ends inside <\(unclosed)>") }
        return nil
      case .failure(let what):
        throw malformed(what)
      }
      let (consumed, stopped) = source.withAvailable { window, atEnd in scanBatch(window, atEnd: atEnd) }
      source.consume(consumed)
      stop = stopped
    }
  }

  /// Reads tokens up to the end of the element whose start was just read, returning the text
  /// directly in it and in its descendants.
  func readElementText() throws(SpreadsheetError) -> String {
    var depth = 1
    var text = ""
    while depth > 0, let token = try next() {
      switch token {
      case .start: depth += 1
      case .end: depth -= 1
      case .text(let piece): text += piece
      }
    }
    return text
  }

  /// Skips the rest of the element whose start was just read.
  func skipElement() throws(SpreadsheetError) {
    _ = try readElementText()
  }

  /// A `malformed` error naming the part and the offset.
  private func malformed(_ what: String) -> SpreadsheetError {
    .malformed("\(what) in \(part) at byte \(source.offset)")
  }

  /// Queues the tokens at the start of `window`, up to a batch; returns the bytes they took and
  /// why scanning stopped. Scanning a batch per visit to the window saves the cost of the visit.
  private func scanBatch(_ window: ByteWindow, atEnd: Bool) -> (consumed: Int, stop: Stop) {
    var offset = 0
    while queue.count < Self.batch {
      let rest = ByteWindow(base: window.base + offset, count: window.count - offset)
      switch scan(rest, atEnd: atEnd) {
      case .token(let token, let consumed, let empty):
        offset += consumed
        guard let token else { continue }
        // Whitespace around the root element is no content.
        if open.isEmpty, case .text(let text) = token, text.allSatisfy(\.isWhitespace) { continue }
        queue.append(token)
        // An empty element's end follows at once; it was never opened.
        if empty, case .start(let name, _) = token { queue.append(.end(name: name)) }
      case .stop(let stop):
        return (offset, stop)
      }
    }
    return (offset, .full)
  }

  /// The token at the start of `bytes`, which run to the document's end when `atEnd`.
  private func scan(_ bytes: ByteWindow, atEnd: Bool) -> Scan {
    let count = bytes.count
    guard count > 0 else { return .stop(atEnd ? .end : .needMore) }
    /// The window ends inside `what`: more is needed, or the document is cut short.
    func incomplete(_ what: String) -> Scan { .stop(atEnd ? .failure("the part ends inside \(what)") : .needMore) }

    guard bytes[0] == UInt8(ascii: "<") else {
      guard let end = bytes.firstIndex(of: UInt8(ascii: "<")) ?? (atEnd ? count : nil) else { return .stop(.needMore) }
      guard let text = Self.text(bytes, from: 0, to: end, attribute: false) else {
        return .stop(.failure("text that is not UTF-8, or a broken reference"))
      }
      return .token(.text(text), consumed: end)
    }
    guard count >= 2 else { return incomplete("a tag") }
    switch bytes[1] {
    case UInt8(ascii: "/"):
      guard let close = bytes.firstIndex(of: UInt8(ascii: ">"), from: 2) else { return incomplete("an end tag") }
      var last = close
      while last > 2, Self.isSpace(bytes[last - 1]) { last -= 1 }
      let name = Self.localName(bytes, from: 2, to: last)
      guard let expected = open.last else { return .stop(.failure("</\(name)> closing nothing")) }
      guard expected == name else { return .stop(.failure("</\(name)> closing <\(expected)>")) }
      open.removeLast()
      return .token(.end(name: name), consumed: close + 1)
    case UInt8(ascii: "?"):
      guard let close = Self.find(bytes, from: 2, ending: Self.instructionEnd) else {
        return incomplete("a processing instruction")
      }
      return .token(nil, consumed: close)
    case UInt8(ascii: "!"):
      if bytes.matches(Self.commentStart, at: 0) {
        guard let close = Self.find(bytes, from: 4, ending: Self.commentEnd) else { return incomplete("a comment") }
        return .token(nil, consumed: close)
      }
      if bytes.matches(Self.cdataStart, at: 0) {
        guard let close = Self.find(bytes, from: Self.cdataStart.count, ending: Self.cdataEnd) else {
          return incomplete("a CDATA section")
        }
        guard let text = bytes.utf8(from: Self.cdataStart.count, to: close - 3) else {
          return .stop(.failure("text that is not UTF-8"))
        }
        return .token(.text(text), consumed: close)
      }
      if count < Self.cdataStart.count && !atEnd { return .stop(.needMore) }
      return .stop(.failure("a document type declaration, which no spreadsheet part has"))
    default:
      return scanStartTag(bytes, atEnd: atEnd)
    }
  }

  /// The delimiters of processing instructions, comments and CDATA sections.
  private static let instructionEnd = Array("?>".utf8)
  private static let commentStart = Array("<!--".utf8)
  private static let commentEnd = Array("-->".utf8)
  private static let cdataStart = Array("<![CDATA[".utf8)
  private static let cdataEnd = Array("]]>".utf8)

  /// A start tag at the start of `bytes`; an empty element's is not pushed on `open`.
  private func scanStartTag(_ bytes: ByteWindow, atEnd: Bool) -> Scan {
    let count = bytes.count
    func incomplete() -> Scan { .stop(atEnd ? .failure("the part ends inside a tag") : .needMore) }
    var index = 1
    while index < count, !Self.endsName(bytes[index]) { index += 1 }
    guard index < count else { return incomplete() }
    guard index > 1 else { return .stop(.failure("a tag without a name")) }
    let name = Self.localName(bytes, from: 1, to: index)
    var attributes: [XMLAttribute] = []
    while true {
      while index < count, Self.isSpace(bytes[index]) { index += 1 }
      guard index < count else { return incomplete() }
      switch bytes[index] {
      case UInt8(ascii: ">"):
        open.append(name)
        return .token(.start(name: name, attributes: attributes), consumed: index + 1)
      case UInt8(ascii: "/"):
        guard index + 1 < count else { return incomplete() }
        guard bytes[index + 1] == UInt8(ascii: ">") else { return .stop(.failure("a broken empty tag <\(name)/>")) }
        return .token(.start(name: name, attributes: attributes), consumed: index + 2, empty: true)
      default:
        let nameStart = index
        while index < count, !Self.endsName(bytes[index]), bytes[index] != UInt8(ascii: "=") { index += 1 }
        let attribute = Self.localName(bytes, from: nameStart, to: index)
        while index < count, Self.isSpace(bytes[index]) { index += 1 }
        guard index < count else { return incomplete() }
        guard bytes[index] == UInt8(ascii: "=") else {
          return .stop(.failure("attribute \(attribute) without a value"))
        }
        index += 1
        while index < count, Self.isSpace(bytes[index]) { index += 1 }
        guard index < count else { return incomplete() }
        let quote = bytes[index]
        guard quote == UInt8(ascii: "\"") || quote == UInt8(ascii: "'") else {
          return .stop(.failure("attribute \(attribute) without quotes"))
        }
        guard let close = bytes.firstIndex(of: quote, from: index + 1) else { return incomplete() }
        guard let value = Self.text(bytes, from: index + 1, to: close, attribute: true) else {
          return .stop(.failure("attribute \(attribute) with a '<', a broken reference or bytes that are not UTF-8"))
        }
        attributes.append(XMLAttribute(name: attribute, value: value))
        index = close + 1
      }
    }
  }

  /// The text of `from..<to`, references resolved and line ends normalised: CR LF and a lone CR
  /// are LF in text (XML 1.0 §2.11), and tab, CR and LF are a space in an attribute value
  /// (§3.3.3); nil for a broken reference, a `<` in an attribute or bytes that are not UTF-8.
  private static func text(_ bytes: ByteWindow, from: Int, to: Int, attribute: Bool) -> String? {
    var plain = !bytes.contains(UInt8(ascii: "&"), from: from, to: to) && !bytes.contains(0x0D, from: from, to: to)
    if plain && attribute {
      if bytes.contains(UInt8(ascii: "<"), from: from, to: to) { return nil }
      plain = !bytes.contains(0x0A, from: from, to: to) && !bytes.contains(0x09, from: from, to: to)
    }
    if plain { return bytes.utf8(from: from, to: to) }
    var out: [UInt8] = []
    out.reserveCapacity(to - from)
    var index = from
    while index < to {
      let byte = bytes[index]
      index += 1
      switch byte {
      case UInt8(ascii: "&"):
        guard let semicolon = bytes.firstIndex(of: UInt8(ascii: ";"), from: index, to: min(index + 12, to)),
          let resolved = reference(Array(bytes.bytes(from: index, to: semicolon)))
        else { return nil }
        out += resolved
        index = semicolon + 1
      case UInt8(ascii: "<") where attribute:
        return nil
      case 0x0D:
        if index < to && bytes[index] == 0x0A { index += 1 }
        out.append(attribute ? 0x20 : 0x0A)
      case 0x09 where attribute, 0x0A where attribute:
        out.append(0x20)
      default:
        out.append(byte)
      }
    }
    return String(validating: out, as: UTF8.self)
  }

  /// The UTF-8 of the reference `&name;`: one of the five predefined entities or a character
  /// reference (`#233`, `#xE9`); nil for any other.
  private static func reference(_ name: [UInt8]) -> [UInt8]? {
    switch String(decoding: name, as: UTF8.self) {
    case "amp": return [UInt8(ascii: "&")]
    case "lt": return [UInt8(ascii: "<")]
    case "gt": return [UInt8(ascii: ">")]
    case "quot": return [UInt8(ascii: "\"")]
    case "apos": return [UInt8(ascii: "'")]
    case let number where number.hasPrefix("#"):
      let digits = number.dropFirst()
      let code = digits.hasPrefix("x") ? UInt32(digits.dropFirst(), radix: 16) : UInt32(digits)
      guard let code, let scalar = Unicode.Scalar(code) else { return nil }
      return Array(String(Character(scalar)).utf8)
    default:
      return nil
    }
  }

  /// The index just past the first `terminator` at or after `from` (`-->`, `?>`, `]]>`).
  private static func find(_ bytes: ByteWindow, from: Int, ending terminator: [UInt8]) -> Int? {
    let last = terminator[terminator.count - 1]
    var from = from + terminator.count - 1
    while let index = bytes.firstIndex(of: last, from: from) {
      if bytes.matches(terminator, at: index + 1 - terminator.count) { return index + 1 }
      from = index + 1
    }
    return nil
  }

  /// The local part of the name in `from..<to`, after its last `:`.
  private static func localName(_ bytes: ByteWindow, from: Int, to: Int) -> String {
    var start = to
    while start > from, bytes[start - 1] != UInt8(ascii: ":") { start -= 1 }
    return String(decoding: bytes.bytes(from: start, to: to), as: UTF8.self)
  }

  /// Whether `byte` is XML white space (§2.3).
  private static func isSpace(_ byte: UInt8) -> Bool {
    byte == 0x20 || byte == 0x0A || byte == 0x09 || byte == 0x0D
  }

  /// Whether `byte` ends a tag's name.
  private static func endsName(_ byte: UInt8) -> Bool {
    isSpace(byte) || byte == UInt8(ascii: ">") || byte == UInt8(ascii: "/")
  }
}
