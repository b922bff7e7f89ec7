import Foundation
import GRPCCore
import GovernanceAPI
import ServiceKit

/// Volunteer teams (志愿服务队) and their members.
extension VolunteersService {
  /// Registers a team; INVALID_ARGUMENT names the field a rule refuses, and a retried request_id returns the first answer.
  public func createTeam(request: Governance_Volunteers_V1_CreateTeamRequest, context: ServerContext) async throws
    -> Governance_Volunteers_V1_Team
  {
    try await store.createTeam(request, by: Principal.current)
  }

  /// One team by id; NOT_FOUND when there is none.
  public func getTeam(request: Governance_Volunteers_V1_GetTeamRequest, context: ServerContext) async throws
    -> Governance_Volunteers_V1_Team
  {
    let id = try FieldValidation.requiredID(request.id, field: "id")
    return try await store.team(id: id).orNotFound(id: id)
  }

  /// A page of teams matching the request's filters, held to the caller's jurisdiction, with the next page's token.
  public func listTeams(request: Governance_Volunteers_V1_ListTeamsRequest, context: ServerContext) async throws
    -> Governance_Volunteers_V1_ListTeamsResponse
  {
    try await store.listTeams(request)
  }

  /// Changes name, kind, leader, compounds served or active flag (a disbanded team stays on record).
  public func updateTeam(request: Governance_Volunteers_V1_UpdateTeamRequest, context: ServerContext) async throws
    -> Governance_Volunteers_V1_Team
  {
    try await store.updateTeam(request, by: Principal.current)
  }

  /// Adds a volunteer to a team; ALREADY_EXISTS if already a member.
  public func addTeamMember(request: Governance_Volunteers_V1_AddTeamMemberRequest, context: ServerContext) async throws
    -> Governance_Volunteers_V1_Team
  {
    try await store.addTeamMember(request, by: Principal.current)
  }

  /// Removes a volunteer from a team; the leader must be replaced first.
  public func removeTeamMember(request: Governance_Volunteers_V1_RemoveTeamMemberRequest, context: ServerContext)
    async throws -> Governance_Volunteers_V1_Team
  {
    try await store.removeTeamMember(request, by: Principal.current)
  }

}
