import Foundation
import GRPCCore
import GovernanceAPI
import ServiceKit
import Testing

/// A grid worker's assignment stream against the real grid process over HTTP/2.
@Suite("Assignment streams in the real grid process", .serialized)
struct AssignmentStreamTests {
  @Test(
    "an alarm reaches a watching worker's stream; SIGTERM ends the stream and the process well before the grace period")
  func alarmReachesStreamAndShutdownEndsIt() async throws {
    let system = try SystemHarness()
    try system.start(.grid)
    try await system.waitUntilServing(.grid)
    let worker = try await system.withClient(.grid) { client in
      let grid = Governance_Grid_V1_GridService.Client(wrapping: client)
      for (code, name) in [("320113000000", "玄武区"), ("320113005000", "玄武门街道"), ("320113005001", "樱花社区")] {
        _ = try await grid.createDivision(
          .with {
            $0.division.divisionCode = code
            $0.division.name = name
          })
      }
      _ = try await grid.createGrid(
        .with {
          $0.grid.gridCode = "320113005001001"
          $0.grid.name = "樱花一网格"
          $0.grid.kind = .basic
        })
      let worker = try await grid.createGridWorker(
        .with {
          $0.worker.name = "周值班"
          $0.worker.kind = .fullTime
          $0.worker.gridCodes = ["320113005001001"]
          $0.worker.phone = "13600004444"
        })
      let now = Date()
      _ = try await grid.setDutyRoster(
        .with {
          $0.gridCode = "320113005001001"
          $0.windowStart = .init(date: now.addingTimeInterval(-60))
          $0.windowEnd = .init(date: now.addingTimeInterval(3600))
          $0.shifts = [
            .with {
              $0.workerID = worker.id
              $0.startTime = .init(date: now.addingTimeInterval(-60))
              $0.endTime = .init(date: now.addingTimeInterval(3600))
            }
          ]
        })
      return worker
    }

    let watching = Task {
      try await system.withClient(.grid) { client in
        try await Governance_Grid_V1_GridService.Client(wrapping: client).watchAssignments(
          .with {
            $0.workerID = worker.id
          }
        ) { response in
          var received: [Governance_Grid_V1_Assignment] = []
          for try await assignment in response.messages { received.append(assignment) }
          return received
        }
      }
    }
    try await Task.sleep(for: .milliseconds(300))
    let raised = try await system.withClient(.grid) { client in
      try await Governance_Grid_V1_GridService.Client(wrapping: client).raiseAlarm(
        .with {
          $0.deviceID = "smoke-12-0801"
          $0.kind = .smoke
          $0.gridCode = "320113005001001"
        })
    }
    try await Task.sleep(for: .milliseconds(300))

    // The grace period is 5 seconds; an open stream must not hold the process that long.
    #expect(try await system.stop(.grid, timeout: .seconds(4)) == 0, "\(system.log(of: .grid))")
    let received = try await watching.value
    #expect(received.map(\.caseID) == [raised.gridCase.id])
  }
}
