import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceKit
import ServiceLifecycle

/// Builds the gateway's router: `/healthz` reports the health of the five services behind it,
/// `/metrics` the gateway's own Prometheus metrics; with a door, the Connect API, sign-in, the
/// change feed, the audit trail, server streams and the console.
public func buildRouter(
  probe: @escaping @Sendable () async -> SystemHealth, door: ConnectGateway? = nil
) -> Router<GatewayRequestContext> {
  let router = Router(context: GatewayRequestContext.self)
  router.add(middleware: LogRequestsMiddleware(.debug))
  router.get("healthz") { _, _ -> Response in
    let health = await probe()
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    let body = try encoder.encode(health)
    return Response(
      status: health.isHealthy ? .ok : .serviceUnavailable,
      headers: [.contentType: "application/json; charset=utf-8"],
      body: .init(byteBuffer: ByteBuffer(data: body))
    )
  }
  GovernanceMetrics.addRoute(to: router)
  guard let door else { return router }
  router.post("auth/login") { request, context in await door.signIn(request, context: context) }
  router.post("auth/logout") { request, _ in await door.signOut(request) }
  router.get("auth/me") { request, _ in await door.me(request) }
  router.get("audit") { request, context in await door.auditTrail(request, context: context) }
  router.get("feed") { request, _ in await door.feed(request) }
  router.get("stream/:service/:method") { request, context in
    await door.stream(
      request, context: context, service: context.parameters.get("service") ?? "",
      method: context.parameters.get("method") ?? "")
  }
  router.post(":service/:method") { request, context in
    await door.unary(
      request, context: context, service: context.parameters.get("service") ?? "",
      method: context.parameters.get("method") ?? "")
  }
  router.get(":service/:method") { request, context in
    await door.unary(
      request, context: context, service: context.parameters.get("service") ?? "",
      method: context.parameters.get("method") ?? "", get: true)
  }
  router.get("/") { _, _ in Response(status: .seeOther, headers: [.location: "/console/"]) }
  router.get("console/") { _, _ in Console.file("index.html") }
  router.get("console/:file") { _, context in Console.file(context.parameters.get("file") ?? "") }
  return router
}

/// Builds the gateway application from its configuration: peer clients for the five services,
/// the gateway's own database and the HTTP server, all run by the same service group.
public func buildApplication(configuration: ServiceConfiguration, logger: Logger) throws -> (
  application: some ApplicationProtocol, services: [any Service]
) {
  let authority = try TokenAuthority.load(
    dataDirectory: configuration.dataDirectory, environment: ProcessInfo.processInfo.environment)
  let peers = try PeerClients(
    caller: .gateway, peers: configuration.peers, timeout: configuration.peerCallTimeout, authority: authority)
  let probe = ServiceHealthProbe(
    clients: ServiceIdentity.domainServices.map { ($0, peers.client(for: $0)) })
  let store = try GatewayStore.open(dataDirectory: configuration.dataDirectory, logger: logger)
  let secure = ProcessInfo.processInfo.environment["GOVERNANCE_SECURE_COOKIES"] == "1"
  let streams = try StreamRelay(
    peers: configuration.peers, limits: try StreamLimits.resolve(environment: ProcessInfo.processInfo.environment),
    authority: authority)
  let door = ConnectGateway(store: store, peers: peers, streams: streams, secureCookies: secure)
  let application = Application(
    router: buildRouter(probe: { await probe.check() }, door: door),
    configuration: .init(
      address: .hostname(configuration.listen.host, port: configuration.listen.port),
      serverName: "governance-gateway"
    ),
    logger: logger
  )
  return (application, [peers, streams])
}

/// The admin console: static files shipped with the gateway, served with a strict content
/// security policy (no script or style from anywhere else).
enum Console {
  static let types = ["html": "text/html; charset=utf-8", "js": "text/javascript; charset=utf-8", "css": "text/css; charset=utf-8"]

  static func file(_ name: String) -> Response {
    let parts = name.split(separator: ".")
    guard parts.count == 2, parts[0].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" }),
      let type = types[String(parts[1])],
      let url = Bundle.module.url(forResource: String(parts[0]), withExtension: String(parts[1]), subdirectory: "Console"),
      let data = try? Data(contentsOf: url)
    else {
      return Response(status: .notFound)
    }
    return Response(
      status: .ok,
      headers: [
        .contentType: type, .cacheControl: "no-cache",
        .contentSecurityPolicy: "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
        HTTPField.Name("X-Content-Type-Options")!: "nosniff",
      ],
      body: .init(byteBuffer: ByteBuffer(data: data)))
  }
}
