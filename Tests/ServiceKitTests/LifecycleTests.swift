import GRPCCore
import GRPCNIOTransportHTTP2
import GRPCProtobuf
import GovernanceAPI
import Logging
import ServiceLifecycle
import SwiftProtobuf
import Synchronization
import Testing

@testable import ServiceKit

final class CallStarted: Sendable {
  let flag = Mutex(false)
  /// The time the handler had left when it started.
  let remaining = Mutex<Duration?>(nil)
  /// Set when the handler's work was cancelled before it finished.
  let stopped = Mutex(false)
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
      started.remaining.withLock { $0 = CallDeadline.remaining }
      do {
        try await Task.sleep(for: delay)
      } catch {
        started.stopped.withLock { $0 = true }
        throw error
      }
      return Governance_Organisation_V1_Organisation.with { $0.id = request.id }
    }
  }
}

/// A service that answers by asking its peer, as the services do with theirs.
struct ForwardingOrganisationService: RegistrableRPCService {
  let peers: PeerClients

  func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
    router.registerUnary(Governance_Organisation_V1_OrganisationService.Method.GetOrganisation.descriptor) {
      (request: Governance_Organisation_V1_GetOrganisationRequest, _) in
      let organisations = Governance_Organisation_V1_OrganisationService.Client(
        wrapping: peers.client(for: .organisation))
      return try await PeerCall.run(.organisation) { try await organisations.getOrganisation(request) }
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
      // Everything stops gracefully, the client first: a server cancelled outright can accept a
      // reconnection while it is torn down, which NIO does not survive.
      peers.client(for: .organisation).beginGracefulShutdown()
      server.server.beginGracefulShutdown()
      try await group.waitForAll()
    }
  }

  @Test("a caller's deadline reaches the peer, and the peer's work stops when the caller gives up")
  func deadlinePassedOnAndAbandonedWorkStopped() async throws {
    let slow = SlowOrganisationService(delay: .seconds(30))
    let back = Self.startServer(delay: .seconds(30), health: HealthStatus(services: []), slow: slow)
    try await withThrowingTaskGroup(of: Void.self) { group in
      group.addTask { try await back.run() }
      let backPort = try #require(try await back.listeningAddress.ipv4?.port)
      // The front's own peer timeout (20 s) is far longer than its caller's deadline (8 s: room
      // for the call to reach the peer while the whole suite loads the machine; a peer whose
      // deadline has passed before its handler starts does not start it, so with 3 s the peer
      // was sometimes never seen to start).
      let peers = try PeerClients(
        caller: .property, peers: [.organisation: NetworkAddress(host: "127.0.0.1", port: backPort)],
        timeout: .seconds(20), authority: Self.authority)
      group.addTask { try await peers.run() }
      let front = GRPCServerService(
        listen: NetworkAddress(host: "127.0.0.1", port: 0), services: [ForwardingOrganisationService(peers: peers)],
        health: HealthStatus(services: []), authority: Self.authority, logger: Self.logger)
      group.addTask { try await front.run() }
      let frontPort = try #require(try await front.listeningAddress.ipv4?.port)

      var options = CallOptions.defaults
      options.timeout = .seconds(8)
      let started = ContinuousClock.now
      try await withGRPCClient(
        transport: .http2NIOPosix(target: .ipv4(host: "127.0.0.1", port: frontPort), transportSecurity: .plaintext),
        interceptors: [AccessTokenInterceptor(authority: Self.authority, identity: .testCaller)]
      ) { client in
        let organisations = Governance_Organisation_V1_OrganisationService.Client(wrapping: client)
        // The peer's deadline passes first (CallDeadline.peerBudget), so the caller is told which
        // peer did not answer, unless the whole suite loads the machine so that the answer takes
        // longer than the 250 ms left: then its own deadline passes.
        await #expect {
          _ = try await organisations.getOrganisation(.with { $0.id = "org_1" }, options: options)
        } throws: { error in
          guard let error = error as? RPCError else { return false }
          return error.code == .deadlineExceeded
            || (error.code == .unavailable && error.message.contains("organisation"))
        }
      }
      #expect(ContinuousClock.now - started < .seconds(16))
      let seen = try #require(slow.started.remaining.withLock { $0 })
      #expect(seen <= .seconds(8), "the peer saw \(seen) left, not its caller's deadline")
      let asked = ContinuousClock.now
      while !slow.started.stopped.withLock({ $0 }), ContinuousClock.now - asked < .seconds(5) {
        try await Task.sleep(for: .milliseconds(20))
      }
      #expect(slow.started.stopped.withLock { $0 }, "the peer's 30 s of work went on after its caller gave up")
      peers.client(for: .organisation).beginGracefulShutdown()
      front.server.beginGracefulShutdown()
      back.server.beginGracefulShutdown()
      try await group.waitForAll()
    }
  }

  @Test("a call to a peer that is down fails fast with UNAVAILABLE")
  func peerDown() async throws {
    // The deadline is far beyond the bound below: the call must fail because the peer is down,
    // not because time ran out, even when the suites starting beside it (the register imports'
    // thousands of rows) delay its client, which has been seen to take 18 to 22 s then.
    let peers = try PeerClients(
      caller: .property, peers: [.organisation: NetworkAddress(host: "127.0.0.1", port: 1)], timeout: .seconds(120),
      authority: Self.authority)
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
      #expect(ContinuousClock.now - started < .seconds(60))
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

extension RPCRouter {
  /// Registers one unary protobuf method by its descriptor: the test services here serve one
  /// method each, not a whole contract.
  fileprivate mutating func registerUnary<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
    _ method: MethodDescriptor,
    handler: @escaping @Sendable (Request, ServerContext) async throws -> Response
  ) {
    registerHandler(
      forMethod: method,
      deserializer: ProtobufDeserializer<Request>(),
      serializer: ProtobufSerializer<Response>()
    ) { request, context in
      let single = try await ServerRequest(stream: request)
      let response = try await handler(single.message, context)
      return StreamingServerResponse(single: ServerResponse(message: response))
    }
  }
}
