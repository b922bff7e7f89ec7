import Foundation
import GRPCCore
import GovernanceAPI
import ServiceKit

/// Service projects (服务项目).
extension VolunteersService {
  /// Registers a service project; INVALID_ARGUMENT names the field a rule refuses, and a retried request_id returns the first answer.
  public func createServiceProject(
    request: Governance_Volunteers_V1_CreateServiceProjectRequest, context: ServerContext
  ) async throws -> Governance_Volunteers_V1_ServiceProject {
    try await store.createProject(request, by: Principal.current)
  }

  /// One service project by id; NOT_FOUND when there is none.
  public func getServiceProject(request: Governance_Volunteers_V1_GetServiceProjectRequest, context: ServerContext)
    async throws -> Governance_Volunteers_V1_ServiceProject
  {
    let id = try FieldValidation.requiredID(request.id, field: "id")
    return try await store.project(id: id).orNotFound(id: id)
  }

  /// A page of service projects matching the request's filters, held to the caller's jurisdiction, with the next page's token.
  public func listServiceProjects(request: Governance_Volunteers_V1_ListServiceProjectsRequest, context: ServerContext)
    async throws -> Governance_Volunteers_V1_ListServiceProjectsResponse
  {
    try await store.listProjects(request)
  }

  /// Changes the fields of a service project that the update mask names; INVALID_ARGUMENT for a path that may not change.
  public func updateServiceProject(
    request: Governance_Volunteers_V1_UpdateServiceProjectRequest, context: ServerContext
  ) async throws -> Governance_Volunteers_V1_ServiceProject {
    try await store.updateProject(request, by: Principal.current)
  }
}
