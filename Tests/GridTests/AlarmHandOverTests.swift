import Foundation
import GRPCCore
import GovernanceAPI
import ServiceKit
import ServiceKitTesting
import Testing

@testable import Grid

@Suite("An alarm nobody acknowledges passes down the roster, then escalates")
struct AlarmHandOverTests {
  /// Two workers on duty in grid 001 for the next hours: the first in roster order, then the second.
  static func roster(_ grid: Governance_Grid_V1_GridService.Client<some ClientTransport>, at now: Date) async throws
    -> (first: String, second: String)
  {
    var ids: [String] = []
    for (name, phone) in [("张一", "13800000001"), ("王二", "13800000002")] {
      ids.append(
        try await grid.createGridWorker(
          .with {
            $0.worker.name = name
            $0.worker.kind = .fullTime
            $0.worker.gridCodes = [GridFixture.grid1]
            $0.worker.phone = phone
          }
        ).id)
    }
    _ = try await grid.setDutyRoster(
      .with {
        $0.gridCode = GridFixture.grid1
        $0.windowStart = .init(date: now.addingTimeInterval(-3600))
        $0.windowEnd = .init(date: now.addingTimeInterval(6 * 3600))
        $0.shifts = ids.enumerated().map { index, id in
          .with {
            $0.workerID = id
            $0.startTime = .init(date: now.addingTimeInterval(-3600))
            $0.endTime = .init(date: now.addingTimeInterval(6 * 3600))
            $0.rosterOrder = Int32(index + 1)
          }
        }
      })
    return (ids[0], ids[1])
  }

