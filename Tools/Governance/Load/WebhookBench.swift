import AsyncHTTPClient
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import Gateway
import GovernanceAPI
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceKit
import Synchronization

/// The `webhooks` scenario: a receiver of the load tool's own on loopback, subscribed to
/// `case.reported` with a new API key, while cases are created directly in the grid
/// service at the given rate. It measures what the transactional outbox and the gateway's
/// dispatcher deliver: events per second at the receiver, and the delay from the change's commit
/// time (the payload's `timestamp`, the service's clock) to the receiver, once per `webhook-id`.
///
/// The gateway must allow a loopback receiver: start it with `GOVERNANCE_WEBHOOK_ALLOW_PRIVATE=1`.
struct WebhookBench: Sendable {
  /// What the receiver saw: the delays, the ids (for duplicates) and the first and last arrival.
  final class Receipts: Sendable {
    struct State {
      var ids = Set<String>()
      var duplicates = 0
      var first: ContinuousClock.Instant?
      var last: ContinuousClock.Instant?
    }
    let recorder = LoadRecorder()
    let state = Mutex(State())

    func receive(id: String, timestamp: String) {
      let now = ContinuousClock.now
      let fresh = state.withLock { state in
        guard state.ids.insert(id).inserted else {
          state.duplicates += 1
          return false
        }
        state.first = state.first ?? now
        state.last = now
        return true
      }
      guard fresh else { return }
      let parser = ISO8601DateFormatter()
      parser.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
      guard let committed = parser.date(from: timestamp) else {
        recorder.fail(LoadFailure(code: "bad timestamp", description: timestamp))
        return
      }
      recorder.record(.milliseconds(Int64(Date().timeIntervalSince(committed) * 1000)))
    }

    var count: Int { state.withLock { $0.ids.count } }
  }

  /// Runs the scenario: returns the CreateCase report and the delivery report.
  static func run(world: LoadWorld, mode: LoadMode, duration: Duration, receiverPort: Int) async throws
    -> [LoadReport]
  {
    let receipts = Receipts()
    let router = Router()
    router.post("hook") { request, _ -> HTTPResponse.Status in
      let body = try await request.body.collect(upTo: 1 << 20)
      let head = try JSONDecoder().decode(Head.self, from: Data(buffer: body))
      receipts.receive(id: request.headers[HTTPField.Name("webhook-id")!] ?? head.id, timestamp: head.timestamp)
      return .noContent
    }
    // The receiver is cancelled when the run ends, which Hummingbird logs as errors.
    var quiet = Logger(label: "load.receiver")
    quiet.logLevel = .critical
    let receiver = Application(
      router: router, configuration: .init(address: .hostname("127.0.0.1", port: receiverPort)), logger: quiet)
    return try await withThrowingTaskGroup(of: [LoadReport].self) { group in
      group.addTask {
        try await receiver.runService()
        return []
      }
      defer { group.cancelAll() }
      try await Task.sleep(for: .milliseconds(300))
      try await subscribe(world: world, receiver: "http://127.0.0.1:\(receiverPort)/hook")
      let authority = try TokenAuthority.load(
        dataDirectory: world.dataDirectory, environment: ProcessInfo.processInfo.environment)
      let clock = ContinuousClock()
      let creates = LoadRecorder()
      let (started, sent) = try await OperatorClient.connect(to: world.address(.grid), authority: authority) { client in
        let grid = Governance_Grid_V1_GridService.Client(wrapping: client)
        let places = try await LoadWorld.communities(grid)
        let started = clock.now
        await LoadDriver.run(mode: mode, duration: duration, recorder: creates) { number in
          _ = try await grid.createCase(
            .with {
              $0.gridCase.source = .resident
              $0.gridCase.category = "环境卫生"
              $0.gridCase.title = "投递压测\(number)"
              $0.gridCase.divisionCode = places[number % places.count]
            })
        }
        return (started, creates.report(scenario: "", mode: "", elapsed: clock.now - started).completed)
      }
      let createReport = creates.report(scenario: "webhooks: CreateCase", mode: "\(mode)", elapsed: clock.now - started)
      // Every created case's event is awaited, up to a minute after the load ends.
      let deadline = clock.now + .seconds(60)
      while receipts.count < sent && clock.now < deadline {
        try await Task.sleep(for: .milliseconds(100))
      }
      let (first, last, duplicates) = receipts.state.withLock { ($0.first, $0.last, $0.duplicates) }
      if receipts.count < sent {
        receipts.recorder.fail(
          LoadFailure(code: "missing", description: "\(sent - receipts.count) of \(sent) events not delivered in 60 s"))
      }
      if duplicates > 0 {
        receipts.recorder.fail(LoadFailure(code: "duplicate", description: "\(duplicates) deliveries seen twice"))
      }
      let span = first.flatMap { first in last.map { $0 - first } } ?? .zero
      var delivered = receipts.recorder.report(
        scenario: "webhooks: commit to receiver", mode: "delivered", elapsed: max(span, .milliseconds(1)))
      delivered.mode = "\(receipts.count) events"
      return [createReport, delivered]
    }
  }

  struct Head: Decodable {
    var id: String
    var timestamp: String
  }

  /// A new district-role key (a city platform hears only of the cases it pushed), subscribed to
  /// `case.reported` everywhere.
  static func subscribe(world: LoadWorld, receiver: String) async throws {
    var quiet = Logger(label: "load")
    quiet.logLevel = .warning
    let store = try GatewayStore.open(dataDirectory: world.dataDirectory, logger: quiet)
    let key = try await store.createAPIKey(
      name: "webhook-load-\(UUID().uuidString.prefix(8))", role: .district, scope: "")
    var request = HTTPClientRequest(url: "http://\(world.address(.gateway))/webhooks/subscriptions")
    request.method = .POST
    request.headers.add(name: "Content-Type", value: "application/json")
    request.headers.add(name: "Authorization", value: "Bearer \(key)")
    request.body = .bytes(ByteBuffer(string: #"{"url": "\#(receiver)", "kinds": ["case.reported"]}"#))
    let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
    let answer = try await response.body.collect(upTo: 64 * 1024)
    guard response.status == .created else {
      throw LoadFailure(
        code: "subscribe",
        description: "\(response.status): \(String(buffer: answer)) (is GOVERNANCE_WEBHOOK_ALLOW_PRIVATE=1 set?)")
    }
  }
}
