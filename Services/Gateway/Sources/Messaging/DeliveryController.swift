import Foundation
import Hummingbird
import NIOCore
import ServiceKit

/// The HTTP face of delivery, behind the authentication middleware:
/// - `/notifications`: the signed-in person's bell (GET; `POST /notifications/read`);
/// - `/webhooks/subscriptions`: an API key's webhooks (POST to subscribe, GET, `POST …/{id}/resume`,
///   `DELETE …/{id}`), which city administrators see and resume too;
/// - `/deliveries?state=dead`: deliveries and dead letters (`POST /deliveries/{id}/replay`, city
///   administrators);
/// - `/message-routes`: which events reach whom by which channel (city administrators).
///
/// A city administrator acts within their own scope: they see and change the subscriptions, routes
/// and deliveries of divisions inside it, as in every other part of the platform.
struct DeliveryController: Sendable {
  let store: GatewayStore
  /// Lets webhooks and robots point at private and loopback hosts (WebhookTarget.check).
  let allowPrivateTargets: Bool
  let dispatcher: DeliveryDispatcher?

  var endpoints: RouteCollection<GatewayRequestContext> {
    let routes = RouteCollection(context: GatewayRequestContext.self)
    routes.get("notifications") { _, context in await answer { try await notifications(context) } }
    routes.post("notifications/read") { request, context in
      await answer { try await markRead(request, context: context) }
    }
    routes.post("webhooks/subscriptions") { request, context in
      await answer { try await subscribe(request, context: context) }
    }
    routes.get("webhooks/subscriptions") { _, context in await answer { try await subscriptions(context) } }
    routes.post("webhooks/subscriptions/:id/resume") { request, context in
      await answer { try await change(request, context: context, delete: false) }
    }
    routes.delete("webhooks/subscriptions/:id") { request, context in
      await answer { try await change(request, context: context, delete: true) }
    }
    routes.get("deliveries") { request, context in await answer { try await deliveries(request, context: context) } }
    routes.post("deliveries/:id/replay") { request, context in
      await answer { try await replay(request, context: context) }
    }
    routes.get("message-routes") { _, context in await answer { try await listRoutes(context) } }
    routes.post("message-routes") { request, context in await answer { try await addRoute(request, context: context) } }
    routes.delete("message-routes/:id") { request, context in
      await answer { try await removeRoute(request, context: context) }
    }
    return routes
  }

  func answer(_ body: () async throws -> Response) async -> Response {
    do { return try await body() } catch { return ConnectError(error).response }
  }

  /// The signed-in person's username. - Throws: PERMISSION_DENIED for an API key.
  func person(_ who: Caller) throws -> String {
    guard who.principal.subject.hasPrefix("user:") else {
      throw DomainError.permissionDenied(reason: "notifications are for people signed in to the console")
    }
    return String(who.principal.subject.dropFirst("user:".count))
  }

  /// The API key calling, or nil for a city administrator, signed in or by API key (who acts on
  /// every subscription and delivery).
  /// - Throws: PERMISSION_DENIED for anyone else.
  func keyOrAdministrator(_ who: Caller) throws -> String? {
    if who.principal.role == .cityAdministrator { return nil }
    guard who.principal.subject.hasPrefix("apikey:") else {
      throw DomainError.permissionDenied(reason: "webhooks belong to API keys; city administrators oversee them")
    }
    return String(who.principal.subject.dropFirst("apikey:".count))
  }

  func administrator(_ request: Request, _ context: GatewayRequestContext, change: Bool) async throws -> Caller {
    let who = try await context.caller()
    guard who.principal.role == .cityAdministrator else {
      throw DomainError.permissionDenied(reason: "deliveries and message routes are for city administrators")
    }
    if change { try ConnectController.checkCSRF(request, caller: who) }
    return who
  }

  func audit(_ who: Caller, _ action: String, _ target: String, _ context: GatewayRequestContext) async throws {
    try await store.audit(
      subject: who.principal.subject, role: who.principal.role?.rawValue ?? "", action: action, target: target,
      remote: context.remote, result: "ok")
  }

  struct Bell: Encodable {
    var unread: Int
    var items: [GatewayStore.Notification]
  }

  func notifications(_ context: GatewayRequestContext) async throws -> Response {
    let (items, unread) = try await store.notifications(username: try person(try await context.caller()))
    return JSONAnswer.response(Bell(unread: unread, items: items))
  }

  struct ReadForm: Decodable {
    /// Everything up to this notification is read.
    var through: Int64
  }

  func markRead(_ request: Request, context: GatewayRequestContext) async throws -> Response {
    let who = try await context.caller()
    try ConnectController.checkCSRF(request, caller: who)
    let form = try await ResidentController.json(request, as: ReadForm.self)
    let marked = try await store.markNotificationsRead(username: try person(who), through: form.through)
    return JSONAnswer.response(["marked": marked])
  }

  struct SubscribeForm: Decodable {
    var url: String
    var kinds: [String]
    var divisionPrefix: String?

  }

