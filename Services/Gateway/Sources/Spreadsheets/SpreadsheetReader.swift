import Foundation

/// A spreadsheet being read: an XLSX workbook's first worksheet (ECMA-376 Part 1
/// SpreadsheetML) or a CSV file (RFC 4180), for the register imports.
///
/// `open` reads the whole file through once, so that everything wrong with it is known before
/// a row is imported: its kind, encoding, header, merged header cells, quoting, XML and column
/// counts. `rows` then reads it again, forward, one row in memory at a time. The header is the
/// first row with a value (row 1 unless blank rows precede it); its texts are the column names.
/// An XLSX's first worksheet is unpacked to a temporary file for the life of the reader.
struct SpreadsheetReader {
  /// The first row's texts, whitespace (full-width too) trimmed, up to its last non-empty cell;
  /// a number or date in it is its text (`2026`, `2026-11-30`).
  let header: [String]
  /// The header's row number: 1 unless blank rows precede it.
  let headerRow: Int
  /// What is read, again for each `rows`.
  fileprivate let format: Format
  /// The limit `open` was given, kept for `rows`.
  private let maximumColumns: Int

  /// What is read: a CSV file in its encoding, or an opened workbook.
  fileprivate enum Format {
    /// A CSV file and its encoding.
    case csv(URL, CSVTextEncoding)
    /// A workbook, its first worksheet unpacked.
    case xlsx(XLSXWorkbook)
  }

  /// Opens `file` (already on disk), telling XLSX (a zip holding a workbook part) from CSV by its
  /// bytes, not its name. CSV is read as UTF-8 (with or without a byte order mark) when all of it
  /// is, else as GB18030.
  /// - Throws: `SpreadsheetError`: `.tooLarge` for a file over `maximumBytes` (50 MiB) or a
  ///   worksheet unpacking to over 512 MiB; `.notASpreadsheet` for a PDF, a .docx, an .xls,
  ///   random bytes and the like; `.encrypted` for a password-protected workbook;
  ///   `.tooManyColumns` for a row with a value beyond column `maximumColumns` (100);
  ///   `.mergedHeader` for merged cells touching the header row; `.noHeader` for an empty file
  ///   or one without a value; `.malformed` for a damaged zip, broken XML or bad CSV quoting.
  static func open(_ file: URL, maximumBytes: Int = 50 * 1024 * 1024, maximumColumns: Int = 100)
    throws(SpreadsheetError) -> SpreadsheetReader
  {
    let size: Int
    do {
      size = try file.resourceValues(forKeys: [.fileSizeKey]).fileSize ?? 0
    } catch {
      throw .malformed("cannot read \(file.lastPathComponent): \(error.localizedDescription)")
    }
    guard size <= maximumBytes else { throw .tooLarge(bytes: size, limit: maximumBytes) }
    guard size > 0 else { throw .noHeader }
    let format: Format
    switch try FileKind.of(file) {
    case .zip: format = .xlsx(try XLSXWorkbook.open(file))
    case .text: format = .csv(file, try CSVTextEncoding.of(file))
    }

    let reader = try RowSource(format, maximumColumns: maximumColumns)
    var header: SpreadsheetRow?
    while let row = try reader.nextRow() {
      if header == nil, row.cells.contains(where: { $0 != .empty }) { header = row }
    }
    guard let header else { throw .noHeader }
    if case .xlsx(let rows) = reader, let range = try rows.mergedRange(covering: header.number) {
      throw .mergedHeader(range)
    }
    let last = header.cells.lastIndex { $0 != .empty } ?? -1
    return SpreadsheetReader(
      header: header.cells[...last].map(Self.text), headerRow: header.number, format: format,
      maximumColumns: maximumColumns)
  }

  /// The rows after the header, in order, each with its 1-based number as the spreadsheet shows
  /// it (the header is row 1; an XLSX's own `r` numbers, so blank rows skipped keep theirs) and
  /// its cells padded or cut to `header.count`; rows whose cells are all empty are left out, as
  /// are rows numbered below `from` (to resume an import).
  ///
  /// The sequence streams: each iteration reads the file again from its start, one row in
  /// memory at a time. Its iterator cannot throw, as `Sequence` allows none: an error mid-way
  /// ends the iteration and is kept in `SpreadsheetRows.error`, to be checked after the loop, or
  /// call `nextRow()` on its iterator, which throws. As `open` read the whole file already, such
  /// an error means the file changed or became unreadable since.
  /// - Throws: `SpreadsheetError.malformed` when the file cannot be opened again.
  func rows(from: Int = 2) throws(SpreadsheetError) -> SpreadsheetRows {
    SpreadsheetRows(
      first: try RowSource(format, maximumColumns: maximumColumns),
      makeSource: { [format, maximumColumns] () throws(SpreadsheetError) -> RowSource in
        try RowSource(format, maximumColumns: maximumColumns)
      }, header: header, headerRow: headerRow, from: from)
  }

