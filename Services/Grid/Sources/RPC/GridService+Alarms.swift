import Foundation
import GRPCCore
import GovernanceAPI
import ServiceKit
import ServiceLifecycle

/// Sensor alarms, the assignments they make and the workers' acknowledgements, pushed on WatchAssignments.
extension GridService {

  /// Creates an URGENT case from a sensor alarm, already ACCEPTED at GRID level, and assigns it at once to the
  /// first on-duty worker of the grid (found from the compound when no grid is given). Not acknowledged within the
  /// policy's timeout it passes to the next worker on the roster, and after the last it escalates.
  public func raiseAlarm(request: Governance_Grid_V1_RaiseAlarmRequest, context: ServerContext) async throws
    -> Governance_Grid_V1_RaiseAlarmResponse
  {
    // The alarm's handling and its push to the worker's stream run at high priority (UrgentWork).
    let (store, hub, principal) = (store, hub, Principal.current)
    return try await UrgentWork.run { try await store.raiseAlarm(request, hub: hub, by: principal) }
  }

  /// The worker confirms they have seen an assignment (stops the alarm hand-over timer).
  public func acknowledgeAssignment(request: Governance_Grid_V1_AcknowledgeAssignmentRequest, context: ServerContext)
    async throws -> Governance_Grid_V1_Assignment
  {
    try await store.acknowledge(request, by: Principal.current)
  }

  /// Server stream for one worker: first their unacknowledged assignments (if asked), then each new assignment or
  /// reassignment the moment it is made. The stream stays open until cancelled.
  public func watchAssignments(
    request: Governance_Grid_V1_WatchAssignmentsRequest, response: GRPCCore.RPCWriter<Governance_Grid_V1_Assignment>,
    context: ServerContext
  ) async throws {
    let worker = try FieldValidation.requiredID(request.workerID, field: "worker_id")
    try await store.checkOwnWorker(worker, by: Principal.current)
    // Subscribe first, so nothing made between the read of the pending ones and the stream is lost.
    let (stream, id) = hub.watch(worker)
    // The stream ends when the worker goes away or the server begins shutting down, so a
    // draining server is not held open by its watchers.
    try await withGracefulShutdownHandler {
      try await withRPCCancellationHandler {
        if request.includePending {
          for assignment in try await store.pendingAssignments(worker: worker) { try await response.write(assignment) }
        }
        // Each assignment is written out at the alarm's priority, as raiseAlarm made it.
        try await UrgentWork.run {
          for await assignment in stream { try await response.write(assignment) }
        }
      } onCancelRPC: {
        hub.stop(id)
      }
    } onGracefulShutdown: {
      hub.stop(id)
    }
  }
}
