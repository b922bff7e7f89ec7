import GRPCCore
import GRPCInProcessTransport
import Logging
import ServiceKit
import Testing

/// Runs `services` behind the same interceptors as production over the in-process transport and
/// hands `body` a client; `caller` is the service identity the client presents.
public func withTestServer<Result: Sendable>(
  _ services: [any RegistrableRPCService],
  caller: ServiceIdentity? = nil,
  _ body: @Sendable (GRPCClient<InProcessTransport.Client>) async throws -> Result
) async throws -> Result {
  let transport = InProcessTransport()
  let logger = Logger(label: "test")
  let clientInterceptors: [any ClientInterceptor] = caller.map { [CallerIdentityInterceptor(identity: $0)] } ?? []
  return try await withGRPCServer(
    transport: transport.server, services: services, interceptors: [CallObservationInterceptor(logger: logger)]
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