  /// A header cell's text.
  private static func text(_ cell: SpreadsheetCell) -> String {
    switch cell {
    case .empty: return ""
    case .text(let text): return text.trimmingCharacters(in: .whitespacesAndNewlines)
    case .integer(let number): return String(number)
    case .decimal(let number): return String(number)
    case .date(let year, let month, let day): return SpreadsheetCalendar.text(year: year, month: month, day: day)
    case .dateTime(let date): return SpreadsheetCalendar.text(date)
    case .formula(let formula): return "=" + formula
    }
  }

  /// The reader of the rows of a CSV file or a worksheet.
  fileprivate enum RowSource {
    /// A CSV file's records.
    case csv(CSVRowReader)
    /// A worksheet's rows.
    case xlsx(WorksheetRowReader)

    /// A reader of `format` from its start.
    /// - Throws: `SpreadsheetError.malformed` when the file cannot be opened.
    init(_ format: Format, maximumColumns: Int) throws(SpreadsheetError) {
      switch format {
      case .csv(let file, let encoding):
        self = .csv(try CSVRowReader(file, encoding: encoding, maximumColumns: maximumColumns))
      case .xlsx(let workbook): self = .xlsx(try WorksheetRowReader(workbook, maximumColumns: maximumColumns))
      }
    }

    /// The next row, blank ones included; nil after the last.
    /// - Throws: what the CSV or worksheet reader throws.
    func nextRow() throws(SpreadsheetError) -> SpreadsheetRow? {
      switch self {
      case .csv(let reader): return try reader.nextRow()
      case .xlsx(let reader): return try reader.nextRow()
      }
    }
  }
}

/// The rows of a `SpreadsheetReader` (see `rows(from:)`): a sequence of `(number, cells)` read
/// from the file as it is iterated, whose errors end the iteration and are kept in `error`.
struct SpreadsheetRows: Sequence {
  /// A row: its 1-based number as the spreadsheet shows it, and `header.count` cells.
  typealias Element = (number: Int, cells: [SpreadsheetCell])

  /// Where an iteration's error is kept, shared by the sequence and its iterators.
  fileprivate final class Outcome {
    var error: SpreadsheetError?
  }

  /// Where the latest iteration's error is kept.
  private let first: Outcome
  /// The source `rows(from:)` opened, until the first iterator takes it.
  private let firstSource: Box
  /// Opens the file again for a later iteration.
  private let makeSource: () throws(SpreadsheetError) -> SpreadsheetReader.RowSource
  /// The reader's header, whose count is each row's.
  private let header: [String]
  /// The header's row number; rows up to it are skipped.
  private let headerRow: Int
  /// The first row number given.
  private let from: Int

  /// The source opened by `rows(from:)`, handed to the first iterator only.
  fileprivate final class Box {
    var source: SpreadsheetReader.RowSource?
    /// A box holding `source`.
    init(_ source: SpreadsheetReader.RowSource) { self.source = source }
  }

  /// Rows read first from `source`, then from a source `makeSource` opens for each further
  /// iteration.
  fileprivate init(
    first source: SpreadsheetReader.RowSource,
    makeSource: @escaping () throws(SpreadsheetError) -> SpreadsheetReader.RowSource,
    header: [String], headerRow: Int, from: Int
  ) {
    first = Outcome()
    firstSource = Box(source)
    self.makeSource = makeSource
    self.header = header
    self.headerRow = headerRow
    self.from = from
  }

  /// The error that ended the latest iteration early; nil when it read every row.
  var error: SpreadsheetError? { first.error }

  /// An iterator from the first row after the header.
  func makeIterator() -> Iterator {
    first.error = nil
    let source: SpreadsheetReader.RowSource?
    if let opened = firstSource.source {
      firstSource.source = nil
      source = opened
    } else {
      do {
        source = try makeSource()
      } catch {
        first.error = error
        source = nil
      }
    }
    return Iterator(source: source, outcome: first, width: header.count, after: headerRow, from: from)
  }

  /// Reads the rows one at a time. Its state is its reader's, a class: copies of an iterator
  /// read on from where any of them stopped.
  struct Iterator: IteratorProtocol {
    /// A row, as the sequence gives it.
    typealias Element = SpreadsheetRows.Element

    /// The rows read; nil when the file could not be opened again.
    fileprivate let source: SpreadsheetReader.RowSource?
    /// Where an error is kept for `SpreadsheetRows.error`.
    fileprivate let outcome: Outcome
    let width: Int
    let after: Int
    let from: Int

    /// The next row; nil after the last or after an error, which `SpreadsheetRows.error` keeps.
    mutating func next() -> Element? {
      do {
        return try nextRow()
      } catch {
        outcome.error = error
        return nil
      }
    }

    /// The next row; nil after the last.
    /// - Throws: `SpreadsheetError` when the file cannot be read (it changed since `open`).
    mutating func nextRow() throws(SpreadsheetError) -> Element? {
      guard let source else { return nil }
      while let row = try source.nextRow() {
        guard row.number > after, row.number >= from else { continue }
        var cells = row.cells
        if cells.count > width {
          cells.removeLast(cells.count - width)
        }
        // Cells are read up to the row's last non-empty one, so an all-empty row's are none
        // or empty up to the width.
        guard Self.hasValue(cells) else { continue }
        while cells.count < width { cells.append(.empty) }
        return (row.number, cells)
      }
      return nil
    }

