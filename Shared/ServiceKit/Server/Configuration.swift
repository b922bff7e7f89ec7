import ArgumentParser
import Logging

/// A host and port to listen on or to call.
public struct NetworkAddress: Sendable, Hashable, CustomStringConvertible {
  public var host: String
  public var port: Int

  public init(host: String, port: Int) {
    self.host = host
    self.port = port
  }

  /// Parses `HOST:PORT` (`[::1]:50051` for IPv6); `setting` names where the text came from, so
  /// the error says which flag or variable to fix.
  public static func parse(_ text: String, setting: String) throws(ConfigurationError) -> NetworkAddress {
    let trimmed = text.trimmingCharacters(in: .whitespaces)
    var host: Substring
    let portText: Substring
    if trimmed.hasPrefix("[") {
      guard let close = trimmed.firstIndex(of: "]"), trimmed[close...].hasPrefix("]:") else {
        throw ConfigurationError(setting: setting, problem: "'\(text)' is not HOST:PORT")
      }
      host = trimmed[trimmed.index(after: trimmed.startIndex)..<close]
      portText = trimmed[trimmed.index(close, offsetBy: 2)...]
    } else {
      guard let colon = trimmed.lastIndex(of: ":") else {
        throw ConfigurationError(setting: setting, problem: "'\(text)' is not HOST:PORT")
      }
      host = trimmed[..<colon]
      portText = trimmed[trimmed.index(after: colon)...]
    }
    if host.isEmpty { host = "127.0.0.1" }
    guard let port = Int(portText), (0...65535).contains(port) else {
      throw ConfigurationError(setting: setting, problem: "port '\(portText)' is not a number from 0 to 65535")
    }
    return NetworkAddress(host: String(host), port: port)
  }

  public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// A setting that is missing or malformed; start-up stops with this message.
public struct ConfigurationError: Error, Equatable, CustomStringConvertible {
  /// The flag or environment variable at fault.
  public var setting: String
  public var problem: String

  public init(setting: String, problem: String) {
    self.setting = setting
    self.problem = problem
  }

  public var description: String { "configuration error: \(setting): \(problem)" }
}

/// How log lines are written: one JSON object per line for collectors, or text for a terminal.
public enum LogFormat: String, Sendable, CaseIterable {
  case json
  case text
}

/// Everything a process needs to start, resolved from flags, then environment, then defaults.
public struct ServiceConfiguration: Sendable {
  public var identity: ServiceIdentity
  public var listen: NetworkAddress
  /// Where `/metrics` is served; the gateway serves it on its own port and has none.
  public var metricsListen: NetworkAddress?
  public var dataDirectory: String
  public var peers: [ServiceIdentity: NetworkAddress]
  public var logFormat: LogFormat
  public var logLevel: Logger.Level
  /// How long in-flight calls may run after SIGTERM or SIGINT before they are cancelled.
  public var shutdownGracePeriod: Duration
  /// The deadline given to every call to a peer service that does not set its own.
  public var peerCallTimeout: Duration

  public init(
    identity: ServiceIdentity,
    listen: NetworkAddress,
    metricsListen: NetworkAddress?,
    dataDirectory: String,
    peers: [ServiceIdentity: NetworkAddress],
    logFormat: LogFormat = .text,
    logLevel: Logger.Level = .info,
    shutdownGracePeriod: Duration = .seconds(10),
    peerCallTimeout: Duration = .seconds(5)
  ) {
    self.identity = identity
    self.listen = listen
    self.metricsListen = metricsListen
    self.dataDirectory = dataDirectory
    self.peers = peers
    self.logFormat = logFormat
    self.logLevel = logLevel
    self.shutdownGracePeriod = shutdownGracePeriod
    self.peerCallTimeout = peerCallTimeout
  }

  /// The path of this process's SQLite file.
  public var databasePath: String { "\(dataDirectory)/\(identity.databaseFileName)" }

  /// The address of a peer; asking for one the process was not configured with is a programming
  /// error caught at start-up, since `resolve` demands every peer in `identity.peers`.
  public func address(of peer: ServiceIdentity) -> NetworkAddress {
    guard let address = peers[peer] else {
      preconditionFailure("\(identity.rawValue) asked for unconfigured peer \(peer.rawValue)")
    }
    return address
  }
}

/// The settings given on the command line; nil means "not given, look in the environment".
public struct ConfigurationFlags: Sendable, Equatable {
  public var listen: String?
  public var metricsListen: String?
  public var dataDirectory: String?
  /// `NAME=HOST:PORT` per peer.
  public var peers: [String] = []
  public var logFormat: String?
  public var logLevel: String?
  public var shutdownGraceSeconds: String?
  public var peerTimeoutSeconds: String?

