import Foundation
import ZIPFoundation

/// An XLSX workbook opened for reading its first worksheet: an Office Open XML package (a zip of
/// parts linked by relationships, ECMA-376 Part 2 "Open Packaging Conventions") holding
/// SpreadsheetML (ECMA-376 Part 1 §18).
///
/// Opening resolves the worksheet the way Excel does, through the package's and the workbook's
/// relationships rather than by the usual part names, and extracts its XML to an unnamed
/// temporary file (gone with the last copy of this value) that `WorksheetRowReader` then parses
/// forward; the shared strings, the cell styles that are dates and the date system are read
/// into memory.
struct XLSXWorkbook {
  /// The most a worksheet's XML may unpack to (512 MiB): more is a zip bomb, not a register.
  static let largestSheet = 512 * 1024 * 1024
  /// The most the shared strings' XML may unpack to (128 MiB), as they are held in memory.
  static let largestSharedStrings = 128 * 1024 * 1024
  /// The most any other part read (workbook, relationships, styles) may unpack to (16 MiB).
  static let largestPart = 16 * 1024 * 1024

  /// The worksheets in the workbook's order: their names and part names.
  let worksheets: [(name: String, part: String)]
  /// The XML of the worksheet read, extracted.
  let sheet: TemporaryFile
  /// The part name of the worksheet read, `xl/worksheets/sheet1.xml`, for error messages.
  let sheetPart: String
  /// The shared strings table (§18.4), by index; empty when there is none.
  let sharedStrings: [String]
  /// For each cell format (`cellXfs` in styles.xml, §18.8.10) by index, whether its number
  /// format shows a date or time.
  let dateStyles: [Bool]
  /// Whether serial numbers count from 1904-01-01 (`workbookPr date1904`, §18.2.28).
  let date1904: Bool

  /// Opens the zip `file` and its `sheetIndex`-th worksheet (0-based, in the workbook's order).
  /// - Throws: `SpreadsheetError.notASpreadsheet` for a zip without a workbook (a .docx, say),
  ///   `.tooLarge` for a part over its limit, `.noHeader` for a workbook without worksheets,
  ///   `.malformed` for a damaged zip or part.
  static func open(_ file: URL, sheetIndex: Int = 0) throws(SpreadsheetError) -> XLSXWorkbook {
    let archive: Archive
    do {
      archive = try Archive(url: file, accessMode: .read)
    } catch {
      throw .malformed("a damaged zip archive (\(error))")
    }
    // Part names are case-insensitive (ECMA-376 Part 2 §9.1.1.1); the first of duplicates counts.
    var parts: [String: Entry] = [:]
    for entry in archive where entry.type == .file {
      let name = entry.path.lowercased()
      if parts[name] == nil { parts[name] = entry }
    }
    let package = PartReader(archive: archive, parts: parts)

    let rootRelationships = try package.relationships(of: "")
    let workbookPart =
      rootRelationships.first { $0.type.hasSuffix("/officeDocument") }?.target ?? "xl/workbook.xml"
    guard package.has(workbookPart) else {
      throw .notASpreadsheet(lookalike(parts: parts).rawValue)
    }

    let workbook = try XMLPullParser(ByteSource(bytes: package.bytes(of: workbookPart)), part: workbookPart)
    var date1904 = false
    var sheetIDs: [(name: String, relationship: String)] = []
    while let token = try workbook.next() {
      guard case .start(let name, let attributes) = token else { continue }
      if name == "workbookPr" {
        date1904 = ["1", "true"].contains(attributes["date1904"]?.lowercased() ?? "")
      } else if name == "sheet", let id = attributes["id"] {
        sheetIDs.append((attributes["name"] ?? "", id))
      }
    }
    let relationships = try package.relationships(of: workbookPart)
    // Chart sheets and dialog sheets are listed among the sheets too; only worksheets hold cells.
    let worksheets = sheetIDs.compactMap { sheet -> (name: String, part: String)? in
      guard let link = relationships.first(where: { $0.id == sheet.relationship }),
        link.type.hasSuffix("/worksheet")
      else { return nil }
      return (sheet.name, link.target)
    }
    guard sheetIndex < worksheets.count else { throw .noHeader }
    let sheetPart = worksheets[sheetIndex].part

    var sharedStrings: [String] = []
    if let part = relationships.first(where: { $0.type.hasSuffix("/sharedStrings") })?.target, package.has(part) {
      let file = try package.extract(part, limit: largestSharedStrings)
      sharedStrings = try readSharedStrings(XMLPullParser(ByteSource(temporary: file), part: part))
    }
    var dateStyles: [Bool] = []
    if let part = relationships.first(where: { $0.type.hasSuffix("/styles") })?.target, package.has(part) {
      dateStyles = try readDateStyles(XMLPullParser(ByteSource(bytes: package.bytes(of: part)), part: part))
    }
    guard package.has(sheetPart) else { throw .malformed("the workbook lists \(sheetPart), which the package lacks") }
    return XLSXWorkbook(
      worksheets: worksheets, sheet: try package.extract(sheetPart, limit: largestSheet), sheetPart: sheetPart,
      sharedStrings: sharedStrings, dateStyles: dateStyles, date1904: date1904)
  }