  /// `POST /webhooks/subscriptions` `{"url", "kinds": ["case.*"], "divisionPrefix"}` by an API
  /// key: the subscription and its `secret` (`whsec_…`), shown this once.
  func subscribe(_ request: Request, context: GatewayRequestContext) async throws -> Response {
    let who = try await context.caller()
    // A city administrator's key oversees every subscription (keyOrAdministrator); it is not a
    // receiving system's key.
    guard who.principal.subject.hasPrefix("apikey:"), who.principal.role != .cityAdministrator else {
      throw DomainError.permissionDenied(
        reason: "a webhook is subscribed with the API key of the system receiving it, not a city administrator's")
    }
    let form = try await ResidentController.json(request, as: SubscribeForm.self)
    let subscription = try await store.subscribe(
      apiKey: String(who.principal.subject.dropFirst("apikey:".count)), url: form.url, kinds: form.kinds,
      divisionPrefix: form.divisionPrefix ?? who.principal.scope, allowPrivate: allowPrivateTargets)
    try await audit(who, "webhook.subscribe", subscription.id, context)
    return JSONAnswer.response(subscription, status: .created)
  }

  func subscriptions(_ context: GatewayRequestContext) async throws -> Response {
    let who = try await context.caller()
    let key = try keyOrAdministrator(who)
    return JSONAnswer.response(
      ["subscriptions": try await store.subscriptions(apiKey: key, scope: who.principal.scope)])
  }

  func change(_ request: Request, context: GatewayRequestContext, delete: Bool) async throws -> Response {
    let who = try await context.caller()
    try ConnectController.checkCSRF(request, caller: who)
    let id = context.parameters.get("id") ?? ""
    try await store.changeSubscription(
      id: id, apiKey: try keyOrAdministrator(who), scope: who.principal.scope, delete: delete)
    try await audit(who, delete ? "webhook.delete" : "webhook.resume", id, context)
    dispatcher?.wake.ring()
    return JSONAnswer.response(["id": id, "state": delete ? "deleted" : "active"])
  }

  func deliveries(_ request: Request, context: GatewayRequestContext) async throws -> Response {
    let who = try await context.caller()
    let key = try keyOrAdministrator(who)
    let state = request.uri.queryParameters["state"].map(String.init) ?? "dead"
    guard ["pending", "delivered", "dead"].contains(state) else {
      throw DomainError.invalidArgument(field: "state", rule: "pending, delivered or dead")
    }
    let limit = min(max(request.uri.queryParameters["limit"].flatMap { Int(String($0)) } ?? 100, 1), 500)
    return JSONAnswer.response([
      "deliveries": try await store.deliveries(
        state: state, apiKey: key, scope: key == nil ? who.principal.scope : "", limit: limit)
    ])
  }

  func replay(_ request: Request, context: GatewayRequestContext) async throws -> Response {
    let who = try await administrator(request, context, change: true)
    let id = context.parameters.get("id") ?? ""
    try await store.replay(delivery: id, scope: who.principal.scope)
    try await audit(who, "delivery.replay", id, context)
    dispatcher?.wake.ring()
    return JSONAnswer.response(["id": id, "state": "pending"])
  }

  func listRoutes(_ context: GatewayRequestContext) async throws -> Response {
    let who = try await context.caller()
    guard who.principal.role == .cityAdministrator else {
      throw DomainError.permissionDenied(reason: "message routes are for city administrators")
    }
    return JSONAnswer.response(["routes": try await store.routes(scope: who.principal.scope)])
  }

  struct RouteForm: Decodable {
    var kinds: [String]
    var role: String
    var divisionPrefix: String?
    var channel: String
    var address: String?
    var quietStart: Int?
    var quietEnd: Int?

  }

  /// `POST /message-routes` `{"kinds", "role", "divisionPrefix", "channel", "address",
  /// "quietStart", "quietEnd"}` (minutes after midnight), camelCase as protobuf JSON writes.
  func addRoute(_ request: Request, context: GatewayRequestContext) async throws -> Response {
    let who = try await administrator(request, context, change: true)
    let form = try await ResidentController.json(request, as: RouteForm.self)
    let route = try await store.addRoute(
      .init(
        id: "", kinds: form.kinds, role: form.role, divisionPrefix: form.divisionPrefix ?? "", channel: form.channel,
        address: form.address ?? "", quietStart: form.quietStart ?? 0, quietEnd: form.quietEnd ?? 0),
      allowPrivate: allowPrivateTargets, scope: who.principal.scope)
    try await audit(who, "route.add", route.id, context)
    return JSONAnswer.response(route, status: .created)
  }

  func removeRoute(_ request: Request, context: GatewayRequestContext) async throws -> Response {
    let who = try await administrator(request, context, change: true)
    let id = context.parameters.get("id") ?? ""
    try await store.removeRoute(id: id, scope: who.principal.scope)
    try await audit(who, "route.remove", id, context)
    return JSONAnswer.response(["id": id, "state": "removed"])
  }
}
