/// The six processes of the platform: five domain services and the gateway in front of them.
///
/// Everything that must agree between a process, its peers, the operator tool and the deployment
/// files (names, default ports, environment variables, database files) is derived from here.
public enum ServiceIdentity: String, CaseIterable, Sendable, Codable {
  case organisation
  case property
  case grid
  case volunteers
  case evaluation
  case gateway

  /// The five domain services, in the order they start: no service needs a peer that starts later
  /// to answer health, so this order is only for tidy logs.
  public static let domainServices: [ServiceIdentity] = [.organisation, .property, .grid, .volunteers, .evaluation]

  /// The executable that runs this process.
  public var executableName: String {
    switch self {
    case .gateway: "gateway"
    default: "\(rawValue)-service"
    }
  }

  /// The port the process listens on unless told otherwise: gRPC for a domain service, HTTP for
  /// the gateway.
  public var defaultPort: Int {
    switch self {
    case .organisation: 50051
    case .property: 50052
    case .grid: 50053
    case .volunteers: 50054
    case .evaluation: 50055
    case .gateway: 8080
    }
  }

  /// The port of the Prometheus `/metrics` endpoint of a domain service (the gateway serves
  /// `/metrics` on its own HTTP port).
  public var defaultMetricsPort: Int { defaultPort - 50051 + 9451 }

  /// Prefix of the environment variables that configure this process, e.g. `ORGANISATION`.
  public var environmentPrefix: String { rawValue.uppercased() }

  /// The variable by which other processes find this one: `<NAME>_SERVICE_ADDR`.
  public var addressVariable: String { "\(environmentPrefix)_SERVICE_ADDR" }

  /// The fully qualified gRPC service name this process serves.
  public var grpcServiceName: String {
    switch self {
    case .gateway: ""
    default: "governance.\(rawValue).v1.\(rawValue.prefix(1).uppercased() + rawValue.dropFirst())Service"
    }
  }

  /// The SQLite file this process owns, inside the data directory.
  public var databaseFileName: String { "\(rawValue).sqlite" }

  /// The peers a domain service calls. Each must be configured (`<NAME>_SERVICE_ADDR` or a flag)
  /// for the process to start: a missing peer is a configuration error, not a failure at the first
  /// call.
  public var peers: [ServiceIdentity] {
    switch self {
    case .organisation: [.property, .grid]
    case .property: [.organisation]
    case .grid: [.organisation, .property]
    case .volunteers: [.organisation, .grid, .property]
    case .evaluation: [.property, .grid, .organisation]
    case .gateway: ServiceIdentity.domainServices
    }
  }
}
