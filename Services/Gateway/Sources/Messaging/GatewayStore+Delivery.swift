import Foundation
import GRDB
import GovernanceAPI
import ServiceKit

/// What the gateway keeps to deliver the services' events (Outbox): how far it has read each
/// service's outbox, webhook subscriptions, message routes, people's contacts, the deliveries
/// themselves (pending, delivered or dead letters) and the console's notifications (the bell).
///
/// An event read from a service is fanned out into deliveries and notifications in the same
/// transaction that moves that service's cursor past it: it is stored once, or not at all and
/// read again.
extension GatewayStore {
  static func registerDeliveryMigration(_ migrator: inout DatabaseMigrator) {
    migrator.registerMigration("v3-delivery") { db in
      try db.create(table: "outbox_cursor") { table in
        table.primaryKey("service", .text)
        table.column("sequence", .integer).notNull()
      }
      try db.create(table: "webhook_subscription") { table in
        table.primaryKey("id", .text)
        table.column("api_key", .text).notNull().indexed()
        table.column("url", .text).notNull()
        table.column("secret", .text).notNull()
        table.column("kinds", .text).notNull()
        table.column("division_prefix", .text).notNull()
        table.column("state", .text).notNull()
        table.column("failures", .integer).notNull().defaults(to: 0)
        // When the current run of failures began (Unix ms); null after a success.
        table.column("failing_since", .integer)
        table.column("paused_reason", .text).notNull().defaults(to: "")
        table.column("created_at", .datetime).notNull()
      }
      try db.create(table: "message_route") { table in
        table.primaryKey("id", .text)
        table.column("kinds", .text).notNull()
        table.column("role", .text).notNull()
        table.column("division_prefix", .text).notNull()
        table.column("channel", .text).notNull()
        table.column("address", .text).notNull()
        table.column("quiet_start", .integer).notNull()
        table.column("quiet_end", .integer).notNull()
        table.column("created_at", .datetime).notNull()
      }
      try db.create(table: "user_contact") { table in
        table.primaryKey("username", .text).references("user", onDelete: .cascade)
        table.column("phone", .text).notNull()
        table.column("email", .text).notNull()
      }
      try db.create(table: "delivery") { table in
        table.autoIncrementedPrimaryKey("seq")
        table.column("id", .text).notNull().unique()
        table.column("event_id", .text).notNull()
        table.column("kind", .text).notNull()
        table.column("record", .text).notNull()
        // `whk_…` for a webhook, `rte_…/<recipient>` for a route's channel.
        table.column("target", .text).notNull()
        table.column("channel", .text).notNull()
        table.column("address", .text).notNull()
        table.column("body", .blob).notNull()
        table.column("state", .text).notNull()
        table.column("attempts", .integer).notNull().defaults(to: 0)
        table.column("next_attempt_at", .integer).notNull()
        table.column("last_error", .text).notNull().defaults(to: "")
        table.column("occurred_at", .integer).notNull()
        table.column("delivered_at", .integer)
        // The event's division, for administrators held to a jurisdiction.
        table.column("division_code", .text).notNull()
        // A route's quiet hours (minutes after midnight; equal for none) and the event's urgency,
        // which every retry keeps to.
        table.column("quiet_start", .integer).notNull().defaults(to: 0)
        table.column("quiet_end", .integer).notNull().defaults(to: 0)
        table.column("urgent", .boolean).notNull().defaults(to: false)
        table.uniqueKey(["event_id", "target"])
      }
      try db.create(index: "delivery_due", on: "delivery", columns: ["state", "next_attempt_at"])
      try db.create(index: "delivery_order", on: "delivery", columns: ["target", "record", "seq"])
      try db.create(table: "notification") { table in
        table.autoIncrementedPrimaryKey("seq")
        table.column("username", .text).notNull()
        table.column("event_id", .text).notNull()
        table.column("kind", .text).notNull()
        table.column("title", .text).notNull()
        table.column("body", .text).notNull()
        table.column("link", .text).notNull()
        table.column("created_at", .integer).notNull()
        table.column("read_at", .integer)
        table.uniqueKey(["event_id", "username"])
      }
      try db.create(index: "notification_unread", on: "notification", columns: ["username", "read_at", "seq"])
      for (number, route) in DeliveryRules.defaultRoutes.enumerated() {
        try db.execute(
          sql: """
            INSERT INTO message_route (id, kinds, role, division_prefix, channel, address, quiet_start, quiet_end, created_at)
            VALUES (?, ?, ?, '', 'bell', '', 0, 0, CURRENT_TIMESTAMP)
            """, arguments: ["rte_default\(number + 1)", route.kinds.joined(separator: ","), route.role])
      }
    }
  }

