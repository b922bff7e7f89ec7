import Foundation
import GRDB
import ServiceKit

/// Webhook subscriptions, message routes, people's contacts and the console's notifications.
extension GatewayStore {
  /// A webhook subscription as its owner and administrators see it (the secret is shown once,
  /// when it is made).
  public struct Subscription: Sendable, Codable, Equatable {
    public var id: String
    public var apiKey: String
    public var url: String
    public var kinds: [String]
    public var divisionPrefix: String
    /// `active` or `paused`.
    public var state: String
    public var failures: Int
    public var pausedReason: String
    /// Only in the answer that made it.
    public var secret: String?
  }

  /// The most webhook subscriptions one API key holds (10).
  public static let subscriptionsPerKey = 10

  /// Subscribes the API key `apiKey` to `kinds` (`case.*`, `digest.daily`, `*`) of events
  /// within `divisionPrefix` (inside the key's own scope), delivered to `url`; returns it with
  /// its new secret.
  /// - Throws: INVALID_ARGUMENT naming `url`, `kinds` or `division_prefix`; PERMISSION_DENIED
  ///   for a prefix outside the key's scope; NOT_FOUND for a revoked key; FAILED_PRECONDITION for a
  ///   key that holds `subscriptionsPerKey` already.
  public func subscribe(
    apiKey: String, url: String, kinds: [String], divisionPrefix: String, allowPrivate: Bool, at time: Date = Date()
  ) async throws -> Subscription {
    let checkedURL = try WebhookTarget.check(url, field: "url", allowPrivate: allowPrivate)
    let checkedKinds = try WebhookTarget.checkKinds(kinds)
    try Credentials.checkScope(divisionPrefix, field: "division_prefix")
    let subscription = Subscription(
      id: "whk_" + Credentials.randomToken().prefix(16), apiKey: apiKey, url: checkedURL, kinds: checkedKinds,
      divisionPrefix: divisionPrefix, state: "active", failures: 0, pausedReason: "",
      secret: WebhookSignature.newSecret())
    try await writer.write { db in
      guard
        let scope = try String.fetchOne(
          db, sql: "SELECT scope FROM api_key WHERE name = ? AND revoked_at IS NULL", arguments: [apiKey])
      else { throw DomainError.notFound(resource: "api key", id: apiKey) }
      guard divisionPrefix.hasPrefix(scope) else {
        throw DomainError.permissionDenied(
          reason:
            "division_prefix \(divisionPrefix.isEmpty ? "(all)" : divisionPrefix) is outside the key's scope \(scope)")
      }
      let held =
        try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM webhook_subscription WHERE api_key = ?", arguments: [apiKey])
        ?? 0
      guard held < Self.subscriptionsPerKey else {
        throw DomainError.failedPrecondition(
          rule: "a key has at most \(Self.subscriptionsPerKey) webhook subscriptions", detail: "delete one first")
      }
      try db.execute(
        sql: """
          INSERT INTO webhook_subscription (id, api_key, url, secret, kinds, division_prefix, state, created_at)
          VALUES (?, ?, ?, ?, ?, ?, 'active', ?)
          """,
        arguments: [
          subscription.id, apiKey, checkedURL, subscription.secret, checkedKinds.joined(separator: ","),
          divisionPrefix, time,
        ])
    }
    return subscription
  }

  /// The subscriptions of `apiKey`, or for nil (an administrator) every one within `scope`.
  public func subscriptions(apiKey: String?, scope: String = "") async throws -> [Subscription] {
    try await writer.read { db in
      let rows =
        if let apiKey {
          try Row.fetchAll(
            db, sql: "SELECT * FROM webhook_subscription WHERE api_key = ? ORDER BY id", arguments: [apiKey])
        } else {
          try Row.fetchAll(
            db, sql: "SELECT * FROM webhook_subscription WHERE substr(division_prefix, 1, length(?)) = ? ORDER BY id",
            arguments: [scope, scope])
        }
      return rows.map {
        Subscription(
          id: $0["id"], apiKey: $0["api_key"], url: $0["url"],
          kinds: ($0["kinds"] as String).split(separator: ",").map(String.init), divisionPrefix: $0["division_prefix"],
          state: $0["state"], failures: $0["failures"], pausedReason: $0["paused_reason"], secret: nil)
      }
    }
  }

  /// Makes a subscription's held deliveries due (arguments: the time in Unix milliseconds, the
  /// subscription id). `+state` keeps SQLite on the subscription's own deliveries (the
  /// `delivery_order` index) rather than every pending delivery of the gateway (`delivery_due`).
  static let retryPendingNow =
    "UPDATE delivery SET attempts = 0, next_attempt_at = ? WHERE target = ? AND +state = 'pending'"

