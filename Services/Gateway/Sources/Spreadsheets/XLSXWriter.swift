import Foundation
import ZIPFoundation

/// Writes one XLSX workbook (ECMA-376 Part 1 SpreadsheetML in an Open Packaging Conventions
/// zip, Part 2) row by row in constant memory: each sheet's XML goes to a temporary file in
/// `directory` as rows arrive, through a 64 KiB buffer, and `finish` zips the parts with
/// ZIPFoundation (deflate) into the workbook. The temporary files are unnamed
/// (`TemporaryFile`): they go with the writer, even when the process is killed mid-export.
///
/// The package is the minimal one Excel, WPS, LibreOffice and openpyxl open: content types,
/// the package relationships, the workbook and its relationships, styles and the worksheets.
/// Text goes into inline strings (`t="inlineStr"`), so no shared strings table is built in
/// memory. Each sheet has a bold header row, frozen so it stays in view, and column widths.
/// Dates and date-times are real date cells (serial numbers) with the custom formats
/// `yyyy-mm-dd` (164) and `yyyy-mm-dd hh:mm` (165): built-in format 14 would show the reader's
/// locale's short date instead.
final class XLSXWriter {
  /// The most rows a sheet holds, the header included (Excel's limit, 2^20).
  static let largestSheet = 1_048_576
  /// The most columns a sheet holds (Excel's limit, XFD).
  static let widestSheet = 16_384
  /// The longest text of a cell, in UTF-16 code units (Excel's limit).
  static let longestText = 32_767

  /// The cell formats of styles.xml, by index in `cellXfs`.
  private enum Style: Int {
    /// No format: text and numbers.
    case plain = 0
    /// Bold, for the header row.
    case header = 1
    /// `yyyy-mm-dd` (number format 164).
    case date = 2
    /// `yyyy-mm-dd hh:mm` (number format 165).
    case dateTime = 3
  }

  /// Where the sheets' XML files are written.
  private let directory: URL
  /// The sheets started, their unique names and XML files.
  private var sheets: [(name: String, file: TemporaryFile)] = []
  /// The current sheet's XML file; nil before the first sheet and after `finish`.
  private var sheet: BufferedFileWriter?
  /// Whether `finish` was called.
  private var finished = false
  /// The number of the next row to write in the current sheet, 1-based.
  private var nextRow = 1

  /// The most rows a sheet of this writer holds, its header included: `largestSheet` but in tests.
  private let rowLimit: Int
  /// How the current sheet was started, to start the next one like it (`appendContinuing`).
  private var started: (name: String, header: [String], widths: [Double]?)?

  /// The number of rows written so far in the current sheet, its header excluded.
  private(set) var rowCount = 0

  /// A writer whose temporary sheet files go to `directory`, which is created if missing and
  /// left in place (the files in it have no names and go with the writer). `rowLimit` is the
  /// most rows a sheet holds, the header included (Excel's 1,048,576 but in tests).
  /// - Throws: the file system's error when the directory cannot be created.
  init(directory: URL, rowLimit: Int = XLSXWriter.largestSheet) throws {
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    self.directory = directory
    precondition(rowLimit >= 2, "a sheet holds its header and at least one row")
    self.rowLimit = min(rowLimit, Self.largestSheet)
  }