  // MARK: Reading the outboxes

  /// The last sequence stored from `service`'s outbox (0 before the first).
  public func outboxCursor(_ service: ServiceIdentity) async throws -> Int64 {
    try await writer.read { db in
      try Int64.fetchOne(db, sql: "SELECT sequence FROM outbox_cursor WHERE service = ?", arguments: [service.rawValue])
        ?? 0
    }
  }

  /// Stores `events` read from `service`'s outbox: each fanned out to the webhooks and routes it
  /// matches (DeliveryRules), and the cursor moved past the last, in one transaction. An event
  /// at or before the cursor (read twice) is skipped. Returns how many deliveries were queued.
  public func relay(
    _ events: [Outbox.Event], from service: ServiceIdentity, at time: Date = Date(),
    render: @escaping @Sendable (Outbox.Event) -> OutgoingMessage
  ) async throws -> Int {
    guard let last = events.last?.sequence else { return 0 }
    let now = Int64(time.timeIntervalSince1970 * 1000)
    return try await writer.write { db in
      let cursor =
        try Int64.fetchOne(
          db, sql: "SELECT sequence FROM outbox_cursor WHERE service = ?", arguments: [service.rawValue])
        ?? 0
      let subscriptions = try Row.fetchAll(
        db,
        sql: """
          SELECT s.id, s.url, s.kinds, s.division_prefix, s.held_until, k.scope, k.role FROM webhook_subscription s
          JOIN api_key k ON k.name = s.api_key WHERE k.revoked_at IS NULL
          """)
      let routes = try Row.fetchAll(db, sql: "SELECT * FROM message_route")
      let platformListens = subscriptions.contains { $0["role"] as String == Role.cityPlatform.rawValue }
      var queued = 0
      for event in events where event.sequence > cursor {
        let occurred = Int64(event.occurredAt.date.timeIntervalSince1970 * 1000)
        // The record is parsed only when a city platform may hear of it (DeliveryRules.cityPlatformHears).
        let externalID = platformListens && event.kind.hasPrefix("case.") ? Self.externalID(of: event) : nil
        for subscription in subscriptions {
          let kinds = (subscription["kinds"] as String).split(separator: ",").map(String.init)
          let scope: String = subscription["scope"]
          guard DeliveryRules.kindMatches(kinds, event.kind),
            event.divisionCode.hasPrefix(subscription["division_prefix"] as String),
            event.divisionCode.hasPrefix(scope),
            subscription["role"] as String != Role.cityPlatform.rawValue
              || DeliveryRules.cityPlatformHears(kind: event.kind, externalID: externalID)
          else { continue }
          // A subscription held back after its receiver was unavailable queues for its retry.
          queued += try Self.queue(
            db, event: event, target: subscription["id"], channel: "webhook", address: subscription["url"],
            body: WebhookPayload.body(event), due: max(now, subscription["held_until"] ?? 0), occurred: occurred)
        }
        var message: OutgoingMessage?
        for route in routes {
          let kinds = (route["kinds"] as String).split(separator: ",").map(String.init)
          guard DeliveryRules.kindMatches(kinds, event.kind),
            event.divisionCode.hasPrefix(route["division_prefix"] as String)
          else { continue }
          let rendered = message ?? render(event)
          message = rendered
          let due = Int64(
            DeliveryRules.releaseTime(
              at: time, quietStart: route["quiet_start"], quietEnd: route["quiet_end"], urgent: event.urgent
            ).timeIntervalSince1970 * 1000)
          let channel: String = route["channel"]
          let routeID: String = route["id"]
          if channel == "wecom" {
            queued += try Self.queue(
              db, event: event, target: routeID, channel: channel, address: route["address"],
              body: try JSONEncoder().encode(rendered), due: due, occurred: occurred,
              quiet: (route["quiet_start"], route["quiet_end"]))
            continue
          }
          for person in try Self.audience(db, role: route["role"], event: event) {
            switch channel {
            case "bell":
              try db.execute(
                sql: """
                  INSERT OR IGNORE INTO notification (username, event_id, kind, title, body, link, created_at)
                  VALUES (?, ?, ?, ?, ?, ?, ?)
                  """,
                arguments: [person.username, event.id, event.kind, rendered.title, rendered.body, rendered.link, now])
            case "sms", "email":
              let address = channel == "sms" ? person.phone : person.email
              guard !address.isEmpty else { continue }
              queued += try Self.queue(
                db, event: event, target: "\(routeID)/\(person.username)", channel: channel, address: address,
                body: try JSONEncoder().encode(rendered), due: due, occurred: occurred,
                quiet: (route["quiet_start"], route["quiet_end"]))
            default: continue
            }
          }
        }
      }
      try db.execute(
        sql: """
          INSERT INTO outbox_cursor (service, sequence) VALUES (?, ?)
          ON CONFLICT (service) DO UPDATE SET sequence = excluded.sequence WHERE excluded.sequence > sequence
          """,
        arguments: [service.rawValue, last])
      return queued
    }
  }

