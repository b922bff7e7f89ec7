import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceKit
import ServiceLifecycle

/// The parts of the gateway behind its door: the controllers that need the gateway's database,
/// the service clients and the stream connections.
public struct GatewayDoor: Sendable {
  let connect: ConnectController
  let session: SessionController
  let audit: AuditController
  let feed: FeedController
  let authentication: AuthenticationMiddleware

  public init(store: GatewayStore, peers: PeerClients, streams: StreamRelay, secureCookies: Bool = false) {
    connect = ConnectController(store: store, peers: peers, streams: streams)
    session = SessionController(store: store, secureCookies: secureCookies)
    audit = AuditController(store: store)
    feed = FeedController(peers: peers)
    authentication = AuthenticationMiddleware(store: store)
  }
}

/// Builds the gateway's router: `/healthz` reports the health of the five services behind it,
/// `/metrics` the gateway's own Prometheus metrics, `/console/` the console; with a door, sign-in
/// (`/auth`), the audit trail (`/audit`), the change feed (`/feed`), server streams and the
/// Connect API, each behind the authentication middleware.
public func buildRouter(
  probe: @escaping @Sendable () async -> SystemHealth, door: GatewayDoor? = nil
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
  router.addRoutes(ConsoleController().endpoints)
  let authenticated = router.group().add(middleware: door.authentication)
  authenticated.addRoutes(door.session.endpoints, atPath: "/auth")
  authenticated.addRoutes(door.audit.endpoints, atPath: "/audit")
  authenticated.addRoutes(door.feed.endpoints, atPath: "/feed")
  authenticated.addRoutes(door.connect.endpoints)
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
  let door = GatewayDoor(store: store, peers: peers, streams: streams, secureCookies: secure)
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
