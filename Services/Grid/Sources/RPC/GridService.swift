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

extension GridService {
  /// The routes the server registers (`GridRoutes`).
  public var routes: GridRoutes { GridRoutes(service: self) }
}

/// The grid service as a server registers it: the generated routes, except that GetCase and
/// ListCases answer with the cases' stored bytes (`EncodedMessage`) rather than messages the
/// generated handlers would encode again. The same RPCs, the same bytes on the wire.
public struct GridRoutes: RegistrableRPCService {
  let service: GridService

  public func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
    service.registerMethods(with: &router)
    let service = service
    router.registerUnary(Governance_Grid_V1_GridService.Method.GetCase.descriptor) {
      try await service.caseAnswer($0)
    }
    router.registerUnary(Governance_Grid_V1_GridService.Method.ListCases.descriptor) {
      try await service.store.listCasesEncoded($0)
    }
  }
}
