import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import GovernanceAPI
import ServiceKit

#if canImport(FoundationNetworking)
  import FoundationNetworking
#endif

/// One process's health as the operator sees it.
struct ProcessHealth: Sendable {
  var identity: ServiceIdentity
  var address: NetworkAddress
  /// SERVING / NOT_SERVING for a domain service, the HTTP status for the gateway, or why it
  /// could not be asked.
  var status: String
  var healthy: Bool
}

/// Asks each of the six processes whether it is healthy: domain services over `grpc.health.v1`,
/// the gateway through `GET /healthz`.
enum HealthCheck {
  static func check(_ identity: ServiceIdentity, at address: NetworkAddress, timeout: Duration = .seconds(1)) async
    -> ProcessHealth
  {
    if identity == .gateway {
      return await checkGateway(at: address, timeout: timeout)
    }
    do {
      let status = try await withGRPCClient(
        transport: .http2NIOPosix(
          target: .dns(host: address.host, port: address.port), transportSecurity: .plaintext)
      ) { client in
        var options = CallOptions.defaults
        options.timeout = timeout
        return try await Grpc_Health_V1_Health.Client(wrapping: client).check(
          .with { $0.service = identity.grpcServiceName }, options: options
        ).status
      }
      return ProcessHealth(
        identity: identity, address: address, status: status == .serving ? "SERVING" : "\(status)",
        healthy: status == .serving)
    } catch let error as RPCError {
      return ProcessHealth(identity: identity, address: address, status: "down (\(error.code))", healthy: false)
    } catch {
      return ProcessHealth(identity: identity, address: address, status: "down", healthy: false)
    }
  }

  static func checkGateway(at address: NetworkAddress, timeout: Duration) async -> ProcessHealth {
    var request = URLRequest(url: URL(string: "http://\(address)/healthz")!)
    request.timeoutInterval = Double(timeout.components.seconds) + 1
    do {
      let (_, response) = try await URLSession.shared.data(for: request)
      let code = (response as? HTTPURLResponse)?.statusCode ?? 0
      return ProcessHealth(
        identity: .gateway, address: address, status: code == 200 ? "SERVING" : "HTTP \(code)", healthy: code == 200)
    } catch {
      return ProcessHealth(identity: .gateway, address: address, status: "down", healthy: false)
    }
  }

  static func checkAll(host: String, portOffset: Int) async -> [ProcessHealth] {
    await withTaskGroup(of: ProcessHealth.self) { group in
      for identity in ServiceIdentity.allCases {
        group.addTask { await check(identity, at: NetworkAddress(host: host, port: identity.defaultPort + portOffset)) }
      }
      var results: [ProcessHealth] = []
      for await result in group { results.append(result) }
      return results.sorted {
        ServiceIdentity.allCases.firstIndex(of: $0.identity)! < ServiceIdentity.allCases.firstIndex(of: $1.identity)!
      }
    }
  }
}
