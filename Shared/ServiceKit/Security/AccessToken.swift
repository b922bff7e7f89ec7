import Crypto
import Foundation
import JWTKit
import Synchronization

/// The short-lived signed token (JWT, HMAC-SHA256) every call between the platform's processes
/// carries: who, with which role and jurisdiction, until when. The gateway mints one for each
/// person or system it lets in; each service mints its own for the calls it makes to its peers.
/// Every service verifies it on every call: a service never trusts a caller for being on the
/// network.
struct AccessClaims: JWTPayload {
  var sub: SubjectClaim
  var role: String?
  var scope: String
  var svc: String?
  var exp: ExpirationClaim
  var iat: IssuedAtClaim

  func verify(using _: some JWTAlgorithm) async throws {
    try exp.verifyNotExpired()
  }
}

/// Signs and verifies access tokens with the system's shared token key.
public struct TokenAuthority: Sendable {
  /// How long a minted token is good for.
  public static let defaultLifetime: TimeInterval = 300

  private let keys: Task<JWTKeyCollection, Never>
  private let cache = TokenCache()

  public init(key: Data) {
    keys = Task {
      let keys = JWTKeyCollection()
      await keys.add(hmac: HMACKey(from: key), digestAlgorithm: .sha256)
      return keys
    }
  }

  /// The authority of a process: the key from `GOVERNANCE_TOKEN_KEY`, else `token.key` in the
  /// data directory (made on first start), shared by every process of the system.
  public static func load(dataDirectory: String, environment: [String: String]) throws -> TokenAuthority {
    TokenAuthority(
      key: try KeyFile.load(
        variable: "GOVERNANCE_TOKEN_KEY", fileName: "token.key", dataDirectory: dataDirectory, environment: environment)
    )
  }

  /// An authority with a fresh random key, for tests.
  public static func ephemeral() -> TokenAuthority {
    TokenAuthority(key: SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) })
  }

  /// A token for `principal` good for `lifetime` from `time`. A caller minting for the same
  /// principal again within half the lifetime gets the same token: signing one for every call
  /// would cost more than the call.
  public func mint(for principal: Principal, lifetime: TimeInterval = defaultLifetime, at time: Date = Date())
    async throws
    -> String
  {
    let now = Date()
    let isNow = abs(time.timeIntervalSince(now)) < 1
    if isNow, let token = cache.minted(for: principal, lifetime: lifetime, at: now) { return token }
    let token = try await keys.value.sign(
      AccessClaims(
        sub: .init(value: principal.subject), role: principal.role?.rawValue, scope: principal.scope,
        svc: principal.service?.rawValue, exp: .init(value: time.addingTimeInterval(lifetime)), iat: .init(value: time))
    )
    if isNow {
      cache.keep(minted: token, for: principal, lifetime: lifetime, expiry: time.addingTimeInterval(lifetime))
    }
    return token
  }

  /// The principal a token stands for, or UNAUTHENTICATED saying why not.
  public func verify(_ token: String) async throws(DomainError) -> Principal {
    let now = Date()
    if let principal = cache.verified(token, at: now) { return principal }
    let claims: AccessClaims
    do {
      claims = try await keys.value.verify(token, as: AccessClaims.self)
    } catch let error as JWTError where error.errorType == .claimVerificationFailure {
      throw DomainError.unauthenticated(reason: "the access token has expired")
    } catch {
      throw DomainError.unauthenticated(reason: "the access token is not valid (bad signature or form)")
    }
    let role = claims.role.flatMap(Role.init(rawValue:))
    let service = claims.svc.flatMap(ServiceIdentity.init(rawValue:))
    guard role != nil || service != nil else {
      throw DomainError.unauthenticated(reason: "the access token names neither a role nor a service")
    }
    let principal = Principal(subject: claims.sub.value, role: role, scope: claims.scope, service: service)
    cache.keep(verified: token, as: principal, expiry: claims.exp.value)
    return principal
  }
}

/// Tokens already signed or checked, until they expire. A token's signature and claims never
/// change, so checking it once is enough; expiry is checked on every use.
final class TokenCache: Sendable {
  /// Past this many entries the cache starts afresh, so that it never grows without bound.
  static let capacity = 20_000

  private struct MintKey: Hashable {
    let principal: Principal
    let lifetime: TimeInterval
  }

  private let minted = Mutex<[MintKey: (token: String, expiry: Date)]>([:])
  private let verified = Mutex<[String: (principal: Principal, expiry: Date)]>([:])

  func minted(for principal: Principal, lifetime: TimeInterval, at now: Date) -> String? {
    minted.withLock { entries in
      guard let entry = entries[MintKey(principal: principal, lifetime: lifetime)],
        entry.expiry.timeIntervalSince(now) >= lifetime / 2
      else { return nil }
      return entry.token
    }
  }

  func keep(minted token: String, for principal: Principal, lifetime: TimeInterval, expiry: Date) {
    minted.withLock { entries in
      if entries.count >= Self.capacity { entries.removeAll() }
      entries[MintKey(principal: principal, lifetime: lifetime)] = (token, expiry)
    }
  }

  func verified(_ token: String, at now: Date) -> Principal? {
    verified.withLock { entries in
      guard let entry = entries[token] else { return nil }
      guard entry.expiry > now else {
        entries[token] = nil
        return nil
      }
      return entry.principal
    }
  }

  func keep(verified token: String, as principal: Principal, expiry: Date) {
    verified.withLock { entries in
      if entries.count >= Self.capacity { entries.removeAll() }
      entries[token] = (principal, expiry)
    }
  }
}
