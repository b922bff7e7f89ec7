import Crypto
import Foundation
import Logging
import ServiceKit

/// The rules of the residents' public page (居民端): a resident has no account and proves a
/// phone number with a one-time code (a verification code, 验证码, in place of a captcha); what
/// they may ask for is bounded per phone and per address.
public enum ResidentAccess {
  /// Digits in a one-time code.
  public static let codeLength = 6
  /// How long a code may be used.
  public static let codeLifetime: TimeInterval = 5 * 60
  /// Wrong tries that void a code.
  public static let codeAttempts = 5
  /// A resident's session ends after this long without a request...
  public static let sessionIdleLimit: TimeInterval = 7 * 86_400
  /// ...and after this long in all.
  public static let sessionAbsoluteLimit: TimeInterval = 30 * 86_400

  /// The rule "a resident's phone is a mainland mobile": the 11 digits, without spaces, hyphens
  /// or +86 (a landline cannot receive the code).
  /// - Throws: `DomainError.invalidArgument` naming `phone`.
  public static func phone(_ value: String) throws(DomainError) -> String {
    let number = try PhoneNumber.normalized(value, field: "phone")
    guard number.utf8.count == 11, number.hasPrefix("1") else {
      throw DomainError.invalidArgument(
        field: "phone", rule: "a mainland mobile (11 digits from 13 to 19) that can receive a text message")
    }
    return number
  }

  /// A new one-time code: `codeLength` decimal digits from the system's random source, every
  /// value equally likely (leading zeros kept).
  public static func newCode() -> String {
    var generator = SystemRandomNumberGenerator()
    return String((0..<codeLength).map { _ in Character(String(Int.random(in: 0...9, using: &generator))) })
  }

  /// The rule "a code is used within 5 minutes, with at most 5 tries, once": whether `given`
  /// matches the stored digest now. The comparison of digests does not stop at the first
  /// differing byte.
  public static func codeMatches(
    _ given: String, digest: String, issued: Date, attempts: Int, at time: Date
  ) -> Bool {
    guard time.timeIntervalSince(issued) < codeLifetime, attempts < codeAttempts,
      given.utf8.count == codeLength, given.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) })
    else { return false }
    let presented = Array(Credentials.digest(given).utf8)
    let stored = Array(digest.utf8)
    guard presented.count == stored.count else { return false }
    return zip(presented, stored).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
  }

  /// The rule "a resident's session lives 7 days idle and 30 days in all".
  public static func sessionIsLive(created: Date, lastSeen: Date, at time: Date) -> Bool {
    time.timeIntervalSince(lastSeen) < sessionIdleLimit && time.timeIntervalSince(created) < sessionAbsoluteLimit
  }

  /// The resident's principal: `resident:` and the first 20 hex digits of HMAC-SHA256 of the
  /// number under the gateway's own key, so records name a resident without holding the number
  /// (which, without the key, cannot be found by trying every number).
  public static func subject(phone: String, key: Data) -> String {
    let mac = HMAC<SHA256>.authenticationCode(for: Data(phone.utf8), using: SymmetricKey(data: key))
    return "resident:" + String(Hex.lowercase(mac).prefix(20))
  }

  /// The number as others may see it: the first 3 and last 4 digits.
  public static func masked(phone: String) -> String {
    PersonalData.masked(.with { $0.phone = phone }).phone
  }
}

/// A limit on how often something may be asked for: at most `count` in any `window` seconds.
public struct RateLimit: Sendable, Equatable {
  public var count: Int
  public var window: TimeInterval
  /// Words for the refusal, e.g. "one-time codes per phone".
  public var what: String

  public init(_ count: Int, per window: TimeInterval, _ what: String) {
    self.count = count
    self.window = window
    self.what = what
  }

  /// The rule "at most `count` in any `window`": given the times already counted (any order),
  /// nil when one more may go now, else how many seconds until it may (at least 1).
  public func wait(after times: [Date], at time: Date) -> Int? {
    let recent = times.filter { time.timeIntervalSince($0) < window }.sorted()
    guard recent.count >= count else { return nil }
    let freed = recent[recent.count - count].addingTimeInterval(window)
    return max(1, Int(freed.timeIntervalSince(time).rounded(.up)))
  }

  /// Codes per phone: one a minute and five an hour, so a number is not flooded with messages.
  public static let codesPerPhone = [
    RateLimit(1, per: 60, "one-time codes per phone"), .init(5, per: 3600, "one-time codes per phone"),
  ]
  /// Codes per address: twenty an hour, so one machine cannot text many numbers.
  public static let codesPerAddress = [RateLimit(20, per: 3600, "one-time codes per address")]
  /// Reports per phone: five an hour and twenty a day.
  public static let reportsPerPhone = [
    RateLimit(5, per: 3600, "reports per phone"), .init(20, per: 86_400, "reports per phone"),
  ]
  /// Reports per address: thirty an hour (a shared network, a community centre).
  public static let reportsPerAddress = [RateLimit(30, per: 3600, "reports per address")]
  /// Wishes and claims per phone: ten a day.
  public static let wishesPerPhone = [RateLimit(10, per: 86_400, "wishes and claims per phone")]
  /// Reports looked up by tracking number from one address: 120 an hour, enough for a family
  /// following theirs, too few to read a city's reports one number after another.
  public static let lookupsPerAddress = [RateLimit(120, per: 3600, "report look-ups per address")]
  /// Tries at a code from one address: thirty an hour, so nobody guesses codes for many phones.
  public static let verificationsPerAddress = [RateLimit(30, per: 3600, "code checks per address")]
}

/// Where the platform's messages to a resident's phone go (a one-time code today, reminders
/// later): the SMS channel when it is configured (SMSChannel, as its template and parameters), the
/// log in development.
public protocol MessageSender: Sendable {
  /// Sends `message` to the mobile `phone` (11 digits).
  /// - Throws: when the message cannot be handed on; the caller refuses the request as
  ///   unavailable.
  func send(_ message: OutgoingMessage, to phone: String) async throws
}

/// The development sender: writes each message's body, with the whole number, to the gateway's
/// log at notice level (`one-time code` lines), for a developer or a test to read. Never for
/// production: anyone who reads the log could sign in as any resident.
public struct LogMessageSender: MessageSender {
  let logger: Logger

  public init(logger: Logger) {
    self.logger = logger
  }

  public func send(_ message: OutgoingMessage, to phone: String) async throws {
    logger.notice("outbound message", metadata: ["to": "\(phone)", "text": "\(message.body)"])
  }
}