  /// The external id (the city platform's own number) of a case event's case, if it has one.
  static func externalID(of event: Outbox.Event) -> String? {
    guard let data = try? JSONSerialization.jsonObject(with: Data(event.dataJson.utf8)) as? [String: Any] else {
      return nil
    }
    return (data["gridCase"] as? [String: Any])?["externalId"] as? String
  }

  /// A person a route reaches, with their contacts ("" when not given).
  struct Person {
    var username: String
    var phone: String
    var email: String
  }

  /// The people a route for `role` reaches with `event`: `recipient` means the one the event
  /// names (the assigned worker); a role means every account of that role whose scope holds the
  /// event's division (for a digest, whose scope is that division: DeliveryRules).
  static func audience(_ db: Database, role: String, event: Outbox.Event) throws -> [Person] {
    let rows: [Row]
    if role == "recipient" {
      guard event.recipient.hasPrefix("user:") else { return [] }
      rows = try Row.fetchAll(
        db,
        sql: """
          SELECT u.username, c.phone, c.email FROM user u LEFT JOIN user_contact c ON c.username = u.username
          WHERE u.username = ?
          """, arguments: [String(event.recipient.dropFirst("user:".count))])
    } else {
      rows = try Row.fetchAll(
        db,
        sql: """
          SELECT u.username, c.phone, c.email FROM user u LEFT JOIN user_contact c ON c.username = u.username
          WHERE u.role = ? AND substr(?, 1, length(u.scope)) = u.scope AND (? = 0 OR u.scope = ?)
          """,
        arguments: [
          role, event.divisionCode, DeliveryRules.reachesOnlyItsOwnDivision(event.kind), event.divisionCode,
        ])
    }
    return rows.map { Person(username: $0["username"], phone: $0["phone"] ?? "", email: $0["email"] ?? "") }
  }

  /// A delivery keeps the trace of the call that caused its event (`Outbox.Event.traceparent`), so
  /// its attempts join that trace.
  static func registerDeliveryTraceMigration(_ migrator: inout DatabaseMigrator) {
    migrator.registerMigration("v5-delivery-trace") { db in
      try db.alter(table: "delivery") { table in
        table.add(column: "traceparent", .text).notNull().defaults(to: "")
      }
    }
  }

  /// A subscription whose receiver was found unavailable is held until the failed attempt's
  /// retry: `held_until`, Unix milliseconds, NULL when not held (`DeliveryRules.holdsSubscription`).
  static func registerDeliveryHoldMigration(_ migrator: inout DatabaseMigrator) {
    migrator.registerMigration("v6-delivery-hold") { db in
      try db.alter(table: "webhook_subscription") { table in
        table.add(column: "held_until", .integer)
      }
    }
  }

