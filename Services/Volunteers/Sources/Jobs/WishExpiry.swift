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
    let store = store
    try await PeriodicService("micro-wish expiry", every: interval, logger: logger, what: "wishes") {
      try await store.expireWishes(at: Date(), by: expiry)
    }.run()
  }
}
