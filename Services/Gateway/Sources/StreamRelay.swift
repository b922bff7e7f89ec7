import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import GRPCProtobuf
import GovernanceAPI
import HTTPTypes
import Hummingbird
import Logging
import Metrics
import NIOCore
import ServiceKit
import ServiceLifecycle
import SwiftProtobuf
import Synchronization

/// How the gateway bounds server-sent event streams, read from the environment at start-up.
public struct StreamLimits: Sendable, Equatable {
  /// Streams open through the gateway at once; one more is 429. `GOVERNANCE_GATEWAY_MAX_STREAMS`, default 2,000.
  public var total: Int
  /// Streams one principal (a signed-in user, an API key) may have open; one more is 429.
  /// `GOVERNANCE_GATEWAY_MAX_STREAMS_PER_PRINCIPAL`, default 100.
  public var perPrincipal: Int
  /// How often a comment line is written to an idle stream, so a browser that left is noticed
  /// and its upstream call ended. `GOVERNANCE_SSE_HEARTBEAT_SECONDS`, default 15.
  public var heartbeat: Duration

  public init(total: Int = 2_000, perPrincipal: Int = 100, heartbeat: Duration = .seconds(15)) {
    self.total = total
    self.perPrincipal = perPrincipal
    self.heartbeat = heartbeat
  }

  /// Events waiting for a slow browser before its stream is ended.
  static let bufferedEvents = 256

  /// Streams one HTTP/2 connection to a service carries; the relay opens enough connections for
  /// `total`. Below the services' own per-connection limit (1,000).
  static let streamsPerConnection = 500

  /// The limits from `environment`, defaults where a variable is unset.
  /// - Throws: `ConfigurationError` naming the variable when a value is not a whole number in range.
  public static func resolve(environment: [String: String]) throws(ConfigurationError) -> StreamLimits {
    func number(_ variable: String, default value: Int, range: ClosedRange<Int>) throws(ConfigurationError) -> Int {
      try ConfigurationError.wholeNumber(variable, in: environment, default: value, range: range)
    }
    let defaults = StreamLimits()
    return StreamLimits(
      total: try number("GOVERNANCE_GATEWAY_MAX_STREAMS", default: defaults.total, range: 1...100_000),
      perPrincipal: try number(
        "GOVERNANCE_GATEWAY_MAX_STREAMS_PER_PRINCIPAL", default: defaults.perPrincipal, range: 1...100_000),
      heartbeat: .seconds(try number("GOVERNANCE_SSE_HEARTBEAT_SECONDS", default: 15, range: 1...3600)))
  }
}

/// Relays the services' server streams to browsers as server-sent events, over connections of
/// their own: however many watchers are open, the connections that carry unary calls and
/// `/healthz` probes never queue behind them.
public final class StreamRelay: Service, Sendable {
  private let pools: [PeerClients]
  private let budget: CallBudget
  private let heartbeat: Duration
  private let next = Atomic<Int>(0)

  /// - Parameters:
  ///   - peers: each domain service's address.
  ///   - limits: the bounds on streams.
  ///   - authority: signs the token each stream carries (the watcher's own principal).
  public init(peers: [ServiceIdentity: NetworkAddress], limits: StreamLimits, authority: TokenAuthority) throws {
    let connections = max(1, (limits.total + StreamLimits.streamsPerConnection - 1) / StreamLimits.streamsPerConnection)
    pools = try (0..<connections).map { _ in
      try PeerClients(caller: .gateway, peers: peers, timeout: .seconds(24 * 3600), authority: authority)
    }
    let gauge = Gauge(label: "gateway_open_streams")
    budget = CallBudget(perPrincipal: limits.perPrincipal, total: limits.total, what: "streams") {
      gauge.record($0)
    }
    heartbeat = limits.heartbeat
  }

  public func run() async throws {
    try await withThrowingDiscardingTaskGroup { group in
      for pool in pools {
        group.addTask { try await pool.run() }
      }
    }
  }

  /// The server-sent event response relaying `entry` for `principal`: `data: <JSON>` per message,
  /// `: heartbeat` comments while idle, `event: error` with the Connect code if the stream fails.
  /// - Throws: `RPCError` RESOURCE_EXHAUSTED (429) when the principal or the gateway has no
  ///   stream to spare; `ConnectError` invalid_argument for a request that is not `Input` as JSON.
  func response<Input: SwiftProtobuf.Message, Output: SwiftProtobuf.Message>(
    _: Input.Type, _: Output.Type, entry: CatalogMethod, service: ServiceIdentity, json text: String,
    as principal: Principal
  ) throws -> Response {
    let input: Input
    do {
      input = try Input(jsonUTF8Data: JSONSurrogates.combined(Data(text.utf8)))
    } catch {
      throw ConnectError(.invalidArgument, "request= is not a valid JSON \(Input.protoMessageName): \(error)")
    }
    let ticket = try budget.admit(principal)
    let client = pools[next.wrappingAdd(1, ordering: .relaxed).oldValue % pools.count].client(for: service)
    let heartbeat = heartbeat
    let options = CallOptions.defaults.withTimeout(.seconds(24 * 3600))
    return Response(
      status: .ok,
      headers: [
        .contentType: "text/event-stream", .cacheControl: "no-cache", HTTPField.Name("X-Accel-Buffering")!: "no",
      ],
      body: ResponseBody { writer in
        // The gRPC stream and the heartbeat feed one async stream, so the HTTP writer stays in
        // this task; a write that fails (the browser left) ends both.
        // The buffer is bounded: a browser that stays connected but stops reading gets its stream
        // ended (resource_exhausted) instead of growing the gateway's memory.
        let (events, sink) = AsyncStream.makeStream(
          of: ByteBuffer.self, bufferingPolicy: .bufferingOldest(StreamLimits.bufferedEvents))
        let call = Task {
          defer { sink.finish() }
          do {
            try await Principal.$current.withValue(principal) {
              try await client.serverStreaming(
                request: ClientRequest(message: input),
                descriptor: MethodDescriptor(fullyQualifiedService: entry.service, method: entry.method),
                serializer: ProtobufSerializer<Input>(), deserializer: ProtobufDeserializer<Output>(), options: options
              ) { response in
                for try await message in response.messages {
                  if case .dropped = sink.yield(ByteBuffer(string: "data: \(try message.jsonString())\n\n")) {
                    throw RPCError(
                      code: .resourceExhausted,
                      message: "the client read too slowly: \(StreamLimits.bufferedEvents) events waiting")
                  }
                }
              }
            }
          } catch is CancellationError {
          } catch {
            // Past a full buffer the error event cannot be queued either; the stream just ends.
            sink.yield(ByteBuffer(string: "event: error\ndata: {\"code\":\"\(ConnectError(error).connect.name)\"}\n\n"))
          }
        }
        let ticker = Task {
          while !Task.isCancelled {
            try await Task.sleep(for: heartbeat)
            sink.yield(ByteBuffer(string: ": heartbeat\n\n"))
          }
        }
        defer {
          call.cancel()
          ticker.cancel()
          withExtendedLifetime(ticket) {}
        }
        // An opening comment tells the browser the stream is open before the first event.
        try await writer.write(ByteBuffer(string: ": open\n\n"))
        for await event in events { try await writer.write(event) }
        try await writer.finish(nil)
      })
  }
}
