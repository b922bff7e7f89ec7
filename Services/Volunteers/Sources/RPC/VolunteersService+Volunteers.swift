import Foundation
import GRPCCore
import GovernanceAPI
import ServiceKit

/// Volunteers (志愿者).
extension VolunteersService {
  /// Registers a volunteer. A party_member_id is checked with the organisation service; property staff are
  /// registered when hired.
  public func createVolunteer(request: Governance_Volunteers_V1_CreateVolunteerRequest, context: ServerContext)
    async throws -> Governance_Volunteers_V1_Volunteer
  {
    let volunteer = try VolunteerRegistry.validate(
      try ResidentVolunteering.stamp(request.volunteer, by: Principal.current))
    if volunteer.hasPartyMemberID {
      _ = try await peers.partyMember(id: volunteer.partyMemberID, field: "volunteer.party_member_id")
    }
    return try await store.createVolunteer(request, validated: volunteer, by: Principal.current)
  }

  /// Reads one volunteer; contact masked unless reveal_contact is set by an allowed staff caller (audited).
  public func getVolunteer(request: Governance_Volunteers_V1_GetVolunteerRequest, context: ServerContext) async throws
    -> Governance_Volunteers_V1_Volunteer
  {
    let id = try FieldValidation.requiredID(request.id, field: "id")
    return try await store.volunteer(id: id, reveal: request.revealContact, by: Principal.current)
      .orNotFound(id: id)
  }

  /// Lists volunteers; contact always masked.
  public func listVolunteers(request: Governance_Volunteers_V1_ListVolunteersRequest, context: ServerContext)
    async throws -> Governance_Volunteers_V1_ListVolunteersResponse
  {
    try await store.listVolunteers(request)
  }

  /// Changes the fields of a volunteer that the update mask names; INVALID_ARGUMENT for a path that may not change.
  public func updateVolunteer(request: Governance_Volunteers_V1_UpdateVolunteerRequest, context: ServerContext)
    async throws -> Governance_Volunteers_V1_Volunteer
  {
    let (volunteer, paths) = try await store.proposedUpdate(request)
    if paths.contains("party_member_id"), volunteer.hasPartyMemberID {
      _ = try await peers.partyMember(id: volunteer.partyMemberID, field: "volunteer.party_member_id")
    }
    return try await store.saveVolunteer(volunteer, paths: paths, by: Principal.current)
  }
}
