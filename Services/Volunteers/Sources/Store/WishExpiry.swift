import Foundation
import Logging
import ServiceKit
import ServiceLifecycle

/// Expires micro-wishes whose date has passed, as a background service of the volunteers
/// process. Every transition also checks the date itself, so a wish is never claimed or
/// fulfilled after it expired even between rounds.
public struct WishExpiry: Service {
  private let store: VolunteersStore
  private let interval: Duration
  private let logger: Logger

  public init(store: VolunteersStore, interval: Duration = .seconds(600), logger: Logger) {
    self.store = store
    self.interval = interval
    self.logger = logger
  }

  public func run() async throws {
    let expiry = Principal(service: .volunteers)
    do {
      try await cancelWhenGracefulShutdown {
        while !Task.isCancelled {
          do {
            let expired = try await store.expireWishes(at: Date(), by: expiry)
            if expired > 0 { logger.info("micro-wishes expired", metadata: ["wishes": "\(expired)"]) }
          } catch let error as CancellationError {
            throw error
          } catch {
            logger.error("micro-wish expiry failed", metadata: ["error": "\(error)"])
          }
          try await Task.sleep(for: interval)
        }
      }
    } catch is CancellationError {
      return
    }
  }
}
