import AsyncHTTPClient
import Foundation
import GRPCCore
import GovernanceAPI
import Logging
import Metrics
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceKit
import ServiceLifecycle
import Synchronization
import Tracing

/// Delivers what the relay queued (GatewayStore+Delivery), as a background service of the
/// gateway: webhooks by HTTP POST, signed (WebhookSignature), and people's messages through
/// their channels. Nothing is marked delivered before the receiver acknowledged it (a 2xx, or
/// the provider's own "ok"); a failure is retried with backoff and jitter (DeliveryRules), then
/// kept as a dead letter.
///
/// Attempts run concurrently, at most 64 at once and 4 per lane (an API key, or a route), so a
/// slow or hung receiver holds only its own slots (each attempt gives up after
/// `attemptTimeout`), and never the RPC that produced the event, which committed long before.
///
/// The queue is read when deliveries were queued, when a lane has worked off what the last read
/// gave it, or every half second; what a read finds beyond a lane's four slots waits in memory,
/// and a slot that frees takes the next of its lane at once, so a backlog is worked off without
/// reading the queue again for every attempt.
public final class DeliveryDispatcher: Service, Sendable {
  let store: GatewayStore
  let channels: MessageChannels
  let http: HTTPClient
  let settings: DeliveryRules.Settings
  /// Lets webhooks reach private and loopback hosts (`GOVERNANCE_WEBHOOK_ALLOW_PRIVATE=1`).
  let allowPrivateTargets: Bool
  let logger: Logger
  /// Rung when deliveries were queued, a subscription resumed or a letter replayed, to read the
  /// queue again at once.
  public let wake = CommitSignal()
  private let inFlight = Mutex(InFlight())

  /// The attempts under way, and those that ended while a read of the queue may have been under
  /// way: a read that began before an attempt's outcome was stored still sees it pending, and must
  /// not start it again.
  struct InFlight {
    var ids: Set<String> = []
    var perTarget: [String: Int] = [:]
    /// Ended attempts, by the number of endings counted when each ended.
    var ended: [String: Int] = [:]
    var endings = 0
    /// What the last read found beyond each lane's slots, oldest first.
    var waiting: [String: [GatewayStore.DueDelivery]] = [:]
  }

  /// The most attempts at once, and per target.
  static let concurrency = 64
  static let perTarget = 4

  public init(
    store: GatewayStore, channels: MessageChannels, http: HTTPClient = .withoutRedirects,
    settings: DeliveryRules.Settings, allowPrivateTargets: Bool = false, logger: Logger
  ) {
    self.store = store
    self.channels = channels
    self.http = http
    self.settings = settings
    self.allowPrivateTargets = allowPrivateTargets
    self.logger = logger
  }

  public func run() async throws {
    try? await cancelWhenGracefulShutdown {
      await withDiscardingTaskGroup { group in
        while !Task.isCancelled {
          let seen = self.wake.generation
          let read = self.beginRead()
          do {
            let due = try await self.store.dueDeliveries(at: Date(), limit: 2000, perTarget: 256)
            for delivery in self.schedule(due, read: read) {
              group.addTask {
                var next: GatewayStore.DueDelivery? = delivery
                while let current = next {
                  await self.attempt(current)
                  next = self.release(current)
                }
                // The lane has nothing more in memory: read the queue for what came since.
                self.wake.ring()
              }
            }
          } catch {
            self.logger.error("deliveries could not be read; trying again", metadata: ["error": "\(error)"])
          }
          await self.wake.wait(after: seen, timeout: .milliseconds(500))
        }
      }
    }
  }

  /// Notes that a read of the queue begins: attempts that ended before it are visible to it, and
  /// are forgotten.
  private func beginRead() -> Int {
    inFlight.withLock { state in
      let now = state.endings
      state.ended = state.ended.filter { $0.value > now }
      return now
    }
  }

