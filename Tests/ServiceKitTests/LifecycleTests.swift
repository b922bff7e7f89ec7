import GRPCCore
import GRPCNIOTransportHTTP2
import GovernanceAPI
import Logging
import Synchronization
import ServiceLifecycle
import Testing

@testable import ServiceKit

final class CallStarted: Sendable {
  let flag = Mutex(false)
}

/// A service whose one method takes `delay` to answer, to hold a call in flight.
struct SlowOrganisationService: RegistrableRPCService {
  let delay: Duration
  /// Set once a call has reached the handler.
  let started = CallStarted()

  func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
    router.registerUnary(Governance_Organisation_V1_OrganisationService.Method.GetOrganisation.descriptor) {
      (request: Governance_Organisation_V1_GetOrganisationRequest, _) in
      started.flag.withLock { $0 = true }
      try await Task.sleep(for: delay)
      return Governance_Organisation_V1_Organisation.with { $0.id = request.id }
    }
  }
}

extension Principal {
  static let testCaller = Principal(service: .property)
}

@Suite("Servers and peer clients over real HTTP/2: deadlines, dead peers, graceful shutdown")
struct LifecycleTests {
  static let logger = Logger(label: "test")

  static func startServer(delay: Duration, health: HealthStatus, slow: SlowOrganisationService? = nil)
    -> GRPCServerService
  {
    GRPCServerService(
      listen: NetworkAddress(host: "127.0.0.1", port: 0), services: [slow ?? SlowOrganisationService(delay: delay)],
      health: health, authority: authority, logger: logger)
  }

  /// The token key the test servers and their peer clients share.
  static let authority = TokenAuthority.ephemeral()

  @Test("a call to a peer that hangs ends at the peer deadline with DEADLINE_EXCEEDED")
  func peerDeadline() async throws {
    let server = Self.startServer(delay: .seconds(30), health: HealthStatus(services: []))
    try await withThrowingTaskGroup(of: Void.self) { group in
      group.addTask { try await server.run() }
      let port = try #require(try await server.listeningAddress.ipv4?.port)
      let peers = try PeerClients(
        caller: .property, peers: [.organisation: NetworkAddress(host: "127.0.0.1", port: port)],
        timeout: .milliseconds(300), authority: Self.authority)
      group.addTask { try await peers.run() }

      let organisations = Governance_Organisation_V1_OrganisationService.Client(
        wrapping: peers.client(for: .organisation))
      let started = ContinuousClock.now
      await #expect {
        _ = try await organisations.getOrganisation(.with { $0.id = "org_1" })
      } throws: { error in
        (error as? RPCError)?.code == .deadlineExceeded
      }
      #expect(ContinuousClock.now - started < .seconds(8))
      // The client stops first, so that no reconnection reaches a server being torn down.
      peers.client(for: .organisation).beginGracefulShutdown()
      group.cancelAll()
    }
  }

  @Test("a call to a peer that is down fails fast with UNAVAILABLE")
  func peerDown() async throws {
    let peers = try PeerClients(
      caller: .property, peers: [.organisation: NetworkAddress(host: "127.0.0.1", port: 1)], timeout: .seconds(5), authority: Self.authority)
    try await withThrowingTaskGroup(of: Void.self) { group in
      group.addTask { try await peers.run() }
      let organisations = Governance_Organisation_V1_OrganisationService.Client(
        wrapping: peers.client(for: .organisation))
      let started = ContinuousClock.now
      await #expect {
        _ = try await organisations.getOrganisation(.with { $0.id = "org_1" })
      } throws: { error in
        (error as? RPCError)?.code == .unavailable
      }
      #expect(ContinuousClock.now - started < .seconds(8))
      group.cancelAll()
    }
  }

  @Test("on shutdown a call in flight finishes, health turns NOT_SERVING, the group ends")
  func gracefulShutdownFinishesInFlightCalls() async throws {
    let health = HealthStatus(services: ["governance.organisation.v1.OrganisationService"])
    let slow = SlowOrganisationService(delay: .milliseconds(800))
    let server = Self.startServer(delay: .milliseconds(800), health: health, slow: slow)
    var configuration = ServiceGroupConfiguration(services: [server], logger: Self.logger)
    configuration.maximumGracefulShutdownDuration = .seconds(5)
    let serviceGroup = ServiceGroup(configuration: configuration)

    try await withThrowingTaskGroup(of: Void.self) { group in
      group.addTask { try await serviceGroup.run() }
      let port = try #require(try await server.listeningAddress.ipv4?.port)
      while health.status(of: "") != .serving {
        try await Task.sleep(for: .milliseconds(10))
      }
      let answer = try await withGRPCClient(
        transport: .http2NIOPosix(target: .ipv4(host: "127.0.0.1", port: port), transportSecurity: .plaintext),
        interceptors: [AccessTokenInterceptor(authority: Self.authority, identity: .testCaller)]
      ) { client in
        let organisations = Governance_Organisation_V1_OrganisationService.Client(wrapping: client)
        async let inFlight = organisations.getOrganisation(.with { $0.id = "org_in_flight" })
        // Shut down only once the call is in the handler, however loaded the machine is.
        while !slow.started.flag.withLock({ $0 }) {
          try await Task.sleep(for: .milliseconds(10))
        }
        await serviceGroup.triggerGracefulShutdown()
        let asked = ContinuousClock.now
        while health.status(of: "") != .notServing, ContinuousClock.now - asked < .seconds(2) {
          try await Task.sleep(for: .milliseconds(10))
        }
        #expect(health.status(of: "") == .notServing)
        return try await inFlight
      }
      #expect(answer.id == "org_in_flight")
      try await group.waitForAll()
    }
  }
}
