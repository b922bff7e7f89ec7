import Foundation
import GRDB
import GovernanceAPI
import ServiceKit

/// Photos and PDFs of rectification orders (AttachmentLedger).
extension EvaluationStore {
  /// Stores a file for a rectification order (`rectification_orders/{id}`).
  /// - Throws: INVALID_ARGUMENT (parent, content, filename, event_id), NOT_FOUND,
  ///   FAILED_PRECONDITION (20 files already), PERMISSION_DENIED (outside the jurisdiction).
  public func createAttachment(
    _ request: Governance_Common_V1_CreateAttachmentRequest, by principal: Principal, at time: Date = Date()
  ) async throws -> Governance_Common_V1_Attachment {
    let parent = try AttachmentLedger.parent(request.parent, kinds: ["rectification_orders"])
    guard request.eventID.isEmpty else {
      throw DomainError.invalidArgument(field: "event_id", rule: "is given for a case or an acceptance only")
    }
    let intake = try AttachmentLedger.take(request, into: files)
    return try await writer.write { db in
      try IdempotencyLedger.perform(db, caller: principal, requestID: request.requestID, request: request) {
        let order = try RecordTable.fetchRequired(db, Governance_Evaluation_V1_RectificationOrder.self, id: parent.id)
        return try AttachmentLedger.insert(
          db, intake, parent: request.parent, divisionCode: order.divisionCode, eventID: "", by: principal, at: time)
      }
    }
  }

  /// The files of a rectification order, in upload order.
  public func listAttachments(_ request: Governance_Common_V1_ListAttachmentsRequest) async throws
    -> Governance_Common_V1_ListAttachmentsResponse
  {
    let parent = try AttachmentLedger.parent(request.parent, kinds: ["rectification_orders"])
    return try await writer.read { db in
      _ = try RecordTable.fetchRequired(db, Governance_Evaluation_V1_RectificationOrder.self, id: parent.id)
      return try .with { $0.attachments = try AttachmentLedger.list(db, parent: request.parent) }
    }
  }

  /// One file's bytes for `principal` (AttachmentLedger.content).
  public func attachmentContent(id: String, for principal: Principal) async throws
    -> Governance_Common_V1_GetAttachmentContentResponse
  {
    let attachmentID = try FieldValidation.requiredID(id, field: "id")
    let attachment = try await writer.read { db in
      try RecordTable.fetchRequired(db, Governance_Common_V1_Attachment.self, id: attachmentID)
    }
    return try AttachmentLedger.content(attachment, from: files, for: principal)
  }
}