  /// What a zip without a workbook is, by the parts other formats are known by.
  static func lookalike(parts: [String: Entry]) -> SpreadsheetLookalike {
    if parts["word/document.xml"] != nil { return .wordDocument }
    if parts["ppt/presentation.xml"] != nil { return .presentation }
    if parts["xl/workbook.bin"] != nil { return .binaryWorkbook }
    if parts["mimetype"] != nil && parts["content.xml"] != nil { return .openDocument }
    return .zip
  }

  /// The shared strings table: each `si`'s text, its rich text runs joined.
  static func readSharedStrings(_ parser: XMLPullParser) throws(SpreadsheetError) -> [String] {
    var strings: [String] = []
    while let token = try parser.next() {
      if case .start("si", _) = token { strings.append(try parser.readRichText()) }
    }
    return strings
  }

  /// Whether each cell format (`cellXfs/xf`, by index) shows a date: its `numFmtId` is a
  /// built-in date format or a custom one (`numFmts/numFmt`) whose code has date or time parts.
  static func readDateStyles(_ parser: XMLPullParser) throws(SpreadsheetError) -> [Bool] {
    var customFormats: [Int: String] = [:]
    var formatIDs: [Int] = []
    var inCellFormats = false
    while let token = try parser.next() {
      switch token {
      case .start("numFmt", let attributes):
        if let id = attributes["numFmtId"].flatMap({ Int($0) }) { customFormats[id] = attributes["formatCode"] ?? "" }
      case .start("cellXfs", _):
        inCellFormats = true
      case .end("cellXfs"):
        inCellFormats = false
      case .start("xf", let attributes) where inCellFormats:
        formatIDs.append(attributes["numFmtId"].flatMap { Int($0) } ?? 0)
      default:
        break
      }
    }
    return formatIDs.map { id in customFormats[id].map(isDateFormat) ?? builtInDateFormats.contains(id) }
  }

  /// The built-in number formats that show dates or times (ECMA-376 Part 1 §18.8.30; 27–36 and
  /// 50–58 are the East Asian ones, such as `yyyy"年"m"月"d"日"`).
  static let builtInDateFormats: Set<Int> = Set(14...22).union(27...36).union(45...47).union(50...58)

  /// Whether the format code `code` shows a date or time: its first section has a year, month,
  /// day, hour or second part (`y m d h s`) outside quoted text, escapes (`\x`), padding and
  /// fill (`_x`, `*x`) and brackets (colours, locales), except the elapsed-time brackets
  /// `[h]`, `[mm]`, `[ss]`. `General`, `0.00` and `@` have none.
  static func isDateFormat(_ code: String) -> Bool {
    var characters = code.lowercased().makeIterator()
    while let character = characters.next() {
      switch character {
      case ";":
        return false
      case "\"":
        while let quoted = characters.next(), quoted != "\"" {}
      case "\\", "_", "*":
        _ = characters.next()
      case "[":
        var bracket = ""
        while let inner = characters.next(), inner != "]" { bracket.append(inner) }
        if !bracket.isEmpty, bracket.allSatisfy({ "hms".contains($0) }) { return true }
      case "y", "m", "d", "h", "s":
        return true
      default:
        break
      }
    }
    return false
  }
}

/// One relationship of a package part (ECMA-376 Part 2 §9.3): its id, type URI and target part
/// name, resolved to an absolute part name without the leading `/`.
struct PackageRelationship {
  /// `rId1`.
  let id: String
  /// `http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet`.
  let type: String
  /// `xl/worksheets/sheet1.xml`.
  let target: String
}

/// The parts of an opened zip, read by part name.
private struct PartReader {
  /// The zip.
  let archive: Archive
  /// Its files by lowercased part name.
  let parts: [String: Entry]

  /// Whether the package holds `part` (case-insensitively).
  func has(_ part: String) -> Bool {
    parts[part.lowercased()] != nil
  }

