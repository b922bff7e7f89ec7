import GRPCCore
import GovernanceAPI
import ServiceKit

/// Attachments (附件) of acceptances: the photos and reports each step decision rests on.
extension PropertyService {
  /// Stores a photo or PDF for an acceptance, with the step decision it documents.
  public func createAttachment(request: Governance_Common_V1_CreateAttachmentRequest, context: ServerContext)
    async throws -> Governance_Common_V1_Attachment
  {
    try await store.createAttachment(request, by: Principal.current)
  }

  /// The files of an acceptance, in upload order.
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
