import Foundation
import GRDB
import ServiceKit

/// Residents at the gateway: the one-time codes sent to their phones, their sessions, the
/// volunteer record each registered from the page, and the counts the rate limits go by
/// (ResidentAccess). A resident's number is kept only here, for the reports they make, sealed
/// with the contact vault (AES-256-GCM); every row names the resident by their principal, a keyed
/// hash of the number, never by the number itself.
extension GatewayStore {
  static func registerResidentMigration(_ migrator: inout DatabaseMigrator) {
    migrator.registerMigration("v2-residents") { db in
      // The key residents' principals are made with (ResidentAccess.subject), made once.
      try db.create(table: "gateway_key") { table in
        table.primaryKey("name", .text)
        table.column("value", .blob).notNull()
      }
      var key = [UInt8](repeating: 0, count: 32)
      var generator = SystemRandomNumberGenerator()
      for index in key.indices { key[index] = UInt8.random(in: .min ... .max, using: &generator) }
      try db.execute(sql: "INSERT INTO gateway_key (name, value) VALUES ('resident', ?)", arguments: [Data(key)])
      try db.create(table: "resident") { table in
        table.primaryKey("subject", .text)
        // The number as a sealed ResidentContact (ContactVault).
        table.column("contact", .blob).notNull()
        table.column("volunteer_id", .text)
        table.column("created_at", .datetime).notNull()
      }
      // One live code per phone (by the principal its number makes), kept as a digest.
      try db.create(table: "resident_code") { table in
        table.primaryKey("subject", .text)
        table.column("code_digest", .text).notNull()
        table.column("issued_at", .datetime).notNull()
        table.column("attempts", .integer).notNull().defaults(to: 0)
      }
      try db.create(table: "resident_session") { table in
        table.primaryKey("token_digest", .text)
        table.column("subject", .text).notNull().references("resident", onDelete: .cascade)
        table.column("csrf_token", .text).notNull()
        table.column("created_at", .datetime).notNull()
        table.column("last_seen_at", .datetime).notNull()
      }
      // What the rate limits count: one row per request taken, pruned after a day.
      try db.create(table: "rate_event") { table in
        table.column("bucket", .text).notNull()
        table.column("at", .datetime).notNull()
      }
      try db.create(index: "rate_event_bucket_at", on: "rate_event", columns: ["bucket", "at"])
    }
  }

  /// A resident known by a proved number.
  public struct Resident: Sendable, Equatable {
    /// `resident:<20 hex digits>` (ResidentAccess.subject).
    public var subject: String
    public var phone: String
    /// The volunteer record the resident registered from the page, once they have.
    public var volunteerID: String?
  }

  /// Refuses early a request that one more of would break `limits` in `bucket` (e.g.
  /// `code-phone:138…`), before the work of reading it; nothing is counted (`take` counts).
  /// - Throws: `ConnectError` resource_exhausted (429) naming the limit and the seconds to wait.
  func check(_ bucket: String, _ limits: [RateLimit], at time: Date = Date()) async throws {
    try await writer.read { db in try Self.refuse(db, bucket, limits, at: time) }
  }

  /// Counts one request in every bucket, or in none: when any of them is at a limit the request
  /// is refused and nothing is counted, so a refusal for one phone does not use up its
  /// network's allowance. Checked and counted in one transaction, so concurrent requests cannot
  /// all slip under a limit.
  /// - Throws: `ConnectError` resource_exhausted (429) naming the limit and the seconds to wait.
  func take(_ buckets: [(bucket: String, limits: [RateLimit])], at time: Date = Date()) async throws {
    try await writer.write { db in
      for (bucket, limits) in buckets { try Self.refuse(db, bucket, limits, at: time) }
      for (bucket, _) in buckets {
        try db.execute(sql: "INSERT INTO rate_event (bucket, at) VALUES (?, ?)", arguments: [bucket, time])
      }
      // Whatever no limit looks back to any more goes.
      try db.execute(sql: "DELETE FROM rate_event WHERE at < ?", arguments: [time.addingTimeInterval(-86_400)])
    }
  }

  static func refuse(_ db: Database, _ bucket: String, _ limits: [RateLimit], at time: Date) throws {
    let longest = limits.map(\.window).max() ?? 0
    let times = try Date.fetchAll(
      db, sql: "SELECT at FROM rate_event WHERE bucket = ? AND at > ?",
      arguments: [bucket, time.addingTimeInterval(-longest)])
    for limit in limits {
      if let wait = limit.wait(after: times, at: time) { throw ResidentRefusal.tooMany(limit, retryAfter: wait) }
    }
  }

  /// The principal a resident with this number is (ResidentAccess.subject, under the gateway's
  /// key).
  func residentSubject(phone: String) async throws -> String {
    try await writer.read { db in try Self.residentSubject(db, phone: phone) }
  }

