import Foundation
import GRPCCore
import GovernanceAPI
import ServiceKit

/// Party members (党员): registration, transfers, community check-in (双报到) and revealed contacts.
extension OrganisationService {
  /// Registers an in-service member at the community where they live or serve.
  public func registerAtCommunity(
    request: Governance_Organisation_V1_RegisterAtCommunityRequest, context: ServerContext
  ) async throws -> Governance_Organisation_V1_CommunityRegistration {
    try await store.registerAtCommunity(request, by: Principal.current)
  }

  /// Registrations by community or street (division prefix) or by member.
  public func listCommunityRegistrations(
    request: Governance_Organisation_V1_ListCommunityRegistrationsRequest, context: ServerContext
  ) async throws -> Governance_Organisation_V1_ListCommunityRegistrationsResponse {
    try await store.listRegistrations(request)
  }

  /// Counts active registrations under a prefix, grouped by community or by street.
  public func countCommunityRegistrations(
    request: Governance_Organisation_V1_CountCommunityRegistrationsRequest, context: ServerContext
  ) async throws -> Governance_Organisation_V1_CountCommunityRegistrationsResponse {
    try await store.countRegistrations(request)
  }

  /// Changes the fields of a member that the update mask names; INVALID_ARGUMENT for a path that may not change.
  public func updateMember(request: Governance_Organisation_V1_UpdateMemberRequest, context: ServerContext) async throws
    -> Governance_Organisation_V1_PartyMember
  {
    try await store.updateMember(request, by: Principal.current)
  }

  /// Registers a member; INVALID_ARGUMENT names the field a rule refuses, and a retried request_id returns the first answer.
  public func createMember(request: Governance_Organisation_V1_CreateMemberRequest, context: ServerContext) async throws
    -> Governance_Organisation_V1_PartyMember
  {
    try await store.createMember(request, by: Principal.current)
  }

  /// Returns the member with personal data masked.
  public func getMember(request: Governance_Organisation_V1_GetMemberRequest, context: ServerContext) async throws
    -> Governance_Organisation_V1_PartyMember
  {
    let id = try FieldValidation.requiredID(request.id, field: "id")
    return try await store.member(id: id).orNotFound(id: id)
  }

  /// Personal data is masked in every item.
  public func listMembers(request: Governance_Organisation_V1_ListMembersRequest, context: ServerContext) async throws
    -> Governance_Organisation_V1_ListMembersResponse
  {
    try await store.listMembers(request)
  }

  /// Moves a member to another organisation; the transfer is kept in the member's history.
  public func transferMember(request: Governance_Organisation_V1_TransferMemberRequest, context: ServerContext)
    async throws -> Governance_Organisation_V1_PartyMember
  {
    try await store.transferMember(request, by: Principal.current)
  }

  /// Every transfer of one member, oldest first; NOT_FOUND for an unknown member.
  public func listMemberTransfers(
    request: Governance_Organisation_V1_ListMemberTransfersRequest, context: ServerContext
  ) async throws -> Governance_Organisation_V1_ListMemberTransfersResponse {
    try await store.memberTransfers(request)
  }

  /// The only call that returns a person's phone and ID number in full; every call is recorded with the caller and
  /// the reason.
  public func revealContact(request: Governance_Organisation_V1_RevealContactRequest, context: ServerContext)
    async throws -> Governance_Organisation_V1_RevealContactResponse
  {
    try await store.revealContact(request, by: Principal.current)
  }
}

extension OrganisationService {
  /// Takes a register of party members (党员台账), at most 500 rows a call: each row matched by
  /// the digest of its ID number, created or updated by CreateMember's and UpdateMember's rules,
  /// one result per row; a row that breaks a rule is FAILED and the others go in.
  public func importMembers(request: Governance_Organisation_V1_ImportMembersRequest, context: ServerContext)
    async throws -> Governance_Common_V1_ImportResponse
  {
    try await store.importMembers(request, by: Principal.current)
  }
}
