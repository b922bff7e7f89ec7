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
    AccessTokenInterceptor(authority: authority, identity: caller.map(Principal.init(service:)) ?? principal)
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
      #expect(error.message.contains(fragment), "message '\(error.message)' lacks '\(fragment)'",
        sourceLocation: sourceLocation)
    }
  } catch {
    Issue.record("expected RPCError \(code), got \(error)", sourceLocation: sourceLocation)
  }
}