  static func residentSubject(_ db: Database, phone: String) throws -> String {
    let key = try Data.fetchOne(db, sql: "SELECT value FROM gateway_key WHERE name = 'resident'") ?? Data()
    return ResidentAccess.subject(phone: phone, key: key)
  }

  /// Stores a new code for `phone`, replacing any earlier one (only the latest code works).
  func issueCode(_ code: String, phone: String, at time: Date = Date()) async throws {
    try await writer.write { db in
      try db.execute(
        sql: "INSERT OR REPLACE INTO resident_code (subject, code_digest, issued_at, attempts) VALUES (?, ?, ?, 0)",
        arguments: [try Self.residentSubject(db, phone: phone), Credentials.digest(code), time])
    }
  }

  /// Checks `code` for `phone`; a match uses the code up and opens a session for the resident
  /// (made on first sight). Returns the session's token and CSRF token, or nil for a wrong,
  /// expired or used-up code (a wrong try counts against the code).
  func verify(code: String, phone: String, at time: Date = Date()) async throws
    -> (resident: Resident, token: String, csrf: String)?
  {
    let token = Credentials.randomToken()
    let csrf = Credentials.randomToken()
    let vault = vault
    return try await writer.write { db in
      let subject = try Self.residentSubject(db, phone: phone)
      guard
        let row = try Row.fetchOne(db, sql: "SELECT * FROM resident_code WHERE subject = ?", arguments: [subject])
      else { return nil }
      guard
        ResidentAccess.codeMatches(
          code, digest: row["code_digest"], issued: row["issued_at"], attempts: row["attempts"], at: time)
      else {
        try db.execute(
          sql: "UPDATE resident_code SET attempts = attempts + 1 WHERE subject = ?", arguments: [subject])
        return nil
      }
      try db.execute(sql: "DELETE FROM resident_code WHERE subject = ?", arguments: [subject])
      try db.execute(
        sql: "INSERT OR IGNORE INTO resident (subject, contact, created_at) VALUES (?, ?, ?)",
        arguments: [subject, try vault.seal(.with { $0.phone = phone }), time])
      try db.execute(
        sql:
          "INSERT INTO resident_session (token_digest, subject, csrf_token, created_at, last_seen_at) VALUES (?, ?, ?, ?, ?)",
        arguments: [Credentials.digest(token), subject, csrf, time, time])
      let volunteer = try String.fetchOne(
        db, sql: "SELECT volunteer_id FROM resident WHERE subject = ?", arguments: [subject])
      return (Resident(subject: subject, phone: phone, volunteerID: volunteer), token, csrf)
    }
  }

  /// The resident of a live session (its idle clock restarted) and its CSRF token, or nil.
  func residentSession(token: String, at time: Date = Date()) async throws -> (resident: Resident, csrf: String)? {
    let digest = Credentials.digest(token)
    let vault = vault
    return try await writer.write { db in
      guard
        let row = try Row.fetchOne(
          db,
          sql: """
            SELECT resident_session.*, resident.contact, resident.volunteer_id FROM resident_session
            JOIN resident USING (subject) WHERE token_digest = ?
            """, arguments: [digest])
      else { return nil }
      guard ResidentAccess.sessionIsLive(created: row["created_at"], lastSeen: row["last_seen_at"], at: time) else {
        try db.execute(sql: "DELETE FROM resident_session WHERE token_digest = ?", arguments: [digest])
        return nil
      }
      try db.execute(
        sql: "UPDATE resident_session SET last_seen_at = ? WHERE token_digest = ?", arguments: [time, digest])
      return (
        Resident(
          subject: row["subject"], phone: try vault.open(row["contact"]).phone, volunteerID: row["volunteer_id"]),
        row["csrf_token"]
      )
    }
  }

  func endResidentSession(token: String) async throws {
    try await writer.write { db in
      try db.execute(sql: "DELETE FROM resident_session WHERE token_digest = ?", arguments: [Credentials.digest(token)])
    }
  }

  /// Records the volunteer a resident registered as, so later claims go as that volunteer.
  func setVolunteer(_ volunteerID: String, for subject: String) async throws {
    try await writer.write { db in
      try db.execute(
        sql: "UPDATE resident SET volunteer_id = ? WHERE subject = ? AND volunteer_id IS NULL",
        arguments: [volunteerID, subject])
    }
  }
}

/// Refusals of the residents' page that are not a service's.
enum ResidentRefusal {
  /// A rate limit reached: 429 with `Retry-After`.
  static func tooMany(_ limit: RateLimit, retryAfter seconds: Int) -> ConnectError {
    var refusal = ConnectError(
      .resourceExhausted,
      "at most \(limit.count) \(limit.what) in \(Int(limit.window)) s; try again in \(seconds) s")
    refusal.retryAfter = seconds
    return refusal
  }
}
