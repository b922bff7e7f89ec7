import Foundation
import GRPCCore
import GovernanceAPI
import ServiceKit

/// Service posts (服务岗) and the claims on them.
extension VolunteersService {
  /// A community publishes a post with a capacity and the skills wanted.
  public func createServicePost(request: Governance_Volunteers_V1_CreateServicePostRequest, context: ServerContext)
    async throws -> Governance_Volunteers_V1_ServicePost
  {
    try await store.createPost(request, by: Principal.current)
  }

  /// One service post by id; NOT_FOUND when there is none.
  public func getServicePost(request: Governance_Volunteers_V1_GetServicePostRequest, context: ServerContext)
    async throws -> Governance_Volunteers_V1_ServicePost
  {
    let id = try FieldValidation.requiredID(request.id, field: "id")
    return try await store.post(id: id).orNotFound(id: id)
  }

  /// A page of service posts matching the request's filters, held to the caller's jurisdiction, with the next page's token.
  public func listServicePosts(request: Governance_Volunteers_V1_ListServicePostsRequest, context: ServerContext)
    async throws -> Governance_Volunteers_V1_ListServicePostsResponse
  {
    try await store.listPosts(request)
  }

  /// Changes title, details, skills, time or capacity (never below the places already claimed).
  public func updateServicePost(request: Governance_Volunteers_V1_UpdateServicePostRequest, context: ServerContext)
    async throws -> Governance_Volunteers_V1_ServicePost
  {
    try await store.updatePost(request, by: Principal.current)
  }

  /// Stops a post taking claims; claims already made stay.
  public func closeServicePost(request: Governance_Volunteers_V1_CloseServicePostRequest, context: ServerContext)
    async throws -> Governance_Volunteers_V1_ServicePost
  {
    try await store.closePost(request, by: Principal.current)
  }

  /// A volunteer claims a place (认领). One claim per volunteer and post (a second is ALREADY_EXISTS). When the post
  /// is full: FAILED_PRECONDITION, or a waitlist place if join_waitlist is set. Of two claims for the last place at
  /// the same moment exactly one wins.
  public func claimPost(request: Governance_Volunteers_V1_ClaimPostRequest, context: ServerContext) async throws
    -> Governance_Volunteers_V1_PostClaim
  {
    try await store.claimPost(request, by: Principal.current)
  }

  /// A volunteer gives up a place or leaves the waitlist; a freed place goes to the first on the waitlist.
  public func releasePost(request: Governance_Volunteers_V1_ReleasePostRequest, context: ServerContext) async throws
    -> Governance_Volunteers_V1_PostClaim
  {
    try await store.releasePost(request, by: Principal.current)
  }

  /// The claims of a post or of a volunteer, with waitlist positions.
  public func listPostClaims(request: Governance_Volunteers_V1_ListPostClaimsRequest, context: ServerContext)
    async throws -> Governance_Volunteers_V1_ListPostClaimsResponse
  {
    try await store.listClaims(request)
  }
}
