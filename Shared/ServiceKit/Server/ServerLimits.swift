import GRPCNIOTransportHTTP2
import NIOCore
import NIOHTTP2

/// The bounds every domain service keeps on what one peer can hold, each read from its
/// environment variable at start-up (a malformed value stops the process with a message naming
/// the variable). The README lists them with their defaults.
public struct ServerLimits: Sendable, Equatable {
  /// Streams one HTTP/2 connection may have open at once (`SETTINGS_MAX_CONCURRENT_STREAMS`,
  /// advertised, so clients queue further calls; a stream over it is refused with
  /// REFUSED_STREAM, which clients retry). `GOVERNANCE_MAX_STREAMS_PER_CONNECTION`, default 1,000.
  public var streamsPerConnection: Int
  /// Calls one principal may have in flight in this process, streams included; one more is
  /// RESOURCE_EXHAUSTED. `GOVERNANCE_MAX_CALLS_PER_PRINCIPAL`, default 5,000.
  public var callsPerPrincipal: Int
  /// A connection with no open stream for this long is sent GOAWAY and closed.
  /// `GOVERNANCE_IDLE_CONNECTION_SECONDS`, default 300.
  public var idleConnection: Duration
  /// The server pings a connection silent this long, and closes it if the ping is not answered
  /// within `keepaliveTimeout` (a vanished peer, a half-open socket, one that never sent the
  /// HTTP/2 preface). `GOVERNANCE_KEEPALIVE_SECONDS`, default 60.
  public var keepalive: Duration
  /// How long a ping may go unanswered, and how long a connection stays open after the server's
  /// GOAWAY. `GOVERNANCE_KEEPALIVE_TIMEOUT_SECONDS`, default 20.
  public var keepaliveTimeout: Duration

  /// The largest request message read (4 × the 4 MiB served, so one over the limit is read whole
  /// and answered RESOURCE_EXHAUSTED); a longer message prefix is refused before it is read.
  public static let maximumReadMessageSize = 4 * CallObservationInterceptor.maximumRequestSize

  public init(
    streamsPerConnection: Int = 1_000, callsPerPrincipal: Int = 5_000, idleConnection: Duration = .seconds(300),
    keepalive: Duration = .seconds(60), keepaliveTimeout: Duration = .seconds(20)
  ) {
    self.streamsPerConnection = streamsPerConnection
    self.callsPerPrincipal = callsPerPrincipal
    self.idleConnection = idleConnection
    self.keepalive = keepalive
    self.keepaliveTimeout = keepaliveTimeout
  }

  /// Environment variable names.
  public enum Variable {
    public static let streamsPerConnection = "GOVERNANCE_MAX_STREAMS_PER_CONNECTION"
    public static let callsPerPrincipal = "GOVERNANCE_MAX_CALLS_PER_PRINCIPAL"
    public static let idleConnection = "GOVERNANCE_IDLE_CONNECTION_SECONDS"
    public static let keepalive = "GOVERNANCE_KEEPALIVE_SECONDS"
    public static let keepaliveTimeout = "GOVERNANCE_KEEPALIVE_TIMEOUT_SECONDS"
  }

  /// The limits from `environment`, defaults where a variable is unset.
  /// - Throws: `ConfigurationError` naming the variable when a value is not a whole number in range.
  public static func resolve(environment: [String: String]) throws(ConfigurationError) -> ServerLimits {
    func number(_ variable: String, default value: Int, range: ClosedRange<Int>) throws(ConfigurationError) -> Int {
      try ConfigurationError.wholeNumber(variable, in: environment, default: value, range: range)
    }
    let defaults = ServerLimits()
    return ServerLimits(
      streamsPerConnection: try number(
        Variable.streamsPerConnection, default: defaults.streamsPerConnection, range: 1...100_000),
      callsPerPrincipal: try number(
        Variable.callsPerPrincipal, default: defaults.callsPerPrincipal, range: 1...1_000_000),
      idleConnection: .seconds(try number(Variable.idleConnection, default: 300, range: 1...86_400)),
      keepalive: .seconds(try number(Variable.keepalive, default: 60, range: 1...86_400)),
      keepaliveTimeout: .seconds(try number(Variable.keepaliveTimeout, default: 20, range: 1...3_600)))
  }

  /// The HTTP/2 server transport's configuration for these limits, with a `GRPCStreamGuard` in
  /// front of the transport on every stream and a `ConnectionGuard` on every connection.
  public var transportConfig: HTTP2ServerTransport.Posix.Config {
    var config = HTTP2ServerTransport.Posix.Config.defaults
    config.rpc.maxRequestPayloadSize = Self.maximumReadMessageSize
    config.http2.maxConcurrentStreams = streamsPerConnection
    config.connection.maxIdleTime = idleConnection
    config.connection.keepalive.time = keepalive
    config.connection.keepalive.timeout = keepaliveTimeout
    // Clients may keep an idle connection alive (the gateway's pools do), but not ping more
    // often than every 10 s.
    config.connection.keepalive.clientBehavior = .init(
      minPingIntervalWithoutCalls: .seconds(10), allowWithoutCalls: true)
    let maximum = Self.maximumReadMessageSize
    let grace = TimeAmount(keepaliveTimeout)
    config.channelDebuggingCallbacks.onAcceptTCPConnection = { channel in
      channel.eventLoop.makeCompletedFuture {
        let operations = channel.pipeline.syncOperations
        try operations.addHandler(
          ConnectionGuard(goAwayGrace: grace), position: .after(try operations.handler(type: NIOHTTP2Handler.self)))
      }
    }
    config.channelDebuggingCallbacks.onAcceptHTTP2Stream = { channel in
      channel.eventLoop.makeCompletedFuture {
        try channel.pipeline.syncOperations.addHandler(GRPCStreamGuard(maximumMessageSize: maximum), position: .first)
      }
    }
    return config
  }
}

extension ConfigurationError {
  /// The whole number `variable` holds in `environment`, or `value` when it is unset or empty.
  /// - Throws: `ConfigurationError` naming the variable when it is not a whole number in `range`.
  public static func wholeNumber(
    _ variable: String, in environment: [String: String], default value: Int, range: ClosedRange<Int>
  ) throws(ConfigurationError) -> Int {
    guard let text = environment[variable], !text.isEmpty else { return value }
    guard let number = Int(text), range.contains(number) else {
      throw ConfigurationError(
        setting: variable, problem: "'\(text)' is not a whole number from \(range.lowerBound) to \(range.upperBound)")
    }
    return number
  }
}