  /// Sorts what a read found: the deliveries to start now (their lane has a free slot), and the
  /// rest of each lane, kept waiting in memory in place of what the read before left. Skips what
  /// is in flight, or ended after the read began (the read may have seen it still pending).
  private func schedule(_ due: [GatewayStore.DueDelivery], read: Int) -> [GatewayStore.DueDelivery] {
    inFlight.withLock { state in
      var start: [GatewayStore.DueDelivery] = []
      state.waiting = [:]
      for delivery in due where !state.ids.contains(delivery.id) && (state.ended[delivery.id] ?? 0) <= read {
        if state.ids.count < Self.concurrency, state.perTarget[delivery.lane, default: 0] < Self.perTarget {
          Self.take(delivery, in: &state)
          start.append(delivery)
        } else {
          state.waiting[delivery.lane, default: []].append(delivery)
        }
      }
      return start
    }
  }

  private static func take(_ delivery: GatewayStore.DueDelivery, in state: inout InFlight) {
    state.ids.insert(delivery.id)
    state.perTarget[delivery.lane, default: 0] += 1
  }

  /// Frees an ended attempt's slot and answers the next waiting delivery of its lane, taken for
  /// an attempt, if there is one.
  private func release(_ delivery: GatewayStore.DueDelivery) -> GatewayStore.DueDelivery? {
    inFlight.withLock { state in
      state.ids.remove(delivery.id)
      state.endings += 1
      state.ended[delivery.id] = state.endings
      state.perTarget[delivery.lane, default: 1] -= 1
      if state.perTarget[delivery.lane] == 0 { state.perTarget[delivery.lane] = nil }
      while var waiting = state.waiting[delivery.lane], !waiting.isEmpty {
        let next = waiting.removeFirst()
        state.waiting[delivery.lane] = waiting.isEmpty ? nil : waiting
        guard !state.ids.contains(next.id), state.ended[next.id] == nil else { continue }
        Self.take(next, in: &state)
        return next
      }
      return nil
    }
  }

  /// Runs `body` and gives up after `limit`, whatever it was doing (resolving, connecting,
  /// waiting for headers, reading a trickling body): the task is cancelled and the attempt
  /// counts as failed.
  /// - Throws: `DeliveryFailure` after `limit`, or what `body` threw.
  func withDeadline(_ limit: Duration, _ body: @escaping @Sendable () async throws -> Void) async throws {
    let work = Task { try await body() }
    let timer = Task {
      try await Task.sleep(for: limit)
      work.cancel()
    }
    defer { timer.cancel() }
    do {
      try await work.value
    } catch {
      guard timer.isCancelled == false, work.isCancelled else { throw error }
      throw DeliveryFailure("no answer from the receiver within \(limit)", receiverUnavailable: true)
    }
  }

