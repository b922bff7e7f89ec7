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
      transport: .http2NIOPosix(target: .dns(host: address.host, port: address.port), transportSecurity: .plaintext),
      interceptors: [AccessTokenInterceptor(authority: authority, identity: principal)],
      handleClient: body)
  }
}
