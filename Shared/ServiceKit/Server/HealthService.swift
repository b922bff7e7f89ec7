import GRPCCore
import GovernanceAPI
import Synchronization

/// The serving status of each gRPC service in a process, shared by the health service (which
/// reports it) and the lifecycle (which changes it: SERVING once the database is open,
/// NOT_SERVING as soon as shutdown begins, so probes stop routing traffic before the port closes).
public final class HealthStatus: Sendable {
  public typealias Status = Grpc_Health_V1_HealthCheckResponse.ServingStatus

  private struct State {
    var statuses: [String: Status] = [:]
    var watchers: [Int: (service: String, continuation: AsyncStream<Status>.Continuation)] = [:]
    var nextWatcher = 0
  }

  private let state = Mutex(State())

  /// `services` are the fully qualified names served; the empty name stands for the whole server.
  public init(services: [String]) {
    state.withLock { state in
      for service in services + [""] {
        state.statuses[service] = .notServing
      }
    }
  }

  public func status(of service: String) -> Status? {
    state.withLock { $0.statuses[service] }
  }

  public var all: [String: Status] {
    state.withLock { $0.statuses }
  }

  /// Sets every known service, and the server as a whole, to `status`.
  public func setAll(_ status: Status) {
    for service in all.keys {
      set(service, to: status)
    }
  }

  public func set(_ service: String, to status: Status) {
    let continuations = state.withLock { state -> [AsyncStream<Status>.Continuation] in
      guard state.statuses[service] != status else { return [] }
      state.statuses[service] = status
      return state.watchers.values.filter { $0.service == service }.map(\.continuation)
    }
    for continuation in continuations {
      continuation.yield(status)
    }
  }

  /// A stream of the status of `service`: its current status first, then every change; `id`
  /// ends it early through `stopWatching`.
  func watch(_ service: String) -> (stream: AsyncStream<Status>, id: Int) {
    let (stream, continuation) = AsyncStream.makeStream(of: Status.self, bufferingPolicy: .bufferingNewest(1))
    let id = state.withLock { state -> Int in
      let id = state.nextWatcher
      state.nextWatcher += 1
      state.watchers[id] = (service, continuation)
      continuation.yield(state.statuses[service] ?? .serviceUnknown)
      return id
    }
    continuation.onTermination = { [weak self] _ in
      self?.state.withLock { _ = $0.watchers.removeValue(forKey: id) }
    }
    return (stream, id)
  }

  /// Ends one watch stream, when its caller has gone.
  func stopWatching(_ id: Int) {
    let continuation = state.withLock { $0.watchers.removeValue(forKey: id)?.continuation }
    continuation?.finish()
  }

  /// Ends every watch stream, so that a server shutting down is not held open by watchers.
  public func finishWatchers() {
    let continuations = state.withLock { state in
      let continuations = state.watchers.values.map(\.continuation)
      state.watchers.removeAll()
      return continuations
    }
    for continuation in continuations {
      continuation.finish()
    }
  }
}

/// `grpc.health.v1.Health`, so that any standard probe (grpc_health_probe, Kubernetes, grpcurl)
/// can ask a process whether it serves.
public struct HealthService: Grpc_Health_V1_Health.SimpleServiceProtocol {
  private let status: HealthStatus

  public init(status: HealthStatus) {
    self.status = status
  }

  public func check(
    request: Grpc_Health_V1_HealthCheckRequest,
    context: ServerContext
  ) async throws -> Grpc_Health_V1_HealthCheckResponse {
    guard let serving = status.status(of: request.service) else {
      throw RPCError(code: .notFound, message: "service '\(request.service)' is not served here")
    }
    return .with { $0.status = serving }
  }

  public func list(
    request: Grpc_Health_V1_HealthListRequest,
    context: ServerContext
  ) async throws -> Grpc_Health_V1_HealthListResponse {
    .with { response in
      for (service, serving) in status.all {
        response.statuses[service] = .with { $0.status = serving }
      }
    }
  }

  public func watch(
    request: Grpc_Health_V1_HealthCheckRequest,
    response: RPCWriter<Grpc_Health_V1_HealthCheckResponse>,
    context: ServerContext
  ) async throws {
    let (stream, id) = status.watch(request.service)
    // A client that goes away cancels the RPC; end the stream then, or the handler would wait
    // for the next change forever.
    try await withRPCCancellationHandler {
      for await serving in stream {
        try await response.write(.with { $0.status = serving })
      }
    } onCancelRPC: { [status] in
      status.stopWatching(id)
    }
  }
}