  /// One attempt, recorded whatever came of it.
  func attempt(_ delivery: GatewayStore.DueDelivery) async {
    // With traces on, each attempt is a span in the trace of the call that caused the event, and
    // a webhook receiver gets its traceparent to go on from.
    let span = Self.startSpan(for: delivery)
    let traceparent = span.map(CallTracing.traceparent(of:))
    let outcome: GatewayStore.Outcome
    do {
      try await withDeadline(settings.attemptTimeout) { try await self.send(delivery, traceparent: traceparent) }
      outcome = .delivered
    } catch let failure as DeliveryFailure {
      outcome = .failed(failure)
    } catch {
      outcome = .failed(DeliveryFailure("\(error)"))
    }
    if let span {
      if case .failed(let failure) = outcome {
        // The reason stays in the log: it may name the receiver or quote its answer.
        span.setStatus(SpanStatus(code: .error, message: failure.permanent ? "failed for good" : "failed"))
      }
      span.end()
    }
    Counter(
      label: "governance_deliveries_total",
      dimensions: [("channel", delivery.channel), ("outcome", outcome == .delivered ? "delivered" : "failed")]
    ).increment()
    do {
      if let paused = try await store.record(outcome, of: delivery, settings: settings) {
        // Its deliveries waiting in memory wait in the database instead, until it is resumed.
        inFlight.withLock { $0.waiting[delivery.lane]?.removeAll { $0.target == paused } }
        logger.warning("webhook subscription paused after repeated failures", metadata: ["subscription": "\(paused)"])
        try await store.notifyPaused(subscription: paused)
      }
    } catch {
      // The attempt stays pending and is made again: a receiver de-duplicates by webhook-id. Its
      // slot is held a while first, so a full disk does not turn into a storm of re-sends.
      logger.error(
        "a delivery's outcome could not be stored", metadata: ["delivery": "\(delivery.id)", "error": "\(error)"])
      try? await Task.sleep(for: .seconds(5))
    }
    if case .failed(let failure) = outcome {
      if delivery.channel == "webhook" && failure.receiverUnavailable {
        // What an earlier read left waiting for a slot is read from the queue again, which keeps
        // it back if the subscription is now held (DeliveryRules.holdsSubscription).
        inFlight.withLock { $0.waiting[delivery.lane]?.removeAll { $0.target == delivery.target } }
      }
      logger.notice(
        "delivery failed",
        metadata: [
          "delivery": "\(delivery.id)", "channel": "\(delivery.channel)", "attempt": "\(delivery.attempts + 1)",
          "reason": "\(failure.reason)",
        ])
    }
  }

  /// The span of one attempt: named by channel, with the event's kind and the attempt's number,
  /// never the address; nil when traces are off.
  static func startSpan(for delivery: GatewayStore.DueDelivery) -> (any Span)? {
    guard CallTracing.enabled else { return nil }
    let span = InstrumentationSystem.tracer.startSpan(
      "deliver \(delivery.channel)", context: CallTracing.context(continuing: delivery.traceparent),
      ofKind: .producer)
    span.attributes["governance.delivery.channel"] = delivery.channel
    span.attributes["governance.event.kind"] = delivery.kind
    span.attributes["governance.delivery.attempt"] = delivery.attempts + 1
    return span
  }

  func send(_ delivery: GatewayStore.DueDelivery, traceparent: String? = nil) async throws {
    guard delivery.channel == "webhook" else {
      guard let channel = channels.channel(named: delivery.channel) else {
        throw DeliveryFailure("the \(delivery.channel) channel is not configured", permanent: true)
      }
      let message = try JSONDecoder().decode(OutgoingMessage.self, from: delivery.body)
      try await channel.send(message, to: delivery.address)
      return
    }
    // The name is resolved on NIO's blocking pool, never on the tasks' own threads: a subscriber's
    // DNS server that does not answer holds one slot until the deadline, not the gateway.
    if !allowPrivateTargets, let host = URLComponents(string: delivery.address)?.host,
      try await NIOThreadPool.singleton.runIfActive({ WebhookTarget.resolvesPrivate(host) })
    {
      throw DeliveryFailure("\(host) resolves to a loopback, private or link-local address", permanent: true)
    }
    let timestamp = Int64(Date().timeIntervalSince1970)
    var request = HTTPClientRequest(url: delivery.address)
    request.method = .POST
    request.headers.add(name: "content-type", value: "application/json")
    request.headers.add(name: "user-agent", value: "governance-gateway")
    request.headers.add(name: "webhook-id", value: delivery.id)
    request.headers.add(name: "webhook-timestamp", value: "\(timestamp)")
    if let traceparent, !traceparent.isEmpty {
      request.headers.add(name: "traceparent", value: traceparent)
    }
    request.headers.add(
      name: "webhook-signature",
      value: try WebhookSignature.sign(
        id: delivery.id, timestamp: timestamp, body: delivery.body, secret: delivery.secret ?? ""))
    request.body = .bytes(ByteBuffer(data: delivery.body))
    let timeout = TimeAmount.milliseconds(
      settings.attemptTimeout.components.seconds * 1000 + settings.attemptTimeout.components.attoseconds
        / 1_000_000_000_000_000)
    let response: HTTPClientResponse
    do {
      response = try await http.execute(request, timeout: timeout)
    } catch {
      throw DeliveryFailure("no answer from the receiver: \(error)", receiverUnavailable: true)
    }
    // The answer's body is not needed; reading a little of it frees the connection.
    _ = try? await response.body.collect(upTo: 64 * 1024)
    guard (200..<300).contains(response.status.code) else {
      throw DeliveryFailure(
        "the receiver answered \(response.status.code)",
        receiverUnavailable: DeliveryRules.receiverUnavailable(status: Int(response.status.code)))
    }
  }
}

