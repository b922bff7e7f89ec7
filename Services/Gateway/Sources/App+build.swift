import Foundation
import Hummingbird
import Logging
import ServiceKit

/// Builds the gateway's router: `/healthz` reports the health of the five services behind it,
/// `/metrics` the gateway's own Prometheus metrics.
public func buildRouter(probe: @escaping @Sendable () async -> SystemHealth) -> Router<BasicRequestContext> {
  let router = Router()
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
  return router
}

/// Builds the gateway application from its configuration: peer clients for the five services and
/// the HTTP server, both run by the same service group.
public func buildApplication(configuration: ServiceConfiguration, logger: Logger) throws -> (
  application: some ApplicationProtocol, peers: PeerClients
) {
  let authority = try TokenAuthority.load(
    dataDirectory: configuration.dataDirectory, environment: ProcessInfo.processInfo.environment)
  let peers = try PeerClients(
    caller: .gateway, peers: configuration.peers, timeout: configuration.peerCallTimeout, authority: authority)
  let probe = ServiceHealthProbe(
    clients: ServiceIdentity.domainServices.map { ($0, peers.client(for: $0)) })
  let application = Application(
    router: buildRouter(probe: { await probe.check() }),
    configuration: .init(
      address: .hostname(configuration.listen.host, port: configuration.listen.port),
      serverName: "governance-gateway"
    ),
    logger: logger
  )
  return (application, peers)
}