    /// Whether any of `cells` is not `.empty`.
    private static func hasValue(_ cells: [SpreadsheetCell]) -> Bool {
      var index = cells.count - 1
      while index >= 0 {
        if case .empty = cells[index] {} else { return true }
        index -= 1
      }
      return false
    }
  }
}

/// What a file is by its first bytes: a zip (an XLSX, if it holds a workbook) or text (a CSV);
/// anything else is refused with what it looks like.
enum FileKind {
  /// A zip archive: an XLSX workbook if it holds a workbook part.
  case zip
  /// Text: a CSV file.
  case text

  /// The kind of `file`, from its first 64 KiB (all of it for an OLE2 compound file).
  /// - Throws: `SpreadsheetError.encrypted` for a password-protected workbook,
  ///   `.notASpreadsheet` for any other kind of file.
  static func of(_ file: URL) throws(SpreadsheetError) -> FileKind {
    let source = try ByteSource(file: file)
    _ = try source.readMore()
    let head = source.withAvailable { window, _ in [UInt8](window.bytes(from: 0, to: window.count)) }
    func starts(with magic: [UInt8]) -> Bool { head.starts(with: magic) }

    if starts(with: [0x50, 0x4B, 0x03, 0x04]) || starts(with: [0x50, 0x4B, 0x05, 0x06]) { return .zip }
    if starts(with: [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) { throw try compoundFile(file) }
    let known: [([UInt8], SpreadsheetLookalike)] = [
      (Array("%PDF-".utf8), .pdf), ([0x89, 0x50, 0x4E, 0x47], .image), ([0xFF, 0xD8, 0xFF], .image),
      (Array("GIF8".utf8), .image), (Array("Rar!".utf8), .archive), ([0x37, 0x7A, 0xBC, 0xAF], .archive),
      ([0x1F, 0x8B], .archive), (Array("{\\rtf".utf8), .richText), ([0xFF, 0xFE], .utf16Text),
      ([0xFE, 0xFF], .utf16Text),
    ]
    if let match = known.first(where: { starts(with: $0.0) }) { throw .notASpreadsheet(match.1.rawValue) }

    let text = head.starts(with: [0xEF, 0xBB, 0xBF]) ? head.dropFirst(3) : head[...]
    // Text has no control characters but tab, line feed and carriage return (and Ctrl-Z, which
    // old tools end files with); neither encoding puts bytes below 0x30 inside a character.
    if text.contains(where: { $0 < 0x20 && $0 != 0x09 && $0 != 0x0A && $0 != 0x0D && $0 != 0x1A }) {
      throw .notASpreadsheet(SpreadsheetLookalike.binary.rawValue)
    }
    let opening = String(decoding: text.prefix(64), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
      .lowercased()
    if ["<?xml", "<html", "<!doctype", "<table"].contains(where: { opening.hasPrefix($0) }) {
      throw .notASpreadsheet(SpreadsheetLookalike.markup.rawValue)
    }
    return .text
  }

  /// What an OLE2 compound file is (MS-CFB): a password-protected workbook (MS-OFFCRYPTO puts
  /// the package in an `EncryptedPackage` stream), an .xls (a `Workbook` or `Book` stream) or
  /// another old Office document, told by the stream names (UTF-16LE) in its directory.
  private static func compoundFile(_ file: URL) throws(SpreadsheetError) -> SpreadsheetError {
    let names = try streamNames(in: file, among: ["EncryptedPackage", "Workbook", "Book"])
    if names.contains("EncryptedPackage") { return .encrypted }
    if names.contains("Workbook") || names.contains("Book") {
      return .notASpreadsheet(SpreadsheetLookalike.legacyWorkbook.rawValue)
    }
    return .notASpreadsheet(SpreadsheetLookalike.legacyOffice.rawValue)
  }

  /// Which of `names` occur in `file` as UTF-16LE, searched in chunks.
  private static func streamNames(in file: URL, among names: [String]) throws(SpreadsheetError) -> Set<String> {
    let patterns = names.map { name in (name, Data(name.utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] })) }
    let overlap = patterns.map(\.1.count).max() ?? 0
    let handle: FileHandle
    do {
      handle = try FileHandle(forReadingFrom: file)
    } catch {
      throw .malformed("cannot read \(file.lastPathComponent): \(error.localizedDescription)")
    }
    defer { try? handle.close() }
    var found: Set<String> = []
    var window = Data()
    while true {
      let chunk: Data?
      do {
        chunk = try handle.read(upToCount: ByteSource.chunkSize)
      } catch {
        throw .malformed("cannot read \(file.lastPathComponent): \(error.localizedDescription)")
      }
      guard let chunk, !chunk.isEmpty else { return found }
      window.append(chunk)
      for (name, pattern) in patterns where window.range(of: pattern) != nil { found.insert(name) }
      // Keep the tail, in case a name straddles two chunks.
      window = Data(window.suffix(overlap))
    }
  }
}
