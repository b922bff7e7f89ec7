import Foundation

/// One row as the readers produce it: its 1-based number as the spreadsheet shows it, and its
/// cells by column (`cells[0]` is column A) up to its last non-empty one.
typealias SpreadsheetRow = (number: Int, cells: [SpreadsheetCell])

/// Reads a worksheet's rows (ECMA-376 Part 1 §18.3.1.73 `row`, §18.3.1.4 `c` in `sheetData`)
/// forward from its extracted XML, one row in memory at a time.
///
/// A row's number is its `r`, or one more than the previous row's; a cell's column is the
/// letters of its `r` (`AB12` is column 28), or one more than the previous cell's. Values:
/// a formula (`f` present) is `.formula` with its text, whatever value Excel cached (a cell of
/// a shared formula other than the first has no text of its own and gives `.formula("")`);
/// `t="s"` a shared string, `t="inlineStr"` its rich text, `t="str"` text, `t="b"` the text
/// `TRUE` or `FALSE` as Excel shows it, `t="e"` the error's text (`#N/A`), `t="d"` an ISO 8601
/// date; a number is `.integer` when whole, else `.decimal`, unless its cell format shows a
/// date: then `.date`, or `.dateTime` with a time of day (`SpreadsheetCalendar.cell`). Empty
/// strings are `.empty`.
final class WorksheetRowReader {
  /// The worksheet's XML.
  private let parser: XMLPullParser
  /// The shared strings, date styles and date system the cells need.
  private let workbook: XLSXWorkbook
  /// The last column whose value is kept; a value beyond it refuses the row.
  private let maximumColumns: Int
  /// The previous row's number, for a row without `r`.
  private var previousRow = 0
  /// Whether the tokens are inside `sheetData`, where the rows are.
  private var inSheetData = false
  /// Whether `sheetData` ended.
  private var finishedRows = false

  /// A reader of `workbook`'s sheet from its start; a row with a value beyond column
  /// `maximumColumns` is refused.
  init(_ workbook: XLSXWorkbook, maximumColumns: Int) throws(SpreadsheetError) {
    parser = XMLPullParser(ByteSource(temporary: workbook.sheet), part: workbook.sheetPart)
    self.workbook = workbook
    self.maximumColumns = maximumColumns
  }

  /// The next row, blank ones included; nil after the last.
  /// - Throws: `SpreadsheetError.tooManyColumns` for a row with a value beyond the limit,
  ///   `.malformed` for broken XML or a cell whose value does not fit its type.
  func nextRow() throws(SpreadsheetError) -> SpreadsheetRow? {
    guard !finishedRows else { return nil }
    while let token = try parser.next() {
      switch token {
      case .start("sheetData", _):
        inSheetData = true
      case .end("sheetData"):
        finishedRows = true
        return nil
      case .start("row", let attributes) where inSheetData:
        return try readRow(attributes)
      case .start where inSheetData:
        try parser.skipElement()
      default:
        break
      }
    }
    finishedRows = true
    return nil
  }

  /// After the last row: the first merged range (`mergeCells/mergeCell`, §18.3.1.55) of more
  /// than one cell that covers row `row`, `A1:C1`; nil when none does. Reads the rest of the
  /// XML, which checks that it is well-formed to its end.
  func mergedRange(covering row: Int) throws(SpreadsheetError) -> String? {
    while try nextRow() != nil {}
    var found: String?
    while let token = try parser.next() {
      guard found == nil, case .start("mergeCell", let attributes) = token, let range = attributes["ref"] else {
        continue
      }
      let corners = range.split(separator: ":")
      guard corners.count == 2, corners[0] != corners[1],
        let first = Self.rowNumber(of: corners[0]), let last = Self.rowNumber(of: corners[1]),
        (min(first, last)...max(first, last)).contains(row)
      else { continue }
      found = range
    }
    return found
  }

