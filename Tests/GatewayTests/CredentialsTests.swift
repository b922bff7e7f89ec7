import Foundation
import GRDB
import ServiceKit
import Testing

@testable import Gateway

@Suite("Signing in: slow salted hashes, second factors, lockout, session limits, revocable API keys")
struct CredentialsTests {
  static func store() throws -> GatewayStore {
    GatewayStore(writer: try GovernanceDatabase.makeEmptyTestDatabase(migrator: GatewayStore.migrator))
  }

  @Test("passwords are stored as bcrypt hashes, never in the clear; weak ones are refused")
  func passwordsAreHashed() async throws {
    let store = try Self.store()
    _ = try await store.createUser(username: "clerk", password: "Street-clerk-2026", role: .street, scope: "320113005")
    let stored = try await store.writer.read { db in
      try String.fetchOne(db, sql: "SELECT password_hash FROM user WHERE username = 'clerk'")
    }
    #expect(stored?.hasPrefix("$2b$11$") == true && stored?.contains("Street-clerk-2026") == false)
    await #expect(
      throws: DomainError.invalidArgument(field: "password", rule: "at least 12 characters with letters and digits")
    ) {
      _ = try await store.createUser(username: "weak", password: "short1", role: .street, scope: "")
    }
    await #expect(throws: DomainError.self) {
      _ = try await store.createUser(username: "clerk", password: "Another-pass-2026", role: .street, scope: "")
    }
  }

  @Test("five failures lock the account for fifteen minutes; success clears the count")
  func lockout() async throws {
    let store = try Self.store()
    _ = try await store.createUser(username: "clerk", password: "Street-clerk-2026", role: .street, scope: "320113005")
    let start = Date()
    for attempt in 1...4 {
      #expect(
        try await store.signIn(username: "clerk", password: "wrong-\(attempt)", secondFactor: "", at: start)
          == .refused("wrong username or password"))
    }
    guard
      case .locked(let until) = try await store.signIn(
        username: "clerk", password: "wrong-5", secondFactor: "", at: start)
    else {
      Issue.record("not locked after five failures")
      return
    }
    #expect(abs(until.timeIntervalSince(start) - Credentials.lockoutDuration) < 1)
    // Even the right password waits out the lock.
    guard
      case .locked(let still) = try await store.signIn(
        username: "clerk", password: "Street-clerk-2026", secondFactor: "", at: start.addingTimeInterval(60))
    else {
      Issue.record("the right password opened a locked account")
      return
    }
    #expect(abs(still.timeIntervalSince(until)) < 1)
    guard
      case .signedIn = try await store.signIn(
        username: "clerk", password: "Street-clerk-2026", secondFactor: "", at: until.addingTimeInterval(1))
    else {
      Issue.record("not signed in after the lock")
      return
    }
  }

  @Test("administrators sign in with a TOTP code as well as the password")
  func secondFactor() async throws {
    let store = try Self.store()
    let admin = try await store.createUser(
      username: "admin", password: "Admin-pass-2026", role: .cityAdministrator, scope: "3201")
    let secret = try #require(admin.totpSecret)
    let now = Date()
    #expect(
      try await store.signIn(username: "admin", password: "Admin-pass-2026", secondFactor: "", at: now)
        == .refused("wrong or missing second-factor code"))
    #expect(secret.count == 32 && secret.allSatisfy { "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".contains($0) })
    let code = String(format: "%06d", SecondFactor.code(secret: secret, at: now))
    guard
      case .signedIn(let user) = try await store.signIn(
        username: "admin", password: "Admin-pass-2026", secondFactor: code, at: now)
    else {
      Issue.record("the right code was refused")
      return
    }
    #expect(user.role == .cityAdministrator && user.scope == "3201")
    #expect(
      try await store.signIn(
        username: "admin", password: "Admin-pass-2026", secondFactor: code, at: now.addingTimeInterval(300))
        == .refused("wrong or missing second-factor code"))
  }

  @Test("TOTP codes are RFC 6238's: its SHA-1 test vectors (Appendix B), six digits")
  func secondFactorCodesAreRFC6238s() {
    // The RFC's key "12345678901234567890" in Base32, and its 8-digit codes cut to 6.
    let secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
    let vectors: [(TimeInterval, Int)] = [
      (59, 287_082), (1_111_111_109, 81_804), (1_111_111_111, 50_471), (1_234_567_890, 5_924),
      (2_000_000_000, 279_037), (20_000_000_000, 353_130),
    ]
    for (time, code) in vectors {
      #expect(SecondFactor.code(secret: secret, at: Date(timeIntervalSince1970: time)) == code, "T=\(time)")
    }
    #expect(
      SecondFactor.uri(secret: secret, account: "王 admin").hasPrefix(
        "otpauth://totp/community-governance:%E7%8E%8B%20admin?secret=\(secret)&issuer=community-governance"))
  }

  @Test("a session ends after 30 minutes idle and after 12 hours in all")
  func sessionLimits() async throws {
    let store = try Self.store()
    let user = try await store.createUser(
      username: "clerk", password: "Street-clerk-2026", role: .street, scope: "320113005")
    let start = Date()
    let (token, csrf) = try await store.openSession(for: user, at: start)
    #expect(try await store.session(token: token, at: start.addingTimeInterval(29 * 60))?.csrf == csrf)
    // Kept alive every 25 minutes, it still ends at 12 hours.
    var time = start
    while time.timeIntervalSince(start) < 11.5 * 3600 {
      time.addTimeInterval(25 * 60)
      #expect(try await store.session(token: token, at: time) != nil)
    }
    #expect(try await store.session(token: token, at: start.addingTimeInterval(12 * 3600 + 1)) == nil)
    let (idle, _) = try await store.openSession(for: user, at: start)
    #expect(try await store.session(token: idle, at: start.addingTimeInterval(31 * 60)) == nil)
    #expect(try await store.session(token: "forged", at: start) == nil)
  }

  @Test("an API key is shown once, stored hashed, and stops working when revoked")
  func apiKeys() async throws {
    let store = try Self.store()
    let key = try await store.createAPIKey(name: "city-platform", role: .cityPlatform, scope: "3201")
    #expect(key.hasPrefix("gk_"))
    #expect(try await store.apiKey(presented: key)?.role == .cityPlatform)
    let stored = try await store.writer.read { db in try String.fetchAll(db, sql: "SELECT key_digest FROM api_key") }
    #expect(stored == [Credentials.digest(key)])
    // The stored form is SHA-256 in lowercase hex, so keys issued by any version still match.
    #expect(Credentials.digest("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    try await store.revokeAPIKey(name: "city-platform")
    #expect(try await store.apiKey(presented: key) == nil)
    #expect(try await store.apiKeys().map(\.revoked) == [true])
  }
}
