import Foundation
import GRDB
import Logging
import ServiceKit

/// The gateway's own SQLite database: people and their sessions, systems' API keys, the audit
/// trail, residents' codes and sessions (GatewayStore+Residents), and the deliveries of the
/// services' events (GatewayStore+Delivery). It holds no domain data.
public struct GatewayStore: Sendable {
  let writer: any DatabaseWriter
  /// Seals residents' numbers (GatewayStore+Residents).
  let vault: ContactVault
  /// Reads by key on the calling thread: the API key every call of the city platform presents.
  let inlineReads: InlineReads

  public init(writer: any DatabaseWriter, vault: ContactVault = .ephemeral()) {
    self.writer = writer
    self.vault = vault
    self.inlineReads = InlineReads(writer)
  }

  /// Opens (and migrates) `gateway.sqlite` in the data directory, with the contact vault's key
  /// (`GOVERNANCE_DATA_KEY` or `data.key` there).
  public static func open(dataDirectory: String, logger: Logger) throws -> GatewayStore {
    try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
    return GatewayStore(
      writer: try GovernanceDatabase.openPool(
        path: "\(dataDirectory)/gateway.sqlite", migrator: migrator, logger: logger),
      vault: try ContactVault.load(dataDirectory: dataDirectory, environment: ProcessInfo.processInfo.environment))
  }

  public static var migrator: DatabaseMigrator {
    var migrator = DatabaseMigrator.governance
    migrator.registerMigration("v1-gateway") { db in
      try db.create(table: "user") { table in
        table.primaryKey("username", .text)
        table.column("password_hash", .text).notNull()
        table.column("role", .text).notNull()
        table.column("scope", .text).notNull()
        table.column("totp_secret", .text)
        table.column("failed_attempts", .integer).notNull().defaults(to: 0)
        table.column("locked_until", .datetime)
        table.column("created_at", .datetime).notNull()
      }
      try db.create(table: "session") { table in
        table.primaryKey("token_digest", .text)
        table.column("username", .text).notNull().references("user", onDelete: .cascade)
        table.column("csrf_token", .text).notNull()
        table.column("created_at", .datetime).notNull()
        table.column("last_seen_at", .datetime).notNull()
      }
      try db.create(table: "api_key") { table in
        table.primaryKey("name", .text)
        table.column("key_digest", .text).notNull().unique()
        table.column("role", .text).notNull()
        table.column("scope", .text).notNull()
        table.column("created_at", .datetime).notNull()
        table.column("revoked_at", .datetime)
      }
      // The audit trail: appended, never updated or deleted through any API; kept at least 180
      // days (nothing prunes it).
      try db.create(table: "audit_entry") { table in
        table.autoIncrementedPrimaryKey("seq")
        table.column("at", .datetime).notNull().indexed()
        table.column("subject", .text).notNull().indexed()
        table.column("role", .text).notNull()
        table.column("action", .text).notNull().indexed()
        table.column("target", .text).notNull()
        table.column("remote", .text).notNull()
        table.column("result", .text).notNull()
      }
    }
    registerResidentMigration(&migrator)
    registerDeliveryMigration(&migrator)
    registerImportMigration(&migrator)
    registerDeliveryTraceMigration(&migrator)
    registerDeliveryHoldMigration(&migrator)
    return migrator
  }

  // MARK: People

  public struct User: Sendable, Equatable {
    public var username: String
    public var role: Role
    public var scope: String
    public var totpSecret: String?
  }

