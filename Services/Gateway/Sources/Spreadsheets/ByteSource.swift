import Foundation

/// A file read forward through a window of its bytes, 64 KiB read at a time, or bytes in memory:
/// what the CSV and XML readers parse, so their memory does not grow with the file. A
/// `TemporaryFile` is read at the source's own offset (`pread`), so several sources read it at
/// once.
///
/// A reader scans the unconsumed bytes in place (`withAvailable`), consumes what made a whole
/// token or record, and asks for more (`readMore`) when the window ends inside one. Scanning
/// whole windows through pointers, rather than calling for each byte, is what keeps a million
/// cells fast, in debug builds too.
final class ByteSource {
  /// The size of one read from the file.
  static let chunkSize = 64 * 1024

  /// Where the bytes come from.
  private let origin: Origin
  /// Where the next read starts in a temporary file.
  private var position = 0
  /// The bytes read: the consumed ones before `start`, dropped when the next chunk is read.
  private var buffer: [UInt8]
  /// Where the unconsumed bytes start in `buffer`.
  private var start = 0
  /// How many bytes were dropped from `buffer`'s front, so `offset` counts from the file's start.
  private var dropped = 0
  /// Whether all of the file is in `buffer`.
  private(set) var exhausted: Bool

  /// Where a source's bytes come from.
  private enum Origin {
    /// A file opened for this source.
    case file(FileHandle)
    /// A temporary file, shared.
    case temporary(TemporaryFile)
    /// Bytes in memory, all in `buffer` from the start.
    case memory
  }

  /// The bytes of `file`, from its start.
  /// - Throws: `SpreadsheetError.malformed` when it cannot be opened.
  init(file: URL) throws(SpreadsheetError) {
    do {
      origin = .file(try FileHandle(forReadingFrom: file))
    } catch {
      throw .malformed("cannot open \(file.lastPathComponent): \(error.localizedDescription)")
    }
    buffer = []
    exhausted = false
  }

  /// The bytes of `file`, from its start.
  init(temporary file: TemporaryFile) {
    origin = .temporary(file)
    buffer = []
    exhausted = false
  }

  /// The bytes `bytes`.
  init(bytes: [UInt8]) {
    origin = .memory
    buffer = bytes
    exhausted = true
  }

  /// Closes a file opened for this source.
  deinit {
    if case .file(let handle) = origin { try? handle.close() }
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
    guard !exhausted else { return false }
    if start > 0 {
      buffer.removeFirst(start)
      dropped += start
      start = 0
    }
    let count: Int
    switch origin {
    case .file(let handle):
      let chunk: Data?
      do {
        chunk = try handle.read(upToCount: Self.chunkSize)
      } catch {
        throw .malformed("cannot read the file: \(error.localizedDescription)")
      }
      count = chunk?.count ?? 0
      if let chunk { buffer.append(contentsOf: chunk) }
    case .temporary(let file):
      count = try file.read(at: position, into: &buffer)
      position += count
    case .memory:
      count = 0
    }
    if count == 0 { exhausted = true }
    return count > 0
  }

  /// Consumes the next bytes when they are `prefix` (a byte order mark), else nothing.
  func take(prefix: [UInt8]) throws(SpreadsheetError) -> Bool {
    while available < prefix.count, try readMore() {}
    guard available >= prefix.count, buffer[start..<(start + prefix.count)].elementsEqual(prefix) else { return false }
    start += prefix.count
    return true
  }
}

/// An unnamed temporary file, for the parts of a workbook unpacked for reading: made in the
/// system's temporary directory and unlinked at once, so that it goes when its descriptor is
/// closed, with the last reference, or when the process ends however it ends (a gateway killed
/// in an import leaves no 512 MiB part behind). Written once, then read by any number of
/// `ByteSource`s at their own offsets.
final class TemporaryFile {
  /// The open file, read and written.
  private let handle: FileHandle
  /// The number of bytes written.
  private(set) var size = 0

  /// A new, empty file in `directory` (the system's temporary directory by default).
  /// - Throws: `SpreadsheetError.malformed` when it cannot be made.
  init(in directory: URL = FileManager.default.temporaryDirectory) throws(SpreadsheetError) {
    let url = directory.appendingPathComponent("spreadsheet-\(UUID().uuidString).xml")
    do {
      guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
        throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path])
      }
      handle = try FileHandle(forUpdating: url)
    } catch {
      throw .malformed("cannot make a temporary file: \(error.localizedDescription)")
    }
    try? FileManager.default.removeItem(at: url)
  }

  /// Closes, and so removes, the file.
  deinit {
    try? handle.close()
  }

  /// Appends `bytes`.
  /// - Throws: the file system's error.
  func write(_ bytes: some DataProtocol) throws {
    try handle.write(contentsOf: bytes)
    size += bytes.count
  }

  /// The `count` bytes at `offset` (fewer at the end), for the zip writer.
  /// - Throws: `SpreadsheetError.malformed` when the file cannot be read.
  func data(at offset: Int, count: Int) throws(SpreadsheetError) -> Data {
    var bytes: [UInt8] = []
    while bytes.count < count {
      let read = try self.read(at: offset + bytes.count, into: &bytes, upTo: count - bytes.count)
      if read == 0 { break }
    }
    return Data(bytes)
  }

  /// Appends up to `limit` bytes (64 KiB) read from `offset` to `buffer`; returns how many, 0 at
  /// the end.
  /// - Throws: `SpreadsheetError.malformed` when the file cannot be read.
  func read(at offset: Int, into buffer: inout [UInt8], upTo limit: Int = ByteSource.chunkSize) throws(SpreadsheetError)
    -> Int
  {
    let old = buffer.count
    buffer += repeatElement(0, count: limit)
    var count = -1
    while count < 0 {
      count = buffer.withUnsafeMutableBytes { bytes in
        pread(handle.fileDescriptor, bytes.baseAddress! + old, limit, off_t(offset))
      }
      guard count >= 0 || errno == EINTR else {
        buffer.removeLast(limit)
        throw .malformed("cannot read a temporary file: error \(errno)")
      }
    }
    buffer.removeLast(limit - count)
    return count
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