  /// The relationships of `part` ("" for the package's own, `_rels/.rels`); none when it has no
  /// relationships part.
  func relationships(of part: String) throws(SpreadsheetError) -> [PackageRelationship] {
    let slash = part.lastIndex(of: "/")
    let folder = slash.map { String(part[...$0]) } ?? ""
    let file = slash.map { String(part[part.index(after: $0)...]) } ?? part
    let relationshipsPart = "\(folder)_rels/\(file).rels"
    guard has(relationshipsPart) else { return [] }
    let parser = XMLPullParser(ByteSource(bytes: try bytes(of: relationshipsPart)), part: relationshipsPart)
    var relationships: [PackageRelationship] = []
    while let token = try parser.next() {
      guard case .start("Relationship", let attributes) = token, attributes["TargetMode"] != "External",
        let id = attributes["Id"], let type = attributes["Type"], let target = attributes["Target"]
      else { continue }
      relationships.append(PackageRelationship(id: id, type: type, target: Self.resolve(target, in: folder)))
    }
    return relationships
  }

  /// A relationship's target as an absolute part name: relative to the source part's folder
  /// unless it starts with `/`, percent-decoded, `.` and `..` resolved (RFC 3986 §5.2).
  static func resolve(_ target: String, in folder: String) -> String {
    let decoded = target.removingPercentEncoding ?? target
    var path: [Substring] = decoded.hasPrefix("/") ? [] : folder.split(separator: "/")
    for segment in decoded.split(separator: "/") {
      switch segment {
      case ".": continue
      case "..": _ = path.popLast()
      default: path.append(segment)
      }
    }
    return path.joined(separator: "/")
  }

  /// The bytes of a small part, at most `XLSXWorkbook.largestPart` unpacked.
  func bytes(of part: String) throws(SpreadsheetError) -> [UInt8] {
    var bytes: [UInt8] = []
    try read(part, limit: XLSXWorkbook.largestPart) { bytes.append(contentsOf: $0) }
    return bytes
  }

  /// `part` unpacked into a temporary file, at most `limit` bytes.
  func extract(_ part: String, limit: Int) throws(SpreadsheetError) -> TemporaryFile {
    let file = try TemporaryFile()
    try read(part, limit: limit) { try file.write($0) }
    return file
  }

  /// Unpacks `part` chunk by chunk into `consume`, its checksum checked. Its declared size is
  /// checked before a byte is unpacked and the bytes are counted as they come, since the size
  /// in the zip's directory can lie.
  private func read(_ part: String, limit: Int, into consume: (Data) throws -> Void) throws(SpreadsheetError) {
    guard let entry = parts[part.lowercased()] else { throw .malformed("the package lacks \(part)") }
    guard entry.uncompressedSize <= UInt64(limit) else {
      throw .tooLarge(bytes: Int(clamping: entry.uncompressedSize), limit: limit)
    }
    var total = 0
    do {
      _ = try archive.extract(entry, bufferSize: ByteSource.chunkSize) { data in
        total += data.count
        guard total <= limit else { throw SpreadsheetError.tooLarge(bytes: total, limit: limit) }
        try consume(data)
      }
    } catch let error as SpreadsheetError {
      throw error
    } catch Archive.ArchiveError.invalidCRC32 {
      throw .malformed("\(part) is damaged (its checksum does not match)")
    } catch {
      throw .malformed("cannot unpack \(part): \(error)")
    }
  }
}

extension XMLPullParser {
  /// The text of a rich text element (`si` in the shared strings, `is` in an inline string
  /// cell, ECMA-376 Part 1 §18.4.8): its `t` and its runs' `t` joined, phonetic guides (`rPh`,
  /// furigana) left out, `_xHHHH_` escapes decoded. Reads to the element's end.
  func readRichText() throws(SpreadsheetError) -> String {
    var depth = 1
    var text = ""
    while depth > 0, let token = try next() {
      switch token {
      case .start("t", _): text += try readElementText()
      case .start("rPh", _), .start("phoneticPr", _): try skipElement()
      case .start: depth += 1
      case .end: depth -= 1
      case .text: break
      }
    }
    return Self.unescapeXstring(text)
  }

  /// Decodes the escapes ECMA-376 Part 1 §22.9.2.19 (`ST_Xstring`) gives characters XML cannot
  /// carry: `_x000D_` is a carriage return, `_x005F_` a literal `_`; UTF-16 code units, so a
  /// pair of escaped surrogates is one character.
  static func unescapeXstring(_ text: String) -> String {
    guard text.contains("_x") else { return text }
    let units = Array(text.utf16)
    var out: [UInt16] = []
    out.reserveCapacity(units.count)
    var index = 0
    while index < units.count {
      if units[index] == 0x5F, index + 6 < units.count, units[index + 1] == 0x78, units[index + 6] == 0x5F,
        let value = UInt16(String(decoding: units[(index + 2)..<(index + 6)], as: UTF16.self), radix: 16)
      {
        out.append(value)
        index += 7
      } else {
        out.append(units[index])
        index += 1
      }
    }
    return String(decoding: out, as: UTF16.self)
  }
}