  public init(
    listen: String? = nil, metricsListen: String? = nil, dataDirectory: String? = nil, peers: [String] = [],
    logFormat: String? = nil, logLevel: String? = nil, shutdownGraceSeconds: String? = nil,
    peerTimeoutSeconds: String? = nil
  ) {
    self.listen = listen
    self.metricsListen = metricsListen
    self.dataDirectory = dataDirectory
    self.peers = peers
    self.logFormat = logFormat
    self.logLevel = logLevel
    self.shutdownGraceSeconds = shutdownGraceSeconds
    self.peerTimeoutSeconds = peerTimeoutSeconds
  }
}

extension ServiceConfiguration {
  /// Names of the environment variables every process reads besides its own prefixed ones.
  public enum Variable {
    public static let dataDirectory = "GOVERNANCE_DATA_DIR"
    public static let logFormat = "GOVERNANCE_LOG_FORMAT"
    public static let logLevel = "GOVERNANCE_LOG_LEVEL"
    public static let shutdownGraceSeconds = "GOVERNANCE_SHUTDOWN_GRACE_SECONDS"
    public static let peerTimeoutSeconds = "GOVERNANCE_PEER_TIMEOUT_SECONDS"

    public static func listen(_ identity: ServiceIdentity) -> String { "\(identity.environmentPrefix)_LISTEN_ADDR" }
    public static func metricsListen(_ identity: ServiceIdentity) -> String {
      "\(identity.environmentPrefix)_METRICS_ADDR"
    }
  }

