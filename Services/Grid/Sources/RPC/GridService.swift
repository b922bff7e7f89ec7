import GRPCCore
import GovernanceAPI
import ServiceKit

/// `governance.grid.v1.GridService` (网格化管理): divisions and grids, grid workers and their
/// roster, patrols, the case workflow with escalation, and sensor alarms.
///
/// One method per RPC, grouped by resource in `GridService+<Resource>.swift`. A method validates
/// what the request names, then calls one store transaction; the rules live in Domain/
/// (`CaseWorkflow`, `CaseEscalation`, `DutyRoster`), errors become status codes in ServiceKit.
public struct GridService: Governance_Grid_V1_GridService.SimpleServiceProtocol {
  let store: GridStore
  /// Each worker's assignments, pushed on WatchAssignments.
  let hub: AssignmentHub

  public init(store: GridStore, hub: AssignmentHub = AssignmentHub()) {
    self.store = store
    self.hub = hub
  }
}