  /// Resumes a paused subscription or, with `delete`, removes it and its deliveries, dead letters
  /// included. A resumed subscription's held deliveries start their attempts afresh, due now.
  /// `apiKey` nil acts for an administrator held to `scope`.
  /// - Throws: NOT_FOUND for a subscription that is not the key's, or outside `scope`.
  public func changeSubscription(
    id: String, apiKey: String?, scope: String = "", delete: Bool, at time: Date = Date()
  ) async throws {
    try await writer.write { db in
      let row = try Row.fetchOne(
        db, sql: "SELECT api_key, division_prefix FROM webhook_subscription WHERE id = ?", arguments: [id])
      guard let row,
        apiKey.map({ row["api_key"] == $0 }) ?? (row["division_prefix"] as String).hasPrefix(scope)
      else {
        throw DomainError.notFound(resource: "webhook subscription", id: id)
      }
      if delete {
        try db.execute(sql: "DELETE FROM delivery WHERE target = ?", arguments: [id])
        try db.execute(sql: "DELETE FROM webhook_subscription WHERE id = ?", arguments: [id])
      } else {
        try db.execute(
          sql: """
            UPDATE webhook_subscription
            SET state = 'active', failures = 0, failing_since = NULL, paused_reason = '', held_until = NULL
            WHERE id = ?
            """, arguments: [id])
        try db.execute(sql: Self.retryPendingNow, arguments: [Int64(time.timeIntervalSince1970 * 1000), id])
      }
    }
  }

  /// A message route: events of `kinds` within `divisionPrefix` reach `role` (or `recipient`, the
  /// person the event names) through `channel` (`bell`, `sms`, `email`, or `wecom` with the
  /// robot's URL as `address`), held back in quiet hours (minutes after midnight; equal for none).
  public struct Route: Sendable, Codable, Equatable {
    public var id: String
    public var kinds: [String]
    public var role: String
    public var divisionPrefix: String
    public var channel: String
    public var address: String
    public var quietStart: Int
    public var quietEnd: Int
  }

  /// Adds a route, within the administrator's `scope`.
  /// - Throws: INVALID_ARGUMENT naming the field and the rule; PERMISSION_DENIED for a prefix
  ///   outside `scope`.
  public func addRoute(_ route: Route, allowPrivate: Bool, scope: String = "", at time: Date = Date()) async throws
    -> Route
  {
    var route = route
    route.id = "rte_" + Credentials.randomToken().prefix(16)
    route.kinds = try WebhookTarget.checkKinds(route.kinds)
    try Credentials.checkScope(route.divisionPrefix, field: "division_prefix")
    guard route.divisionPrefix.hasPrefix(scope) else {
      throw DomainError.permissionDenied(
        reason:
          "division_prefix \(route.divisionPrefix.isEmpty ? "(all)" : route.divisionPrefix) is outside your scope \(scope)"
      )
    }
    guard ["bell", "sms", "email", "wecom"].contains(route.channel) else {
      throw DomainError.invalidArgument(field: "channel", rule: "one of bell, sms, email, wecom")
    }
    guard route.role == "recipient" || Role(rawValue: route.role).map(\.isAccountRole) == true else {
      throw DomainError.invalidArgument(field: "role", rule: "an account role (community, street, …) or recipient")
    }
    if route.channel == "wecom" {
      route.address = try WebhookTarget.check(route.address, field: "address", allowPrivate: allowPrivate)
    } else {
      route.address = ""
    }
    for (field, minutes) in [("quiet_start", route.quietStart), ("quiet_end", route.quietEnd)]
    where !(0..<1440).contains(minutes) {
      throw DomainError.invalidArgument(field: field, rule: "minutes after midnight, 0 to 1439")
    }
    let added = route
    try await writer.write { db in
      try db.execute(
        sql: """
          INSERT INTO message_route (id, kinds, role, division_prefix, channel, address, quiet_start, quiet_end, created_at)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
          """,
        arguments: [
          added.id, added.kinds.joined(separator: ","), added.role, added.divisionPrefix, added.channel, added.address,
          added.quietStart, added.quietEnd, time,
        ])
    }
    return added
  }

  /// The routes within `scope`.
  public func routes(scope: String = "") async throws -> [Route] {
    try await writer.read { db in
      try Row.fetchAll(
        db, sql: "SELECT * FROM message_route WHERE substr(division_prefix, 1, length(?)) = ? ORDER BY id",
        arguments: [scope, scope]
      ).map {
        Route(
          id: $0["id"], kinds: ($0["kinds"] as String).split(separator: ",").map(String.init), role: $0["role"],
          divisionPrefix: $0["division_prefix"], channel: $0["channel"], address: $0["address"],
          quietStart: $0["quiet_start"], quietEnd: $0["quiet_end"])
      }
    }
  }