  /// Creates an account; administrators and auditors get a TOTP secret, returned once.
  public func createUser(username: String, password: String, role: Role, scope: String, at time: Date = Date())
    async throws -> User
  {
    let name = try FieldValidation.requiredName(username, field: "username", maximumLength: 50)
    try Credentials.checkAccountRole(role)
    try Credentials.checkPassword(password)
    try Credentials.checkScope(scope)
    let secret = Credentials.needsSecondFactor(role) ? SecondFactor.newSecret() : nil
    let hash = try await Credentials.hashPassword(password)
    try await writer.write { db in
      guard
        try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM user WHERE username = ?)", arguments: [name]) == false
      else { throw DomainError.alreadyExists(resource: "user", id: name) }
      try db.execute(
        sql:
          "INSERT INTO user (username, password_hash, role, scope, totp_secret, created_at) VALUES (?, ?, ?, ?, ?, ?)",
        arguments: [name, hash, role.rawValue, scope, secret, time])
    }
    return User(username: name, role: role, scope: scope, totpSecret: secret)
  }

  /// Gives an account a new second-factor secret (the old one stops working at once), for a
  /// user who lost their authenticator; recorded in the audit trail as done by `administrator`.
  /// Returns the new secret, shown once.
  /// - Throws: `DomainError.notFound` for an unknown user; `failedPrecondition` for a role that
  ///   signs in without a second factor.
  public func resetSecondFactor(username: String, by administrator: String, at time: Date = Date()) async throws
    -> String
  {
    let secret = SecondFactor.newSecret()
    try await writer.write { db in
      guard let role = try String.fetchOne(db, sql: "SELECT role FROM user WHERE username = ?", arguments: [username])
      else { throw DomainError.notFound(resource: "user", id: username) }
      guard Credentials.needsSecondFactor(Role(rawValue: role) ?? .community) else {
        throw DomainError.failedPrecondition(
          rule: "only administrators and auditors sign in with a second factor", detail: "\(username) is \(role)")
      }
      try db.execute(sql: "UPDATE user SET totp_secret = ? WHERE username = ?", arguments: [secret, username])
    }
    try await audit(
      subject: administrator, role: Role.cityAdministrator.rawValue, action: "user.reset_second_factor",
      target: username,
      remote: "operator tool", result: "ok", at: time)
    return secret
  }

  public enum SignIn: Sendable, Equatable {
    case signedIn(User)
    case refused(String)
    case locked(until: Date)
  }

  /// Checks a password (and second factor): counts failures, locks after five, clears on success.
  public func signIn(username: String, password: String, secondFactor: String, at time: Date = Date()) async throws
    -> SignIn
  {
    guard
      let row = try await writer.read({ db in
        try Row.fetchOne(db, sql: "SELECT * FROM user WHERE username = ?", arguments: [username])
      })
    else {
      _ = try await Credentials.passwordMatches(password, hash: nil)
      return .refused("wrong username or password")
    }
    if let locked: Date = row["locked_until"], locked > time { return .locked(until: locked) }
    let role = Role(rawValue: row["role"]) ?? .community
    let scope: String = row["scope"]
    let secret: String? = row["totp_secret"]
    let passwordOK = try await Credentials.passwordMatches(password, hash: row["password_hash"])
    let factorOK = secret.map { Credentials.checkSecondFactor(secondFactor, secret: $0, at: time) } ?? true
    return try await writer.write { db in
      if passwordOK && factorOK {
        try db.execute(
          sql: "UPDATE user SET failed_attempts = 0, locked_until = NULL WHERE username = ?", arguments: [username])
        return .signedIn(User(username: username, role: role, scope: scope, totpSecret: nil))
      }
      let failures =
        (try Int.fetchOne(db, sql: "SELECT failed_attempts FROM user WHERE username = ?", arguments: [username]) ?? 0)
        + 1
      let until = Credentials.lockedUntil(failures: failures, lastFailure: time)
      try db.execute(
        sql: "UPDATE user SET failed_attempts = ?, locked_until = ? WHERE username = ?",
        arguments: [until == nil ? failures : 0, until, username])
      if let until { return .locked(until: until) }
      return .refused(passwordOK ? "wrong or missing second-factor code" : "wrong username or password")
    }
  }

  /// Opens a session; returns its secret token (kept only as a digest) and its CSRF token.
  public func openSession(for user: User, at time: Date = Date()) async throws -> (token: String, csrf: String) {
    let token = Credentials.randomToken()
    let csrf = Credentials.randomToken()
    try await writer.write { db in
      try db.execute(
        sql:
          "INSERT INTO session (token_digest, username, csrf_token, created_at, last_seen_at) VALUES (?, ?, ?, ?, ?)",
        arguments: [Credentials.digest(token), user.username, csrf, time, time])
    }
    return (token, csrf)
  }

  /// The live session of `token` (its idle clock restarted), or nil once expired or unknown.
  public func session(token: String, at time: Date = Date()) async throws -> (user: User, csrf: String)? {
    let digest = Credentials.digest(token)
    return try await writer.write { db in
      guard
        let row = try Row.fetchOne(
          db.cachedStatement(
            sql: """
              SELECT session.*, user.role, user.scope FROM session JOIN user ON user.username = session.username
              WHERE token_digest = ?
              """), arguments: [digest])
      else { return nil }
      guard Credentials.sessionIsLive(created: row["created_at"], lastSeen: row["last_seen_at"], at: time) else {
        try db.execute(sql: "DELETE FROM session WHERE token_digest = ?", arguments: [digest])
        return nil
      }
      try db.cachedStatement(sql: "UPDATE session SET last_seen_at = ? WHERE token_digest = ?")
        .execute(arguments: [time, digest])
      return (
        User(username: row["username"], role: Role(rawValue: row["role"]) ?? .community, scope: row["scope"]),
        row["csrf_token"]
      )
    }
  }

  public func closeSession(token: String) async throws {
    try await writer.write { db in
      try db.execute(sql: "DELETE FROM session WHERE token_digest = ?", arguments: [Credentials.digest(token)])
    }
  }

  // MARK: Systems

  public struct APIKey: Sendable, Equatable {
    public var name: String
    public var role: Role
    public var scope: String
    public var revoked: Bool
  }

  /// Creates an API key; the key itself is returned once and stored only as a digest.
  public func createAPIKey(name: String, role: Role, scope: String, at time: Date = Date()) async throws -> String {
    let name = try FieldValidation.requiredName(name, field: "name", maximumLength: 50)
    try Credentials.checkAccountRole(role)
    try Credentials.checkScope(scope)
    let key = "gk_" + Credentials.randomToken()
    try await writer.write { db in
      guard
        try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM api_key WHERE name = ?)", arguments: [name]) == false
      else { throw DomainError.alreadyExists(resource: "API key", id: name) }
      try db.execute(
        sql: "INSERT INTO api_key (name, key_digest, role, scope, created_at) VALUES (?, ?, ?, ?, ?)",
        arguments: [name, Credentials.digest(key), role.rawValue, scope, time])
    }
    return key
  }

  public func revokeAPIKey(name: String, at time: Date = Date()) async throws {
    try await writer.write { db in
      try db.execute(
        sql: "UPDATE api_key SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL", arguments: [time, name])
      guard db.changesCount == 1 else { throw DomainError.notFound(resource: "live API key", id: name) }
    }
  }

  public func apiKeys() async throws -> [APIKey] {
    try await writer.read { db in
      try Row.fetchAll(db, sql: "SELECT * FROM api_key ORDER BY name").map {
        APIKey(
          name: $0["name"], role: Role(rawValue: $0["role"]) ?? .cityPlatform, scope: $0["scope"],
          revoked: ($0["revoked_at"] as Date?) != nil)
      }
    }
  }

  /// The live API key presented, or nil (unknown or revoked).
  public func apiKey(presented key: String) async throws -> APIKey? {
    let digest = Credentials.digest(key)
    return try await inlineReads.read { db in
      // Prepared once per connection: every call of the city platform comes through here.
      try Row.fetchOne(
        db.cachedStatement(sql: "SELECT * FROM api_key WHERE key_digest = ? AND revoked_at IS NULL"),
        arguments: [digest]
      ).map {
        APIKey(name: $0["name"], role: Role(rawValue: $0["role"]) ?? .cityPlatform, scope: $0["scope"], revoked: false)
      }
    }
  }

  // MARK: Audit trail

  public struct AuditEntry: Sendable, Codable, Equatable {
    public var seq: Int64
    public var at: Date
    public var subject: String
    public var role: String
    public var action: String
    public var target: String
    public var remote: String
    public var result: String
  }

  public func audit(
    subject: String, role: String, action: String, target: String, remote: String, result: String,
    at time: Date = Date()
  ) async throws {
    try await writer.write { db in
      try db.execute(
        sql: "INSERT INTO audit_entry (at, subject, role, action, target, remote, result) VALUES (?, ?, ?, ?, ?, ?, ?)",
        arguments: [time, subject, role, action, target, remote, result])
    }
  }

  /// Audit entries, newest first, filtered by who, what and when.
  public func searchAudit(subject: String?, action: String?, since: Date?, until: Date?, limit: Int) async throws
    -> [AuditEntry]
  {
    var conditions: [String] = []
    var arguments: [DatabaseValue] = []
    if let subject, !subject.isEmpty {
      conditions.append("subject = ?")
      arguments.append(subject.databaseValue)
    }
    if let action, !action.isEmpty {
      conditions.append("action LIKE ?")
      arguments.append("%\(action)%".databaseValue)
    }
    if let since {
      conditions.append("at >= ?")
      arguments.append(since.databaseValue)
    }
    if let until {
      conditions.append("at <= ?")
      arguments.append(until.databaseValue)
    }
    let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
    arguments.append(min(max(limit, 1), 500).databaseValue)
    return try await writer.read { [arguments] db in
      try Row.fetchAll(
        db, sql: "SELECT * FROM audit_entry \(whereClause) ORDER BY seq DESC LIMIT ?",
        arguments: StatementArguments(arguments)
      ).map {
        AuditEntry(
          seq: $0["seq"], at: $0["at"], subject: $0["subject"], role: $0["role"], action: $0["action"],
          target: $0["target"], remote: $0["remote"], result: $0["result"])
      }
    }
  }
}