  /// The row whose start tag had `attributes`, read to its end.
  private func readRow(_ attributes: [XMLAttribute]) throws(SpreadsheetError) -> SpreadsheetRow {
    let number: Int
    if let reference = attributes["r"] {
      guard let given = Int(reference), given >= 1 else { throw malformed("row number '\(reference)'") }
      number = given
    } else {
      number = previousRow + 1
    }
    previousRow = number
    var cells: [SpreadsheetCell] = []
    var column = 0
    var lastFilled = 0
    while let token = try parser.next() {
      switch token {
      case .start("c", let attributes):
        if let reference = attributes["r"] {
          guard let given = Self.column(of: reference) else { throw malformed("cell reference '\(reference)'") }
          column = given
        } else {
          column += 1
        }
        let cell = try readCell(attributes, at: number, column)
        if case .empty = cell { continue }
        lastFilled = max(lastFilled, column)
        // Beyond the limit only the count is kept: the row is refused, and a hostile one
        // cannot make it allocate 16,384 cells.
        guard column <= maximumColumns else { continue }
        while cells.count < column { cells.append(.empty) }
        cells[column - 1] = cell
      case .start:
        try parser.skipElement()
      case .end:
        // The row's own end: cells and other children were read to their ends.
        if lastFilled > maximumColumns {
          throw .tooManyColumns(row: number, count: lastFilled, limit: maximumColumns)
        }
        return (number, cells)
      case .text:
        break
      }
    }
    throw malformed("row \(number) without an end")
  }

  /// The value of the cell at `row` and `column` whose start tag had `attributes`, read to its end.
  private func readCell(_ attributes: [XMLAttribute], at row: Int, _ column: Int) throws(SpreadsheetError)
    -> SpreadsheetCell
  {
    var value: String?
    var formula: String?
    var inline: String?
    reading: while let token = try parser.next() {
      switch token {
      case .start("v", _): value = try parser.readElementText()
      case .start("f", _): formula = try parser.readElementText()
      case .start("is", _): inline = try parser.readRichText()
      case .start: try parser.skipElement()
      case .end: break reading
      case .text: continue
      }
    }
    if let formula { return .formula(formula) }
    let text: String
    switch attributes["t"] ?? "n" {
    case "inlineStr":
      text = inline ?? ""
    case "s":
      guard let value else { return .empty }
      guard let index = Self.wholeNumber(value), index < workbook.sharedStrings.count else {
        throw malformed("shared string '\(value)' in \(Self.name(column))\(row)")
      }
      text = workbook.sharedStrings[index]
    case "str":
      text = XMLPullParser.unescapeXstring(value ?? "")
    case "b":
      guard let value else { return .empty }
      return .text(Self.wholeNumber(value) == 1 ? "TRUE" : "FALSE")
    case "e":
      text = value ?? ""
    case "d":
      guard let value, !value.isEmpty else { return .empty }
      return Self.isoDate(value) ?? .text(value)
    default:
      guard var value, !value.isEmpty else { return .empty }
      if value.first!.isWhitespace || value.last!.isWhitespace {
        value = value.trimmingCharacters(in: .whitespaces)
      }
      let style = attributes["s"].flatMap { Self.wholeNumber($0) } ?? 0
      let isDate = style < workbook.dateStyles.count && workbook.dateStyles[style]
      // Digits alone are read exactly and quickly; `1E+17` and `3.0` through the double.
      if !isDate, let whole = Self.wholeNumber(value) { return .integer(Int64(whole)) }
      guard let number = Double(value), number.isFinite else {
        throw malformed("'\(value)' in \(Self.name(column))\(row), which is no number")
      }
      if isDate { return SpreadsheetCalendar.cell(serial: number, date1904: workbook.date1904) }
      if number == number.rounded(), abs(number) < 9.2e18 { return .integer(Int64(number)) }
      return .decimal(number)
    }
    return text.isEmpty ? .empty : .text(text)
  }

  /// A `malformed` error naming the worksheet.
  private func malformed(_ what: String) -> SpreadsheetError {
    .malformed("\(what) in \(workbook.sheetPart)")
  }

