import Foundation
import GRPCCore
import GovernanceAPI
import ServiceKit
import ServiceKitTesting
import SwiftProtobuf
import Testing

@testable import Grid

@Suite("Sensor alarms reach the on-duty worker's stream at once")
struct AlarmTests {
  /// A full-time worker of grid 320113005001001, on duty from an hour ago to an hour from now.
  static func workerOnDuty(
    _ grid: Governance_Grid_V1_GridService.Client<some ClientTransport>, name: String, phone: String,
    principal: String = ""
  ) async throws -> Governance_Grid_V1_GridWorker {
    let worker = try await grid.createGridWorker(
      .with {
        $0.worker.name = name
        $0.worker.kind = .fullTime
        $0.worker.gridCodes = ["320113005001001"]
        $0.worker.phone = phone
        $0.worker.principalID = principal
      })
    let now = Date()
    _ = try await grid.setDutyRoster(
      .with {
        $0.gridCode = "320113005001001"
        $0.windowStart = .init(date: now.addingTimeInterval(-3600))
        $0.windowEnd = .init(date: now.addingTimeInterval(3600))
        $0.shifts = [
          .with {
            $0.workerID = worker.id
            $0.startTime = .init(date: now.addingTimeInterval(-3600))
            $0.endTime = .init(date: now.addingTimeInterval(3600))
          }
        ]
      })
    return worker
  }

