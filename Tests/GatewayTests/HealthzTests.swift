import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import Hummingbird
import HummingbirdTesting
import Logging
import ServiceKit
import Testing

@testable import Gateway

@Suite("GET /healthz reports the five services")
struct HealthzTests {
  @Test("200 with every service SERVING, 503 naming the one that is not")
  func healthzStatus() async throws {
    let healthy = SystemHealth(
      status: "ok",
      services: Dictionary(uniqueKeysWithValues: ServiceIdentity.domainServices.map { ($0.rawValue, "SERVING") }))
    var degraded = healthy
    degraded.status = "degraded"
    degraded.services["grid"] = "UNREACHABLE (unavailable)"

    for (health, status) in [(healthy, HTTPResponse.Status.ok), (degraded, .serviceUnavailable)] {
      let app = Application(router: buildRouter(probe: { health }))
      try await app.test(.router) { client in
        try await client.execute(uri: "/healthz", method: .get) { response in
          #expect(response.status == status)
          let body = try JSONDecoder().decode(SystemHealth.self, from: Data(String(buffer: response.body).utf8))
          #expect(body == health)
        }
      }
    }
  }

  @Test("the probe asks each service over gRPC and names one that cannot be reached")
  func probeOverRealHTTP2() async throws {
    // Given a real property service health endpoint on a free port, and nothing on another port
    let health = HealthStatus(services: [ServiceIdentity.property.grpcServiceName])
    let server = GRPCServerService(
      listen: NetworkAddress(host: "127.0.0.1", port: 0), services: [], health: health, authority: .ephemeral(),
      logger: Logger(label: "test"))
    try await withThrowingTaskGroup(of: Void.self) { group in
      group.addTask { try await server.server.serve() }
      let port = try #require(try await server.listeningAddress.ipv4?.port)
      health.setAll(.serving)
      let peers = try PeerClients(
        caller: .gateway,
        peers: [
          .property: NetworkAddress(host: "127.0.0.1", port: port),
          .grid: NetworkAddress(host: "127.0.0.1", port: 1),
        ],
        timeout: .seconds(2), authority: .ephemeral())
      group.addTask { try await peers.run() }

      // When the gateway's probe asks both
      // A deadline longer than the gateway's 1 s: the suite runs many tests at once on two cores,
      // and the first call's connection can take that long; the dead one still fails at once.
      let probe = ServiceHealthProbe(
        clients: [(.property, peers.client(for: .property)), (.grid, peers.client(for: .grid))], timeout: .seconds(5))
      let started = ContinuousClock.now
      let result = await probe.check()

      // Then the live one serves, the dead one is named, and the answer came quickly
      #expect(result.services["property"] == "SERVING")
      #expect(result.services["grid"]?.hasPrefix("UNREACHABLE") == true)
      #expect(!result.isHealthy)
      #expect(ContinuousClock.now - started < .seconds(8))

      peers.client(for: .property).beginGracefulShutdown()
      peers.client(for: .grid).beginGracefulShutdown()
      server.server.beginGracefulShutdown()
      try await group.waitForAll()
    }
  }
}