  /// `text` as a whole number when it is only ASCII digits, with an optional `-` (at most 18
  /// digits, so it fits); nil otherwise. Cheaper than `Int(text)` for the digits of every cell.
  static func wholeNumber(_ text: String) -> Int? {
    var text = text
    return text.withUTF8 { bytes -> Int? in
      let negative = bytes.first == UInt8(ascii: "-")
      let start = negative ? 1 : 0
      guard bytes.count > start, bytes.count - start <= 18 else { return nil }
      var value = 0
      var index = start
      while index < bytes.count {
        let digit = Int(bytes[index]) - 0x30
        guard digit >= 0 && digit <= 9 else { return nil }
        value = value * 10 + digit
        index += 1
      }
      return negative ? -value : value
    }
  }

  /// The 1-based column of a cell reference's letters (`AB12` → 28, `$C$3` → 3); nil for none
  /// or beyond Excel's last column, XFD (16,384).
  static func column(of reference: String) -> Int? {
    var reference = reference
    return reference.withUTF8 { bytes -> Int? in
      var column = 0
      var index = 0
      while index < bytes.count {
        let byte = bytes[index]
        index += 1
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): column = column * 26 + Int(byte - UInt8(ascii: "A")) + 1
        case UInt8(ascii: "a")...UInt8(ascii: "z"): column = column * 26 + Int(byte - UInt8(ascii: "a")) + 1
        case UInt8(ascii: "$"): continue
        default: index = bytes.count
        }
        if column > 16_384 { return nil }
      }
      return column >= 1 ? column : nil
    }
  }

  /// The row number of a cell reference (`C12` → 12).
  static func rowNumber(of reference: some StringProtocol) -> Int? {
    Int(String(reference.drop { !$0.isNumber }))
  }

  /// The letters of a 1-based column (28 → `AB`).
  static func name(_ column: Int) -> String {
    var column = column
    var letters: [UInt8] = []
    while column > 0 {
      column -= 1
      letters.insert(UInt8(ascii: "A") + UInt8(column % 26), at: 0)
      column /= 26
    }
    return String(decoding: letters, as: UTF8.self)
  }

  /// A `t="d"` cell's ISO 8601 value (§18.17.4.1): `2026-11-30` is a day; with a time,
  /// `2026-11-30T08:05:00` is the city's wall-clock time unless a zone (`Z`, `+08:00`) is given;
  /// midnight without a zone is the day. Nil for text it cannot read.
  static func isoDate(_ value: String) -> SpreadsheetCell? {
    let parts = value.split(separator: "T", maxSplits: 1)
    let day = parts[0].split(separator: "-")
    guard day.count == 3, let year = Int(day[0]), let month = Int(day[1]), let dayOfMonth = Int(day[2]),
      let days = SpreadsheetCalendar.days(year: year, month: month, day: dayOfMonth)
    else { return nil }
    guard parts.count == 2 else { return .date(year: year, month: month, day: dayOfMonth) }
    var time = Substring(parts[1])
    var offset: Int?
    if time.hasSuffix("Z") {
      offset = 0
      time = time.dropLast()
    } else if let sign = time.lastIndex(where: { $0 == "+" || $0 == "-" }) {
      let zone = time[time.index(after: sign)...].split(separator: ":")
      guard zone.count == 2, let hours = Int(zone[0]), let minutes = Int(zone[1]) else { return nil }
      offset = (hours * 3600 + minutes * 60) * (time[sign] == "-" ? -1 : 1)
      time = time[..<sign]
    }
    let clock = time.split(separator: ":")
    guard clock.count >= 2, let hours = Int(clock[0]), let minutes = Int(clock[1]) else { return nil }
    let seconds = clock.count > 2 ? Double(clock[2]) ?? 0 : 0
    let sinceMidnight = Double(hours * 3600 + minutes * 60) + seconds
    if sinceMidnight == 0 && offset == nil { return .date(year: year, month: month, day: dayOfMonth) }
    let seconds1970 = Double(days * 86_400 - (offset ?? SpreadsheetCalendar.cityOffset)) + sinceMidnight
    return .dateTime(Date(timeIntervalSince1970: seconds1970))
  }
}