  @Test("an alarm is never handed over before its acknowledgement time has run out, to the fraction of a second")
  func anAlarmIsHandedOverOnlyOnceItsTimeRanOut() async throws {
    let store = try await GridFixture.store()
    let hub = AssignmentHub()
    try await withTestServer([GridService(store: store, hub: hub).routes]) { client in
      let grid = Governance_Grid_V1_GridService.Client(wrapping: client)
      _ = try await Self.roster(grid, at: Date())
      let raised = try await grid.raiseAlarm(
        .with {
          $0.deviceID = "smoke-5-201"
          $0.kind = .smoke
          $0.gridCode = GridFixture.grid1
        })
      let deadline = raised.assignment.ackDeadline
      // The whole second the deadline falls in, and a millisecond before it: both too early.
      let early = [
        Date(timeIntervalSince1970: TimeInterval(deadline.seconds)), deadline.date.addingTimeInterval(-0.001),
      ]
      for time in early where time < deadline.date {
        #expect(
          try await store.handOverUnacknowledged(at: time, hub: hub, by: Principal(service: .grid)) == 0, "\(time)")
      }
      #expect(try await store.handOverUnacknowledged(at: deadline.date, hub: hub, by: Principal(service: .grid)) == 1)
    }
  }

  @Test("not acknowledged in time: the next worker on duty gets it on their stream; after the last, the community")
  func reassignmentWhenNotAcknowledged() async throws {
    let store = try await GridFixture.store()
    let hub = AssignmentHub()
    let handOver = Principal(service: .grid)
    try await withTestServer([GridService(store: store, hub: hub).routes]) { client in
      let grid = Governance_Grid_V1_GridService.Client(wrapping: client)
      let now = Date()
      let (first, second) = try await Self.roster(grid, at: now)
      let raised = try await grid.raiseAlarm(
        .with {
          $0.deviceID = "gas-3-102"
          $0.kind = .gasLeak
          $0.gridCode = GridFixture.grid1
        })
      #expect(raised.assignment.workerID == first)
      #expect(raised.assignment.ackDeadline.seconds == raised.assignment.assignTime.seconds + 60)
      // Times are counted from the deadline itself, however long the roster and the alarm took.
      let ackDeadline = raised.assignment.ackDeadline.date

      // Before the deadline nothing moves.
      #expect(
        try await store.handOverUnacknowledged(at: ackDeadline.addingTimeInterval(-30), hub: hub, by: handOver) == 0)

      let (stream, watcher) = hub.watch(second)
      defer { hub.stop(watcher) }
      #expect(
        try await store.handOverUnacknowledged(at: ackDeadline.addingTimeInterval(1), hub: hub, by: handOver) == 1)
      var iterator = stream.makeAsyncIterator()
      let delivered = try #require(await iterator.next())
      #expect(delivered.workerID == second && delivered.state == .pending && delivered.caseID == raised.gridCase.id)

      let passed = try await grid.getCase(.with { $0.id = raised.gridCase.id })
      #expect(passed.assigneeID == second && passed.status == .assigned)
      await expectRPCError(.failedPrecondition, mentioning: "pending", "timedOut") {
        _ = try await grid.acknowledgeAssignment(.with { $0.assignmentID = raised.assignment.id })
      }

      // The second does not answer either: nobody is left on the roster, so the community takes it.
      #expect(
        try await store.handOverUnacknowledged(at: ackDeadline.addingTimeInterval(140), hub: hub, by: handOver) == 1)
      let escalated = try await grid.getCase(.with { $0.id = raised.gridCase.id })
      #expect(escalated.handler.level == .community && escalated.handler.unitCode == GridFixture.community)
      #expect(escalated.status == .accepted && escalated.assigneeID.isEmpty)
      let events = try await grid.listCaseEvents(.with { $0.caseID = raised.gridCase.id }).events
      #expect(events.map(\.kind) == [.reported, .assigned, .reassigned, .escalated])
      #expect(events.last?.automatic == true)
      #expect(try await store.pendingAssignments(worker: second).isEmpty)
      // Run again: nothing is handed over twice.
      #expect(
        try await store.handOverUnacknowledged(at: ackDeadline.addingTimeInterval(240), hub: hub, by: handOver) == 0)
    }
  }

  @Test("an acknowledged alarm stays with its worker")
  func acknowledgedAlarmStays() async throws {
    let store = try await GridFixture.store()
    let hub = AssignmentHub()
    try await withTestServer([GridService(store: store, hub: hub).routes]) { client in
      let grid = Governance_Grid_V1_GridService.Client(wrapping: client)
      let now = Date()
      let (first, _) = try await Self.roster(grid, at: now)
      let raised = try await grid.raiseAlarm(
        .with {
          $0.deviceID = "smoke-1"
          $0.kind = .smoke
          $0.gridCode = GridFixture.grid1
        })
      _ = try await grid.acknowledgeAssignment(.with { $0.assignmentID = raised.assignment.id })
      #expect(
        try await store.handOverUnacknowledged(at: now.addingTimeInterval(120), hub: hub, by: Principal(service: .grid))
          == 0)
      #expect(try await grid.getCase(.with { $0.id = raised.gridCase.id }).assigneeID == first)
    }
  }

  @Test("an alarm given by compound goes to the grid covering it; with nobody on duty, to the community at once")
  func alarmByCompoundAndNobodyOnDuty() async throws {
    let store = try await GridFixture.store()
    try await withTestServer([GridService(store: store).routes]) { client in
      let grid = Governance_Grid_V1_GridService.Client(wrapping: client)
      let now = Date()
      let (first, _) = try await Self.roster(grid, at: now)
      // Grid 001 and its micro-grid both cover the compound; only the grid has someone on duty.
      let byCompound = try await grid.raiseAlarm(
        .with {
          $0.deviceID = "door-5"
          $0.kind = .intrusion
          $0.compoundID = GridFixture.compound
        })
      #expect(byCompound.gridCase.location.gridCode == GridFixture.grid1)
      #expect(byCompound.assignment.workerID == first)

      let unattended = try await grid.raiseAlarm(
        .with {
          $0.deviceID = "water-2"
          $0.kind = .waterLeak
          $0.gridCode = GridFixture.grid2
        })
      #expect(!unattended.hasAssignment)
      #expect(unattended.gridCase.handler.level == .community && unattended.gridCase.status == .accepted)

      await expectRPCError(.invalidArgument, mentioning: "compound_id", "cmp-nowhere") {
        _ = try await grid.raiseAlarm(
          .with {
            $0.deviceID = "x"
            $0.kind = .smoke
            $0.compoundID = "cmp-nowhere"
          })
      }
      await expectRPCError(.invalidArgument, mentioning: "grid_code", "320113005001009") {
        _ = try await grid.raiseAlarm(
          .with {
            $0.deviceID = "x"
            $0.kind = .smoke
            $0.gridCode = "320113005001009"
          })
      }
    }
  }

  @Test("a shutting-down hub ends its streams and refuses new ones")
  func hubClosesStreams() async {
    let hub = AssignmentHub()
    let (open, _) = hub.watch("wkr_1")
    hub.finishAll()
    var iterator = open.makeAsyncIterator()
    #expect(await iterator.next() == nil)
    let (late, _) = hub.watch("wkr_1")
    var lateIterator = late.makeAsyncIterator()
    #expect(await lateIterator.next() == nil)
  }
}
