import GRPCCore
import GRPCInProcessTransport
import Logging
import ServiceKit
import Testing

extension Principal {
  /// Whom test clients call as unless a test says otherwise: a city administrator of everything.
  public static let testAdministrator = Principal(subject: "user:test-admin", role: .cityAdministrator, scope: "")

  /// A person of `role` held to `scope`, for tests of roles and jurisdiction.
  public static func staff(_ role: Role, scope: String = "", name: String = "clerk") -> Principal {
    Principal(subject: "user:\(name)", role: role, scope: scope)
  }
}

/// Test setup done by an administrator through the clients that otherwise call as a peer service
/// (`caller:`): the fixtures a peer service may not write itself. Clients that call as a person
/// keep calling as that person.
public func asTestAdministrator<Result: Sendable>(_ setup: () async throws -> Result) async throws -> Result {
  try await TestSigningInterceptor.$override.withValue(.testAdministrator) { try await setup() }
}

/// Signs every call as its identity; a peer client signs a test's setup as the administrator.
struct TestSigningInterceptor: ClientInterceptor {
  @TaskLocal static var override: Principal?

  let authority: TokenAuthority
  let identity: Principal
  let isPeerClient: Bool

  func intercept<Input: Sendable, Output: Sendable>(
    request: StreamingClientRequest<Input>,
    context: ClientContext,
    next: (StreamingClientRequest<Input>, ClientContext) async throws -> StreamingClientResponse<Output>
  ) async throws -> StreamingClientResponse<Output> {
    var request = request
    let signer = isPeerClient ? Self.override ?? identity : identity
    let token = try await authority.mint(for: signer, lifetime: 60)
    request.metadata.replaceOrAddString("Bearer \(token)", forKey: CallObservationInterceptor.authorizationKey)
    return try await next(request, context)
  }
}

/// Runs `services` behind the same interceptors as production (signed tokens verified, roles and
/// jurisdiction enforced) over the in-process transport and hands `body` a client that calls as
/// `caller` (a peer service), else as `principal`.
public func withTestServer<Result: Sendable>(
  _ services: [any RegistrableRPCService],
  caller: ServiceIdentity? = nil,
  as principal: Principal = .testAdministrator,
  _ body: @Sendable (GRPCClient<InProcessTransport.Client>) async throws -> Result
) async throws -> Result {
  let transport = InProcessTransport()
  let logger = Logger(label: "test")
  let authority = TokenAuthority.ephemeral()
  let clientInterceptors: [any ClientInterceptor] = [
    TestSigningInterceptor(
      authority: authority, identity: caller.map(Principal.init(service:)) ?? principal, isPeerClient: caller != nil)
  ]
  return try await withGRPCServer(
    transport: transport.server, services: services,
    interceptors: [CallObservationInterceptor(logger: logger, authority: authority)]
  ) { _ in
    try await withGRPCClient(transport: transport.client, interceptors: clientInterceptors) { client in
      try await body(client)
    }
  }
}

/// Expects `call` to fail with `code` and a message containing each of `fragments`, the way a
/// caller would read it.
public func expectRPCError(
  _ code: RPCError.Code,
  mentioning fragments: String...,
  sourceLocation: SourceLocation = #_sourceLocation,
  _ call: @Sendable () async throws -> Void
) async {
  do {
    try await call()
    Issue.record("expected \(code), but the call succeeded", sourceLocation: sourceLocation)
  } catch let error as RPCError {
    #expect(error.code == code, "status \(error.code): \(error.message)", sourceLocation: sourceLocation)
    for fragment in fragments {
      #expect(
        error.message.contains(fragment), "message '\(error.message)' lacks '\(fragment)'",
        sourceLocation: sourceLocation)
    }
  } catch {
    Issue.record("expected RPCError \(code), got \(error)", sourceLocation: sourceLocation)
  }
}
