import Foundation
import GRPCCore
import GovernanceAPI
import ServiceKit

/// Grid workers (网格员) and their duty roster.
extension GridService {
  /// Registers a grid worker; INVALID_ARGUMENT names the field a rule refuses, and a retried request_id returns the first answer.
  public func createGridWorker(request: Governance_Grid_V1_CreateGridWorkerRequest, context: ServerContext) async throws
    -> Governance_Grid_V1_GridWorker
  {
    try await store.createWorker(request, by: Principal.current)
  }

  /// One grid worker by id; NOT_FOUND when there is none.
  public func getGridWorker(request: Governance_Grid_V1_GetGridWorkerRequest, context: ServerContext) async throws
    -> Governance_Grid_V1_GridWorker
  {
    let id = try FieldValidation.requiredID(request.id, field: "id")
    return try await store.worker(id: id).orNotFound(id: id)
  }

  /// Replaces a grid's duty shifts that start within a time window with the given ones.
  public func setDutyRoster(request: Governance_Grid_V1_SetDutyRosterRequest, context: ServerContext) async throws
    -> Governance_Grid_V1_SetDutyRosterResponse
  {
    try await store.setDutyRoster(request, by: Principal.current)
  }

  /// Who is on duty in a grid at a moment (now by default), in roster order: the first is the one an alarm goes to,
  /// the next ones are whom it passes to when not acknowledged.
  public func getOnDuty(request: Governance_Grid_V1_GetOnDutyRequest, context: ServerContext) async throws
    -> Governance_Grid_V1_GetOnDutyResponse
  {
    let grid = try DivisionCode(request.gridCode, field: "grid_code")
    return try await store.onDuty(grid: grid.code, at: request.hasAtTime ? request.atTime.date : Date())
  }

  /// A page of grid workers matching the request's filters, held to the caller's jurisdiction, with the next page's token.
  public func listGridWorkers(request: Governance_Grid_V1_ListGridWorkersRequest, context: ServerContext) async throws
    -> Governance_Grid_V1_ListGridWorkersResponse
  {
    try await store.listWorkers(request)
  }

  /// Changes a worker's details, the grids served, or marks them as having left.
  public func updateGridWorker(request: Governance_Grid_V1_UpdateGridWorkerRequest, context: ServerContext) async throws
    -> Governance_Grid_V1_GridWorker
  {
    try await store.updateWorker(request, by: Principal.current)
  }

  /// A page of duty shifts matching the request's filters, held to the caller's jurisdiction, with the next page's token.
  public func listDutyShifts(request: Governance_Grid_V1_ListDutyShiftsRequest, context: ServerContext) async throws
    -> Governance_Grid_V1_ListDutyShiftsResponse
  {
    try await store.listShifts(request)
  }
}

extension GridService {
  /// Takes a register of grid workers with their weekly duties (网格员台账), at most 500 rows a call: each row matched
  /// by the worker's phone within their community, created or updated by CreateGridWorker's and UpdateGridWorker's
  /// rules, the duties set as shifts for the 28 days from today by SetDutyRoster's; one result per row.
  public func importGridWorkers(request: Governance_Grid_V1_ImportGridWorkersRequest, context: ServerContext)
    async throws -> Governance_Common_V1_ImportResponse
  {
    try await store.importGridWorkers(request, by: Principal.current)
  }
}
