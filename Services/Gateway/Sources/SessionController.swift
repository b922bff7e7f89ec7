import Foundation
import GRPCCore
import GovernanceAPI
import Hummingbird
import NIOCore
import ServiceKit

/// Console sign-in: `POST /auth/login`, `POST /auth/logout` and `GET /auth/me`.
struct SessionController: Sendable {
  static let sessionCookie = "gov_session"

  let store: GatewayStore
  /// Whether the session cookie is marked Secure (the gateway is behind TLS).
  let secureCookies: Bool

  var endpoints: RouteCollection<GatewayRequestContext> {
    let routes = RouteCollection(context: GatewayRequestContext.self)
    routes.post("login") { request, context in await signIn(request, context: context) }
    routes.post("logout") { request, context in await signOut(request, context: context) }
    routes.get("me") { request, context in await me(request, context: context) }
    return routes
  }

  struct SignInForm: Decodable {
    var username: String
    var password: String
    var otp: String?
  }

  /// The answer to a sign-in: who, the CSRF token to send with every change, and the writes the
  /// role may make (`may`), so that the console offers only those.
  struct SignedIn: Encodable {
    var username: String
    var role: String
    var scope: String
    var csrfToken: String
    var may: [String]
  }

  /// The methods that change something which `principal`'s role may call, as `Service/Method` with
  /// the service's short name (e.g. `GridService/AcceptCase`), from the table every service checks
  /// first (`Authorization.check`). The console offers only these; a call can still be refused for
  /// what the record holds (its jurisdiction, its state, a panel seat), and says so.
  static func writes(of principal: Principal) -> [String] {
    MethodCatalog.methods.compactMap { method in
      guard !Authorization.isRead(method.method),
        (try? Authorization.check(service: method.service, method: method.method, principal: principal)) != nil
      else { return nil }
      return "\(method.service.split(separator: ".").last ?? "")/\(method.method)"
    }
  }

  /// The answer to a sign-out.
  struct SignedOut: Encodable {
    var signedOut: Bool
  }

  /// Who a session belongs to, and the writes its role may make.
  struct Me: Encodable {
    var subject: String
    var role: String
    var scope: String
    var csrfToken: String
    var may: [String]
  }

  func sessionCookie(_ value: String, maxAge: Int) -> Cookie {
    Cookie(
      name: Self.sessionCookie, value: value, maxAge: maxAge, path: "/", secure: secureCookies, httpOnly: true,
      sameSite: .strict)
  }

  /// `POST /auth/login` with `{"username", "password", "otp"}`: a session cookie (HttpOnly,
  /// SameSite=Strict, Secure over TLS) and the CSRF token to send with every change.
  func signIn(_ request: Request, context: GatewayRequestContext) async -> Response {
    do {
      let body = try await request.body.collect(upTo: 64 * 1024)
      guard let form = try? JSONDecoder().decode(SignInForm.self, from: Data(buffer: body)) else {
        throw ConnectError(.invalidArgument, "send {\"username\", \"password\", \"otp\"} as JSON")
      }
      let outcome = try await store.signIn(
        username: form.username, password: form.password, secondFactor: form.otp ?? "")
      switch outcome {
      case .signedIn(let user):
        let (token, csrf) = try await store.openSession(for: user)
        try await store.audit(
          subject: "user:\(user.username)", role: user.role.rawValue, action: "login", target: user.username,
          remote: context.remote, result: "ok")
        let principal = Principal(subject: "user:\(user.username)", role: user.role, scope: user.scope)
        var response = JSONAnswer.response(
          SignedIn(
            username: user.username, role: user.role.rawValue, scope: user.scope, csrfToken: csrf,
            may: Self.writes(of: principal)))
        response.setCookie(sessionCookie(token, maxAge: Int(Credentials.sessionAbsoluteLimit)))
        return response
      case .refused(let reason):
        try await store.audit(
          subject: "user:\(form.username)", role: "", action: "login", target: form.username, remote: context.remote,
          result: "refused")
        throw ConnectError(.unauthenticated, reason)
      case .locked(let until):
        try await store.audit(
          subject: "user:\(form.username)", role: "", action: "login", target: form.username, remote: context.remote,
          result: "locked")
        throw DomainError.permissionDenied(
          reason: "the account is locked after repeated failures until \(until.formatted(.iso8601))")
      }
    } catch {
      return ConnectError(error).response
    }
  }

  func signOut(_ request: Request, context: GatewayRequestContext) async -> Response {
    do {
      let who = try await context.caller()
      try ConnectController.checkCSRF(request, caller: who)
      if let token = request.cookies[Self.sessionCookie]?.value { try await store.closeSession(token: token) }
      var response = JSONAnswer.response(SignedOut(signedOut: true))
      response.setCookie(sessionCookie("", maxAge: 0))
      return response
    } catch {
      return ConnectError(error).response
    }
  }

  /// `GET /auth/me`: who the session belongs to, and its CSRF token (for a reloaded console).
  func me(_ request: Request, context: GatewayRequestContext) async -> Response {
    do {
      let who = try await context.caller()
      return JSONAnswer.response(
        Me(
          subject: who.principal.subject, role: who.principal.role?.rawValue ?? "", scope: who.principal.scope,
          csrfToken: who.csrfToken ?? "", may: Self.writes(of: who.principal)))
    } catch {
      return ConnectError(error).response
    }
  }
}
