import Foundation
import GRPCCore
import GovernanceAPI
import ServiceKit

/// Deadline policies and the case figures.
extension GridService {
  /// The policy in force for a division: its own, or else the nearest ancestor's, or else the built-in default.
  public func getDeadlinePolicy(request: Governance_Grid_V1_GetDeadlinePolicyRequest, context: ServerContext)
    async throws -> Governance_Grid_V1_DeadlinePolicy
  {
    let division = try DivisionCode(request.divisionCode, field: "division_code")
    return try await store.deadlinePolicy(for: division.code)
  }

  /// Sets (replaces) the policy of a division; it applies to cases in that division and below.
  public func setDeadlinePolicy(request: Governance_Grid_V1_SetDeadlinePolicyRequest, context: ServerContext)
    async throws -> Governance_Grid_V1_DeadlinePolicy
  {
    try await store.setDeadlinePolicy(request, by: Principal.current)
  }

}
