import Foundation
import Hummingbird
import NIOCore
import ServiceKit

/// A request's context at the gateway: where it came from, for the audit trail.
public struct GatewayRequestContext: RequestContext, RemoteAddressRequestContext {
  public var coreContext: CoreRequestContextStorage
  public let remoteAddress: NIOCore.SocketAddress?

  /// The credentials the request presented, put here by `AuthenticationMiddleware` on every
  /// request behind it. They are checked only when a handler asks for the caller, after the
  /// checks that come first (a Connect request's codec, say): a request refused for those never
  /// touches the sessions, whose idle clock a check restarts.
  var authenticator: Authenticator?

  public init(source: ApplicationRequestContextSource) {
    coreContext = .init(source: source)
    remoteAddress = source.channel.remoteAddress
  }

  /// Who is calling, by the request's API key or session cookie.
  /// - Throws: `DomainError.unauthenticated` (401) when the request carried no valid API key or
  ///   session.
  func caller() async throws -> Caller {
    guard let authenticator else {
      throw DomainError.unauthenticated(reason: "sign in first, or send an API key as 'Authorization: Bearer <key>'")
    }
    return try await authenticator.caller()
  }

  /// The client's address as the audit trail records it.
  var remote: String { remoteAddress?.ipAddress ?? "unknown" }
}

/// Who is calling through the gateway, and how they proved it.
struct Caller: Sendable {
  var principal: Principal
  /// Set for a console session: state-changing requests must echo it in `X-CSRF-Token`.
  var csrfToken: String?
}

/// Puts on the context of every request behind it the credentials the request presented: a
/// system's API key (`Authorization: Bearer gk_...`) or a console session cookie
/// (`GatewayRequestContext.caller()` checks them).
struct AuthenticationMiddleware: RouterMiddleware {
  typealias Context = GatewayRequestContext
  let store: GatewayStore

  func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
    -> Response
  {
    var context = context
    context.authenticator = Authenticator(
      store: store, authorization: request.headers[.authorization],
      sessionToken: request.cookies[SessionController.sessionCookie]?.value)
    return try await next(request, context)
  }
}

/// A request's credentials and the store that knows them.
struct Authenticator: Sendable {
  let store: GatewayStore
  /// The `Authorization` header, when sent.
  let authorization: String?
  /// The session cookie's value, when sent.
  let sessionToken: String?

  /// The caller the credentials stand for: an API key first, else a session.
  func caller() async throws -> Caller {
    if let header = authorization {
      guard header.hasPrefix("Bearer "), let key = try await store.apiKey(presented: String(header.dropFirst(7))) else {
        throw DomainError.unauthenticated(reason: "the API key is unknown or revoked")
      }
      return Caller(
        principal: Principal(subject: "apikey:\(key.name)", role: key.role, scope: key.scope), csrfToken: nil)
    }
    guard let token = sessionToken, let session = try await store.session(token: token) else {
      throw DomainError.unauthenticated(reason: "sign in first, or send an API key as 'Authorization: Bearer <key>'")
    }
    return Caller(
      principal: Principal(
        subject: "user:\(session.user.username)", role: session.user.role, scope: session.user.scope),
      csrfToken: session.csrf)
  }
}
