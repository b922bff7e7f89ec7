import GRPCCore
import GRPCNIOTransportHTTP2
import GovernanceAPI
import ServiceKit

/// The health of every domain service, as `GET /healthz` reports it.
public struct SystemHealth: Sendable, Codable, Equatable {
  /// "ok" when every service serves, else "degraded".
  public var status: String
  /// Each service's `grpc.health.v1` status, or the reason it could not be asked.
  public var services: [String: String]

  public var isHealthy: Bool { status == "ok" }
}

/// Asks each domain service's `grpc.health.v1` service whether it serves, all at once, each with a
/// short deadline so one hung service cannot hang the probe.
public struct ServiceHealthProbe: Sendable {
  public typealias Client = GRPCClient<HTTP2ClientTransport.Posix>

  private let clients: [(ServiceIdentity, Client)]
  private let timeout: Duration

  public init(clients: [(ServiceIdentity, Client)], timeout: Duration = .seconds(1)) {
    self.clients = clients
    self.timeout = timeout
  }

  public func check() async -> SystemHealth {
    let timeout = timeout
    let statuses = await withTaskGroup(of: (String, String).self) { group in
      for (identity, client) in clients {
        group.addTask {
          var options = CallOptions.defaults
          options.timeout = timeout
          do {
            let response = try await Grpc_Health_V1_Health.Client(wrapping: client).check(
              .with { $0.service = identity.grpcServiceName }, options: options)
            return (identity.rawValue, Self.name(of: response.status))
          } catch let error as RPCError {
            return (identity.rawValue, "UNREACHABLE (\(error.code))")
          } catch {
            return (identity.rawValue, "UNREACHABLE")
          }
        }
      }
      var statuses: [String: String] = [:]
      for await (name, status) in group {
        statuses[name] = status
      }
      return statuses
    }
    let healthy = statuses.count == clients.count && statuses.values.allSatisfy { $0 == "SERVING" }
    return SystemHealth(status: healthy ? "ok" : "degraded", services: statuses)
  }

  static func name(of status: Grpc_Health_V1_HealthCheckResponse.ServingStatus) -> String {
    switch status {
    case .serving: "SERVING"
    case .notServing: "NOT_SERVING"
    case .serviceUnknown: "SERVICE_UNKNOWN"
    case .unknown: "UNKNOWN"
    case .UNRECOGNIZED(let value): "UNRECOGNIZED(\(value))"
    }
  }
}