extension HTTPClient {
  /// The client deliveries go out through: `HTTPClient.shared`'s settings, except that a
  /// redirect is never followed. WebhookTarget checks only the address a subscriber (or an
  /// administrator, for a robot) gave; a receiver answering 307 to a loopback or private address
  /// would otherwise make the gateway post there. A 3xx is a failed attempt like any non-2xx.
  public static let withoutRedirects: HTTPClient = {
    var configuration = HTTPClient.Configuration.singletonConfiguration
    configuration.redirectConfiguration = .disallow
    // A receiver that refuses connections fails the attempt at once, to be retried on the
    // backoff's schedule, instead of holding one of the dispatcher's slots for the whole
    // attempt while the client keeps reconnecting.
    configuration.connectionPool.retryConnectionEstablishment = false
    configuration.timeout.connect = .seconds(5)
    configuration.timeout.read = .seconds(10)
    return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
  }()
}

/// Reads every domain service's outbox after the last sequence stored, fans each page out into
/// deliveries (GatewayStore.relay) and acknowledges it, as a background service of the gateway.
/// A service that is down is asked again every few seconds; nothing it committed is missed,
/// since the cursor moves only with what was stored.
public struct OutboxRelay: Service {
  let store: GatewayStore
  let peers: PeerClients
  let dispatcher: DeliveryDispatcher
  let logger: Logger

  public init(store: GatewayStore, peers: PeerClients, dispatcher: DeliveryDispatcher, logger: Logger) {
    self.store = store
    self.peers = peers
    self.dispatcher = dispatcher
    self.logger = logger
  }

  public func run() async throws {
    try? await cancelWhenGracefulShutdown {
      await withDiscardingTaskGroup { group in
        for service in ServiceIdentity.domainServices {
          group.addTask { await self.follow(service) }
        }
      }
    }
  }

  /// Follows one service's outbox until cancelled.
  func follow(_ service: ServiceIdentity) async {
    let client = Governance_Outbox_V1_OutboxService.Client(wrapping: peers.client(for: service))
    var failing = false
    var pause = Duration.milliseconds(250)
    while !Task.isCancelled {
      do {
        let cursor = try await store.outboxCursor(service)
        var options = CallOptions.defaults
        options.timeout = .seconds(6)
        let page = try await client.readOutbox(
          .with {
            $0.afterSequence = cursor
            $0.pageSize = 500
            $0.waitMilliseconds = 1000
          }, options: options)
        if let last = page.events.last {
          let queued = try await store.relay(page.events, from: service, render: EventText.message(for:))
          if queued > 0 { dispatcher.wake.ring() }
          _ = try? await client.acknowledgeOutbox(.with { $0.throughSequence = last.sequence })
        }
        if failing { logger.info("outbox readable again", metadata: ["peer": "\(service.rawValue)"]) }
        failing = false
        pause = .milliseconds(250)
      } catch {
        if !failing {
          logger.warning(
            "outbox not readable; asking again", metadata: ["peer": "\(service.rawValue)", "error": "\(error)"])
        }
        failing = true
        try? await Task.sleep(for: pause)
        pause = min(pause * 2, .seconds(5))
      }
    }
  }
}
