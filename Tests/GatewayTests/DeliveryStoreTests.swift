import Foundation
import GovernanceAPI
import ServiceKit
import Testing

@testable import Gateway

@Suite("Delivery store: fan-out with the cursor, order per record, retries, dead letters, pausing, the bell")
struct DeliveryStoreTests {
  static func store() async throws -> GatewayStore {
    GatewayStore(writer: try GovernanceDatabase.makeEmptyTestDatabase(migrator: GatewayStore.migrator))
  }

  static func event(
    _ sequence: Int64, kind: String = "case.reported", record: String = "cas_1",
    division: String = "320113005001", recipient: String = "", urgent: Bool = false, externalID: String = "12345-1"
  ) -> Outbox.Event {
    .with {
      $0.sequence = sequence
      $0.id = "evt_grid_\(sequence)"
      $0.kind = kind
      $0.record = record
      $0.divisionCode = division
      $0.recipient = recipient
      $0.occurredAt = .init(date: Date())
      $0.dataJson = #"{"gridCase":{"caseNumber":"20261201-0001","title":"路灯不亮","externalId":"\#(externalID)"}}"#
      $0.urgent = urgent
    }
  }

  @Test("an event is fanned out once, with the cursor, to the subscriptions whose kinds and jurisdiction match")
  func fanOutOnceWithTheCursor() async throws {
    let store = try await Self.store()
    _ = try await store.createAPIKey(name: "city", role: .cityPlatform, scope: "3201")
    _ = try await store.createAPIKey(name: "other", role: .cityPlatform, scope: "3202")
    let cases = try await store.subscribe(
      apiKey: "city", url: "https://city.example.cn/h", kinds: ["case.*"], divisionPrefix: "3201", allowPrivate: false)
    _ = try await store.subscribe(
      apiKey: "other", url: "https://other.example.cn/h", kinds: ["*"], divisionPrefix: "3202", allowPrivate: false)
    await #expect(throws: DomainError.self) {
      _ = try await store.subscribe(
        apiKey: "other", url: "https://x.example.cn/h", kinds: ["*"], divisionPrefix: "32", allowPrivate: false)
    }
    // A city platform hears of the cases it pushed (with an external id), as the change feed says.
    let events = [
      Self.event(1, division: "320113005001"), Self.event(2, kind: "digest.daily", division: "320113005001"),
      Self.event(3, record: "cas_2", externalID: ""),
    ]
    #expect(try await store.relay(events, from: .grid, render: EventText.message(for:)) == 1)
    // Read again after a crash between storing and acknowledging: nothing is queued twice.
    #expect(try await store.relay(events, from: .grid, render: EventText.message(for:)) == 0)
    #expect(try await store.outboxCursor(.grid) == 3)
    #expect(try await store.outboxCursor(.volunteers) == 0)
    let due = try await store.dueDeliveries(at: Date(), limit: 10)
    #expect(due.map(\.target) == [cases.id])
    let body = try JSONSerialization.jsonObject(with: due[0].body) as? [String: Any]
    #expect(body?["type"] as? String == "case.reported" && body?["id"] as? String == "evt_grid_1")
    #expect((body?["data"] as? [String: Any])?["gridCase"] != nil)
  }

  @Test("deliveries of one record go in order; a failure is retried later, then a dead letter, and replayed")
  func orderRetriesDeadLettersAndReplay() async throws {
    let store = try await Self.store()
    _ = try await store.createAPIKey(name: "city", role: .cityPlatform, scope: "")
    _ = try await store.subscribe(
      apiKey: "city", url: "https://city.example.cn/h", kinds: ["*"], divisionPrefix: "", allowPrivate: false)
    let events = [Self.event(1, record: "cas_1"), Self.event(2, record: "cas_1"), Self.event(3, record: "cas_2")]
    _ = try await store.relay(events, from: .grid, render: EventText.message(for:))
    var settings = DeliveryRules.Settings()
    settings.attempts = 2
    let now = Date()
    var due = try await store.dueDeliveries(at: now, limit: 10)
    // The second event of cas_1 waits for the first.
    #expect(due.count == 2 && Set(due.map(\.record)) == ["cas_1", "cas_2"])
    let first = try #require(due.first { $0.record == "cas_1" })
    try await store.record(
      .failed(DeliveryFailure("the receiver answered 422")), of: first, settings: settings, at: now, unit: 0)
    // Not due again before its backoff (2.5 s at the least), and cas_1's second still waits; a
    // failure that does not find the receiver unavailable holds back nothing else.
    due = try await store.dueDeliveries(at: now.addingTimeInterval(1), limit: 10)
    #expect(due.map(\.record) == ["cas_2"])
    due = try await store.dueDeliveries(at: now.addingTimeInterval(3), limit: 10)
    let again = try #require(due.first { $0.record == "cas_1" })
    #expect(again.id == first.id && again.attempts == 1)
    try await store.record(
      .failed(DeliveryFailure("the receiver answered 422")), of: again, settings: settings, at: now, unit: 0)
    let dead = try await store.deliveries(state: "dead", apiKey: nil)
    #expect(dead.map(\.id) == [first.id] && dead[0].attempts == 2 && dead[0].lastError == "the receiver answered 422")
    // With the first a dead letter, cas_1's second goes on.
    due = try await store.dueDeliveries(at: now.addingTimeInterval(10), limit: 10)
    #expect(due.filter { $0.record == "cas_1" }.count == 1 && !due.contains { $0.id == first.id })
    try await store.replay(delivery: first.id, at: now)
    #expect(try await store.deliveries(state: "dead", apiKey: nil).isEmpty)
    await #expect(throws: DomainError.self) { try await store.replay(delivery: first.id) }
  }

  @Test("an unavailable receiver holds back its subscription until the retry, new events too; others go on")
  func anUnavailableReceiverHoldsBackItsSubscription() async throws {
    let store = try await Self.store()
    _ = try await store.createAPIKey(name: "city", role: .cityPlatform, scope: "")
    _ = try await store.createAPIKey(name: "district", role: .cityPlatform, scope: "")
    let down = try await store.subscribe(
      apiKey: "city", url: "https://city.example.cn/h", kinds: ["*"], divisionPrefix: "", allowPrivate: false)
    let up = try await store.subscribe(
      apiKey: "district", url: "https://district.example.cn/h", kinds: ["*"], divisionPrefix: "",
      allowPrivate: false)
    _ = try await store.relay(
      (1...5).map { Self.event($0, record: "cas_\($0)") }, from: .grid, render: EventText.message(for:))
    let now = Date()
    let due = try await store.dueDeliveries(at: now, limit: 20)
    let downs = due.filter { $0.target == down.id }
    #expect(downs.count == 5 && due.filter { $0.target == up.id }.count == 5)
    let refused = DeliveryFailure("no answer from the receiver: connection refused", receiverUnavailable: true)
    // One failure holds nothing back: it may be that message's own.
    try await store.record(.failed(refused), of: downs[0], settings: DeliveryRules.Settings(), at: now, unit: 0)
    #expect(try await store.dueDeliveries(at: now.addingTimeInterval(1), limit: 20).count { $0.target == down.id } == 4)
    // A second in a row holds the subscription until its retry, 2.5 s on (5 s base, the lower
    // half of its jitter): its siblings wait with their attempts untouched, and so does an event
    // relayed meanwhile; the other subscription is still due.
    try await store.record(.failed(refused), of: downs[1], settings: DeliveryRules.Settings(), at: now, unit: 0)
    _ = try await store.relay([Self.event(6, record: "cas_6")], from: .grid, at: now, render: EventText.message(for:))
    let meanwhile = try await store.dueDeliveries(at: now.addingTimeInterval(2), limit: 20)
    #expect(meanwhile.allSatisfy { $0.target == up.id } && meanwhile.count == 6)
    let retried = try await store.dueDeliveries(at: now.addingTimeInterval(2.6), limit: 20)
    #expect(retried.filter { $0.target == down.id }.count == 6)
    #expect(retried.filter { $0.target == down.id && $0.attempts == 0 }.count == 4)
    // An attempt that was under way when the hold began succeeds: the receiver is back, and what
    // the hold kept back is due at once; so is what is relayed next.
    try await store.record(.delivered, of: downs[2], settings: DeliveryRules.Settings(), at: now.addingTimeInterval(1))
    let released = try await store.dueDeliveries(at: now.addingTimeInterval(1), limit: 20)
    #expect(released.filter { $0.target == down.id }.count == 5)
    _ = try await store.relay([Self.event(7, record: "cas_7")], from: .grid, at: now, render: EventText.message(for:))
    #expect(try await store.dueDeliveries(at: now, limit: 20).contains { $0.target == down.id && $0.record == "cas_7" })
    // A message refused (a 4xx) is that delivery's own, however often: the rest goes on.
    let upDue = try await store.dueDeliveries(at: now.addingTimeInterval(1), limit: 20).filter { $0.target == up.id }
    #expect(upDue.count == 7)
    for delivery in upDue.prefix(2) {
      try await store.record(
        .failed(DeliveryFailure("the receiver answered 422")), of: delivery, settings: DeliveryRules.Settings(),
        at: now, unit: 0)
    }
    let after = try await store.dueDeliveries(at: now.addingTimeInterval(1), limit: 20)
    #expect(after.filter { $0.target == up.id }.count == 5)
  }

  @Test("a subscription that keeps failing is paused, its deliveries held, and resumed by an administrator")
  func pausedAndResumed() async throws {
    let store = try await Self.store()
    _ = try await store.createAPIKey(name: "city", role: .cityPlatform, scope: "")
    _ = try await store.createUser(
      username: "admin", password: "a-long-password-2026", role: .cityAdministrator, scope: "")
    let subscription = try await store.subscribe(
      apiKey: "city", url: "https://city.example.cn/h", kinds: ["*"], divisionPrefix: "", allowPrivate: false)
    _ = try await store.relay(
      (1...3).map { Self.event($0, record: "cas_\($0)") }, from: .grid, render: EventText.message(for:))
    var settings = DeliveryRules.Settings()
    settings.pauseAfterFailures = 3
    settings.pauseAfterFailing = .zero
    let now = Date()
    var paused: String?
    for delivery in try await store.dueDeliveries(at: now, limit: 10) {
      paused = try await store.record(.failed(DeliveryFailure("timeout")), of: delivery, settings: settings, at: now)
    }
    #expect(paused == subscription.id)
    try await store.notifyPaused(subscription: subscription.id)
    #expect(try await store.subscriptions(apiKey: "city").first?.state == "paused")
    #expect(try await store.dueDeliveries(at: now.addingTimeInterval(86_400), limit: 10).isEmpty)
    #expect(try await store.deliveries(state: "pending", apiKey: "city").count == 3)
    #expect(try await store.notifications(username: "admin").unread == 1)
    try await store.changeSubscription(id: subscription.id, apiKey: nil, delete: false)
    #expect(try await store.dueDeliveries(at: now.addingTimeInterval(86_400), limit: 10).count == 3)
  }

  @Test("routes reach the bell of the role's accounts in the division, or the person the event names")
  func routesReachTheBell() async throws {
    let store = try await Self.store()
    _ = try await store.createUser(
      username: "shequ", password: "a-long-password-2026", role: .community, scope: "320113005001")
    _ = try await store.createUser(
      username: "other", password: "a-long-password-2026", role: .community, scope: "320113005002")
    _ = try await store.createUser(
      username: "wang", password: "a-long-password-2026", role: .gridWorker, scope: "320113005001")
    try await store.setContact(username: "wang", phone: "13800138000", email: "wang@example.cn")
    _ = try await store.addRoute(
      .init(
        id: "", kinds: ["case.escalated"], role: "community", divisionPrefix: "", channel: "bell", address: "",
        quietStart: 0, quietEnd: 0), allowPrivate: false)
    _ = try await store.addRoute(
      .init(
        id: "", kinds: ["case.deadline_approaching"], role: "recipient", divisionPrefix: "", channel: "sms",
        address: "", quietStart: 0, quietEnd: 0), allowPrivate: false)
    _ = try await store.relay(
      [
        Self.event(1, kind: "case.escalated"), Self.event(2, kind: "case.deadline_approaching", recipient: "user:wang"),
      ],
      from: .grid, render: EventText.message(for:))
    let bell = try await store.notifications(username: "shequ")
    #expect(bell.unread == 1 && bell.items[0].title.contains("20261201-0001"))
    #expect(try await store.notifications(username: "other").unread == 0)
    let sms = try await store.dueDeliveries(at: Date(), limit: 10)
    #expect(sms.map(\.channel) == ["sms"] && sms[0].address == "13800138000")
    #expect(try await store.markNotificationsRead(username: "shequ", through: bell.items[0].seq) == 1)
    #expect(try await store.notifications(username: "shequ").unread == 0)
  }

  @Test("delivered messages are kept a week, dead letters 90 days")
  func pruning() async throws {
    let store = try await Self.store()
    _ = try await store.createAPIKey(name: "city", role: .cityPlatform, scope: "")
    _ = try await store.subscribe(
      apiKey: "city", url: "https://city.example.cn/h", kinds: ["*"], divisionPrefix: "", allowPrivate: false)
    _ = try await store.relay(
      [Self.event(1, record: "cas_1"), Self.event(2, record: "cas_2")], from: .grid, render: EventText.message(for:))
    let now = Date()
    let due = try await store.dueDeliveries(at: now, limit: 10)
    try await store.record(.delivered, of: due[0], settings: .init(), at: now)
    try await store.record(.failed(DeliveryFailure("gone", permanent: true)), of: due[1], settings: .init(), at: now)
    #expect(try await store.pruneDeliveries(at: now.addingTimeInterval(6 * 86_400)) == 0)
    #expect(try await store.pruneDeliveries(at: now.addingTimeInterval(8 * 86_400)) == 1)
    #expect(try await store.deliveries(state: "dead", apiKey: nil).count == 1)
    #expect(try await store.pruneDeliveries(at: now.addingTimeInterval(91 * 86_400)) == 1)
  }
}
