import Foundation
import GovernanceAPI
import Logging
import ServiceKit
import ServiceLifecycle

/// Appends each community's and street's digest of the day before (`digest.daily`) once the
/// city's morning has come, as a background service of the grid process.
///
/// Every round looks at the clock it is given; the digests are once-only per division and day,
/// so a round after a restart, or a second round the same morning, appends nothing twice.
public struct DailyDigest: Service {
  private let store: GridStore
  private let interval: Duration
  private let logger: Logger

  /// The hour of the city's day (Asia/Shanghai) from which yesterday's digest goes out: 7:00,
  /// before the community's morning meeting.
  public static let hour = 7

  public init(store: GridStore, interval: Duration = .seconds(300), logger: Logger) {
    self.store = store
    self.interval = interval
    self.logger = logger
  }

  public func run() async throws {
    try await PeriodicService("daily digest", every: interval, logger: logger, what: "digests") {
      try await round(at: Date())
    }.run()
  }

  /// The day whose digest is due at `time`: yesterday in the city from 7:00, else the day before.
  public static func dueDay(at time: Date) -> Governance_Common_V1_Date {
    CalendarDate.today(at: time.addingTimeInterval(-Double(hour) * 3600 - 24 * 3600))
  }

  /// One round at `time`: appends the due day's digests not yet appended; returns how many.
  @discardableResult
  public func round(at time: Date) async throws -> Int {
    try await store.appendDailyDigests(for: Self.dueDay(at: time), at: time)
  }
}