  /// Queues one delivery, once per event and target; returns 1 when it is new.
  static func queue(
    _ db: Database, event: Outbox.Event, target: String, channel: String, address: String, body: Data, due: Int64,
    occurred: Int64, quiet: (start: Int, end: Int) = (0, 0)
  ) throws -> Int {
    try db.execute(
      sql: """
        INSERT OR IGNORE INTO delivery
          (id, event_id, kind, record, target, channel, address, body, state, next_attempt_at, occurred_at,
           division_code, quiet_start, quiet_end, urgent, traceparent)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?)
        """,
      arguments: [
        "msg_" + Credentials.randomToken().prefix(22), event.id, event.kind, event.record, target, channel, address,
        body, due, occurred, event.divisionCode, quiet.start, quiet.end, event.urgent, event.traceparent,
      ])
    return db.changesCount
  }

  // MARK: Delivering

  /// A delivery due to be attempted.
  public struct DueDelivery: Sendable, Equatable {
    public var seq: Int64
    public var id: String
    public var target: String
    public var record: String
    public var channel: String
    public var address: String
    public var body: Data
    public var attempts: Int
    /// The webhook's secret; nil for a channel.
    public var secret: String?
    /// Who answers for the receiver: the API key of a webhook, the route of a channel. The
    /// dispatcher's share of attempts is per lane, so one key's many subscriptions cannot take
    /// every slot.
    public var lane: String
    /// The route's quiet hours and the event's urgency, for the retries.
    public var quietStart: Int
    public var quietEnd: Int
    public var urgent: Bool
    /// The trace of the call that caused the event, or "".
    public var traceparent: String = ""
    /// The event's kind (`case.escalated`).
    public var kind: String = ""
  }

  /// Pending deliveries due at `time`, oldest first, at most `limit` and at most `perTarget` of
  /// each target (so a receiver with a long queue does not hide the others): only the first
  /// pending one of each target and record (order per record), none of a paused subscription or
  /// a revoked key.
  public func dueDeliveries(at time: Date, limit: Int, perTarget: Int = 8) async throws -> [DueDelivery] {
    try await writer.read { db in
      try Row.fetchAll(
        db,
        sql: """
          SELECT * FROM (
            SELECT d.seq, d.id, d.kind, d.target, d.record, d.channel, d.address, d.body, d.attempts,
              d.next_attempt_at, d.quiet_start, d.quiet_end, d.urgent, d.traceparent, s.secret, s.api_key,
              ROW_NUMBER() OVER (PARTITION BY d.target ORDER BY d.next_attempt_at, d.seq) AS place
            FROM delivery d LEFT JOIN webhook_subscription s ON s.id = d.target
              LEFT JOIN api_key k ON k.name = s.api_key
            WHERE d.state = 'pending' AND d.next_attempt_at <= ?
              AND (s.id IS NULL OR (s.state = 'active' AND k.revoked_at IS NULL))
              AND NOT EXISTS (SELECT 1 FROM delivery e
                WHERE e.target = d.target AND e.record = d.record AND e.state = 'pending' AND e.seq < d.seq))
          WHERE place <= ? ORDER BY next_attempt_at, seq LIMIT ?
          """, arguments: [Int64(time.timeIntervalSince1970 * 1000), perTarget, limit]
      ).map {
        DueDelivery(
          seq: $0["seq"], id: $0["id"], target: $0["target"], record: $0["record"], channel: $0["channel"],
          address: $0["address"], body: $0["body"], attempts: $0["attempts"], secret: $0["secret"],
          lane: $0["api_key"] ?? String(($0["target"] as String).prefix { $0 != "/" }),
          quietStart: $0["quiet_start"], quietEnd: $0["quiet_end"], urgent: $0["urgent"],
          traceparent: $0["traceparent"], kind: $0["kind"])
      }
    }
  }

  /// What one attempt came to.
  public enum Outcome: Sendable, Equatable {
    case delivered
    case failed(DeliveryFailure)
  }

