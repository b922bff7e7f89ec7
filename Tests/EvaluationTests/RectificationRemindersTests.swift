import Foundation
import GovernanceAPI
import Logging
import ServiceKit
import ServiceKitTesting
import Testing

@testable import Evaluation

@Suite("Rectification reminders and the publication's event, in the outbox, on a clock the test sets")
struct RectificationRemindersTests {
  static func kinds(_ store: EvaluationStore) async throws -> [String] {
    try await store.writer.read { db in try Outbox.read(db, after: 0, limit: 100, service: .evaluation) }.map(\.kind)
  }

  @Test("an open order is reminded of three days before its deadline")
  func anOpenOrderIsRemindedOfThreeDaysBeforeItsDeadline() {
    let deadline = Governance_Common_V1_Date.with {
      $0.year = 2026
      $0.month = 12
      $0.day = 10
    }
    func on(_ day: Int32) -> Governance_Common_V1_Date {
      .with {
        $0.year = 2026
        $0.month = 12
        $0.day = day
      }
    }
    #expect(!Rectification.isReminderDue(deadline: deadline, today: on(6)))
    #expect(Rectification.isReminderDue(deadline: deadline, today: on(7)))
    #expect(Rectification.isReminderDue(deadline: deadline, today: on(10)))
    #expect(!Rectification.isReminderDue(deadline: deadline, today: on(11)))
  }

  @Test("the reminder goes out once, and the overdue order is announced once")
  func remindedOnceThenOverdueOnce() async throws {
    try await withEvaluationService { evaluation, property, world in
      let setup = try await Quarter.make(evaluation, property)
      let now = Date()
      let order = try await evaluation.createRectificationOrder(
        .with {
          $0.order.divisionCode = Quarter.community
          $0.order.companyID = setup.poor.company
          $0.order.compoundID = setup.poor.compound
          $0.order.problem = "消防通道堵塞"
          $0.order.requirement = "五日内清理"
          $0.order.deadline = CalendarDate.today(at: now.addingTimeInterval(5 * 86_400))
        })
      let job = RectificationReminders(store: world.store, logger: Logger(label: "test"))
      #expect(try await job.round(at: now) == 0)
      #expect(try await job.round(at: now.addingTimeInterval(2 * 86_400)) == 1)
      #expect(try await job.round(at: now.addingTimeInterval(3 * 86_400)) == 0)
      #expect(try await job.round(at: now.addingTimeInterval(6 * 86_400)) == 1)
      #expect(try await job.round(at: now.addingTimeInterval(7 * 86_400)) == 0)
      #expect(try await Self.kinds(world.store) == ["rectification.deadline_approaching", "rectification.overdue"])
      #expect(try await evaluation.getRectificationOrder(.with { $0.id = order.id }).state == .overdue)
    }
  }
}
