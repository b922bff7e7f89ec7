import Foundation
import GRPCCore
import GovernanceAPI
import ServiceKit

/// Patrol logs (巡查日志).
extension GridService {
  /// Records a patrol or visit; each finding marked open_case opens a case in the same call.
  public func createPatrol(request: Governance_Grid_V1_CreatePatrolRequest, context: ServerContext) async throws
    -> Governance_Grid_V1_Patrol
  {
    try await store.createPatrol(request, by: Principal.current)
  }

  /// One patrol by id; NOT_FOUND when there is none.
  public func getPatrol(request: Governance_Grid_V1_GetPatrolRequest, context: ServerContext) async throws
    -> Governance_Grid_V1_Patrol
  {
    let id = try FieldValidation.requiredID(request.id, field: "id")
    return try await store.patrol(id: id).orNotFound(id: id)
  }

  /// A page of patrols matching the request's filters, held to the caller's jurisdiction, with the next page's token.
  public func listPatrols(request: Governance_Grid_V1_ListPatrolsRequest, context: ServerContext) async throws
    -> Governance_Grid_V1_ListPatrolsResponse
  {
    try await store.listPatrols(request)
  }
}
