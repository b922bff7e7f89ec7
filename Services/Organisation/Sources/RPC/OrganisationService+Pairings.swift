import Foundation
import GRPCCore
import GovernanceAPI
import ServiceKit

/// Paired units (共建单位) and their pairings, help and evaluations.
extension OrganisationService {
  /// Registers a paired unit; INVALID_ARGUMENT names the field a rule refuses, and a retried request_id returns the first answer.
  public func createPairedUnit(request: Governance_Organisation_V1_CreatePairedUnitRequest, context: ServerContext)
    async throws -> Governance_Organisation_V1_PairedUnit
  {
    try await store.createPairedUnit(request, by: Principal.current)
  }

  /// A page of paired units matching the request's filters, held to the caller's jurisdiction, with the next page's token.
  public func listPairedUnits(request: Governance_Organisation_V1_ListPairedUnitsRequest, context: ServerContext)
    async throws -> Governance_Organisation_V1_ListPairedUnitsResponse
  {
    try await store.listPairedUnits(request)
  }

  /// Pairs a unit with a compound (typically a three-no compound) or a community.
  public func createPairing(request: Governance_Organisation_V1_CreatePairingRequest, context: ServerContext)
    async throws -> Governance_Organisation_V1_Pairing
  {
    let compound =
      request.compoundID.isEmpty
      ? nil : try await property.compound(id: try FieldValidation.requiredID(request.compoundID, field: "compound_id"))
    return try await store.createPairing(request, compound: compound, by: Principal.current)
  }

  /// Sets the status and notes of one of the five helps of a pairing.
  public func updatePairingHelp(request: Governance_Organisation_V1_UpdatePairingHelpRequest, context: ServerContext)
    async throws -> Governance_Organisation_V1_Pairing
  {
    try await store.updatePairingHelp(request, by: Principal.current)
  }

  /// A page of pairings matching the request's filters, held to the caller's jurisdiction, with the next page's token.
  public func listPairings(request: Governance_Organisation_V1_ListPairingsRequest, context: ServerContext) async throws
    -> Governance_Organisation_V1_ListPairingsResponse
  {
    try await store.listPairings(request)
  }

  /// Records the street's quarterly evaluation of a pairing; one per pairing and quarter.
  public func recordPairingEvaluation(
    request: Governance_Organisation_V1_RecordPairingEvaluationRequest, context: ServerContext
  ) async throws -> Governance_Organisation_V1_PairingEvaluation {
    try await store.recordPairingEvaluation(request, by: Principal.current)
  }

  /// A page of pairing evaluations matching the request's filters, held to the caller's jurisdiction, with the next page's token.
  public func listPairingEvaluations(
    request: Governance_Organisation_V1_ListPairingEvaluationsRequest, context: ServerContext
  ) async throws -> Governance_Organisation_V1_ListPairingEvaluationsResponse {
    try await store.listPairingEvaluations(request)
  }
}