  /// Removes a route within `scope`, and the messages it still held (queued, or waiting out quiet
  /// hours). - Throws: NOT_FOUND.
  public func removeRoute(id: String, scope: String = "") async throws {
    try await writer.write { db in
      try db.execute(
        sql: "DELETE FROM message_route WHERE id = ? AND substr(division_prefix, 1, length(?)) = ?",
        arguments: [id, scope, scope])
      guard db.changesCount > 0 else { throw DomainError.notFound(resource: "message route", id: id) }
      try db.execute(
        sql:
          "DELETE FROM delivery WHERE state = 'pending' AND (target = ? OR substr(target, 1, length(?) + 1) = ? || '/')",
        arguments: [id, id, id])
    }
  }

  /// Sets the mobile and e-mail address messages reach `username` at ("" for none).
  /// - Throws: NOT_FOUND for an unknown user; INVALID_ARGUMENT for a malformed number or address.
  public func setContact(username: String, phone: String, email: String) async throws {
    let phone = phone.isEmpty ? "" : try ResidentAccess.phone(phone)
    if !email.isEmpty {
      let parts = email.split(separator: "@")
      guard parts.count == 2, parts[1].contains("."), email.count <= 254, !email.contains(where: \.isWhitespace)
      else { throw DomainError.invalidArgument(field: "email", rule: "an address like name@example.cn") }
    }
    try await writer.write { db in
      guard
        try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM user WHERE username = ?)", arguments: [username])
          == true
      else { throw DomainError.notFound(resource: "user", id: username) }
      try db.execute(
        sql: """
          INSERT INTO user_contact (username, phone, email) VALUES (?, ?, ?)
          ON CONFLICT (username) DO UPDATE SET phone = excluded.phone, email = excluded.email
          """, arguments: [username, phone, email])
    }
  }

  /// A line under the console's bell.
  public struct Notification: Sendable, Codable, Equatable {
    public var seq: Int64
    public var kind: String
    public var title: String
    public var body: String
    public var link: String
    public var createdAt: Int64
    public var read: Bool
  }

  /// `username`'s newest notifications (at most `limit`) and how many are unread.
  public func notifications(username: String, limit: Int = 50) async throws -> (items: [Notification], unread: Int) {
    try await writer.read { db in
      let unread =
        try Int.fetchOne(
          db, sql: "SELECT COUNT(*) FROM notification WHERE username = ? AND read_at IS NULL", arguments: [username])
        ?? 0
      let items = try Row.fetchAll(
        db, sql: "SELECT * FROM notification WHERE username = ? ORDER BY seq DESC LIMIT ?",
        arguments: [username, limit]
      ).map {
        Notification(
          seq: $0["seq"], kind: $0["kind"], title: $0["title"], body: $0["body"], link: $0["link"],
          createdAt: $0["created_at"], read: ($0["read_at"] as Int64?) != nil)
      }
      return (items, unread)
    }
  }

  /// Marks `username`'s notifications up to `seq` read; returns how many were unread.
  public func markNotificationsRead(username: String, through seq: Int64, at time: Date = Date()) async throws -> Int {
    try await writer.write { db in
      try db.execute(
        sql: "UPDATE notification SET read_at = ? WHERE username = ? AND seq <= ? AND read_at IS NULL",
        arguments: [Int64(time.timeIntervalSince1970 * 1000), username, seq])
      return db.changesCount
    }
  }

  /// Tells every city administrator, under the bell, that a subscription was paused.
  public func notifyPaused(subscription id: String, at time: Date = Date()) async throws {
    try await writer.write { db in
      guard
        let row = try Row.fetchOne(
          db, sql: "SELECT api_key, url, paused_reason FROM webhook_subscription WHERE id = ?", arguments: [id])
      else { return }
      let (key, url, reason): (String, String, String) = (row["api_key"], row["url"], row["paused_reason"])
      try db.execute(
        sql: """
          INSERT OR IGNORE INTO notification (username, event_id, kind, title, body, link, created_at)
          SELECT username, ?, 'webhook.paused', ?, ?, '#deliveries', ? FROM user WHERE role = ?
          """,
        arguments: [
          "paused:\(id):\(Int64(time.timeIntervalSince1970))", "系统 \(key) 的 Webhook 订阅已暂停：\(url)", reason,
          Int64(time.timeIntervalSince1970 * 1000), Role.cityAdministrator.rawValue,
        ])
    }
  }
}
