import GRPCCore
import GRPCNIOTransportHTTP2
import ServiceKit

/// The operator's direct line to a service, signed with the system's token key from the data
/// directory: whoever runs the operator tool on the host holds the keys already.
enum OperatorClient {
  static let principal = Principal(subject: "user:operator", role: .cityAdministrator, scope: "")

  static func connect<Result: Sendable>(
    to address: NetworkAddress, authority: TokenAuthority,
    _ body: @Sendable (GRPCClient<HTTP2ClientTransport.Posix>) async throws -> Result
  ) async throws -> Result {
    try await withGRPCClient(
      transport: try transport(to: address),
      interceptors: [AccessTokenInterceptor(authority: authority, identity: principal)],
      handleClient: body)
  }

  /// A client the caller runs and shuts down itself, for when it needs several connections.
  static func client(to address: NetworkAddress, authority: TokenAuthority) throws -> GRPCClient<
    HTTP2ClientTransport.Posix
  > {
    GRPCClient(
      transport: try transport(to: address),
      interceptors: [AccessTokenInterceptor(authority: authority, identity: principal)])
  }

  static func transport(to address: NetworkAddress) throws -> HTTP2ClientTransport.Posix {
    try .http2NIOPosix(target: .dns(host: address.host, port: address.port), transportSecurity: .plaintext)
  }
}
