import Foundation

#if canImport(CoreFoundation)
  import CoreFoundation
#endif

/// The text encodings a CSV file is read in: UTF-8, or GB18030, what Excel on Chinese Windows
/// writes when told "CSV (逗号分隔)" (its ANSI code page, 936, which GB18030 contains).
enum CSVTextEncoding: Sendable, Equatable {
  /// UTF-8, with or without a byte order mark.
  case utf8
  /// GB18030, which contains GBK and GB2312.
  case gb18030

  /// Foundation's GB18030 (the 2000 edition CoreFoundation knows), which Linux's Foundation
  /// converts too.
  static let foundationGB18030 = String.Encoding(
    rawValue: CFStringConvertEncodingToNSStringEncoding(CFStringEncoding(CFStringEncodings.GB_18030_2000.rawValue)))

  /// The encoding of the CSV `file`: UTF-8 when all of it is valid UTF-8 (a byte order mark
  /// or not), else GB18030. Reads it through once in 64 KiB chunks.
  /// - Throws: `SpreadsheetError.malformed` when it cannot be read.
  static func of(_ file: URL) throws(SpreadsheetError) -> CSVTextEncoding {
    let handle: FileHandle
    do {
      handle = try FileHandle(forReadingFrom: file)
    } catch {
      throw .malformed("cannot open \(file.lastPathComponent): \(error.localizedDescription)")
    }
    defer { try? handle.close() }
    var pending: [UInt8] = []
    while true {
      let chunk: Data?
      do {
        chunk = try handle.read(upToCount: ByteSource.chunkSize)
      } catch {
        throw .malformed("cannot read \(file.lastPathComponent): \(error.localizedDescription)")
      }
      guard let chunk, !chunk.isEmpty else { break }
      pending += chunk
      // Validate up to the last byte that starts a character, so none is cut in two; the rest
      // (at most 3 bytes of valid UTF-8) goes with the next chunk.
      let cut = pending.lastIndex { $0 & 0xC0 != 0x80 } ?? pending.count
      guard String(validating: pending[..<cut], as: UTF8.self) != nil else { return .gb18030 }
      pending.removeFirst(cut)
    }
    return String(validating: pending, as: UTF8.self) != nil ? .utf8 : .gb18030
  }

  /// `bytes` as text; nil when they are not text in this encoding.
  func decode(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
    // ASCII is the same in both, and most fields of a register are.
    if self == .utf8 || !bytes.contains(where: { $0 >= 0x80 }) { return String(validating: bytes, as: UTF8.self) }
    return String(bytes: bytes, encoding: Self.foundationGB18030)
  }
}

/// Reads the records of a CSV file (RFC 4180) forward, one in memory at a time, each as a row
/// of `.text` cells (`.empty` for an empty field): CSV carries no types, so `00123`, `1.50` and
/// `2026/11/30` stay the text the user typed, for the importer to parse.
///
/// Fields are separated by commas; a field in double quotes may hold commas, line breaks and
/// doubled quotes (`""`); records end with CRLF, LF or a lone CR. A quote inside an unquoted
/// field is taken literally (`5" 屏幕`), as Excel takes it; text after a closing quote other
/// than spaces is an error, as is a quote never closed. A record's number counts records, as
/// Excel numbers the rows it opens a CSV into. The encoding's byte order mark is skipped. GB18030
/// is read field by field: its multibyte characters never contain the bytes of `,` `"` CR and LF
/// (all below 0x30), so fields are split on bytes in either encoding.
final class CSVRowReader {
  /// The longest record, in bytes (8 MiB; Excel's cells hold 32,767 characters): a longer one is
  /// almost always a quote that was never closed, swallowing the rest of the file.
  static let longestRecord = 8 * 1024 * 1024

  /// The file's bytes.
  private let source: ByteSource
  /// The file's encoding, for the fields' bytes.
  private let encoding: CSVTextEncoding
  /// The last field whose value is kept; a value beyond it refuses the record.
  private let maximumColumns: Int
  /// The number of the last record read.
  private var number = 0

  /// What scanning the window found.
  private enum Scan {
    /// A record of `consumed` bytes: its cells up to `maximumColumns` and the position of its
    /// last non-empty field.
    case record([SpreadsheetCell], lastFilled: Int, consumed: Int)
    /// The window ends inside a record.
    case needMore
    /// The file ended.
    case end
    /// Quoting that does not close, or text after a closing quote.
    case failure(String)
    /// A field that is not text in the encoding.
    case undecodable
  }

