import Crypto
import Foundation
import HummingbirdBcrypt
import NIOPosix
import ServiceKit

/// The rules of signing in: passwords, lockout, second factors, sessions and API keys.
public enum Credentials {
  /// Failed sign-ins in a row that lock an account.
  public static let lockoutThreshold = 5
  /// How long a locked account stays locked.
  public static let lockoutDuration: TimeInterval = 15 * 60
  /// A session ends after this long without a request...
  public static let sessionIdleLimit: TimeInterval = 30 * 60
  /// ...and after this long in all.
  public static let sessionAbsoluteLimit: TimeInterval = 12 * 3600
  /// The shortest password accepted.
  public static let minimumPasswordLength = 12
  /// Bcrypt's work factor: slow enough to make guessing dear, quick enough to sign in.
  public static let passwordHashCost: UInt8 = 11

  /// A password's bcrypt hash at `passwordHashCost`, computed on NIO's thread pool: a hash takes
  /// about a tenth of a second of CPU, which on the event loops that run the gateway's tasks
  /// (`EventLoopExecutor`) would hold up every connection of the loop. Throws when the pool has
  /// stopped (the gateway shutting down).
  static func hashPassword(_ password: String) async throws -> String {
    try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: passwordHashCost) }
  }

  /// Whether `password` matches the bcrypt `hash`, checked on NIO's thread pool (`hashPassword`).
  /// With no hash (no such user) it is checked against a decoy and is false: the same work as a
  /// real check, so the answer's time does not tell who exists.
  static func passwordMatches(_ password: String, hash: String?) async throws -> Bool {
    try await NIOThreadPool.singleton.runIfActive {
      guard let hash else {
        _ = Bcrypt.verify(password, hash: decoyHash)
        return false
      }
      return Bcrypt.verify(password, hash: hash)
    }
  }

  /// The hash of a password nobody has, made once.
  private static let decoyHash = Bcrypt.hash(randomToken(), cost: passwordHashCost)

  /// The rule "administrators and auditors sign in with a second factor (TOTP)", as China's
  /// classified protection level 3 asks for combined authentication.
  public static func needsSecondFactor(_ role: Role) -> Bool {
    role == .cityAdministrator || role == .auditor
  }

  /// The rule "residents hold no account and no API key": they prove a phone number on the
  /// public page each time (ResidentAccess).
  /// - Throws: `DomainError.invalidArgument` naming `role`.
  public static func checkAccountRole(_ role: Role) throws(DomainError) {
    guard role.isAccountRole else {
      throw DomainError.invalidArgument(
        field: "role", rule: "residents have no account: they sign in on the public page with a one-time code")
    }
  }

  /// The rule "a password has at least 12 characters, letters and digits".
  public static func checkPassword(_ password: String) throws(DomainError) {
    guard password.count >= minimumPasswordLength, password.contains(where: \.isLetter),
      password.contains(where: \.isNumber)
    else {
      throw DomainError.invalidArgument(
        field: "password", rule: "at least \(minimumPasswordLength) characters with letters and digits")
    }
  }

  /// The rule "5 failures in a row lock the account for 15 minutes": when it is locked until,
  /// after `failures` failures ending at `time`; nil while under the threshold.
  public static func lockedUntil(failures: Int, lastFailure time: Date) -> Date? {
    failures >= lockoutThreshold ? time.addingTimeInterval(lockoutDuration) : nil
  }

  /// The rule "a session lives 30 minutes idle and 12 hours in all".
  public static func sessionIsLive(created: Date, lastSeen: Date, at time: Date) -> Bool {
    time.timeIntervalSince(lastSeen) < sessionIdleLimit && time.timeIntervalSince(created) < sessionAbsoluteLimit
  }

  /// A TOTP code (RFC 6238, `SecondFactor`) is accepted in its 30-second step or the one before
  /// or after (clock drift).
  public static func checkSecondFactor(_ code: String, secret: String, at time: Date) -> Bool {
    let code = code.trimmingCharacters(in: .whitespaces)
    guard code.utf8.count == 6, code.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
      let given = Int(code)
    else { return false }
    return [-30.0, 0, 30].contains { SecondFactor.code(secret: secret, at: time.addingTimeInterval($0)) == given }
  }

  /// A new random secret: 32 bytes, base64url without padding.
  public static func randomToken() -> String {
    var bytes = [UInt8](repeating: 0, count: 32)
    var generator = SystemRandomNumberGenerator()
    for index in bytes.indices { bytes[index] = UInt8.random(in: .min ... .max, using: &generator) }
    return Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
      .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
  }

  /// How session tokens and API keys are stored: a SHA-256 digest, never the secret itself.
  public static func digest(_ secret: String) -> String {
    Hex.lowercase(SHA256.hash(data: Data(secret.utf8)))
  }

  /// The rule "a jurisdiction is digits of a division code, at most 12; empty for the whole system",
  /// for an account's or key's `scope` and for a webhook's or route's `division_prefix` alike.
  /// - Throws: INVALID_ARGUMENT naming `field`.
  public static func checkScope(_ scope: String, field: String = "scope") throws(DomainError) {
    guard scope.utf8.count <= 12, scope.allSatisfy({ $0.isASCII && $0.isNumber }) else {
      throw DomainError.invalidArgument(
        field: field, rule: "digits of a division code (at most 12), got '\(scope.prefix(20))'")
    }
  }
}
