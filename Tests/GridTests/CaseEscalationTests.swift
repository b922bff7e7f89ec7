import Foundation
import GRPCCore
import GovernanceAPI
import Logging
import ServiceKit
import ServiceKitTesting
import Testing

@testable import Grid

@Suite("Escalation: grid → community → street → district department, by hand and by deadline")
struct CaseEscalationTests {
  static func openCase(_ grid: Governance_Grid_V1_GridService.Client<some ClientTransport>) async throws -> String {
    let id = try await grid.createCase(
      .with {
        $0.gridCase.source = .resident
        $0.gridCase.category = "设施维修"
        $0.gridCase.title = "路灯不亮"
        $0.gridCase.location.gridCode = "320113005001001"
      }
    ).id
    _ = try await grid.acceptCase(.with { $0.caseID = id })
    return id
  }

  @Test("escalation by hand climbs one level at a time; the street names the department")
  func escalationByHand() async throws {
    let store = try await GridFixture.store()
    try await withTestServer([GridService(store: store).routes]) { client in
      let grid = Governance_Grid_V1_GridService.Client(wrapping: client)
      let id = try await Self.openCase(grid)
      let community = try await grid.escalateCase(.with { $0.caseID = id })
      #expect(community.handler.level == .community && community.handler.unitCode == "320113005001")
      #expect(community.status == .accepted)
      let street = try await grid.escalateCase(.with { $0.caseID = id })
      #expect(street.handler.unitCode == "320113005000")
      await expectRPCError(.invalidArgument, mentioning: "department") {
        _ = try await grid.escalateCase(.with { $0.caseID = id })
      }
      let department = try await grid.escalateCase(
        .with {
          $0.caseID = id
          $0.department = "区城管局"
        })
      #expect(department.handler.level == .districtDepartment && department.escalationCount == 3)
      await expectRPCError(.failedPrecondition, mentioning: "district department") {
        _ = try await grid.escalateCase(
          .with {
            $0.caseID = id
            $0.department = "区住建局"
          })
      }
      let transferred = try await grid.transferCase(
        .with {
          $0.caseID = id
          $0.to = .with {
            $0.level = .districtDepartment
            $0.unitCode = "320113000000"
            $0.department = "区住建局"
          }
        })
      #expect(transferred.handler.department == "区住建局")
      let kinds = try await grid.listCaseEvents(.with { $0.caseID = id }).events.map(\.kind)
      #expect(kinds == [.reported, .accepted, .escalated, .escalated, .escalated, .transferred])
    }
  }

  @Test("a case's limit runs from its arrival at the level: one nobody accepts escalates too")
  func anUnacceptedCaseEscalatesAtItsDeadline() async throws {
    let store = try await GridFixture.store()
    let arrival = Date()
    let id = try await store.createCase(
      .with {
        $0.gridCase.source = .resident
        $0.gridCase.category = "设施维修"
        $0.gridCase.title = "无人受理"
        $0.gridCase.location.gridCode = "320113005001001"
      }, by: .testAdministrator, at: arrival
    ).id
    let reported = try #require(try await store.gridCase(id: id))
    #expect(reported.status == .reported && reported.hasDeadline)
    // A deadline or overdue flag sent with a report is the service's to set, not the client's.
    let dodging = try await store.createCase(
      .with {
        $0.gridCase.source = .resident
        $0.gridCase.category = "设施维修"
        $0.gridCase.title = "自定时限"
        $0.gridCase.location.gridCode = "320113005001001"
        $0.gridCase.deadline = .init(date: arrival.addingTimeInterval(10 * 365 * 86400))
        $0.gridCase.overdue = true
        $0.gridCase.resolvedLevel = .street
      }, by: .testAdministrator, at: arrival)
    #expect(!dodging.overdue && dodging.resolvedLevel == .unspecified)
    #expect(abs(dodging.deadline.date.timeIntervalSince(arrival) - 72 * 3600) < 1)
    #expect(abs(reported.deadline.date.timeIntervalSince(arrival) - 72 * 3600) < 1)
    let sweep = DeadlineSweep(store: store, logger: Logger(label: "test"))
    // An hour before the deadline the two handlers are warned (CaseNotices); none escalates.
    #expect(try await sweep.sweep(at: arrival.addingTimeInterval(71 * 3600)) == 2)
    #expect(try await store.gridCase(id: id)?.handler.level == .grid)
    #expect(try await sweep.sweep(at: arrival.addingTimeInterval(73 * 3600)) == 2)
    let escalated = try #require(try await store.gridCase(id: id))
    #expect(escalated.handler.level == .community && escalated.missedDeadline && !escalated.overdue)
    // However soon the community resolves it, a case that missed a deadline is not on time.
    var resolved = escalated
    resolved.resolveTime = .init(date: arrival.addingTimeInterval(74 * 3600))
    #expect(!CaseStatisticsRules.resolvedOnTime(resolved))
    resolved.missedDeadline = false
    #expect(CaseStatisticsRules.resolvedOnTime(resolved))
  }

