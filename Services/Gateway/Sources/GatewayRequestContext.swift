import Foundation
import Hummingbird
import NIOCore
import ServiceKit

/// A request's context at the gateway: where it came from, for the audit trail.
public struct GatewayRequestContext: RequestContext, RemoteAddressRequestContext {
  public var coreContext: CoreRequestContextStorage
  public let remoteAddress: NIOCore.SocketAddress?

  /// Who is calling, as `AuthenticationMiddleware` found: set on every request behind it, and
  /// read by a handler only where it needs the caller, so a request that fails an earlier check
  /// (its codec, say) is refused for that, as before.
  var authentication: Result<Caller, ConnectError>?

  public init(source: ApplicationRequestContextSource) {
    coreContext = .init(source: source)
    remoteAddress = source.channel.remoteAddress
  }

  /// The caller the middleware authenticated; UNAUTHENTICATED (401) when the request carried no
  /// valid API key or session.
  func caller() throws(ConnectError) -> Caller {
    guard let authentication else {
      throw ConnectError(.unauthenticated, "sign in first, or send an API key as 'Authorization: Bearer <key>'")
    }
    return try authentication.get()
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

/// Authenticates every request behind it, by a system's API key (`Authorization: Bearer gk_...`)
/// or a console session cookie, and puts the outcome on the request context
/// (`GatewayRequestContext.caller()`).
struct AuthenticationMiddleware: RouterMiddleware {
  typealias Context = GatewayRequestContext
  let store: GatewayStore

  func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
    -> Response
  {
    var context = context
    do {
      context.authentication = .success(try await caller(request))
    } catch {
      context.authentication = .failure(ConnectError(error))
    }
    return try await next(request, context)
  }

  func caller(_ request: Request) async throws -> Caller {
    if let header = request.headers[.authorization] {
      guard header.hasPrefix("Bearer "), let key = try await store.apiKey(presented: String(header.dropFirst(7))) else {
        throw ConnectError(.unauthenticated, "the API key is unknown or revoked")
      }
      return Caller(
        principal: Principal(subject: "apikey:\(key.name)", role: key.role, scope: key.scope), csrfToken: nil)
    }
    guard let token = request.cookies[SessionController.sessionCookie]?.value,
      let session = try await store.session(token: token)
    else {
      throw ConnectError(.unauthenticated, "sign in first, or send an API key as 'Authorization: Bearer <key>'")
    }
    return Caller(
      principal: Principal(
        subject: "user:\(session.user.username)", role: session.user.role, scope: session.user.scope),
      csrfToken: session.csrf)
  }
}
