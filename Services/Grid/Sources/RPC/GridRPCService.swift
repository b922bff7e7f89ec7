import Foundation
import GRPCCore
import GovernanceAPI
import ServiceKit
import ServiceLifecycle

/// `governance.grid.v1.GridService` over gRPC: every method of the contract.
public struct GridRPCService: RegistrableRPCService {
  typealias Method = Governance_Grid_V1_GridService.Method

  private let store: GridStore
  private let hub: AssignmentHub

  public init(store: GridStore, hub: AssignmentHub = AssignmentHub()) {
    self.store = store
    self.hub = hub
  }

  public func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
    router.registerUnary(Method.CreateDivision.descriptor) { (request: Governance_Grid_V1_CreateDivisionRequest, _) in
      try await store.createDivision(request, by: Principal.current)
    }
    router.registerUnary(Method.CreateGrid.descriptor) { (request: Governance_Grid_V1_CreateGridRequest, _) in
      try await store.createGrid(request, by: Principal.current)
    }
    router.registerUnary(Method.GetGrid.descriptor) { (request: Governance_Grid_V1_GetGridRequest, _) in
      switch request.key {
      case .id(let id):
        let id = try FieldValidation.requiredID(id, field: "id")
        return try await store.grid(id: id).orNotFound("grid", id: id)
      case .gridCode(let code):
        let code = try DivisionCode(code, field: "grid_code")
        return try await store.grid(code: code.code).orNotFound("grid", id: code.code)
      case nil:
        throw DomainError.invalidArgument(field: "key", rule: "one of id or grid_code is required")
      }
    }
    router.registerUnary(Method.ListGridCodes.descriptor) { (request: Governance_Grid_V1_ListGridCodesRequest, _) in
      try await store.listGridCodes(request)
    }
    router.registerUnary(Method.ListGrids.descriptor) { (request: Governance_Grid_V1_ListGridsRequest, _) in
      try await store.listGrids(request)
    }
    router.registerUnary(Method.CreateCase.descriptor) { (request: Governance_Grid_V1_CreateCaseRequest, _) in
      try await store.createCase(request, by: Principal.current)
    }
    router.registerUnary(Method.GetCase.descriptor) { (request: Governance_Grid_V1_GetCaseRequest, _) in
      let gridCase: Governance_Grid_V1_Case
      switch request.key {
      case .id(let id):
        let caseID = try FieldValidation.requiredID(id, field: "id")
        gridCase = try await store.gridCase(id: caseID).orNotFound("case", id: caseID)
      case .externalID(let external):
        let externalID = try FieldValidation.requiredName(external, field: "external_id", maximumLength: 64)
        gridCase = try await store.gridCase(externalID: externalID).orNotFound("case with external id", id: externalID)
      case nil:
        throw DomainError.invalidArgument(field: "key", rule: "one of id or external_id is required")
      }
      return request.revealReporter ? try await store.revealedCase(gridCase, by: Principal.current) : gridCase
    }
    router.registerClientStreaming(Method.ImportCases.descriptor) {
      (messages: RPCAsyncSequence<Governance_Grid_V1_ImportCasesRequest, any Error>, _) in
      var imported: Int64 = 0
      for try await message in messages {
        imported += Int64(try await store.importCases(message.cases, by: Principal.current))
      }
      return Governance_Grid_V1_ImportCasesResponse.with { $0.imported = imported }
    }
    router.registerUnary(Method.IntakeCityCase.descriptor) { (request: Governance_Grid_V1_IntakeCityCaseRequest, _) in
      try await store.intakeCityCase(request, by: Principal.current)
    }
    router.registerUnary(Method.ListCases.descriptor) { (request: Governance_Grid_V1_ListCasesRequest, _) in
      try await store.listCases(request)
    }
    router.registerUnary(Method.ListCaseEvents.descriptor) { (request: Governance_Grid_V1_ListCaseEventsRequest, _) in
      try await store.listCaseEvents(request)
    }
    router.registerUnary(Method.ListCaseEventFeed.descriptor) { (request: Governance_Grid_V1_ListCaseEventFeedRequest, _) in
      try await store.caseEventFeed(request)
    }
    router.registerUnary(Method.AcceptCase.descriptor) { (request: Governance_Grid_V1_AcceptCaseRequest, _) in
      let now = Date()
      return try await store.transition(
        method: "AcceptCase", requestID: request.requestID, request: request, caseID: request.caseID, to: .accepted,
        event: .accepted, note: request.note, by: Principal.current, at: now
      ) { gridCase, _ in
        // The level's time limit runs from the case's arrival (CaseWorkflow.deadline), not from
        // its acceptance: accepting late does not buy time.
        gridCase.acceptTime = .init(date: now)
      }
    }
    router.registerUnary(Method.AssignCase.descriptor) { (request: Governance_Grid_V1_AssignCaseRequest, _) in
      try await store.assignCase(request, hub: hub, by: Principal.current)
    }
    router.registerUnary(Method.StartCase.descriptor) { (request: Governance_Grid_V1_StartCaseRequest, _) in
      try await store.transition(
        method: "StartCase", requestID: request.requestID, request: request, caseID: request.caseID, to: .inProgress,
        event: .started, note: request.note, by: Principal.current, at: Date())
    }
    router.registerUnary(Method.ResolveCase.descriptor) { (request: Governance_Grid_V1_ResolveCaseRequest, _) in
      let resolution = try FieldValidation.requiredName(
        request.resolution, field: "resolution", maximumLength: FieldValidation.maximumTextLength)
      let now = Date()
      return try await store.transition(
        method: "ResolveCase", requestID: request.requestID, request: request, caseID: request.caseID, to: .resolved,
        event: .resolved, note: resolution, by: Principal.current, at: now
      ) { gridCase, _ in
        gridCase.resolution = resolution
        gridCase.resolveTime = .init(date: now)
        gridCase.resolvedLevel = gridCase.handler.level
      }
    }
    router.registerUnary(Method.EvaluateCase.descriptor) { (request: Governance_Grid_V1_EvaluateCaseRequest, _) in
      try CaseWorkflow.checkSatisfaction(request.satisfaction)
      let comment = try FieldValidation.optionalText(request.comment, field: "comment", maximumLength: 500)
      let now = Date()
      return try await store.transition(
        method: "EvaluateCase", requestID: request.requestID, request: request, caseID: request.caseID, to: .evaluated,
        event: .evaluated, note: comment, by: Principal.current, at: now
      ) { gridCase, _ in
        gridCase.evaluation = .with {
          $0.satisfaction = request.satisfaction
          $0.comment = comment
          $0.evaluateTime = .init(date: now)
        }
      }
    }
    router.registerUnary(Method.CloseCase.descriptor) { (request: Governance_Grid_V1_CloseCaseRequest, _) in
      let now = Date()
      return try await store.transition(
        method: "CloseCase", requestID: request.requestID, request: request, caseID: request.caseID, to: .closed,
        event: .closed, note: request.note, by: Principal.current, at: now
      ) { gridCase, _ in gridCase.closeTime = .init(date: now) }
    }
    router.registerUnary(Method.RejectCase.descriptor) { (request: Governance_Grid_V1_RejectCaseRequest, _) in
      let reason = try FieldValidation.requiredName(request.reason, field: "reason", maximumLength: 500)
      return try await store.transition(
        method: "RejectCase", requestID: request.requestID, request: request, caseID: request.caseID, to: .rejected,
        event: .rejected, note: reason, by: Principal.current, at: Date()
      ) { gridCase, _ in gridCase.rejectReason = reason }
    }
    router.registerUnary(Method.ReopenCase.descriptor) { (request: Governance_Grid_V1_ReopenCaseRequest, _) in
      let reason = try FieldValidation.requiredName(request.reason, field: "reason", maximumLength: 500)
      let now = Date()
      return try await store.transition(
        method: "ReopenCase", requestID: request.requestID, request: request, caseID: request.caseID, to: .reopened,
        event: .reopened, note: reason, by: Principal.current, at: now
      ) { gridCase, policy in
        try CaseWorkflow.checkReopenWindow(gridCase, days: policy.reopenWindowDays, at: now)
        gridCase.reopenCount += 1
        gridCase.assigneeID = ""
        // A reopened case arrives again at its level: a fresh limit, not the one it closed under.
        gridCase.deadline = CaseWorkflow.deadline(
          arrivingAt: now,
          limit: DeadlinePolicies.limit(in: policy, level: gridCase.handler.level, priority: gridCase.priority))
      }
    }
    router.registerUnary(Method.EscalateCase.descriptor) { (request: Governance_Grid_V1_EscalateCaseRequest, _) in
      try await store.moveCase(
        method: "EscalateCase", requestID: request.requestID, request: request, caseID: request.caseID,
        note: request.note, by: Principal.current
      ) { try CaseEscalation.nextUnit(above: $0.handler, department: request.department) }
    }
    router.registerUnary(Method.TransferCase.descriptor) { (request: Governance_Grid_V1_TransferCaseRequest, _) in
      try await store.moveCase(
        method: "TransferCase", requestID: request.requestID, request: request, caseID: request.caseID,
        note: request.note, by: Principal.current
      ) { gridCase in
        try CaseEscalation.transferTarget(from: gridCase.handler, to: request.to)
      }
    }
    router.registerUnary(Method.GetDeadlinePolicy.descriptor) {
      (request: Governance_Grid_V1_GetDeadlinePolicyRequest, _) in
      let division = try DivisionCode(request.divisionCode, field: "division_code")
      return try await store.deadlinePolicy(for: division.code)
    }
    router.registerUnary(Method.SetDeadlinePolicy.descriptor) {
      (request: Governance_Grid_V1_SetDeadlinePolicyRequest, _) in
      try await store.setDeadlinePolicy(request, by: Principal.current)
    }
    router.registerUnary(Method.GetCaseStatistics.descriptor) {
      (request: Governance_Grid_V1_GetCaseStatisticsRequest, _) in
      try await store.caseStatistics(request)
    }
    router.registerUnary(Method.CreateGridWorker.descriptor) {
      (request: Governance_Grid_V1_CreateGridWorkerRequest, _) in
      try await store.createWorker(request, by: Principal.current)
    }
    router.registerUnary(Method.GetGridWorker.descriptor) { (request: Governance_Grid_V1_GetGridWorkerRequest, _) in
      let id = try FieldValidation.requiredID(request.id, field: "id")
      return try await store.worker(id: id).orNotFound("grid worker", id: id)
    }
    router.registerUnary(Method.SetDutyRoster.descriptor) { (request: Governance_Grid_V1_SetDutyRosterRequest, _) in
      try await store.setDutyRoster(request, by: Principal.current)
    }
    router.registerUnary(Method.GetOnDuty.descriptor) { (request: Governance_Grid_V1_GetOnDutyRequest, _) in
      let grid = try DivisionCode(request.gridCode, field: "grid_code")
      return try await store.onDuty(grid: grid.code, at: request.hasAtTime ? request.atTime.date : Date())
    }
    router.registerUnary(Method.RaiseAlarm.descriptor) { (request: Governance_Grid_V1_RaiseAlarmRequest, _) in
      try await store.raiseAlarm(request, hub: hub, by: Principal.current)
    }
    router.registerUnary(Method.AcknowledgeAssignment.descriptor) {
      (request: Governance_Grid_V1_AcknowledgeAssignmentRequest, _) in
      try await store.acknowledge(request, by: Principal.current)
    }
    router.registerServerStreaming(Method.WatchAssignments.descriptor) {
      (request: Governance_Grid_V1_WatchAssignmentsRequest, writer: RPCWriter<Governance_Grid_V1_Assignment>, _) in
      let worker = try FieldValidation.requiredID(request.workerID, field: "worker_id")
      try await store.checkOwnWorker(worker, by: Principal.current)
      // Subscribe first, so nothing made between the read of the pending ones and the stream is lost.
      let (stream, id) = hub.watch(worker)
      // The stream ends when the worker goes away or the server begins shutting down, so a
      // draining server is not held open by its watchers.
      try await withGracefulShutdownHandler {
        try await withRPCCancellationHandler {
          if request.includePending {
            for assignment in try await store.pendingAssignments(worker: worker) { try await writer.write(assignment) }
          }
          for await assignment in stream { try await writer.write(assignment) }
        } onCancelRPC: {
          hub.stop(id)
        }
      } onGracefulShutdown: {
        hub.stop(id)
      }
    }
    router.registerUnary(Method.ListDivisions.descriptor) { (request: Governance_Grid_V1_ListDivisionsRequest, _) in
      try await store.listDivisions(request)
    }
    router.registerUnary(Method.UpdateDivision.descriptor) { (request: Governance_Grid_V1_UpdateDivisionRequest, _) in
      try await store.updateDivision(request, by: Principal.current)
    }
    router.registerUnary(Method.UpdateGrid.descriptor) { (request: Governance_Grid_V1_UpdateGridRequest, _) in
      try await store.updateGrid(request, by: Principal.current)
    }
    router.registerUnary(Method.ListGridWorkers.descriptor) { (request: Governance_Grid_V1_ListGridWorkersRequest, _) in
      try await store.listWorkers(request)
    }
    router.registerUnary(Method.UpdateGridWorker.descriptor) { (request: Governance_Grid_V1_UpdateGridWorkerRequest, _) in
      try await store.updateWorker(request, by: Principal.current)
    }
    router.registerUnary(Method.ListDutyShifts.descriptor) { (request: Governance_Grid_V1_ListDutyShiftsRequest, _) in
      try await store.listShifts(request)
    }
    router.registerUnary(Method.CreatePatrol.descriptor) { (request: Governance_Grid_V1_CreatePatrolRequest, _) in
      try await store.createPatrol(request, by: Principal.current)
    }
    router.registerUnary(Method.GetPatrol.descriptor) { (request: Governance_Grid_V1_GetPatrolRequest, _) in
      let id = try FieldValidation.requiredID(request.id, field: "id")
      return try await store.patrol(id: id).orNotFound("patrol", id: id)
    }
    router.registerUnary(Method.ListPatrols.descriptor) { (request: Governance_Grid_V1_ListPatrolsRequest, _) in
      try await store.listPatrols(request)
    }
    router.registerUnary(Method.UpdateCase.descriptor) { (request: Governance_Grid_V1_UpdateCaseRequest, _) in
      try await store.updateCase(request, by: Principal.current)
    }
    router.registerUnary(Method.GetDivision.descriptor) { (request: Governance_Grid_V1_GetDivisionRequest, _) in
      switch request.key {
      case .id(let id):
        let id = try FieldValidation.requiredID(id, field: "id")
        return try await store.division(id: id).orNotFound("division", id: id)
      case .divisionCode(let code):
        let code = try DivisionCode(code, field: "division_code")
        return try await store.division(code: code.code).orNotFound("division", id: code.code)
      case nil:
        throw DomainError.invalidArgument(field: "key", rule: "one of id or division_code is required")
      }
    }
  }
}
