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

  /// Takes a register of volunteers, at most 500 rows a call: a row's key is the digest of the volunteer's ID number,
  /// else of their phone; a volunteer found is changed in the fields the row gives by UpdateVolunteer's rules
  /// (UNCHANGED when it holds them already), else one is created by CreateVolunteer's, its contact sealed. A compound
  /// named by compound_name is found with the property service and party members are checked with the organisation
  /// service before the batch is written. Each row is held to the caller's jurisdiction; one that breaks a rule is
  /// FAILED and the rest go in; validate_only writes nothing.
  public func importVolunteers(request: Governance_Volunteers_V1_ImportVolunteersRequest, context: ServerContext)
    async throws -> Governance_Common_V1_ImportResponse
  {
    try ImportBatch.checkSize(request.rows.count)
    var lookups = VolunteerRegisterLookups()
    var checkedMembers: Set<String> = []
    for row in request.rows {
      let volunteer = row.volunteer
      if volunteer.compoundID.isEmpty, !row.compoundName.isEmpty,
        let name = try? FieldValidation.requiredName(row.compoundName, field: "compound_name"),
        let community = try? DivisionCode(volunteer.divisionCode, field: "volunteer.division_code"),
        community.level == .community
      {
        let key = VolunteerRegisterLookups.key(community: community.code, name: name)
        if lookups.compounds[key] == nil {
          lookups.compounds[key] = try await Self.rowAnswer {
            try await peers.compoundID(named: name, in: community.code)
          }
        }
      }
      if volunteer.hasPartyMemberID,
        let id = try? FieldValidation.requiredID(volunteer.partyMemberID, field: "volunteer.party_member_id"),
        checkedMembers.insert(id).inserted,
        case .failure(let refusal) = try await Self.rowAnswer({
          try await peers.partyMember(id: id, field: "volunteer.party_member_id").id
        })
      {
        lookups.refusedPartyMembers[id] = refusal
      }
    }
    return try await store.importVolunteers(request, lookups: lookups, by: Principal.current)
  }

  /// What a peer answered for one register row: its value, or the refusal that fails the row. A
  /// peer that cannot answer fails the whole call, which may then be retried.
  static func rowAnswer(_ ask: () async throws -> String) async throws -> Result<String, DomainError> {
    do {
      return .success(try await ask())
    } catch let error as DomainError {
      if case .peerUnavailable = error { throw error }
      return .failure(error)
    }
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
