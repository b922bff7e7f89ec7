import Foundation
import GRPCCore
import GovernanceAPI
import Hummingbird
import NIOCore
import ServiceKit

/// The audit trail, `GET /audit`: for auditors and city administrators, read-only through every
/// API.
struct AuditController: Sendable {
  let store: GatewayStore

  var endpoints: RouteCollection<GatewayRequestContext> {
    let routes = RouteCollection(context: GatewayRequestContext.self)
    routes.get { request, context in await auditTrail(request, context: context) }
    return routes
  }

  /// One page of the trail, oldest first.
  struct Trail: Encodable {
    var entries: [Entry]
  }

  /// One act: who, in which role, did what to which record, from where, with what result.
  struct Entry: Encodable {
    var seq: Int64
    var at: String
    var subject: String
    var role: String
    var action: String
    var target: String
    var remote: String
    var result: String
  }

  /// `GET /audit?subject=&action=&since=&until=&limit=`: the audit trail, for auditors and
  /// city administrators; it cannot be changed through any API.
  func auditTrail(_ request: Request, context: GatewayRequestContext) async -> Response {
    do {
      let who = try await context.caller()
      guard who.principal.role == .auditor || who.principal.role == .cityAdministrator else {
        throw DomainError.permissionDenied(reason: "the audit trail is for auditors and city administrators")
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
      return JSONAnswer.response(
        Trail(
          entries: entries.map {
            Entry(
              seq: $0.seq, at: format.string(from: $0.at), subject: $0.subject, role: $0.role, action: $0.action,
              target: $0.target, remote: $0.remote, result: $0.result)
          }))
    } catch {
      return ConnectError(error).response
    }
  }
}
