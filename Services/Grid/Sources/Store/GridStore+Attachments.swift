import Foundation
import GRDB
import GovernanceAPI
import ServiceKit

extension Governance_Common_V1_Attachment: StoredRecord {
  public static let table = "attachment"
  public static let idPrefix = "att"
  public static let resourceName = "attachment"
  public var indexedColumns: KeyValuePairs<String, (any DatabaseValueConvertible)?> {
    ["division_code": divisionCode, "parent": parent]
  }
}

/// Photos and PDFs of cases (with the step they came with) and patrols.
extension GridStore {
  public typealias Attachment = Governance_Common_V1_Attachment

  /// The record a parent resource name points to: its division and, for a case, its latest
  /// event. NOT_FOUND when missing; INVALID_ARGUMENT when the name is neither `cases/{id}` nor
  /// `patrols/{id}`.
  static func attachmentParent(_ db: Database, _ parent: String, field: String) throws -> (
    divisionCode: String, caseID: String?
  ) {
    let parts = parent.split(separator: "/", omittingEmptySubsequences: false)
    guard parts.count == 2, ["cases", "patrols"].contains(parts[0]) else {
      throw DomainError.invalidArgument(field: field, rule: "is cases/{id} or patrols/{id}")
    }
    let id = try FieldValidation.requiredID(String(parts[1]), field: field)
    if parts[0] == "cases" {
      return (try RecordTable.fetchRequired(db, GridCase.self, id: id).divisionCode, id)
    }
    return (try RecordTable.fetchRequired(db, Governance_Grid_V1_Patrol.self, id: id).divisionCode, nil)
  }

  /// Stores a file for a case or patrol: its type checked from its content, its metadata
  /// stripped into a second copy, both kept by SHA-256 before the record is written.
  /// - Throws: INVALID_ARGUMENT (parent, content, filename, event_id), NOT_FOUND (the record),
  ///   FAILED_PRECONDITION (the record already holds 20 files), PERMISSION_DENIED (outside the
  ///   caller's jurisdiction).
  public func createAttachment(
    _ request: Governance_Common_V1_CreateAttachmentRequest, by principal: Principal, at time: Date = Date()
  ) async throws -> Attachment {
    let type = try Attachments.checkContent(request.content, field: "content")
    let filename = try FieldValidation.optionalText(request.filename, field: "filename", maximumLength: 100)
    if filename.contains(where: \.isNewline) {
      throw DomainError.invalidArgument(field: "filename", rule: "is one line")
    }
    let clean = try MetadataStripping.stripped(request.content, type: type, field: "content")
    let original = try files.store(request.content)
    let shown = try clean.map(files.store) ?? original
    return try await writer.write { db in
      try IdempotencyLedger.perform(db, caller: principal, requestID: request.requestID, request: request) {
        let parent = try Self.attachmentParent(db, request.parent, field: "parent")
        let count =
          try Int.fetchOne(
            db, sql: "SELECT COUNT(*) FROM attachment WHERE parent = ?", arguments: [request.parent]) ?? 0
        guard count < Attachments.maximumPerRecord else {
          throw DomainError.failedPrecondition(
            rule: "a record holds at most \(Attachments.maximumPerRecord) attachments",
            detail: "\(request.parent) holds \(count)")
        }
        var eventID = ""
        if let caseID = parent.caseID {
          if request.eventID.isEmpty {
            eventID =
              try String.fetchOne(
                db, sql: "SELECT id FROM case_event WHERE case_id = ? ORDER BY id DESC LIMIT 1", arguments: [caseID])
              ?? ""
          } else {
            let event = try RecordTable.fetchRequired(db, CaseEvent.self, id: request.eventID)
            guard event.caseID == caseID else {
              throw DomainError.invalidArgument(
                field: "event_id", rule: "is an event of \(request.parent); \(request.eventID) is not")
            }
            eventID = event.id
          }
        } else if !request.eventID.isEmpty {
          throw DomainError.invalidArgument(field: "event_id", rule: "is given for a case only")
        }
        return try RecordTable.insertNew(
          db,
          Attachment.with {
            $0.parent = request.parent
            $0.eventID = eventID
            $0.divisionCode = parent.divisionCode
            $0.filename = filename
            $0.mediaType = type.rawValue
            $0.sizeBytes = Int64(request.content.count)
            $0.sha256 = original
            $0.publicSha256 = shown
          }, by: principal, at: time)
      }
    }
  }

  /// The files of a record, in upload order.
  public func listAttachments(_ request: Governance_Common_V1_ListAttachmentsRequest) async throws
    -> Governance_Common_V1_ListAttachmentsResponse
  {
    try await writer.read { db in
      _ = try Self.attachmentParent(db, request.parent, field: "parent")
      let records = try Data.fetchAll(
        db, sql: "SELECT record FROM attachment WHERE parent = ? ORDER BY id", arguments: [request.parent])
      return try .with { $0.attachments = try records.map { try StoredMessage.decode(Attachment.self, from: $0) } }
    }
  }

  /// One file's bytes for `principal`: the original for the staff who handle the record
  /// (Attachments.seesOriginal), the copy without metadata for everyone else.
  /// - Throws: NOT_FOUND; PERMISSION_DENIED for a PDF asked by someone who does not handle it.
  public func attachmentContent(id: String, for principal: Principal) async throws
    -> Governance_Common_V1_GetAttachmentContentResponse
  {
    let attachmentID = try FieldValidation.requiredID(id, field: "id")
    let attachment = try await writer.read { db in
      try RecordTable.fetchRequired(db, Attachment.self, id: attachmentID)
    }
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