  /// Starts the next sheet, ending the current one. `name` is made valid for Excel silently: at
  /// most 31 characters, none of `[ ] : * ? / \` (each replaced with `_`), not starting or
  /// ending with an apostrophe, not the reserved `History`, and unique in the workbook
  /// (case-insensitively, with ` (2)` appended). `header` is written as a bold first row frozen
  /// in view (none when empty); `widths` are column widths in characters (at most 255), a
  /// missing one guessed from the header: its text's width (a Chinese character counting two)
  /// plus two, between 10 and 50.
  /// - Throws: `XLSXWriterError.finished` after `finish`, or the file system's error.
  func startSheet(name: String, header: [String], widths: [Double]? = nil) throws {
    guard !finished else { throw XLSXWriterError.finished }
    guard header.count <= Self.widestSheet else { throw XLSXWriterError.tooManyColumns(limit: Self.widestSheet) }
    try endSheet()
    let file = try TemporaryFile(in: directory)
    let writer = BufferedFileWriter(file)
    sheets.append((Self.sheetName(name, besides: sheets.map(\.name)), file))
    sheet = writer
    started = (name, header, widths)
    nextRow = 1
    rowCount = 0

    var xml = Package.declaration + #"<worksheet xmlns="\#(Namespace.main)" xmlns:r="\#(Namespace.relationships)">"#
    let selected = sheets.count == 1 ? " tabSelected=\"1\"" : ""
    if header.isEmpty {
      xml += "<sheetViews><sheetView\(selected) workbookViewId=\"0\"/></sheetViews>"
    } else {
      xml +=
        "<sheetViews><sheetView\(selected) workbookViewId=\"0\"><pane ySplit=\"1\" topLeftCell=\"A2\""
        + " activePane=\"bottomLeft\" state=\"frozen\"/><selection pane=\"bottomLeft\" activeCell=\"A2\""
        + " sqref=\"A2\"/></sheetView></sheetViews>"
    }
    xml += "<sheetFormatPr defaultRowHeight=\"15\"/>"
    let columns = max(header.count, widths?.count ?? 0)
    if columns > 0 {
      xml += "<cols>"
      for column in 0..<columns {
        let given = widths.flatMap { column < $0.count ? $0[column] : nil }
        let width = min(max(given ?? Self.guessedWidth(column < header.count ? header[column] : ""), 0), 255)
        xml += "<col min=\"\(column + 1)\" max=\"\(column + 1)\" width=\"\(width)\" customWidth=\"1\"/>"
      }
      xml += "</cols>"
    }
    xml += "<sheetData>"
    try writer.write(xml.utf8)
    if !header.isEmpty {
      try writeRow(header.map { .text($0) }, style: .header)
    }
  }

  /// Appends a row to the current sheet: `.empty` cells are left out, text is cut to 32,767
  /// characters and stripped of the characters XML 1.0 forbids, an integer of more than 15
  /// digits is written as text (Excel would round it), a date before 1900 as its text.
  /// - Throws: `XLSXWriterError` before `startSheet`, after `finish`, past Excel's 1,048,576 rows
  ///   or 16,384 columns; or the file system's error.
  func append(_ row: [SpreadsheetCell]) throws {
    guard !finished else { throw XLSXWriterError.finished }
    guard sheet != nil else { throw XLSXWriterError.noSheet }
    try writeRow(row, style: .plain)
    rowCount += 1
  }

  /// Appends a row as `append` does, but past the last row a sheet holds (1,048,576 with the
  /// header, Excel's limit) starts another sheet like the current one, with the same header and
  /// widths and the same name made unique (`案件 (2)`), and goes on there: a list longer than a
  /// sheet is exported whole.
  /// - Throws: as `append`, but never `tooManyRows`.
  func appendContinuing(_ row: [SpreadsheetCell]) throws {
    if sheet != nil, nextRow > rowLimit, let started {
      try startSheet(name: started.name, header: started.header, widths: started.widths)
    }
    try append(row)
  }

  /// Writes the workbook to `url` (replacing a file there) and removes the temporary parts; the
  /// writer takes no more rows. The zip is written next to `url` first and moved into place, so
  /// `url` never holds half a workbook. A writer without sheets writes one empty `Sheet1`, as a
  /// workbook needs a sheet.
  /// - Throws: `XLSXWriterError.finished` when called twice, or the file system's or
  ///   ZIPFoundation's error.
  func finish(to url: URL) throws {
    guard !finished else { throw XLSXWriterError.finished }
    if sheets.isEmpty { try startSheet(name: "Sheet1", header: []) }
    try endSheet()
    finished = true
    // The sheets' files go with their last reference.
    defer { sheets.removeAll() }
    let partial = url.deletingLastPathComponent().appendingPathComponent(
      ".\(url.lastPathComponent)-\(UUID().uuidString).partial")
    defer { try? FileManager.default.removeItem(at: partial) }
    try writePackage(to: partial)
    if FileManager.default.fileExists(atPath: url.path) { try FileManager.default.removeItem(at: url) }
    try FileManager.default.moveItem(at: partial, to: url)
  }