  /// A reader of `file` in `encoding`, from its start; a record with a value beyond field
  /// `maximumColumns` is refused.
  init(_ file: URL, encoding: CSVTextEncoding, maximumColumns: Int) throws(SpreadsheetError) {
    source = try ByteSource(file: file)
    self.encoding = encoding
    self.maximumColumns = maximumColumns
    _ = try source.take(prefix: encoding == .utf8 ? [0xEF, 0xBB, 0xBF] : [0x84, 0x31, 0x95, 0x33])
  }

  /// The next record, blank ones included; nil after the last.
  /// - Throws: `SpreadsheetError.tooManyColumns` for a record with a value beyond the limit,
  ///   `.malformed` for quoting that does not close or a record too long,
  ///   `.notASpreadsheet` for a field that is not text in the encoding.
  func nextRow() throws(SpreadsheetError) -> SpreadsheetRow? {
    while true {
      switch source.withAvailable({ bytes, atEnd in scan(bytes, atEnd: atEnd) }) {
      case .record(let cells, let lastFilled, let consumed):
        source.consume(consumed)
        number += 1
        if lastFilled > maximumColumns { throw .tooManyColumns(row: number, count: lastFilled, limit: maximumColumns) }
        return (number, cells)
      case .needMore:
        guard source.available <= Self.longestRecord else {
          throw .malformed("row \(number + 1): a record longer than 8 MiB (is a quote not closed?)")
        }
        _ = try source.readMore()
      case .end:
        return nil
      case .failure(let what):
        throw .malformed(what)
      case .undecodable:
        throw .notASpreadsheet(SpreadsheetLookalike.otherEncoding.rawValue)
      }
    }
  }

  /// The record at the start of `bytes`, which run to the file's end when `atEnd`.
  private func scan(_ bytes: ByteWindow, atEnd: Bool) -> Scan {
    let count = bytes.count
    guard count > 0 else { return atEnd ? .end : .needMore }
    let row = number + 1
    var cells: [SpreadsheetCell] = []
    var lastFilled = 0
    var column = 0
    var index = 0
    while true {
      column += 1
      var field = index..<index
      var doubledQuotes = false
      if index < count && bytes[index] == UInt8(ascii: "\"") {
        let start = index + 1
        var from = start
        while true {
          guard let quote = bytes.firstIndex(of: UInt8(ascii: "\""), from: from) else {
            return atEnd ? .failure("row \(row), column \(column): a quoted field is never closed") : .needMore
          }
          guard quote + 1 < count || atEnd else { return .needMore }
          if quote + 1 < count && bytes[quote + 1] == UInt8(ascii: "\"") {
            doubledQuotes = true
            from = quote + 2
            continue
          }
          field = start..<quote
          index = quote + 1
          break
        }
        while index < count, bytes[index] == 0x20 || bytes[index] == 0x09 { index += 1 }
        guard index < count || atEnd else { return .needMore }
        if index < count, !Self.endsField(bytes[index]) {
          return .failure("row \(row), column \(column): text after the closing quote")
        }
      } else {
        let start = index
        while index < count, !Self.endsField(bytes[index]) { index += 1 }
        guard index < count || atEnd else { return .needMore }
        field = start..<index
      }
      if !field.isEmpty {
        lastFilled = column
        // Beyond the limit only the count is kept: the record is refused anyway.
        if column <= maximumColumns {
          guard let text = decode(bytes, field, doubledQuotes: doubledQuotes) else { return .undecodable }
          cells += repeatElement(SpreadsheetCell.empty, count: column - 1 - cells.count)
          cells.append(.text(text))
        }
      }
      guard index < count else { return .record(cells, lastFilled: lastFilled, consumed: index) }
      switch bytes[index] {
      case UInt8(ascii: ","):
        index += 1
      case 0x0D:
        guard index + 1 < count || atEnd else { return .needMore }
        index += index + 1 < count && bytes[index + 1] == 0x0A ? 2 : 1
        return .record(cells, lastFilled: lastFilled, consumed: index)
      default:
        return .record(cells, lastFilled: lastFilled, consumed: index + 1)
      }
    }
  }

  /// A field's text, its doubled quotes made single.
  private func decode(_ bytes: ByteWindow, _ field: Range<Int>, doubledQuotes: Bool) -> String? {
    guard doubledQuotes else { return encoding.decode(bytes.bytes(from: field.lowerBound, to: field.upperBound)) }
    var single: [UInt8] = []
    single.reserveCapacity(field.upperBound - field.lowerBound)
    var index = field.lowerBound
    while index < field.upperBound {
      single.append(bytes[index])
      index += bytes[index] == UInt8(ascii: "\"") ? 2 : 1
    }
    return single.withUnsafeBufferPointer { encoding.decode($0) }
  }

  /// Whether `byte` ends an unquoted field: a comma, CR or LF.
  private static func endsField(_ byte: UInt8) -> Bool {
    byte == UInt8(ascii: ",") || byte == 0x0D || byte == 0x0A
  }
}
