import Foundation
import Logging
import ServiceKit
import ServiceLifecycle

/// Warns of deadlines and escalates cases whose deadline has passed, as a background service of
/// the grid process. `sweep(at:)` takes the time, so tests drive it with a clock of their own.
///
/// It reads the deadlines from the database each round, so it picks up after a restart where it
/// left off; each escalation re-checks the deadline inside its transaction, so no deadline
/// escalates a case twice. Grid and community cases climb one level automatically; at the street
/// and above the case is marked overdue, since the street itself decides which department to
/// summon.
///
/// A round that fails (a busy database) is logged and the next one tries again; a case that
/// cannot be escalated for what it holds is skipped, logged once and counted
/// (`PoisonRecords`), and the sweep goes on with the others.
public struct DeadlineSweep: Service {
  private let store: GridStore
  private let interval: Duration
  private let logger: Logger
  /// The cases skipped, by `id@deadline`.
  public let poisoned = PoisonRecords(job: "deadline_sweep")

  public init(store: GridStore, interval: Duration = .seconds(30), logger: Logger) {
    self.store = store
    self.interval = interval
    self.logger = logger
  }

  public func run() async throws {
    try await PeriodicService("deadline sweep", every: interval, logger: logger, what: "cases") {
      try await sweep(at: Date())
    }.run()
  }

  /// One round: the handlers of cases whose warning time came are warned (CaseNotices), and
  /// every open case past its deadline escalates or turns overdue (its handler told, once);
  /// returns how many cases were warned, escalated or marked.
  @discardableResult
  public func sweep(at time: Date, batch: Int = 500) async throws -> Int {
    let sweeper = Principal(service: .grid)
    var handled = try await store.warnApproachingDeadlines(at: time, limit: batch)
    // Skipped cases stay first in deadline order: the batch is widened by their number.
    for (id, deadline) in try await store.casesPastDeadline(at: time, limit: batch + poisoned.count)
    where !poisoned.contains("\(id)@\(deadline)") {
      do {
        guard let gridCase = try await store.gridCase(id: id) else { continue }
        switch gridCase.handler.level {
        case .grid, .community:
          _ = try await store.moveCase(
            requestID: "", request: gridCase, caseID: id, note: "时限已过，自动上报",
            automaticFor: deadline, by: sweeper, at: time
          ) { try CaseEscalation.nextUnit(above: $0.handler, department: "") }
        default:
          try await store.markOverdue(caseID: id, deadline: deadline, by: sweeper, at: time)
        }
        handled += 1
      } catch  where PoisonRecords.isRecordsFault(error) {
        poisoned.skip("\(id)@\(deadline)", error: error, logger: logger)
      }
    }
    return handled
  }
}
