import Logging
import ServiceLifecycle

/// The loop every background job of a service runs: one round, then a pause, until the process
/// shuts down. A round that fails is logged with the job's name and the error, and the next
/// round tries again, so no error ends the job or the service group with it; cancellation and
/// graceful shutdown end it quietly.
public enum PeriodicJob {
  /// Runs `round` every `interval` until shutdown. `round` returns how many records it handled,
  /// logged as `what` when above zero.
  public static func run(
    _ name: String, every interval: Duration, logger: Logger, what: String = "records",
    round: @escaping @Sendable () async throws -> Int
  ) async throws {
    do {
      try await cancelWhenGracefulShutdown {
        while !Task.isCancelled {
          do {
            let handled = try await round()
            if handled > 0 { logger.info("\(name)", metadata: [what: "\(handled)"]) }
          } catch let error as CancellationError {
            throw error
          } catch {
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
