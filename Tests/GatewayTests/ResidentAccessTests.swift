import Foundation
import GRDB
import ServiceKit
import Testing

@testable import Gateway

@Suite("Residents at the gateway: one-time codes, keyed principals, sessions and rate limits")
struct ResidentAccessTests {
  static func store() throws -> GatewayStore {
    GatewayStore(writer: try GovernanceDatabase.makeEmptyTestDatabase(migrator: GatewayStore.migrator))
  }

  @Test("a resident's phone is a mainland mobile")
  func aResidentsPhoneIsAMainlandMobile() throws {
    #expect(try ResidentAccess.phone("+86 138-1234-5678") == "13812345678")
    #expect(throws: DomainError.self) { try ResidentAccess.phone("025-83456789") }
    #expect(throws: DomainError.self) { try ResidentAccess.phone("1381234567") }
    #expect(throws: DomainError.self) { try ResidentAccess.phone("１３８１２３４５６７８") }
    #expect(ResidentAccess.masked(phone: "13812345678") == "138****5678")
  }

  @Test("a code is used within 5 minutes, with at most 5 tries, once")
  func aCodeIsUsedWithinFiveMinutesWithFiveTriesOnce() async throws {
    let issued = Date(timeIntervalSince1970: 1_800_000_000)
    let digest = Credentials.digest("042917")
    #expect(ResidentAccess.codeMatches("042917", digest: digest, issued: issued, attempts: 0, at: issued + 299))
    #expect(!ResidentAccess.codeMatches("042917", digest: digest, issued: issued, attempts: 0, at: issued + 300))
    #expect(!ResidentAccess.codeMatches("042917", digest: digest, issued: issued, attempts: 5, at: issued + 1))
    #expect(!ResidentAccess.codeMatches("42917", digest: digest, issued: issued, attempts: 0, at: issued + 1))
    #expect(!ResidentAccess.codeMatches("042918", digest: digest, issued: issued, attempts: 0, at: issued + 1))

    let store = try Self.store()
    try await store.issueCode("042917", phone: "13812345678", at: issued)
    for _ in 0..<4 { #expect(try await store.verify(code: "000000", phone: "13812345678", at: issued + 10) == nil) }
    let signedIn = try await store.verify(code: "042917", phone: "13812345678", at: issued + 20)
    #expect(signedIn?.resident.phone == "13812345678")
    // Used once: the same code again opens nothing.
    #expect(try await store.verify(code: "042917", phone: "13812345678", at: issued + 21) == nil)

    // Five wrong tries void the code, the right one included.
    try await store.issueCode("111111", phone: "13912345678", at: issued)
    for _ in 0..<5 { #expect(try await store.verify(code: "222222", phone: "13912345678", at: issued + 1) == nil) }
    #expect(try await store.verify(code: "111111", phone: "13912345678", at: issued + 2) == nil)
    // A newer code replaces the older.
    try await store.issueCode("333333", phone: "13912345678", at: issued + 3)
    #expect(try await store.verify(code: "333333", phone: "13912345678", at: issued + 4) != nil)
  }

  @Test("a resident's principal is a keyed hash of the number, the same each time")
  func aResidentsPrincipalIsAKeyedHash() async throws {
    let key = Data(repeating: 7, count: 32)
    let subject = ResidentAccess.subject(phone: "13812345678", key: key)
    #expect(subject.hasPrefix("resident:") && subject.count == "resident:".count + 20)
    #expect(!subject.contains("13812345678"))
    #expect(ResidentAccess.subject(phone: "13812345678", key: Data(repeating: 8, count: 32)) != subject)

    let store = try Self.store()
    let now = Date()
    try await store.issueCode("123456", phone: "13812345678", at: now)
    let first = try #require(try await store.verify(code: "123456", phone: "13812345678", at: now))
    try await store.issueCode("654321", phone: "13812345678", at: now + 1)
    let second = try #require(try await store.verify(code: "654321", phone: "13812345678", at: now + 2))
    #expect(first.resident.subject == second.resident.subject && first.token != second.token)
    try await store.issueCode("123456", phone: "13912345678", at: now)
    let other = try #require(try await store.verify(code: "123456", phone: "13912345678", at: now))
    #expect(other.resident.subject != first.resident.subject)
    // The number is kept sealed; no row holds it in the clear.
    let stored = try await store.writer.read { db in
      try Data.fetchAll(db, sql: "SELECT contact FROM resident") + [
        Data(try String.fetchAll(db, sql: "SELECT subject FROM resident_code").joined().utf8)
      ]
    }
    #expect(stored.count == 3 && stored.allSatisfy { $0.range(of: Data("13812345678".utf8)) == nil })

    let session = try await store.residentSession(token: first.token, at: now + 3)
    #expect(session?.resident.subject == first.resident.subject && session?.csrf == first.csrf)
    #expect(try await store.residentSession(token: first.token, at: now + 7 * 86_400 + 4) == nil)
    try await store.endResidentSession(token: second.token)
    #expect(try await store.residentSession(token: second.token, at: now + 5) == nil)
  }

  @Test("at most count in any window")
  func atMostCountInAnyWindow() async throws {
    let limit = RateLimit(2, per: 60, "things")
    let start = Date(timeIntervalSince1970: 1_800_000_000)
    #expect(limit.wait(after: [], at: start) == nil)
    #expect(limit.wait(after: [start], at: start + 1) == nil)
    #expect(limit.wait(after: [start, start + 1], at: start + 2) == 58)
    #expect(limit.wait(after: [start, start + 1], at: start + 60) == nil)

    let store = try Self.store()
    try await store.take([("code-phone:13812345678", RateLimit.codesPerPhone)], at: start)
    do {
      try await store.take([("code-phone:13812345678", RateLimit.codesPerPhone)], at: start + 30)
      Issue.record("a second code within the minute was allowed")
    } catch let refusal as ConnectError {
      #expect(refusal.code == .resourceExhausted && refusal.retryAfter == 30)
      #expect(refusal.response.headers[.retryAfter] == "30")
    }
    // Another phone has its own count; the first may ask again after a minute, five in the hour.
    try await store.take([("code-phone:13912345678", RateLimit.codesPerPhone)], at: start + 30)
    for minute in 1...4 {
      try await store.take([("code-phone:13812345678", RateLimit.codesPerPhone)], at: start + Double(minute) * 61)
    }
    await #expect(throws: ConnectError.self) {
      try await store.take([("code-phone:13812345678", RateLimit.codesPerPhone)], at: start + 10 * 61)
    }
  }

  @Test("a request refused for one limit counts against none")
  func aRefusedRequestCountsAgainstNone() async throws {
    let store = try Self.store()
    let start = Date(timeIntervalSince1970: 1_800_000_000)
    let address = ("code-address:10.0.0.1", [RateLimit(2, per: 3600, "codes per address")])
    try await store.take([address, ("code-phone:13812345678", RateLimit.codesPerPhone)], at: start)
    // The same phone again within the minute: refused, and the address keeps its second code.
    await #expect(throws: ConnectError.self) {
      try await store.take([address, ("code-phone:13812345678", RateLimit.codesPerPhone)], at: start + 1)
    }
    try await store.take([address, ("code-phone:13912345678", RateLimit.codesPerPhone)], at: start + 2)
    await #expect(throws: ConnectError.self) {
      try await store.take([address, ("code-phone:13712345678", RateLimit.codesPerPhone)], at: start + 3)
    }
  }

  @Test("a report's position is written in decimal degrees, its title on one line")
  func aReportsPositionIsDecimalDegrees() {
    #expect(ResidentController.decimal("118.7969") == 118.7969)
    #expect(ResidentController.decimal("-32.5") == -32.5)
    for bad in [
      "0x1p7", "1e2", "inf", "nan", ".5", "5.", "1.2.3", "", "-", "１８", "+5", String(repeating: "1", count: 33),
    ] {
      #expect(ResidentController.decimal(bad) == nil, "\(bad)")
    }
    let title = ResidentController.title(
      service: Open311Service.named("environment")!, description: "楼道堆满杂物\n请尽快处理\t谢谢")
    #expect(title == "环境卫生：楼道堆满杂物 请尽快处理 谢谢")
    let long = ResidentController.title(
      service: Open311Service.named("noise")!, description: String(repeating: "夜间施工", count: 10))
    #expect(long == "噪音扰民：\(String(repeating: "夜间施工", count: 7))夜间…")
  }

  @Test("residents hold no account and no API key")
  func residentsHoldNoAccount() async throws {
    let store = try Self.store()
    await #expect(throws: DomainError.self) {
      _ = try await store.createUser(username: "resident", password: "Resident-pass-2026", role: .resident, scope: "")
    }
    await #expect(throws: DomainError.self) {
      _ = try await store.createAPIKey(name: "resident", role: .resident, scope: "")
    }
  }
}
