import GRPCCore
import GRPCNIOTransportHTTP2
import GovernanceAPI
import Logging
import Metrics
import ServiceLifecycle

extension NetworkAddress {
  /// The address as a listening socket for the HTTP/2 server transport.
  var serverSocketAddress: GRPCNIOTransportCore.SocketAddress {
    host.contains(":") ? .ipv6(host: host, port: port) : .ipv4(host: host, port: port)
  }
}

/// Runs a `GRPCServer` over HTTP/2 as a lifecycle service.
///
/// Health turns SERVING once the port is bound (the database is opened and migrated before). On
/// SIGTERM or SIGINT health turns NOT_SERVING and watchers are released, the server stops
/// accepting calls and lets those in flight finish; the service group cancels whatever is still
/// running after the configured grace period.
public struct GRPCServerService: Service {
  public let server: GRPCServer<HTTP2ServerTransport.Posix>
  private let listen: NetworkAddress
  private let health: HealthStatus
  private let logger: Logger
  private let drain: ServerDrain

  public init(
    listen: NetworkAddress,
    services: [any RegistrableRPCService],
    health: HealthStatus,
    authority: TokenAuthority,
    limits: ServerLimits = ServerLimits(),
    logger: Logger
  ) {
    let drain = ServerDrain()
    let inFlight = Gauge(label: "grpc_server_calls_in_flight")
    let served = services + [HealthService(status: health)]
    let reflection = ReflectionIndex.platform(
      serving: Self.serviceNames(of: served) + [
        Grpc_Reflection_V1_ServerReflection.descriptor.fullyQualifiedService,
        Grpc_Reflection_V1alpha_ServerReflection.descriptor.fullyQualifiedService,
      ])
    self.server = GRPCServer(
      transport: .http2NIOPosix(
        address: listen.serverSocketAddress, transportSecurity: .plaintext, config: limits.transportConfig),
      services: served + [ReflectionService(index: reflection), ReflectionServiceV1Alpha(index: reflection)],
      interceptors: [
        CallObservationInterceptor(
          logger: logger, authority: authority, drain: drain,
          budget: CallBudget(perPrincipal: limits.callsPerPrincipal) { inFlight.record($0) })
      ]
    )
    self.listen = listen
    self.drain = drain
    self.health = health
    self.logger = logger
  }

  /// The fully qualified services that `services` register, read from a router they register into.
  static func serviceNames(of services: [any RegistrableRPCService]) -> [String] {
    var router = RPCRouter<HTTP2ServerTransport.Posix>()
    for service in services {
      service.registerMethods(with: &router)
    }
    return Array(Set(router.methods.map(\.service.fullyQualifiedService)))
  }

  /// The address the server listens on, once bound (useful with port 0).
  public var listeningAddress: GRPCNIOTransportCore.SocketAddress {
    get async throws { try await server.listeningAddress! }
  }

  public func run() async throws {
    try await withGracefulShutdownHandler {
      try await withThrowingDiscardingTaskGroup { group in
        group.addTask {
          do {
            try await server.serve()
          } catch {
            logger.critical("cannot serve gRPC", metadata: ["address": "\(listen)", "error": "\(error)"])
            throw error
          }
        }
        group.addTask {
          // Bind failures are reported by serve() above, with their cause.
          if let address = try? await server.listeningAddress {
            health.setAll(.serving)
            logger.info("serving gRPC", metadata: ["address": "\(address)"])
          }
        }
      }
    } onGracefulShutdown: {
      logger.info("shutting down: refusing new calls, finishing those in flight")
      health.setAll(.notServing)
      health.finishWatchers()
      drain.begin()
      server.beginGracefulShutdown()
    }
  }
}

/// Adds a signed access token to every outgoing call: the calling service's own identity, or the
/// principal a gateway call is made for (`Principal.current` when it has a role).
public struct AccessTokenInterceptor: ClientInterceptor {
  private let authority: TokenAuthority
  private let identity: Principal
  private let forwardCurrentPrincipal: Bool

  /// Calls as `identity`; with `forwardCurrentPrincipal`, as the person or system the current task
  /// serves instead, when there is one.
  public init(authority: TokenAuthority, identity: Principal, forwardCurrentPrincipal: Bool = false) {
    self.authority = authority
    self.identity = identity
    self.forwardCurrentPrincipal = forwardCurrentPrincipal
  }

  public func intercept<Input: Sendable, Output: Sendable>(
    request: StreamingClientRequest<Input>,
    context: ClientContext,
    next: (StreamingClientRequest<Input>, ClientContext) async throws -> StreamingClientResponse<Output>
  ) async throws -> StreamingClientResponse<Output> {
    var request = request
    let principal = forwardCurrentPrincipal && Principal.current.role != nil ? Principal.current : identity
    let token = try await authority.mint(for: principal, lifetime: 60)
    request.metadata.replaceOrAddString("Bearer \(token)", forKey: CallObservationInterceptor.authorizationKey)
    return try await next(request, context)
  }
}

/// The gRPC clients a process keeps to its peers, one HTTP/2 connection pool each, run as a
/// lifecycle service. Every call that sets no timeout of its own gets the configured peer timeout
/// as its deadline, so a peer that hangs never hangs its caller.
public final class PeerClients: Service, Sendable {
  private let clients: [ServiceIdentity: GRPCClient<HTTP2ClientTransport.Posix>]
  /// The deadline of a call that sets none of its own.
  public let timeout: Duration

  public init(
    caller: ServiceIdentity, peers: [ServiceIdentity: NetworkAddress], timeout: Duration, authority: TokenAuthority
  ) throws {
    var clients: [ServiceIdentity: GRPCClient<HTTP2ClientTransport.Posix>] = [:]
    // A call to a peer that is down fails at once with UNAVAILABLE rather than waiting; reconnect
    // attempts are at most two seconds apart (not the transport's default two minutes), so a
    // peer that comes back is found again within two seconds.
    let serviceConfig = ServiceConfig(methodConfig: [
      MethodConfig(names: [MethodConfig.Name(service: "")], timeout: timeout)
    ])
    var transportConfig = HTTP2ClientTransport.Posix.Config.defaults
    transportConfig.backoff = .init(initial: .milliseconds(100), max: .seconds(2), multiplier: 1.6, jitter: 0.2)
    for (peer, address) in peers {
      clients[peer] = GRPCClient(
        transport: try .http2NIOPosix(
          target: .dns(host: address.host, port: address.port),
          transportSecurity: .plaintext,
          config: transportConfig,
          serviceConfig: serviceConfig
        ),
        interceptors: [
          TracingClientInterceptor(),
          DeadlinePropagationInterceptor(),
          AccessTokenInterceptor(
            authority: authority, identity: Principal(service: caller), forwardCurrentPrincipal: caller == .gateway),
        ]
      )
    }
    self.clients = clients
    self.timeout = timeout
  }

  /// The client of `peer`; the configuration guarantees every declared peer is present.
  public func client(for peer: ServiceIdentity) -> GRPCClient<HTTP2ClientTransport.Posix> {
    guard let client = clients[peer] else {
      preconditionFailure("no client configured for peer \(peer.rawValue)")
    }
    return client
  }

  public func run() async throws {
    try await withGracefulShutdownHandler {
      try await withThrowingDiscardingTaskGroup { group in
        for client in clients.values {
          group.addTask { try await client.runConnections() }
        }
      }
    } onGracefulShutdown: {
      for client in self.clients.values {
        client.beginGracefulShutdown()
      }
    }
  }
}
