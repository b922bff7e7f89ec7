import Foundation

/// Writes a CSV file (RFC 4180) as Excel on Chinese Windows opens it correctly: UTF-8 with a
/// byte order mark first (without it Excel reads the bytes as GBK and garbles every Chinese
/// character), fields quoted when they hold a comma, quote or line break (quotes doubled), CRLF
/// line ends. A text starting with `=` `+` `-` `@`, a tab or a carriage return is prefixed with
/// an apostrophe so that Excel shows it rather than running it as a formula (CSV injection,
/// OWASP "CSV Injection"); the apostrophe stays visible, which is the price of the defence.
///
/// Rows are returned as bytes for the caller to stream; the writer keeps no rows.
struct CSVWriter {
  /// Whether the byte order mark was written, with the first row.
  private var started = false

  /// A writer whose first row starts the file.
  init() {}

  /// The bytes of the next row, its cells separated by commas and ended by CRLF (the first
  /// call's start with the UTF-8 byte order mark, EF BB BF). Numbers are written as Swift
  /// writes them (`1.5`, `1e-05`; NaN and the infinities as nothing), dates as `2026-11-30`,
  /// date-times as `2026-11-30 08:05` (UTC+8), a formula as the defused text `'=SUM(A1:A2)`.
  mutating func row(_ cells: [SpreadsheetCell]) -> [UInt8] {
    var bytes: [UInt8] = []
    if !started {
      started = true
      bytes = [0xEF, 0xBB, 0xBF]
    }
    for (index, cell) in cells.enumerated() {
      if index > 0 { bytes.append(UInt8(ascii: ",")) }
      bytes += Self.field(cell).utf8
    }
    bytes += [0x0D, 0x0A]
    return bytes
  }

  /// One cell as a field, defused and quoted as needed.
  static func field(_ cell: SpreadsheetCell) -> String {
    switch cell {
    case .empty: return ""
    case .text(let text): return quoted(defused(text))
    case .integer(let number): return String(number)
    case .decimal(let number): return number.isFinite ? String(number) : ""
    case .date(let year, let month, let day): return SpreadsheetCalendar.text(year: year, month: month, day: day)
    case .dateTime(let date): return SpreadsheetCalendar.text(date)
    case .formula(let formula): return quoted(defused("=" + formula))
    }
  }

  /// `text` with an apostrophe before it when it starts as Excel would run a formula.
  static func defused(_ text: String) -> String {
    guard let first = text.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) else { return text }
    return "'" + text
  }

  /// `text` in double quotes, its quotes doubled, when it holds a comma, quote, CR or LF.
  static func quoted(_ text: String) -> String {
    guard text.utf8.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0D || $0 == 0x0A }) else { return text }
    return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
  }
}
