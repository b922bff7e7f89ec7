import Crypto
import Foundation
import GRDB
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

extension Governance_Common_V1_Attachment: StoredRecord {
  public static let table = "attachment"
  public static let idPrefix = "att"
  public static let resourceName = "attachment"
  public var indexedColumns: KeyValuePairs<String, (any DatabaseValueConvertible)?> {
    ["division_code": divisionCode, "parent": parent]
  }
}

/// The attachments of one service's records, in its own `attachment` table: each service names
/// its kinds of parent and finds their division; the rest is here, once.
public enum AttachmentLedger {
  public typealias Attachment = Governance_Common_V1_Attachment

  /// The table, in the service's migration.
  public static func createTable(_ db: Database) throws {
    try RecordTable.create(db, name: Attachment.table) { table in
      table.column("division_code", .text).notNull()
      table.column("parent", .text).notNull().indexed()
    }
  }

  /// The kind and id of a parent resource name `kind/id`, `kind` one of `kinds`.
  /// - Throws: `DomainError.invalidArgument` naming `parent`.
  public static func parent(_ name: String, kinds: [String]) throws(DomainError) -> (kind: String, id: String) {
    let parts = name.split(separator: "/", omittingEmptySubsequences: false)
    guard parts.count == 2, kinds.contains(String(parts[0])) else {
      throw DomainError.invalidArgument(
        field: "parent", rule: "is one of \(kinds.map { "\($0)/{id}" }.joined(separator: ", "))")
    }
    return (String(parts[0]), try FieldValidation.requiredID(String(parts[1]), field: "parent"))
  }

  /// A file checked and kept before its record is written: its type, its name, and the SHA-256
  /// of the original and of the copy shown to those who do not handle the record.
  public struct Intake: Sendable {
    public var type: Attachments.MediaType
    public var filename: String
    /// Bytes of the original.
    public var sizeBytes: Int
    public var sha256: String
    public var publicSha256: String
  }

  /// Checks a CreateAttachment request's file, strips its metadata and stores both copies.
  /// - Throws: `DomainError.invalidArgument` naming `content` or `filename`.
  public static func take(_ request: Governance_Common_V1_CreateAttachmentRequest, into files: AttachmentFiles)
    throws -> Intake
  {
    let type = try Attachments.checkContent(request.content, field: "content")
    let filename = try FieldValidation.requiredName(
      request.filename.isEmpty ? type.rawValue.replacingOccurrences(of: "/", with: ".") : request.filename,
      field: "filename")
    let clean = try MetadataStripping.stripped(request.content, type: type, field: "content")
    let original = try files.store(request.content)
    return Intake(
      type: type, filename: filename, sizeBytes: request.content.count, sha256: original,
      publicSha256: try clean.map(files.store) ?? original)
  }

  /// Writes the record of a file taken for `parent` (in `divisionCode`, with the step `eventID`).
  /// - Throws: FAILED_PRECONDITION when the record already holds `Attachments.maximumPerRecord`
  ///   files; PERMISSION_DENIED outside the writer's jurisdiction.
  public static func insert(
    _ db: Database, _ intake: Intake, parent: String, divisionCode: String, eventID: String, by principal: Principal,
    at time: Date
  ) throws -> Attachment {
    try checkRoom(db, parent: parent, divisionCode: divisionCode, by: principal)
    return try RecordTable.insertNew(
      db,
      Attachment.with {
        $0.parent = parent
        $0.eventID = eventID
        $0.divisionCode = divisionCode
        $0.filename = intake.filename
        $0.mediaType = intake.type.rawValue
        $0.sizeBytes = Int64(intake.sizeBytes)
        $0.sha256 = intake.sha256
        $0.publicSha256 = intake.publicSha256
      }, by: principal, at: time)
  }

  /// The rule "a writer within the record's jurisdiction adds a file while it holds fewer than
  /// `Attachments.maximumPerRecord`": checked before a file's bytes are kept (so a refused upload
  /// leaves nothing on disk) and again as its record is written. The jurisdiction comes first, so
  /// a caller outside it learns nothing of the record.
  /// - Throws: PERMISSION_DENIED, then FAILED_PRECONDITION.
  public static func checkRoom(_ db: Database, parent: String, divisionCode: String, by principal: Principal) throws {
    try Jurisdiction.checkWritable(divisionCode, by: principal)
    let count =
      try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM attachment WHERE parent = ?", arguments: [parent]) ?? 0
    guard count < Attachments.maximumPerRecord else {
      throw DomainError.failedPrecondition(
        rule: "a record holds at most \(Attachments.maximumPerRecord) attachments", detail: "\(parent) holds \(count)")
    }
  }

  /// The files of `parent`, in upload order.
  public static func list(_ db: Database, parent: String) throws -> [Attachment] {
    try Data.fetchAll(db, sql: "SELECT record FROM attachment WHERE parent = ? ORDER BY id", arguments: [parent])
      .map { try StoredMessage.decode(Attachment.self, from: $0) }
  }

  /// The files of `request.parent`, a record of `type` named `kind/{id}`, in upload order.
  /// - Throws: INVALID_ARGUMENT naming `parent`; NOT_FOUND when the record does not exist.
  public static func list<Record: StoredRecord>(
    _ request: Governance_Common_V1_ListAttachmentsRequest, kind: String, record type: Record.Type,
    in reader: any DatabaseReader
  ) async throws -> Governance_Common_V1_ListAttachmentsResponse {
    let parent = try parent(request.parent, kinds: [kind])
    return try await reader.read { db in
      _ = try RecordTable.fetchRequired(db, type, id: parent.id)
      return try .with { $0.attachments = try list(db, parent: request.parent) }
    }
  }

  /// One file's bytes for `principal`, by the attachment's id (`content(_:from:for:)`).
  /// - Throws: INVALID_ARGUMENT naming `id`; NOT_FOUND; PERMISSION_DENIED as `content` does.
  public static func content(
    id: String, in reader: any DatabaseReader, files: AttachmentFiles, for principal: Principal
  ) async throws -> Governance_Common_V1_GetAttachmentContentResponse {
    let attachmentID = try FieldValidation.requiredID(id, field: "id")
    let attachment = try await reader.read { db in try RecordTable.fetchRequired(db, Attachment.self, id: attachmentID)
    }
    return try content(attachment, from: files, for: principal)
  }

  /// One file's bytes for `principal`: the original for the staff who handle the record
  /// (`Attachments.seesOriginal`), the copy without metadata for everyone else.
  /// - Throws: NOT_FOUND; PERMISSION_DENIED outside the reader's jurisdiction, or for a PDF asked
  ///   by someone who does not handle its record.
  public static func content(_ attachment: Attachment, from files: AttachmentFiles, for principal: Principal) throws
    -> Governance_Common_V1_GetAttachmentContentResponse
  {
    try Jurisdiction.checkReadable(attachment.divisionCode, by: principal)
    let whole = Attachments.seesOriginal(principal, divisionCode: attachment.divisionCode)
    if !whole && attachment.mediaType == Attachments.MediaType.pdf.rawValue {
      throw DomainError.permissionDenied(
        reason: "a PDF attachment is shown only to the staff who handle \(attachment.parent)")
    }
    let content = try files.content(sha256: whole ? attachment.sha256 : attachment.publicSha256)
    return .with {
      $0.attachment = attachment
      $0.content = content
      $0.stripped = !whole && attachment.publicSha256 != attachment.sha256
    }
  }
}
