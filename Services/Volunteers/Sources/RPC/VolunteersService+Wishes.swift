import Foundation
import GRPCCore
import GovernanceAPI
import ServiceKit

/// Micro-wishes (微心愿): made, claimed, fulfilled, confirmed or cancelled.
extension VolunteersService {
  /// Posts a wish by a resident, or by community staff on a resident's behalf.
  public func createMicroWish(request: Governance_Volunteers_V1_CreateMicroWishRequest, context: ServerContext)
    async throws -> Governance_Volunteers_V1_MicroWish
  {
    try await store.createWish(request, by: Principal.current)
  }

  /// Reads one wish; the resident is masked unless reveal_resident is set by an allowed staff caller (audited).
  public func getMicroWish(request: Governance_Volunteers_V1_GetMicroWishRequest, context: ServerContext) async throws
    -> Governance_Volunteers_V1_MicroWish
  {
    let id = try FieldValidation.requiredID(request.id, field: "id")
    return try await store.wish(id: id, reveal: request.revealResident, by: Principal.current).orNotFound(id: id)
  }

  /// Lists wishes; residents always masked.
  public func listMicroWishes(request: Governance_Volunteers_V1_ListMicroWishesRequest, context: ServerContext)
    async throws -> Governance_Volunteers_V1_ListMicroWishesResponse
  {
    try await store.listWishes(request)
  }

  /// A volunteer, team or paired unit claims an open wish; of two concurrent claims one wins.
  public func claimMicroWish(request: Governance_Volunteers_V1_ClaimMicroWishRequest, context: ServerContext)
    async throws -> Governance_Volunteers_V1_MicroWish
  {
    let now = Date()
    return try await store.moveWish(
      requestID: request.requestID, request: request, wishID: request.wishID, to: .claimed,
      by: Principal.current, at: now
    ) { db, wish in
      wish.claimant = try VolunteersStore.claimant(db, request.claimant, of: wish, by: Principal.current)
      wish.claimTime = .init(date: now)
    }
  }

  /// The claimant reports the wish fulfilled, with a note.
  public func fulfilMicroWish(request: Governance_Volunteers_V1_FulfilMicroWishRequest, context: ServerContext)
    async throws -> Governance_Volunteers_V1_MicroWish
  {
    let note = try FieldValidation.requiredName(request.note, field: "note", maximumLength: 500)
    let now = Date()
    return try await store.moveWish(
      requestID: request.requestID, request: request, wishID: request.wishID, to: .fulfilled,
      by: Principal.current, at: now
    ) { _, wish in
      wish.fulfilNote = note
      wish.fulfilTime = .init(date: now)
    }
  }

  /// The resident (or staff who spoke to them) confirms a fulfilled wish.
  public func confirmMicroWish(request: Governance_Volunteers_V1_ConfirmMicroWishRequest, context: ServerContext)
    async throws -> Governance_Volunteers_V1_MicroWish
  {
    let comment = try FieldValidation.optionalText(request.comment, field: "comment", maximumLength: 500)
    let now = Date()
    return try await store.moveWish(
      requestID: request.requestID, request: request, wishID: request.wishID, to: .confirmed,
      by: Principal.current, at: now
    ) { _, wish in
      wish.confirmComment = comment
      wish.confirmTime = .init(date: now)
    }
  }

  /// The resident or community withdraws a wish not yet fulfilled.
  public func cancelMicroWish(request: Governance_Volunteers_V1_CancelMicroWishRequest, context: ServerContext)
    async throws -> Governance_Volunteers_V1_MicroWish
  {
    let reason = try FieldValidation.requiredName(request.reason, field: "reason", maximumLength: 500)
    return try await store.moveWish(
      requestID: request.requestID, request: request, wishID: request.wishID, to: .cancelled,
      by: Principal.current, at: Date()
    ) { _, wish in wish.cancelReason = reason }
  }
}