  @Test("a case the sweep cannot escalate is skipped and counted; the sweep goes on with the others")
  func aPoisonCaseIsSkippedAndTheSweepGoesOn() async throws {
    let store = try await GridFixture.store()
    let (poison, good) = try await withTestServer([GridService(store: store).routes]) { client in
      let grid = Governance_Grid_V1_GridService.Client(wrapping: client)
      return (try await Self.openCase(grid), try await Self.openCase(grid))
    }
    // Planted: a stored case whose handling unit's code does not parse.
    try await store.writer.write { db in
      var gridCase = try #require(try RecordTable.fetch(db, GridStore.GridCase.self, id: poison))
      gridCase.handler.unitCode = "not-a-code"
      _ = try RecordTable.update(db, gridCase, by: .system, at: Date())
    }
    let sweep = DeadlineSweep(store: store, logger: Logger(label: "test"))
    let later = Date().addingTimeInterval(73 * 3600)
    #expect(try await sweep.sweep(at: later) == 1)
    #expect(sweep.poisoned.count == 1)
    #expect(try await store.gridCase(id: good)?.handler.level == .community)
    #expect(try await store.gridCase(id: poison)?.handler.level == .grid)
    #expect(try await sweep.sweep(at: later) == 0)
  }

  @Test("the sweep escalates past deadlines once per deadline, and picks up after a restart")
  func deadlineSweep() async throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sweep-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: directory) }
    let path = directory.appendingPathComponent("grid.sqlite").path
    let logger = Logger(label: "test")
    let vault = ContactVault.ephemeral()
    let store = GridStore(
      writer: try GovernanceDatabase.openPool(path: path, migrator: GridStore.migrator, logger: logger), vault: vault)
    try await GridFixture.register(in: store)
    let id = try await withTestServer([GridService(store: store).routes]) { client in
      try await Self.openCase(Governance_Grid_V1_GridService.Client(wrapping: client))
    }
    let sweep = DeadlineSweep(store: store, logger: logger)
    let now = Date()
    #expect(try await sweep.sweep(at: now) == 0)
    // 73 hours on, the grid's 72 hours have run out: one escalation, and only one.
    #expect(try await sweep.sweep(at: now.addingTimeInterval(73 * 3600)) == 1)
    #expect(try await sweep.sweep(at: now.addingTimeInterval(73 * 3600)) == 0)
    #expect(try await store.gridCase(id: id)?.handler.level == .community)

    // A new process on the same file carries on from the stored deadlines.
    let restarted = GridStore(
      writer: try GovernanceDatabase.openPool(path: path, migrator: GridStore.migrator, logger: logger), vault: vault)
    let later = now.addingTimeInterval((73 + 145) * 3600)
    #expect(try await DeadlineSweep(store: restarted, logger: logger).sweep(at: later) == 1)
    #expect(try await restarted.gridCase(id: id)?.handler.level == .street)
    // At the street the sweep marks the case overdue instead: the street summons departments.
    let muchLater = later.addingTimeInterval(300 * 3600)
    #expect(try await DeadlineSweep(store: restarted, logger: logger).sweep(at: muchLater) == 1)
    #expect(try await DeadlineSweep(store: restarted, logger: logger).sweep(at: muchLater) == 0)
    let final = try #require(try await restarted.gridCase(id: id))
    #expect(final.overdue && final.handler.level == .street && final.escalationCount == 2)
  }
}

@Suite("Deadline policies: a division's own, else its nearest ancestor's, else built in")
struct DeadlinePolicyTests {
  @Test("a street's policy governs its communities' cases; bad limits are refused")
  func streetPolicyGovernsItsCases() async throws {
    let store = try await GridFixture.store()
    try await withTestServer([GridService(store: store).routes]) { client in
      let grid = Governance_Grid_V1_GridService.Client(wrapping: client)
      let builtIn = try await grid.getDeadlinePolicy(.with { $0.divisionCode = "320113005001" })
      #expect(builtIn.inherited && builtIn.deadlines.count == 16)

      _ = try await grid.setDeadlinePolicy(
        .with {
          $0.policy.divisionCode = "320113005000"
          $0.policy.reopenWindowDays = 3
          $0.policy.evaluationWindowDays = 3
          $0.policy.deadlines = [
            .with {
              $0.level = .grid
              $0.priority = .normal
              $0.limit = .init(seconds: 10 * 3600)
            }
          ]
        })
      let inherited = try await grid.getDeadlinePolicy(.with { $0.divisionCode = "320113005001" })
      #expect(inherited.inherited && inherited.reopenWindowDays == 3)

      let before = Date()
      let id = try await CaseEscalationTests.openCase(grid)
      let accepted = try await grid.getCase(.with { $0.id = id })
      let limit = accepted.deadline.date.timeIntervalSince(before)
      #expect(limit > 10 * 3600 - 60 && limit < 10 * 3600 + 60)
      #expect(
        try await DeadlineSweep(store: store, logger: .init(label: "test")).sweep(
          at: before.addingTimeInterval(11 * 3600)) == 1)

      await expectRPCError(.invalidArgument, mentioning: "policy.deadlines[0].limit", "1 minute") {
        _ = try await grid.setDeadlinePolicy(
          .with {
            $0.policy.divisionCode = "320113005000"
            $0.policy.reopenWindowDays = 3
            $0.policy.evaluationWindowDays = 3
            $0.policy.deadlines = [
              .with {
                $0.level = .grid
                $0.priority = .urgent
              }
            ]
          })
      }
    }
  }
}