  /// Zips the parts into `file`, closing it before returning.
  private func writePackage(to file: URL) throws {
    let archive = try Archive(url: file, accessMode: .create)
    /// Adds the part `path` holding `text`.
    func add(_ path: String, _ text: String) throws {
      let data = Data(text.utf8)
      try archive.addEntry(
        with: path, type: .file, uncompressedSize: Int64(data.count), compressionMethod: .deflate,
        provider: { position, size in data.subdata(in: Int(position)..<Int(position) + size) })
    }
    let worksheets = sheets.indices.map { "xl/worksheets/sheet\($0 + 1).xml" }
    try add("[Content_Types].xml", Package.contentTypes(worksheets: worksheets))
    try add("_rels/.rels", Package.packageRelationships)
    try add("xl/workbook.xml", Package.workbook(names: sheets.map(\.name)))
    try add("xl/_rels/workbook.xml.rels", Package.workbookRelationships(worksheets: worksheets.count))
    try add("xl/styles.xml", Package.styles)
    for (path, sheet) in zip(worksheets, sheets) {
      try archive.addEntry(
        with: path, type: .file, uncompressedSize: Int64(sheet.file.size), compressionMethod: .deflate,
        bufferSize: ByteSource.chunkSize,
        provider: { position, size in try sheet.file.data(at: Int(position), count: size) })
    }
  }

  /// Ends the current sheet's XML and writes it out.
  private func endSheet() throws {
    guard let sheet else { return }
    self.sheet = nil
    try sheet.write("</sheetData></worksheet>".utf8)
    try sheet.flush()
  }

  /// Writes the next row of the current sheet, its text cells in `style`.
  private func writeRow(_ cells: [SpreadsheetCell], style: Style) throws {
    guard let sheet else { throw XLSXWriterError.noSheet }
    guard nextRow <= rowLimit else { throw XLSXWriterError.tooManyRows(limit: rowLimit) }
    guard cells.count <= Self.widestSheet else { throw XLSXWriterError.tooManyColumns(limit: Self.widestSheet) }
    let row = Array(String(nextRow).utf8)
    nextRow += 1
    sheet.append { xml in
      xml += #"<row r=""#.utf8
      xml += row
      xml += #"">"#.utf8
      // Cells go without their optional reference (ECMA-376 Part 1, 18.3.1.4: a cell without
      // `r` is the one after the previous): an empty cell before the last value is `<c/>`. At a
      // million rows the references alone would be a fifth of the sheet's XML, to write and to
      // deflate.
      let last = cells.lastIndex { $0 != .empty } ?? -1
      for cell in cells[...last] {
        if cell == .empty {
          xml += "<c/>".utf8
        } else {
          xml += "<c".utf8
          Self.appendCell(cell, style: style, to: &xml)
        }
      }
      xml += "</row>".utf8
    }
    try sheet.flushIfFull()
  }

