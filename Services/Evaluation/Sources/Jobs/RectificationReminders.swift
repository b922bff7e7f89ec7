import Foundation
import Logging
import ServiceKit
import ServiceLifecycle

/// Marks rectification orders past their deadline overdue and reminds companies of orders
/// coming due (Rectification.reminderDays), as a background service of the evaluation process.
/// `round(at:)` takes the time, so tests drive it with a clock of their own; every reminder is
/// once-only, so rounds may repeat freely.
public struct RectificationReminders: Service {
  private let store: EvaluationStore
  private let interval: Duration
  private let logger: Logger

  public init(store: EvaluationStore, interval: Duration = .seconds(600), logger: Logger) {
    self.store = store
    self.interval = interval
    self.logger = logger
  }

  public func run() async throws {
    try await PeriodicService("rectification reminders", every: interval, logger: logger, what: "orders") {
      try await round(at: Date())
    }.run()
  }

  /// One round at `time`; returns how many orders turned overdue or were reminded.
  @discardableResult
  public func round(at time: Date) async throws -> Int {
    try await store.markOverdueOrders(at: time) + store.remindRectificationDeadlines(at: time)
  }
}