  /// Resolves the configuration of `identity`: a flag wins over its environment variable, which
  /// wins over the default. Every peer the service calls must be given; nothing malformed passes.
  public static func resolve(
    for identity: ServiceIdentity,
    flags: ConfigurationFlags,
    environment: [String: String]
  ) throws(ConfigurationError) -> ServiceConfiguration {
    func setting(_ flag: String?, flagName: String, variable: String) -> (value: String, name: String)? {
      if let flag { return (flag, flagName) }
      if let value = environment[variable], !value.isEmpty { return (value, variable) }
      return nil
    }

    let listen: NetworkAddress
    if let given = setting(flags.listen, flagName: "--listen", variable: Variable.listen(identity)) {
      listen = try NetworkAddress.parse(given.value, setting: given.name)
      // The gRPC server binds an address, not a name; say so now rather than fail at bind.
      let isIPv4 = listen.host.split(separator: ".").count == 4 && listen.host.allSatisfy { $0.isNumber || $0 == "." }
      guard isIPv4 || listen.host.contains(":") else {
        throw ConfigurationError(
          setting: given.name, problem: "listen on an IP address such as 127.0.0.1 or 0.0.0.0, not '\(listen.host)'")
      }
    } else {
      listen = NetworkAddress(host: "127.0.0.1", port: identity.defaultPort)
    }

    var metricsListen: NetworkAddress?
    if identity != .gateway {
      let variable = Variable.metricsListen(identity)
      if let given = setting(flags.metricsListen, flagName: "--metrics-listen", variable: variable) {
        metricsListen = try NetworkAddress.parse(given.value, setting: given.name)
      } else {
        metricsListen = NetworkAddress(host: listen.host, port: identity.defaultMetricsPort)
      }
    }

    let dataDirectory =
      setting(flags.dataDirectory, flagName: "--data-dir", variable: Variable.dataDirectory)?.value ?? "./data"

    var peerFlags: [ServiceIdentity: String] = [:]
    for entry in flags.peers {
      let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
      guard parts.count == 2 else {
        throw ConfigurationError(setting: "--peer", problem: "'\(entry)' is not NAME=HOST:PORT")
      }
      guard let peer = ServiceIdentity(rawValue: parts[0]), peer != .gateway else {
        let names = ServiceIdentity.domainServices.map(\.rawValue).joined(separator: ", ")
        throw ConfigurationError(setting: "--peer", problem: "unknown service '\(parts[0])', expected one of \(names)")
      }
      peerFlags[peer] = parts[1]
    }
    var peers: [ServiceIdentity: NetworkAddress] = [:]
    for peer in identity.peers {
      guard
        let given = setting(peerFlags[peer], flagName: "--peer \(peer.rawValue)=", variable: peer.addressVariable)
      else {
        throw ConfigurationError(
          setting: peer.addressVariable,
          problem: "missing: the \(identity.rawValue) service calls the \(peer.rawValue) service; "
            + "set it to HOST:PORT or pass --peer \(peer.rawValue)=HOST:PORT"
        )
      }
      peers[peer] = try NetworkAddress.parse(given.value, setting: given.name)
    }

    var logFormat = LogFormat.text
    if let given = setting(flags.logFormat, flagName: "--log-format", variable: Variable.logFormat) {
      guard let format = LogFormat(rawValue: given.value.lowercased()) else {
        throw ConfigurationError(setting: given.name, problem: "'\(given.value)' is not one of json, text")
      }
      logFormat = format
    }

    var logLevel = Logger.Level.info
    if let given = setting(flags.logLevel, flagName: "--log-level", variable: Variable.logLevel) {
      guard let level = Logger.Level(rawValue: given.value.lowercased()) else {
        let levels = Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")
        throw ConfigurationError(setting: given.name, problem: "'\(given.value)' is not one of \(levels)")
      }
      logLevel = level
    }

    func seconds(_ flag: String?, flagName: String, variable: String, default value: Duration)
      throws(ConfigurationError)
      -> Duration
    {
      guard let given = setting(flag, flagName: flagName, variable: variable) else { return value }
      guard let seconds = Double(given.value), seconds > 0, seconds <= 3600 else {
        throw ConfigurationError(
          setting: given.name, problem: "'\(given.value)' is not a number of seconds above 0 and at most 3600")
      }
      return .milliseconds(Int64(seconds * 1000))
    }
    let grace = try seconds(
      flags.shutdownGraceSeconds, flagName: "--shutdown-grace", variable: Variable.shutdownGraceSeconds,
      default: .seconds(10))
    let peerTimeout = try seconds(
      flags.peerTimeoutSeconds, flagName: "--peer-timeout", variable: Variable.peerTimeoutSeconds,
      default: .seconds(5))

    return ServiceConfiguration(
      identity: identity,
      listen: listen,
      metricsListen: metricsListen,
      dataDirectory: dataDirectory,
      peers: peers,
      logFormat: logFormat,
      logLevel: logLevel,
      shutdownGracePeriod: grace,
      peerCallTimeout: peerTimeout
    )
  }
}

/// The command-line options every process accepts; each has an environment variable too.
public struct ServiceOptions: ParsableArguments, Sendable {
  @Option(name: .long, help: "HOST:PORT to listen on (env <NAME>_LISTEN_ADDR).")
  public var listen: String?

  @Option(name: .long, help: "HOST:PORT of the Prometheus /metrics endpoint (env <NAME>_METRICS_ADDR).")
  public var metricsListen: String?

  @Option(name: .long, help: "Directory of the SQLite database (env GOVERNANCE_DATA_DIR, default ./data).")
  public var dataDir: String?

  @Option(name: .long, help: "A peer service as NAME=HOST:PORT (env <NAME>_SERVICE_ADDR); repeatable.")
  public var peer: [String] = []

  @Option(name: .long, help: "json or text (env GOVERNANCE_LOG_FORMAT, default text).")
  public var logFormat: String?

  @Option(name: .long, help: "trace, debug, info, notice, warning, error, critical (env GOVERNANCE_LOG_LEVEL).")
  public var logLevel: String?

  @Option(name: .long, help: "Seconds in-flight calls may take after SIGTERM (env GOVERNANCE_SHUTDOWN_GRACE_SECONDS).")
  public var shutdownGrace: String?

  @Option(name: .long, help: "Default deadline in seconds of calls to peers (env GOVERNANCE_PEER_TIMEOUT_SECONDS).")
  public var peerTimeout: String?

  public init() {}

  public var flags: ConfigurationFlags {
    ConfigurationFlags(
      listen: listen, metricsListen: metricsListen, dataDirectory: dataDir, peers: peer, logFormat: logFormat,
      logLevel: logLevel, shutdownGraceSeconds: shutdownGrace, peerTimeoutSeconds: peerTimeout)
  }
}
