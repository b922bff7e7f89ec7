import Foundation
import GRDB
import GovernanceAPI
import ServiceKit

/// Photos and PDFs of cases (with the step they came with) and patrols (AttachmentLedger).
extension GridStore {
  public typealias Attachment = Governance_Common_V1_Attachment

  /// The record a parent resource name points to: its division and, for a case, its id.
  /// NOT_FOUND when missing; INVALID_ARGUMENT when the name is neither `cases/{id}` nor
  /// `patrols/{id}`.
  static func attachmentParent(_ db: Database, _ name: String) throws -> (divisionCode: String, caseID: String?) {
    let parent = try AttachmentLedger.parent(name, kinds: ["cases", "patrols"])
    if parent.kind == "cases" {
      return (try RecordTable.fetchRequired(db, GridCase.self, id: parent.id).divisionCode, parent.id)
    }
    return (try RecordTable.fetchRequired(db, Governance_Grid_V1_Patrol.self, id: parent.id).divisionCode, nil)
  }

  /// Stores a file for a case or patrol: its type checked from its content, its metadata
  /// stripped into a second copy, both kept by SHA-256 before the record is written. A case's
  /// file comes with the step `event_id` names, or the case's latest.
  /// - Throws: INVALID_ARGUMENT (parent, content, filename, event_id), NOT_FOUND (the record),
  ///   FAILED_PRECONDITION (the record already holds 20 files), PERMISSION_DENIED (outside the
  ///   caller's jurisdiction).
  public func createAttachment(
    _ request: Governance_Common_V1_CreateAttachmentRequest, by principal: Principal, at time: Date = Date()
  ) async throws -> Attachment {
    try await writer.read { db in
      let parent = try Self.attachmentParent(db, request.parent)
      try Self.checkResidentPhoto(db, parent: parent, by: principal)
      try AttachmentLedger.checkRoom(db, parent: request.parent, divisionCode: parent.divisionCode, by: principal)
    }
    let intake = try AttachmentLedger.take(request, into: files)
    return try await writer.write { db in
      try IdempotencyLedger.perform(db, caller: principal, requestID: request.requestID, request: request) {
        let parent = try Self.attachmentParent(db, request.parent)
        try Self.checkResidentPhoto(db, parent: parent, by: principal)
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
        return try AttachmentLedger.insert(
          db, intake, parent: request.parent, divisionCode: parent.divisionCode, eventID: eventID, by: principal,
          at: time)
      }
    }
  }

  /// A resident's file goes only with their own waiting report (`ResidentReports.checkPhoto`),
  /// never with a patrol.
  static func checkResidentPhoto(
    _ db: Database, parent: (divisionCode: String, caseID: String?), by principal: Principal
  ) throws {
    guard principal.service == nil, principal.role == .resident else { return }
    guard let caseID = parent.caseID else {
      throw DomainError.permissionDenied(reason: "a resident adds photos only to a case they reported")
    }
    try ResidentReports.checkPhoto(try RecordTable.fetchRequired(db, GridCase.self, id: caseID), by: principal)
  }

  /// The files of a record, in upload order.
  public func listAttachments(_ request: Governance_Common_V1_ListAttachmentsRequest) async throws
    -> Governance_Common_V1_ListAttachmentsResponse
  {
    try await writer.read { db in
      _ = try Self.attachmentParent(db, request.parent)
      return try .with { $0.attachments = try AttachmentLedger.list(db, parent: request.parent) }
    }
  }

  /// One file's bytes for `principal` (AttachmentLedger.content).
  public func attachmentContent(id: String, for principal: Principal) async throws
    -> Governance_Common_V1_GetAttachmentContentResponse
  {
    try await AttachmentLedger.content(id: id, in: writer, files: files, for: principal)
  }
}
