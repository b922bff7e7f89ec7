import ArgumentParser
import GRPCCore
import GRPCNIOTransportHTTP2

/// `governance echo-server`: a bare gRPC server on the same transport and settings as the
/// services, with one unary method that answers the bytes it was sent, and nothing else: no
/// token, no interceptor, no database. The baseline the benchmarks compare the services with.
struct EchoServerCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "echo-server", abstract: "Serve a bare gRPC echo method, the baseline of the benchmarks.")

  @Option(help: "Host to listen on.")
  var host = "127.0.0.1"

  @Option(help: "Port to listen on.")
  var port = 50100

  func run() async throws {
    let server = GRPCServer(
      transport: .http2NIOPosix(address: .ipv4(host: host, port: port), transportSecurity: .plaintext),
      services: [EchoServer()])
    print("echo server on \(host):\(port)")
    try await server.serve()
  }
}

/// The echo method, on raw bytes so that no message type is decoded or encoded.
struct EchoServer: RegistrableRPCService {
  static let method = MethodDescriptor(fullyQualifiedService: "governance.benchmark.Echo", method: "Echo")

  func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
    router.registerHandler(forMethod: Self.method, deserializer: EchoBytes(), serializer: EchoBytes()) { request, _ in
      let single = try await ServerRequest(stream: request)
      return StreamingServerResponse(single: ServerResponse(message: single.message))
    }
  }

  static func withClient<Result: Sendable>(
    host: String, port: Int, _ body: @Sendable (GRPCClient<HTTP2ClientTransport.Posix>) async throws -> Result
  ) async throws -> Result {
    try await withGRPCClient(
      transport: .http2NIOPosix(target: .ipv4(address: host, port: port), transportSecurity: .plaintext),
      handleClient: body)
  }

  static func call(_ client: GRPCClient<HTTP2ClientTransport.Posix>, _ payload: [UInt8]) async throws -> [UInt8] {
    try await client.unary(
      request: ClientRequest(message: payload), descriptor: method, serializer: EchoBytes(), deserializer: EchoBytes(),
      options: .defaults
    ) { try $0.message }
  }
}

/// Bytes in, the same bytes out.
struct EchoBytes: MessageSerializer, MessageDeserializer {
  func serialize<Bytes: GRPCContiguousBytes>(_ message: [UInt8]) throws -> Bytes { Bytes(message) }
  func deserialize<Bytes: GRPCContiguousBytes>(_ serializedMessageBytes: Bytes) throws -> [UInt8] {
    serializedMessageBytes.withUnsafeBytes { Array($0) }
  }
}
