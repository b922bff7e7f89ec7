import Foundation
import GRDB
import GovernanceAPI
import ServiceKit

/// Photos and PDFs of acceptances, each with the step decision it documents (AttachmentLedger).
extension PropertyStore {
  /// Stores a file for an acceptance (`acceptances/{id}`), with the step decision `event_id`
  /// names (`steps/{index}`), or the latest one.
  /// - Throws: INVALID_ARGUMENT (parent, content, filename, event_id), NOT_FOUND,
  ///   FAILED_PRECONDITION (20 files already), PERMISSION_DENIED (outside the jurisdiction).
  public func createAttachment(
    _ request: Governance_Common_V1_CreateAttachmentRequest, by principal: Principal, at time: Date = Date()
  ) async throws -> Governance_Common_V1_Attachment {
    let parent = try AttachmentLedger.parent(request.parent, kinds: ["acceptances"])
    try await writer.read { db in
      let acceptance = try RecordTable.fetchRequired(db, Acceptance.self, id: parent.id)
      try AttachmentLedger.checkRoom(db, parent: request.parent, divisionCode: acceptance.divisionCode, by: principal)
    }
    let intake = try AttachmentLedger.take(request, into: files)
    return try await writer.write { db in
      try IdempotencyLedger.perform(db, caller: principal, requestID: request.requestID, request: request) {
        let acceptance = try RecordTable.fetchRequired(db, Acceptance.self, id: parent.id)
        let step = try JointAcceptance.attachmentStep(request.eventID, of: acceptance)
        return try AttachmentLedger.insert(
          db, intake, parent: request.parent, divisionCode: acceptance.divisionCode, eventID: step, by: principal,
          at: time)
      }
    }
  }

  /// The files of a record, in upload order (AttachmentLedger.list).
  public func listAttachments(_ request: Governance_Common_V1_ListAttachmentsRequest) async throws
    -> Governance_Common_V1_ListAttachmentsResponse
  {
    try await AttachmentLedger.list(request, kind: "acceptances", record: Acceptance.self, in: writer)
  }

  /// One file's bytes for `principal` (AttachmentLedger.content).
  public func attachmentContent(id: String, for principal: Principal) async throws
    -> Governance_Common_V1_GetAttachmentContentResponse
  {
    try await AttachmentLedger.content(id: id, in: writer, files: files, for: principal)
  }
}
