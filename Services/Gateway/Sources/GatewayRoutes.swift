import Foundation
import GRPCCore
import GovernanceAPI
import Hummingbird
import NIOCore
import ServiceKit

extension ConnectGateway {
  struct SignInForm: Decodable {
    var username: String
    var password: String
    var otp: String?
  }

  static func json(_ object: Any, status: HTTPResponse.Status = .ok) -> Response {
    let body = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
    return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(data: body)))
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
      let outcome = try await store.signIn(username: form.username, password: form.password, secondFactor: form.otp ?? "")
      switch outcome {
      case .signedIn(let user):
        let (token, csrf) = try await store.openSession(for: user)
        try await store.audit(
          subject: "user:\(user.username)", role: user.role.rawValue, action: "login", target: user.username,
          remote: context.remote, result: "ok")
        var response = Self.json([
          "username": user.username, "role": user.role.rawValue, "scope": user.scope, "csrfToken": csrf,
        ])
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
        throw ConnectError(.permissionDenied, "the account is locked after repeated failures until \(until)")
      }
    } catch {
      return ConnectError(error).response
    }
  }

  func signOut(_ request: Request) async -> Response {
    do {
      let who = try await caller(request)
      try checkCSRF(request, caller: who)
      if let token = request.cookies[Self.sessionCookie]?.value { try await store.closeSession(token: token) }
      var response = Self.json(["signedOut": true])
      response.setCookie(sessionCookie("", maxAge: 0))
      return response
    } catch {
      return ConnectError(error).response
    }
  }

  /// `GET /auth/me`: who the session belongs to, and its CSRF token (for a reloaded console).
  func me(_ request: Request) async -> Response {
    do {
      let who = try await caller(request)
      return Self.json([
        "subject": who.principal.subject, "role": who.principal.role?.rawValue ?? "", "scope": who.principal.scope,
        "csrfToken": who.csrfToken ?? "",
      ])
    } catch {
      return ConnectError(error).response
    }
  }

  /// `GET /audit?subject=&action=&since=&until=&limit=`: the audit trail, for auditors and
  /// city administrators; it cannot be changed through any API.
  func auditTrail(_ request: Request, context: GatewayRequestContext) async -> Response {
    do {
      let who = try await caller(request)
      guard who.principal.role == .auditor || who.principal.role == .cityAdministrator else {
        throw ConnectError(.permissionDenied, "the audit trail is for auditors and city administrators")
      }
      let query = request.uri.queryParameters
      let format = ISO8601DateFormatter()
      let entries = try await store.searchAudit(
        subject: query["subject"].map(String.init), action: query["action"].map(String.init),
        since: query["since"].flatMap { format.date(from: String($0)) },
        until: query["until"].flatMap { format.date(from: String($0)) },
        limit: query["limit"].flatMap { Int(String($0)) } ?? 100)
      try await store.audit(
        subject: who.principal.subject, role: who.principal.role?.rawValue ?? "", action: "audit.search", target: "",
        remote: context.remote, result: "ok")
      return Self.json([
        "entries": entries.map {
          [
            "seq": $0.seq, "at": format.string(from: $0.at), "subject": $0.subject, "role": $0.role, "action": $0.action,
            "target": $0.target, "remote": $0.remote, "result": $0.result,
          ] as [String: Any]
        }
      ])
    } catch {
      return ConnectError(error).response
    }
  }

  /// `GET /feed?cursor=`: what changed since the cursor — case events (for the city platform,
  /// those of the cases it pushed) and completed publications of red/black lists — and the
  /// cursor to send next. Reading on from the last cursor misses nothing, across restarts.
  func feed(_ request: Request) async -> Response {
    do {
      let who = try await caller(request)
      let cursor = FeedCursor(request.uri.queryParameters["cursor"].map(String.init) ?? "")
      let (events, publications) = try await Principal.$current.withValue(who.principal) {
        let grid = Governance_Grid_V1_GridService.Client(wrapping: peers.client(for: .grid))
        let events = try await grid.listCaseEventFeed(.with {
          $0.afterEventID = cursor.event
          $0.pageSize = 200
          $0.cityPlatformOnly = who.principal.role == .cityPlatform
        })
        let evaluation = Governance_Evaluation_V1_EvaluationService.Client(wrapping: peers.client(for: .evaluation))
        let listed = try await evaluation.listPublications(.with {
          $0.state = .completed
          $0.pageSize = 100
        }).publications.filter { $0.id > cursor.publication }.sorted { $0.id < $1.id }
        var publications: [Governance_Evaluation_V1_Publication] = []
        for publication in listed {
          publications.append(try await evaluation.getPublication(.with { $0.id = publication.id }))
        }
        return (events, publications)
      }
      let next = FeedCursor(event: events.nextCursor, publication: publications.last?.id ?? cursor.publication)
      let eventsJSON = try JSONSerialization.jsonObject(with: try events.jsonUTF8Data())
      let publicationsJSON = try publications.map { try JSONSerialization.jsonObject(with: try $0.jsonUTF8Data()) }
      return Self.json(["changes": eventsJSON, "publications": publicationsJSON, "cursor": next.encoded])
    } catch {
      return ConnectError(error).response
    }
  }
}

/// Where a reader of the change feed got to: the last case event and the last publication.
struct FeedCursor {
  var event: String
  var publication: String

  init(event: String, publication: String) {
    self.event = event
    self.publication = publication
  }

  init(_ encoded: String) {
    let text = Data(base64Encoded: encoded).flatMap { String(data: $0, encoding: .utf8) } ?? ""
    let parts = text.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
    event = parts.count == 2 ? parts[0] : ""
    publication = parts.count == 2 ? parts[1] : ""
  }

  var encoded: String { Data("\(event)|\(publication)".utf8).base64EncodedString() }
}