  /// Records an attempt: delivered (the subscription's failures cleared, and what its hold kept
  /// back due at once), or failed and retried after `DeliveryRules.retryDelay`, or a dead letter
  /// after the last attempt. A webhook whose receiver was found unavailable again holds back its
  /// subscription's other deliveries until this attempt's retry (`DeliveryRules.holdsSubscription`);
  /// a subscription whose failures reach the limit is paused. Returns the subscription paused by
  /// this attempt, if one was.
  @discardableResult
  public func record(
    _ outcome: Outcome, of delivery: DueDelivery, settings: DeliveryRules.Settings, at time: Date = Date(),
    unit: Double = Double.random(in: 0..<1)
  ) async throws -> String? {
    let now = Int64(time.timeIntervalSince1970 * 1000)
    return try await writer.write { db in
      let webhook = delivery.channel == "webhook"
      switch outcome {
      case .delivered:
        try db.execute(
          sql:
            "UPDATE delivery SET state = 'delivered', attempts = attempts + 1, delivered_at = ?, last_error = '' WHERE id = ?",
          arguments: [now, delivery.id])
        if webhook {
          let held = try Int64.fetchOne(
            db, sql: "SELECT held_until FROM webhook_subscription WHERE id = ?", arguments: [delivery.target])
          try db.execute(
            sql: "UPDATE webhook_subscription SET failures = 0, failing_since = NULL, held_until = NULL WHERE id = ?",
            arguments: [delivery.target])
          // The receiver is back: what the hold moved to its retry goes now, in order, rather
          // than up to an hour later.
          if let held, held > now {
            try db.execute(sql: Self.releaseHeld, arguments: [now, delivery.target, held, now])
          }
        }
        return nil
      case .failed(let failure):
        let attempts = delivery.attempts + 1
        let dead = DeliveryRules.isDeadLetter(attempts: attempts, permanent: failure.permanent, settings: settings)
        let wait = DeliveryRules.retryDelay(afterAttempt: attempts, settings: settings, unit: unit)
        let retry = time.addingTimeInterval(
          Double(wait.components.seconds) + Double(wait.components.attoseconds) / 1e18)
        let next = Int64(
          DeliveryRules.releaseTime(
            at: retry, quietStart: delivery.quietStart, quietEnd: delivery.quietEnd, urgent: delivery.urgent
          ).timeIntervalSince1970 * 1000)
        try db.execute(
          sql: "UPDATE delivery SET state = ?, attempts = ?, next_attempt_at = ?, last_error = ? WHERE id = ?",
          arguments: [dead ? "dead" : "pending", attempts, next, String(failure.reason.prefix(500)), delivery.id])
        guard webhook else { return nil }
        try db.execute(
          sql: """
            UPDATE webhook_subscription SET failures = failures + 1, failing_since = COALESCE(failing_since, ?)
            WHERE id = ?
            """, arguments: [now, delivery.target])
        guard
          let row = try Row.fetchOne(
            db, sql: "SELECT failures, failing_since FROM webhook_subscription WHERE id = ? AND state = 'active'",
            arguments: [delivery.target])
        else { return nil }
        if DeliveryRules.holdsSubscription(
          channel: delivery.channel, after: failure, consecutiveFailures: row["failures"])
        {
          try db.execute(sql: Self.holdPending, arguments: [next, delivery.target, next, delivery.id])
          try db.execute(
            sql: "UPDATE webhook_subscription SET held_until = MAX(COALESCE(held_until, 0), ?) WHERE id = ?",
            arguments: [next, delivery.target])
        }
        let failingFor = Duration.milliseconds(now - (row["failing_since"] as Int64? ?? now))
        guard
          DeliveryRules.shouldPause(consecutiveFailures: row["failures"], failingFor: failingFor, settings: settings)
        else { return nil }
        let failures: Int = row["failures"]
        try db.execute(
          sql: "UPDATE webhook_subscription SET state = 'paused', paused_reason = ? WHERE id = ?",
          arguments: ["\(failures) consecutive failures; last: \(failure.reason.prefix(200))", delivery.target])
        return delivery.target
      }
    }
  }

  /// Moves a held subscription's pending deliveries to the retry (arguments: retry, subscription,
  /// retry, the failed delivery's id). `+state` keeps SQLite on `delivery_order` (the
  /// subscription's own deliveries), not on `delivery_due`, every pending delivery of the gateway.
  static let holdPending = """
    UPDATE delivery SET next_attempt_at = ?
    WHERE target = ? AND +state = 'pending' AND next_attempt_at < ? AND id != ?
    """

  /// Makes what a hold kept back due now (arguments: now, subscription, the hold's end): the
  /// deliveries waiting for exactly the hold, not those on a backoff of their own beyond it.
  static let releaseHeld = """
    UPDATE delivery SET next_attempt_at = ?
    WHERE target = ? AND +state = 'pending' AND next_attempt_at <= ? AND next_attempt_at > ?
    """

