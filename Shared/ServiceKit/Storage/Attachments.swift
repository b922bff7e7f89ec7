import Crypto
import Foundation
import GovernanceAPI

/// Attachments (附件): what a file may be, who sees it whole, and where its bytes live.
public enum Attachments {
  /// The largest file, in bytes (3 MiB): a phone photo at its camera's default JPEG quality, and
  /// under the services' 4 MiB message limit with room for the rest of the call.
  public static let maximumBytes = 3 * 1024 * 1024
  /// The most files one record (a case with all its steps, a patrol) holds.
  public static let maximumPerRecord = 20

  /// The kinds of file taken, found from the first bytes of the content, never from a name.
  public enum MediaType: String, Sendable, CaseIterable {
    case jpeg = "image/jpeg"
    case png = "image/png"
    case webp = "image/webp"
    case pdf = "application/pdf"
  }

  /// The type of `content` by its signature: JPEG `FF D8 FF` (ISO/IEC 10918-1), PNG's eight
  /// bytes (ISO/IEC 15948 §5.2), WebP's `RIFF....WEBP` (RFC 9649 §2.5), PDF's `%PDF-`
  /// (ISO 32000-1 §7.5.2); nil for anything else.
  public static func mediaType(of content: Data) -> MediaType? {
    let bytes = [UInt8](content.prefix(12))
    if bytes.starts(with: [0xFF, 0xD8, 0xFF]) { return .jpeg }
    if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
    if bytes.count == 12, bytes.starts(with: Array("RIFF".utf8)), Array(bytes[8..<12]) == Array("WEBP".utf8) {
      return .webp
    }
    if bytes.starts(with: Array("%PDF-".utf8)) { return .pdf }
    return nil
  }

  /// The rule "a file is a JPEG, PNG, WebP or PDF of at most 3 MiB, judged by its content".
  /// - Throws: `DomainError.invalidArgument` naming `field`.
  public static func checkContent(_ content: Data, field: String) throws(DomainError) -> MediaType {
    guard !content.isEmpty else { throw DomainError.invalidArgument(field: field, rule: "is required") }
    guard content.count <= maximumBytes else {
      throw DomainError.invalidArgument(
        field: field, rule: "is at most \(maximumBytes) bytes (3 MiB), got \(content.count)")
    }
    guard let type = mediaType(of: content) else {
      throw DomainError.invalidArgument(
        field: field, rule: "is a JPEG, PNG, WebP or PDF file, judged by its first bytes")
    }
    return type
  }

  /// The rule "the staff who handle a record see its files as uploaded": city administrators,
  /// district, street and community staff and grid workers whose jurisdiction holds the record.
  /// Everyone else (property staff, evaluators, auditors, the city platform, the public through
  /// Open311, the platform's own services) gets the copy without metadata.
  public static func seesOriginal(_ principal: Principal, divisionCode: String) -> Bool {
    guard principal.service == nil, let role = principal.role else { return false }
    let handlers: Set<Role> = [.cityAdministrator, .district, .street, .community, .gridWorker]
    return handlers.contains(role) && Jurisdiction.contains(scope: principal.scope, code: divisionCode)
  }

  /// Lowercase hex SHA-256 of `content`: the file's name in the store.
  public static func sha256(_ content: Data) -> String {
    SHA256.hash(data: content).map { String(format: "%02x", $0) }.joined()
  }
}

/// The content-addressed files of one service: each file once, named by its SHA-256, in
/// `<database>.files/sha256/<first two hex digits>/<hex>` beside the service's database (so
/// `governance backup` copies them with it). Files are written before the record that names
/// them commits, and never changed or removed: a record always finds its bytes.
public struct AttachmentFiles: Sendable {
  /// The folder holding the files.
  public let directory: String

  /// The store beside the database at `databasePath`; an in-memory database gets a fresh
  /// temporary folder.
  public init(databasePath: String) {
    if databasePath.isEmpty || databasePath.hasPrefix(":memory:") || databasePath.hasPrefix("file::memory:") {
      directory = NSTemporaryDirectory() + "attachments-" + UUID().uuidString
    } else {
      let base = databasePath.hasSuffix(".sqlite") ? String(databasePath.dropLast(7)) : databasePath
      directory = base + ".files"
    }
  }

  func path(of sha256: String) -> String {
    "\(directory)/sha256/\(sha256.prefix(2))/\(sha256)"
  }

  /// Stores `content` under its SHA-256 (atomically: written aside, then renamed) and returns
  /// the hex digest; content already stored is not written again.
  public func store(_ content: Data) throws -> String {
    let digest = Attachments.sha256(content)
    let target = path(of: digest)
    if FileManager.default.fileExists(atPath: target) { return digest }
    let folder = (target as NSString).deletingLastPathComponent
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    let aside = "\(folder)/.\(digest).\(UUID().uuidString)"
    try content.write(to: URL(fileURLWithPath: aside))
    if rename(aside, target) != 0 {
      try? FileManager.default.removeItem(atPath: aside)
      throw DomainError.peerUnavailable(peer: "attachment files", detail: "a file could not be kept (errno \(errno))")
    }
    return digest
  }

  /// The bytes stored under `sha256`.
  /// - Throws: `DomainError.peerUnavailable` when the file is missing (a restore without its files).
  public func content(sha256: String) throws -> Data {
    guard sha256.count == 64, sha256.allSatisfy(\.isHexDigit),
      let data = FileManager.default.contents(atPath: path(of: sha256))
    else {
      throw DomainError.peerUnavailable(peer: "attachment files", detail: "the file \(sha256) is missing")
    }
    return data
  }
}
