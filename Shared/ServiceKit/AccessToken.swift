import Crypto
import Foundation
import JWTKit

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
        variable: "GOVERNANCE_TOKEN_KEY", fileName: "token.key", dataDirectory: dataDirectory, environment: environment))
  }

  /// An authority with a fresh random key, for tests.
  public static func ephemeral() -> TokenAuthority {
    TokenAuthority(key: SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) })
  }

  public func mint(for principal: Principal, lifetime: TimeInterval = defaultLifetime, at time: Date = Date()) async throws
    -> String
  {
    try await keys.value.sign(
      AccessClaims(
        sub: .init(value: principal.subject), role: principal.role?.rawValue, scope: principal.scope,
        svc: principal.service?.rawValue, exp: .init(value: time.addingTimeInterval(lifetime)), iat: .init(value: time)))
  }

  /// The principal a token stands for, or UNAUTHENTICATED saying why not.
  public func verify(_ token: String) async throws(DomainError) -> Principal {
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
    return Principal(subject: claims.sub.value, role: role, scope: claims.scope, service: service)
  }
}