  @Test("a worker's assignment stream is theirs: another grid worker, or staff outside its jurisdiction, is refused")
  func aPersonsStreamIsReadByThatPersonOrStaffOverThem() async throws {
    let store = try await GridFixture.store()
    let worker = try await withTestServer([GridService(store: store).routes]) { client in
      let grid = Governance_Grid_V1_GridService.Client(wrapping: client)
      let worker = try await Self.workerOnDuty(grid, name: "王网格", phone: "13800003333", principal: "user:Y")
      _ = try await grid.raiseAlarm(
        .with {
          $0.deviceID = "smoke-9-101"
          $0.kind = .smoke
          $0.gridCode = "320113005001001"
        })
      return worker
    }
    @Sendable func firstAssignment(as principal: Principal) async throws -> Governance_Grid_V1_Assignment? {
      try await withTestServer([GridService(store: store).routes], as: principal) { client in
        try await Governance_Grid_V1_GridService.Client(wrapping: client).watchAssignments(
          .with {
            $0.workerID = worker.id
            $0.includePending = true
          }
        ) { response in
          for try await assignment in response.messages { return assignment }
          return nil
        }
      }
    }
    await expectRPCError(.permissionDenied, mentioning: "user:X") {
      _ = try await firstAssignment(as: Principal(subject: "user:X", role: .gridWorker, scope: "320113005001"))
    }
    await expectRPCError(.permissionDenied, mentioning: "jurisdiction") {
      _ = try await firstAssignment(as: .staff(.community, scope: "320113006001"))
    }
    await expectRPCError(.permissionDenied, mentioning: "user:property") {
      _ = try await firstAssignment(as: .staff(.propertyStaff, scope: "320113005001", name: "property"))
    }
    let own = try await firstAssignment(as: Principal(subject: "user:Y", role: .gridWorker, scope: "320113005001"))
    #expect(own?.workerID == worker.id && own?.gridCase.alarm.kind == .smoke)
    let staff = try await firstAssignment(as: .staff(.community, scope: "320113005001"))
    #expect(staff?.workerID == worker.id)
    // Acknowledging is the worker's own act too.
    let assignment = try #require(own)
    @Sendable func acknowledge(as principal: Principal) async throws -> Governance_Grid_V1_Assignment {
      try await withTestServer([GridService(store: store).routes], as: principal) { client in
        try await Governance_Grid_V1_GridService.Client(wrapping: client).acknowledgeAssignment(
          .with {
            $0.assignmentID = assignment.id
          })
      }
    }
    await expectRPCError(.permissionDenied, mentioning: "user:X") {
      _ = try await acknowledge(as: Principal(subject: "user:X", role: .gridWorker, scope: "320113005001"))
    }
    #expect(
      try await acknowledge(as: Principal(subject: "user:Y", role: .gridWorker, scope: "320113005001")).state
        == .acknowledged)
    // Nor can a grid worker bind Y's record to their own sign-in to take it over.
    await expectRPCError(.permissionDenied, mentioning: "principal_id") {
      _ = try await withTestServer(
        [GridService(store: store).routes], as: Principal(subject: "user:X", role: .gridWorker, scope: "320113005001")
      ) { client in
        try await Governance_Grid_V1_GridService.Client(wrapping: client).updateGridWorker(
          .with {
            $0.worker.id = worker.id
            $0.worker.principalID = "user:X"
            $0.updateMask = .with { $0.paths = ["principal_id"] }
          })
      }
    }
  }

  @Test("an alarm becomes an urgent case assigned to the worker on duty, pushed to their stream")
  func alarmReachesTheOnDutyWorker() async throws {
    let store = try await GridFixture.store()
    try await withTestServer([GridService(store: store).routes]) { client in
      let grid = Governance_Grid_V1_GridService.Client(wrapping: client)
      let worker = try await Self.workerOnDuty(grid, name: "李网格", phone: "13800002222")
      #expect(try await grid.getOnDuty(.with { $0.gridCode = "320113005001001" }).workers.map(\.id) == [worker.id])

      let received = try await withThrowingTaskGroup(of: Governance_Grid_V1_Assignment?.self) { group in
        group.addTask {
          try await grid.watchAssignments(
            .with {
              $0.workerID = worker.id
              $0.includePending = true
            }
          ) { response in
            for try await assignment in response.messages { return assignment }
            return nil
          }
        }
        // Whether the watcher subscribes before or after the alarm, it gets the assignment: live
        // from the hub, or as pending from the database.
        try await Task.sleep(for: .milliseconds(100))
        let raised = try await grid.raiseAlarm(
          .with {
            $0.deviceID = "smoke-7-301"
            $0.kind = .smoke
            $0.gridCode = "320113005001001"
            $0.address = "7栋301"
          })
        #expect(raised.gridCase.priority == .urgent && raised.gridCase.status == .assigned)
        #expect(raised.gridCase.assigneeID == worker.id)
        let first = try await group.next() ?? nil
        group.cancelAll()
        return first
      }
      let assignment = try #require(received)
      #expect(assignment.workerID == worker.id && assignment.state == .pending)
      #expect(assignment.gridCase.alarm.kind == .smoke)
      let acknowledged = try await grid.acknowledgeAssignment(.with { $0.assignmentID = assignment.id })
      #expect(acknowledged.state == .acknowledged)
      await expectRPCError(.failedPrecondition, mentioning: "pending") {
        _ = try await grid.acknowledgeAssignment(.with { $0.assignmentID = assignment.id })
      }
    }
  }

  @Test("an alarm by point goes to the most specific grid holding it with somebody on duty")
  func anAlarmByPointGoesToTheMostSpecificGridWithSomebodyOnDuty() async throws {
    let store = try await GridFixture.store()
    // The micro-grid 001001 lies in grid 001 and has no roster; grid 001 has a worker on duty.
    try await PlacesTests.importFixture(store)
    try await withTestServer([GridService(store: store).routes]) { client in
      let grid = Governance_Grid_V1_GridService.Client(wrapping: client)
      let worker = try await Self.workerOnDuty(grid, name: "周网格", phone: "13800003333")
      let raised = try await grid.raiseAlarm(
        .with {
          $0.deviceID = "smoke-micro-1"
          $0.kind = .smoke
          $0.point = PlacesTests.point(118.701, 32.001)
        })
      #expect(raised.gridCase.location.gridCode == GridFixture.grid1)
      #expect(raised.assignment.workerID == worker.id && raised.gridCase.location.hasPoint)
      await expectRPCError(.invalidArgument, mentioning: "point") {
        _ = try await grid.raiseAlarm(
          .with {
            $0.deviceID = "smoke-nowhere"
            $0.kind = .smoke
            $0.point = PlacesTests.point(118.705, 32.009)
          })
      }
    }
  }
}
