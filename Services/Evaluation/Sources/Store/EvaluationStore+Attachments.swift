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
    try await writer.read { db in
      let order = try RecordTable.fetchRequired(db, Governance_Evaluation_V1_RectificationOrder.self, id: parent.id)
      try AttachmentLedger.checkRoom(db, parent: request.parent, divisionCode: order.divisionCode, by: principal)
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

  /// The files of a record, in upload order (AttachmentLedger.list).
  public func listAttachments(_ request: Governance_Common_V1_ListAttachmentsRequest) async throws
    -> Governance_Common_V1_ListAttachmentsResponse
  {
    try await AttachmentLedger.list(
      request, kind: "rectification_orders", record: Governance_Evaluation_V1_RectificationOrder.self, in: writer)
  }

  /// One file's bytes for `principal` (AttachmentLedger.content).
  public func attachmentContent(id: String, for principal: Principal) async throws
    -> Governance_Common_V1_GetAttachmentContentResponse
  {
    try await AttachmentLedger.content(id: id, in: writer, files: files, for: principal)
  }
}
