import Logging
import Metrics
import ServiceLifecycle

/// The one loop every background job of a service runs (a deadline sweep, an alarm hand-over, a
/// wish expiry, a ledger pruning): one round (`tick`), then a pause, until the process shuts down.
///
/// A round that fails is logged with the job's name and the error, counted in
/// `governance_job_rounds_failed_total{job}`, and the next round tries again: no error ends the
/// job or the service group with it. Cancellation and graceful shutdown end it quietly.
public struct PeriodicService: Service {
  /// The job's name in logs and metrics.
  public let name: String
  /// The pause between rounds.
  public let interval: Duration
  /// What a round counts, in the log line of a round that did something ("cases").
  public let what: String
  private let logger: Logger
  private let tick: @Sendable () async throws -> Int

  /// - Parameter tick: one round; returns how many records it handled.
  public init(
    _ name: String, every interval: Duration, logger: Logger, what: String = "records",
    tick: @escaping @Sendable () async throws -> Int
  ) {
    self.name = name
    self.interval = interval
    self.what = what
    self.logger = logger
    self.tick = tick
  }

  public func run() async throws {
    let failures = Counter(label: "governance_job_rounds_failed_total", dimensions: [("job", name)])
    do {
      try await cancelWhenGracefulShutdown {
        while !Task.isCancelled {
          do {
            let handled = try await tick()
            if handled > 0 { logger.info("\(name)", metadata: [what: "\(handled)"]) }
          } catch let error as CancellationError {
            throw error
          } catch {
            failures.increment()
            logger.error("\(name) failed; the next round tries again", metadata: ["error": "\(error)"])
          }
          try await Task.sleep(for: interval)
        }
      }
    } catch is CancellationError {
      return
    }
  }
}
