import Foundation
import GRPCCore
import GovernanceAPI
import ServiceKit
import ServiceLifecycle

/// Call-outs of a team (应急动员), answered by its members and pushed on WatchMobilisations.
extension VolunteersService {
  /// One mobilisation by id; NOT_FOUND when there is none.
  public func getMobilisation(request: Governance_Volunteers_V1_GetMobilisationRequest, context: ServerContext)
    async throws -> Governance_Volunteers_V1_Mobilisation
  {
    let id = try FieldValidation.requiredID(request.id, field: "id")
    return try await store.mobilisation(id: id).orNotFound(id: id)
  }

  /// A page of mobilisations matching the request's filters, held to the caller's jurisdiction, with the next page's token.
  public func listMobilisations(request: Governance_Volunteers_V1_ListMobilisationsRequest, context: ServerContext)
    async throws -> Governance_Volunteers_V1_ListMobilisationsResponse
  {
    try await store.listMobilisations(request)
  }

  /// A member answers a call-out (coming or not, and later arrived); each answer is recorded.
  public func answerMobilisation(request: Governance_Volunteers_V1_AnswerMobilisationRequest, context: ServerContext)
    async throws -> Governance_Volunteers_V1_Mobilisation
  {
    let mobilisation = try await store.answer(request, by: Principal.current)
    publish(mobilisation)
    return mobilisation
  }

  /// Stands a mobilisation down; later answers are refused.
  public func closeMobilisation(request: Governance_Volunteers_V1_CloseMobilisationRequest, context: ServerContext)
    async throws -> Governance_Volunteers_V1_Mobilisation
  {
    let mobilisation = try await store.closeMobilisation(request, by: Principal.current)
    publish(mobilisation)
    return mobilisation
  }

  /// Server stream for one volunteer: first the open mobilisations of their teams (if asked), then each new call-
  /// out or change to one the moment it happens. Stays open until cancelled.
  public func watchMobilisations(
    request: Governance_Volunteers_V1_WatchMobilisationsRequest,
    response: GRPCCore.RPCWriter<Governance_Volunteers_V1_Mobilisation>, context: ServerContext
  ) async throws {
    let volunteer = try FieldValidation.requiredID(request.volunteerID, field: "volunteer_id")
    try await store.checkOwnVolunteer(volunteer, by: Principal.current)
    // Subscribe first, so nothing made between the read of the open ones and the stream is lost.
    let (stream, id) = hub.watch(volunteer)
    try await withGracefulShutdownHandler {
      try await withRPCCancellationHandler {
        if request.includeOpen {
          for mobilisation in try await store.openMobilisations(volunteer: volunteer) {
            try await response.write(mobilisation)
          }
        }
        for await mobilisation in stream { try await response.write(mobilisation) }
      } onCancelRPC: {
        hub.stop(id)
      }
    } onGracefulShutdown: {
      hub.stop(id)
    }
  }

  /// Calls out a team (usually a red-butler emergency squad) for a grid case; the case id is checked with the grid
  /// service. Every active member watching WatchMobilisations gets it at once.
  public func mobiliseTeam(request: Governance_Volunteers_V1_MobiliseTeamRequest, context: ServerContext) async throws
    -> Governance_Volunteers_V1_Mobilisation
  {
    let caseID = try FieldValidation.requiredID(request.caseID, field: "case_id")
    let gridCase = try await peers.gridCase(id: caseID)
    try Mobilisations.checkCase(gridCase)
    let mobilisation = try await store.mobilise(request, gridCase: gridCase, by: Principal.current)
    publish(mobilisation)
    return mobilisation
  }
}
