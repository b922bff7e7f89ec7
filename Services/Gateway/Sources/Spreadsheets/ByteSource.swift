import Foundation

/// A file read forward through a window of its bytes, 64 KiB read at a time, or bytes in memory:
/// what the CSV and XML readers parse, so their memory does not grow with the file.
///
/// A reader scans the unconsumed bytes in place (`withAvailable`), consumes what made a whole
/// token or record, and asks for more (`readMore`) when the window ends inside one. Scanning
/// whole windows through pointers, rather than calling for each byte, is what keeps a million
/// cells fast, in debug builds too.
final class ByteSource {
  /// The size of one read from the file.
  static let chunkSize = 64 * 1024

  private let handle: FileHandle?
  private var buffer: [UInt8]
  /// Where the unconsumed bytes start in `buffer`.
  private var start = 0
  /// How many bytes were dropped from `buffer`'s front, so `offset` counts from the file's start.
  private var dropped = 0
  /// Whether all of the file is in `buffer`.
  private(set) var exhausted: Bool

  /// The bytes of `file`, from its start.
  /// - Throws: `SpreadsheetError.malformed` when it cannot be opened.
  init(file: URL) throws(SpreadsheetError) {
    do {
      handle = try FileHandle(forReadingFrom: file)
    } catch {
      throw .malformed("cannot open \(file.lastPathComponent): \(error.localizedDescription)")
    }
    buffer = []
    exhausted = false
  }

  /// The bytes `bytes`.
  init(bytes: [UInt8]) {
    handle = nil
    buffer = bytes
    exhausted = true
  }

  deinit {
    try? handle?.close()
  }

  /// The position of the first unconsumed byte in the file.
  var offset: Int { dropped + start }

  /// The number of bytes read and not consumed.
  var available: Int { buffer.count - start }

  /// Calls `body` with the bytes read and not consumed, and whether they run to the file's end.
  func withAvailable<Result>(_ body: (ByteWindow, Bool) -> Result) -> Result {
    buffer.withUnsafeBufferPointer { whole in
      // An empty array may have no storage; any valid pointer does for no bytes.
      let base = whole.baseAddress.map { $0 + start } ?? UnsafePointer(bitPattern: 1)!
      return body(ByteWindow(base: base, count: whole.count - start), exhausted)
    }
  }

  /// Marks the next `count` bytes consumed.
  func consume(_ count: Int) {
    start += count
  }

  /// Reads the next chunk after the unconsumed bytes; false at the end of the file.
  /// - Throws: `SpreadsheetError.malformed` when the file cannot be read.
  func readMore() throws(SpreadsheetError) -> Bool {
    guard !exhausted, let handle else {
      exhausted = true
      return false
    }
    if start > 0 {
      buffer.removeFirst(start)
      dropped += start
      start = 0
    }
    let chunk: Data?
    do {
      chunk = try handle.read(upToCount: Self.chunkSize)
    } catch {
      throw .malformed("cannot read the file: \(error.localizedDescription)")
    }
    guard let chunk, !chunk.isEmpty else {
      exhausted = true
      return false
    }
    buffer.append(contentsOf: chunk)
    return true
  }

  /// Consumes the next bytes when they are `prefix` (a byte order mark), else nothing.
  func take(prefix: [UInt8]) throws(SpreadsheetError) -> Bool {
    while available < prefix.count, try readMore() {}
    guard available >= prefix.count, buffer[start..<(start + prefix.count)].elementsEqual(prefix) else { return false }
    start += prefix.count
    return true
  }
}

/// A file removed when the last reference to it goes: the parts of a workbook extracted for
/// reading.
final class TemporaryFile: Sendable {
  /// Where it is.
  let url: URL

  /// A new, not yet existing path in the system's temporary directory, ending in `suffix`.
  init(suffix: String) {
    url = FileManager.default.temporaryDirectory.appendingPathComponent("spreadsheet-\(UUID().uuidString)\(suffix)")
  }

  deinit {
    try? FileManager.default.removeItem(at: url)
  }
}

/// Bytes scanned in place: a pointer and a count, valid during `ByteSource.withAvailable`.
/// Plain pointer arithmetic rather than collection methods, which in debug builds go through
/// generic code costing more than the scanning itself.
struct ByteWindow {
  /// The first byte.
  let base: UnsafePointer<UInt8>
  /// The number of bytes.
  let count: Int

  /// The byte at `index`, which must be below `count`.
  subscript(index: Int) -> UInt8 { base[index] }

  /// The index of the first `byte` in `from..<to` (`to` defaults to `count`), found with `memchr`;
  /// nil when there is none.
  func firstIndex(of byte: UInt8, from: Int = 0, to: Int? = nil) -> Int? {
    let end = to ?? count
    guard from < end, let found = memchr(base + from, Int32(byte), end - from) else { return nil }
    return UnsafeRawPointer(found) - UnsafeRawPointer(base)
  }

  /// Whether `byte` occurs in `from..<to`.
  func contains(_ byte: UInt8, from: Int, to: Int) -> Bool {
    firstIndex(of: byte, from: from, to: to) != nil
  }

  /// Whether the bytes from `index` on are `expected`.
  func matches(_ expected: [UInt8], at index: Int) -> Bool {
    guard index + expected.count <= count else { return false }
    return memcmp(base + index, expected, expected.count) == 0
  }

  /// The bytes in `from..<to`, in place.
  func bytes(from: Int, to: Int) -> UnsafeBufferPointer<UInt8> {
    UnsafeBufferPointer(start: base + from, count: to - from)
  }

  /// The bytes in `from..<to` as UTF-8 text; nil when they are not UTF-8.
  func utf8(from: Int, to: Int) -> String? {
    String(validating: bytes(from: from, to: to), as: UTF8.self)
  }
}
