import GRPCCore
import GovernanceAPI
import ServiceKit

/// Attachments (附件) of rectification orders: the problem as found and the work as done.
extension EvaluationService {
  /// Stores a photo or PDF for a rectification order.
  public func createAttachment(request: Governance_Common_V1_CreateAttachmentRequest, context: ServerContext)
    async throws -> Governance_Common_V1_Attachment
  {
    try await store.createAttachment(request, by: Principal.current)
  }

  /// The files of a rectification order, in upload order.
  public func listAttachments(request: Governance_Common_V1_ListAttachmentsRequest, context: ServerContext)
    async throws -> Governance_Common_V1_ListAttachmentsResponse
  {
    try await store.listAttachments(request)
  }

  /// One file's bytes: the original for the staff who handle the record, the copy without metadata for everyone else.
  public func getAttachmentContent(
    request: Governance_Common_V1_GetAttachmentContentRequest, context: ServerContext
  ) async throws -> Governance_Common_V1_GetAttachmentContentResponse {
    try await store.attachmentContent(id: request.id, for: Principal.current)
  }
}