  /// A delivery as administrators see it.
  public struct DeliveryView: Sendable, Codable, Equatable {
    public var id: String
    public var eventID: String
    public var kind: String
    public var record: String
    public var target: String
    public var channel: String
    public var address: String
    public var state: String
    public var attempts: Int
    public var lastError: String
    public var occurredAt: Int64
    public var nextAttemptAt: Int64
    public var deliveredAt: Int64?
  }

  /// Deliveries in `state` (`pending`, `delivered`, `dead`), newest first, at most `limit`; for
  /// `apiKey`, only those of its own subscriptions; for an administrator, those of events within
  /// `scope`.
  public func deliveries(state: String, apiKey: String?, scope: String = "", limit: Int = 100) async throws
    -> [DeliveryView]
  {
    try await writer.read { db in
      var sql = "SELECT d.* FROM delivery d"
      var arguments: [any DatabaseValueConvertible] = []
      if let apiKey {
        sql += " JOIN webhook_subscription s ON s.id = d.target AND s.api_key = ?"
        arguments.append(apiKey)
      }
      sql += " WHERE d.state = ? AND substr(d.division_code, 1, length(?)) = ? ORDER BY d.seq DESC LIMIT ?"
      arguments += [state, scope, scope, limit]
      return try Row.fetchAll(db, sql: sql, arguments: StatementArguments(arguments)).map {
        DeliveryView(
          id: $0["id"], eventID: $0["event_id"], kind: $0["kind"], record: $0["record"], target: $0["target"],
          channel: $0["channel"], address: $0["address"], state: $0["state"], attempts: $0["attempts"],
          lastError: $0["last_error"], occurredAt: $0["occurred_at"], nextAttemptAt: $0["next_attempt_at"],
          deliveredAt: $0["delivered_at"])
      }
    }
  }

  /// How long delivered messages are kept for inspection (7 days), and dead letters and
  /// notifications, read or not (90 days).
  public static let deliveredRetention: TimeInterval = 7 * 86_400
  public static let deadLetterRetention: TimeInterval = 90 * 86_400

  /// Deletes delivered messages, dead letters and notifications past their retention, a few
  /// thousand rows a transaction; returns how many went.
  public func pruneDeliveries(at time: Date = Date()) async throws -> Int {
    let delivered = Int64(time.addingTimeInterval(-Self.deliveredRetention).timeIntervalSince1970 * 1000)
    let old = Int64(time.addingTimeInterval(-Self.deadLetterRetention).timeIntervalSince1970 * 1000)
    var pruned = 0
    for (sql, cutoff) in [
      (
        "DELETE FROM delivery WHERE seq IN (SELECT seq FROM delivery WHERE state = 'delivered' AND delivered_at < ? LIMIT 5000)",
        delivered
      ),
      (
        "DELETE FROM delivery WHERE seq IN (SELECT seq FROM delivery WHERE state = 'dead' AND occurred_at < ? LIMIT 5000)",
        old
      ),
      ("DELETE FROM notification WHERE seq IN (SELECT seq FROM notification WHERE created_at < ? LIMIT 5000)", old),
    ] {
      while true {
        let batch = try await writer.write { db in
          try db.execute(sql: sql, arguments: [cutoff])
          return db.changesCount
        }
        pruned += batch
        if batch == 0 { break }
      }
    }
    return pruned
  }

  /// Puts a dead letter back in the queue, due now, its attempts counted afresh.
  /// - Throws: NOT_FOUND for an unknown delivery; FAILED_PRECONDITION unless it is a dead letter.
  public func replay(delivery id: String, scope: String = "", at time: Date = Date()) async throws {
    try await writer.write { db in
      guard
        let state = try String.fetchOne(
          db, sql: "SELECT state FROM delivery WHERE id = ? AND substr(division_code, 1, length(?)) = ?",
          arguments: [id, scope, scope])
      else {
        throw DomainError.notFound(resource: "delivery", id: id)
      }
      guard state == "dead" else {
        throw DomainError.failedPrecondition(rule: "only a dead letter is replayed", detail: "\(id) is \(state)")
      }
      try db.execute(
        sql: "UPDATE delivery SET state = 'pending', attempts = 0, next_attempt_at = ? WHERE id = ?",
        arguments: [Int64(time.timeIntervalSince1970 * 1000), id])
    }
  }
}
