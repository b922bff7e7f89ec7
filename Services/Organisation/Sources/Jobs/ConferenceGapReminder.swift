import Foundation
import Logging
import ServiceKit
import ServiceLifecycle

/// Reminds the community committees that have held no joint conference this quarter, once the
/// quarter's last month has begun (JointConferences.gapReminderQuarter), as a background service
/// of the organisation process. `round(at:)` takes the time, so tests drive it with a clock of
/// their own; the reminders are once-only per committee and quarter.
public struct ConferenceGapReminder: Service {
  private let store: OrganisationStore
  private let interval: Duration
  private let logger: Logger

  public init(store: OrganisationStore, interval: Duration = .seconds(3600), logger: Logger) {
    self.store = store
    self.interval = interval
    self.logger = logger
  }

  public func run() async throws {
    try await PeriodicService("conference gap reminder", every: interval, logger: logger, what: "committees") {
      try await round(at: Date())
    }.run()
  }

  /// One round at `time`; returns how many committees were reminded.
  @discardableResult
  public func round(at time: Date) async throws -> Int {
    guard let due = JointConferences.gapReminderQuarter(at: time) else { return 0 }
    return try await store.appendConferenceGapReminders(year: due.year, quarter: due.quarter, at: time)
  }
}