  /// A cell's attributes after its reference, its value and its end tag.
  private static func appendCell(_ cell: SpreadsheetCell, style: Style, to xml: inout [UInt8]) {
    /// A number cell, its value `text`.
    func number(_ text: String, _ style: Style) {
      if style != .plain { xml += #" s="\#(style.rawValue)""#.utf8 }
      xml += "><v>".utf8
      xml += text.utf8
      xml += "</v></c>".utf8
    }
    /// An inline string cell.
    func text(_ text: String) {
      if style != .plain { xml += #" s="\#(style.rawValue)""#.utf8 }
      let text = cut(text)
      let spaced = text.first.map(\.isWhitespace) == true || text.last.map(\.isWhitespace) == true
      xml += (spaced ? #" t="inlineStr"><is><t xml:space="preserve">"# : #" t="inlineStr"><is><t>"#).utf8
      XMLEscaping.append(text, to: &xml)
      xml += "</t></is></c>".utf8
    }
    switch cell {
    case .empty:
      break
    case .text(let value):
      text(value)
    case .integer(let value):
      // Excel keeps 15 significant digits: a longer number is an identifier, kept whole as text.
      if value.magnitude < 1_000_000_000_000_000 { number(String(value), style) } else { text(String(value)) }
    case .decimal(let value):
      if value.isFinite {
        number(String(value), style)
      } else {
        xml += #" t="e"><v>#NUM!</v></c>"#.utf8
      }
    case .date(let year, let month, let day):
      if let days = SpreadsheetCalendar.days(year: year, month: month, day: day),
        let serial = SpreadsheetCalendar.serial(days: days)
      {
        number(String(serial), .date)
      } else {
        text(SpreadsheetCalendar.text(year: year, month: month, day: day))
      }
    case .dateTime(let date):
      if let serial = SpreadsheetCalendar.serial(of: date) {
        number(String(serial), .dateTime)
      } else {
        text(SpreadsheetCalendar.text(date))
      }
    case .formula(let formula):
      text("=" + formula)
    }
  }

  /// `text` cut to Excel's 32,767 UTF-16 code units, on a character (scalar) boundary.
  static func cut(_ text: String) -> String {
    guard text.utf16.count > longestText else { return text }
    var units = 0
    var end = text.unicodeScalars.startIndex
    for index in text.unicodeScalars.indices {
      units += text.unicodeScalars[index].utf16.count
      guard units <= longestText else { break }
      end = text.unicodeScalars.index(after: index)
    }
    return String(text.unicodeScalars[..<end])
  }

  /// A sheet name Excel accepts, made from `proposed` and unique among `taken`.
  static func sheetName(_ proposed: String, besides taken: [String]) -> String {
    var scalars = String.UnicodeScalarView()
    // Control characters and the noncharacters XML cannot carry go; the characters Excel
    // reserves for ranges and paths become `_`.
    for scalar in proposed.unicodeScalars where scalar.value >= 0x20 && scalar.value & 0xFFFE != 0xFFFE {
      scalars.append("[]:*?/\\".unicodeScalars.contains(scalar) ? "_" : scalar)
    }
    var base = String(scalars).trimmingCharacters(in: CharacterSet(charactersIn: "'"))
    if base.isEmpty { base = "Sheet" }
    if base.lowercased() == "history" { base += "_" }
    let names = Set(taken.map { $0.lowercased() })
    var candidate = fitted(base, suffix: "")
    var number = 2
    while names.contains(candidate.lowercased()) {
      candidate = fitted(base, suffix: " (\(number))")
      number += 1
    }
    return candidate
  }

  /// `base` cut so that with `suffix` it is at most 31 UTF-16 code units, apostrophes trimmed
  /// off its end.
  private static func fitted(_ base: String, suffix: String) -> String {
    var kept = ""
    for character in base {
      guard kept.utf16.count + character.utf16.count + suffix.utf16.count <= 31 else { break }
      kept.append(character)
    }
    while kept.hasSuffix("'") { kept.removeLast() }
    return kept + suffix
  }

  /// A column's width in characters for its header: the text's width on screen (East Asian
  /// wide characters, such as Chinese, count two) plus two, between 10 and 50.
  static func guessedWidth(_ header: String) -> Double {
    let width = header.unicodeScalars.reduce(0) { sum, scalar in sum + (isWide(scalar) ? 2 : 1) }
    return Double(min(max(width + 2, 10), 50))
  }

  /// Whether `scalar` is East Asian wide or full-width (Unicode UAX #11, the main ranges).
  private static func isWide(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.value {
    case 0x1100...0x115F, 0x2E80...0xA4CF, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60,
      0xFFE0...0xFFE6, 0x20000...0x3FFFD:
      return true
    default:
      return false
    }
  }

  /// The XML namespaces the parts use.
  private enum Namespace {
    /// SpreadsheetML's main namespace.
    static let main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    /// Office documents' relationship types.
    static let relationships = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    /// Package relationships parts.
    static let package = "http://schemas.openxmlformats.org/package/2006/relationships"
  }

  /// The parts other than the worksheets, small and written whole.
  private enum Package {
    /// The XML declaration every part starts with.
    static let declaration = #"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"# + "\r\n"

    /// `[Content_Types].xml`: the parts' media types (ECMA-376 Part 2 §10.1.2).
    static func contentTypes(worksheets: [String]) -> String {
      let sheetTypes = worksheets.map {
        #"<Override PartName="/\#($0)" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>"#
      }
      return declaration
        + #"<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">"#
        + #"<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>"#
        + #"<Default Extension="xml" ContentType="application/xml"/>"#
        + #"<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>"#
        + #"<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>"#
        + sheetTypes.joined() + "</Types>"
    }

    /// `_rels/.rels`: the package's link to its workbook.
    static let packageRelationships =
      declaration + #"<Relationships xmlns="\#(Namespace.package)">"#
      + #"<Relationship Id="rId1" Type="\#(Namespace.relationships)/officeDocument" Target="xl/workbook.xml"/>"#
      + "</Relationships>"

    /// `xl/workbook.xml`: the sheets, named, in order.
    static func workbook(names: [String]) -> String {
      var sheets = ""
      for (index, name) in names.enumerated() {
        var escaped: [UInt8] = []
        XMLEscaping.append(name, to: &escaped)
        sheets +=
          #"<sheet name="\#(String(decoding: escaped, as: UTF8.self))" sheetId="\#(index + 1)" r:id="rId\#(index + 1)"/>"#
      }
      return declaration + #"<workbook xmlns="\#(Namespace.main)" xmlns:r="\#(Namespace.relationships)">"#
        + #"<bookViews><workbookView activeTab="0"/></bookViews><sheets>"# + sheets + "</sheets></workbook>"
    }

    /// `xl/_rels/workbook.xml.rels`: the workbook's links to its sheets (`rId1`…) and styles.
    static func workbookRelationships(worksheets: Int) -> String {
      var relationships = ""
      for index in 1...max(worksheets, 1) {
        relationships +=
          #"<Relationship Id="rId\#(index)" Type="\#(Namespace.relationships)/worksheet" Target="worksheets/sheet\#(index).xml"/>"#
      }
      relationships +=
        #"<Relationship Id="rId\#(worksheets + 1)" Type="\#(Namespace.relationships)/styles" Target="styles.xml"/>"#
      return declaration + #"<Relationships xmlns="\#(Namespace.package)">"# + relationships + "</Relationships>"
    }

    /// Fonts: 等线 (DengXian, Excel's default for Chinese since 2016), regular and bold; cell
    /// formats in `Style`'s order.
    static let styles =
      declaration + #"<styleSheet xmlns="\#(Namespace.main)">"#
      + #"<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>"#
      + #"<numFmt numFmtId="165" formatCode="yyyy-mm-dd hh:mm"/></numFmts>"#
      + #"<fonts count="2"><font><sz val="11"/><name val="等线"/><family val="2"/><charset val="134"/></font>"#
      + #"<font><b/><sz val="11"/><name val="等线"/><family val="2"/><charset val="134"/></font></fonts>"#
      + #"<fills count="2"><fill><patternFill patternType="none"/></fill>"#
      + #"<fill><patternFill patternType="gray125"/></fill></fills>"#
      + #"<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>"#
      + #"<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>"#
      + #"<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>"#
      + #"<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>"#
      + #"<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>"#
      + #"<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>"#
      + #"<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>"#
      + "</styleSheet>"
  }
}

/// Why `XLSXWriter` refused a call.
enum XLSXWriterError: Error, Equatable, Sendable {
  /// A row was appended before `startSheet`.
  case noSheet
  /// The writer was used after `finish`.
  case finished
  /// A sheet would pass Excel's `limit` rows (1,048,576, the header included).
  case tooManyRows(limit: Int)
  /// A row would pass Excel's `limit` columns (16,384).
  case tooManyColumns(limit: Int)
}

/// Text escaped for XML 1.0 character data and attribute values, as SpreadsheetML needs it.
enum XMLEscaping {
  /// Appends `text` as UTF-8 with `&` `<` `>` `"` escaped, a carriage return as `&#13;` (a
  /// literal one would be read as a line feed, XML 1.0 §2.11), and the characters XML 1.0
  /// forbids left out: U+0000–U+0008, U+000B, U+000C, U+000E–U+001F, U+FFFE and U+FFFF (a
  /// Swift string holds no lone surrogates). A literal `_xHHHH_` gets its `_` escaped as
  /// `_x005F_` so Excel does not decode it (ECMA-376 Part 1 §22.9.2.19).
  static func append(_ text: String, to xml: inout [UInt8]) {
    var text = text
    text.withUTF8 { bytes in
      var index = 0
      while index < bytes.count {
        let byte = bytes[index]
        index += 1
        switch byte {
        case UInt8(ascii: "&"): xml += "&amp;".utf8
        case UInt8(ascii: "<"): xml += "&lt;".utf8
        case UInt8(ascii: ">"): xml += "&gt;".utf8
        case UInt8(ascii: "\""): xml += "&quot;".utf8
        case 0x0D: xml += "&#13;".utf8
        case 0x09, 0x0A: xml.append(byte)
        case 0x00..<0x20: continue
        case 0xEF where index + 1 < bytes.count && bytes[index] == 0xBF && bytes[index + 1] >= 0xBE:
          index += 2
        case UInt8(ascii: "_") where isEscapeLike(bytes, from: index):
          xml += "_x005F_".utf8
        default: xml.append(byte)
        }
      }
    }
  }

  /// Whether `x`, four hex digits and `_` follow at `index`.
  private static func isEscapeLike(_ bytes: UnsafeBufferPointer<UInt8>, from index: Int) -> Bool {
    guard index + 5 < bytes.count, bytes[index] == UInt8(ascii: "x"), bytes[index + 5] == UInt8(ascii: "_") else {
      return false
    }
    return bytes[(index + 1)..<(index + 5)].allSatisfy { byte in
      (0x30...0x39).contains(byte) || (0x41...0x46).contains(byte) || (0x61...0x66).contains(byte)
    }
  }
}

/// A file written through a 64 KiB buffer, so a sheet's many small pieces become few writes.
final class BufferedFileWriter {
  /// The buffer's size, and the size of a write.
  static let capacity = 64 * 1024

  /// The file.
  private let file: TemporaryFile
  /// Bytes not yet written.
  private var buffer: [UInt8] = []

  /// A writer appending to `file`.
  init(_ file: TemporaryFile) {
    self.file = file
    buffer.reserveCapacity(Self.capacity * 2)
  }

  /// Appends `bytes`, writing the buffer out when full.
  func write(_ bytes: some Sequence<UInt8>) throws {
    buffer += bytes
    try flushIfFull()
  }

  /// Lets `body` append to the buffer directly; call `flushIfFull` after.
  func append(_ body: (inout [UInt8]) -> Void) {
    body(&buffer)
  }

  /// Writes the buffer out when it holds 64 KiB or more.
  func flushIfFull() throws {
    if buffer.count >= Self.capacity { try flush() }
  }

  /// Writes the buffer out.
  /// - Throws: the file system's error.
  func flush() throws {
    guard !buffer.isEmpty else { return }
    try file.write(buffer)
    buffer.removeAll(keepingCapacity: true)
  }
}
