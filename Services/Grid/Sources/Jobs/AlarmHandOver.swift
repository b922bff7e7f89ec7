import Foundation
import Logging
import ServiceKit
import ServiceLifecycle

/// Passes unacknowledged alarm assignments to the next worker on duty, as a background service
/// of the grid process, and ends the workers' assignment streams when the process shuts down so
/// that draining is not held up by them.
///
/// The acknowledgement deadlines are in the database, so a restart picks up where it stopped.
public struct AlarmHandOver: Service {
  private let store: GridStore
  private let hub: AssignmentHub
  private let interval: Duration
  private let logger: Logger
  /// The assignments skipped for what they hold.
  public let poisoned = PoisonRecords(job: "alarm_hand_over")

  public init(store: GridStore, hub: AssignmentHub, interval: Duration = .seconds(1), logger: Logger) {
    self.store = store
    self.hub = hub
    self.interval = interval
    self.logger = logger
  }

  public func run() async throws {
    defer { hub.finishAll() }
    let handOver = Principal(service: .grid)
    let (store, hub, poisoned, logger) = (store, hub, poisoned, logger)
    // A busy or failing round is retried on the next tick; the deadlines stay in the database.
    // A hand-over is an alarm reaching its next worker: it runs at the alarms' priority.
    try await PeriodicService("alarm hand-over", every: interval, logger: logger, what: "assignments") {
      try await UrgentWork.run {
        try await store.handOverUnacknowledged(at: Date(), hub: hub, by: handOver, poisoned: poisoned, logger: logger)
      }
    }.run()
  }
}
