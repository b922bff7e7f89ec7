import GRPCCore
import Synchronization

/// The deadline of the call the current task serves, from the caller's `grpc-timeout`.
///
/// The server interceptor sets it for the handler; every call the handler makes to a peer carries
/// what is left of it (`DeadlinePropagationInterceptor`), so a peer never works for a caller that
/// has already given up.
public enum CallDeadline {
  /// The metadata key of a call's timeout.
  static let timeoutKey = "grpc-timeout"

  @TaskLocal public static var current: ContinuousClock.Instant?

  /// The time left before the current call's deadline; nil when it has none.
  public static var remaining: Duration? {
    current.map { ContinuousClock.now.duration(to: $0) }
  }

  /// Reads a `grpc-timeout` value: at most eight digits and a unit (H, M, S, m, u, n).
  static func duration(fromTimeout value: String) -> Duration? {
    guard let unit = value.last, let amount = Int64(value.dropLast()), amount >= 0, value.count <= 9 else {
      return nil
    }
    switch unit {
    case "H": return .seconds(amount * 3600)
    case "M": return .seconds(amount * 60)
    case "S": return .seconds(amount)
    case "m": return .milliseconds(amount)
    case "u": return .microseconds(amount)
    case "n": return .nanoseconds(amount)
    default: return nil
    }
  }

  /// Writes a duration as a `grpc-timeout` value in milliseconds (at least one, at most eight digits).
  static func timeoutValue(for duration: Duration) -> String {
    let milliseconds = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
    return "\(min(max(milliseconds, 1), 99_999_999))m"
  }

  /// The time a peer call gets of the `remaining` time of the call being served: a tenth less, at
  /// most 250 ms less. The peer's deadline passes first, so the caller still has time to answer
  /// with the peer's failure (UNAVAILABLE naming it, `PeerCall`) before its own deadline, instead
  /// of every process in the chain timing out at once with nothing said of which one failed.
  static func peerBudget(of remaining: Duration) -> Duration {
    remaining - min(remaining / 10, .milliseconds(250))
  }

  /// The deadline a request's metadata sets, counted from `start`.
  static func deadline(of metadata: Metadata, from start: ContinuousClock.Instant) -> ContinuousClock.Instant? {
    metadata[stringValues: timeoutKey].first(where: { _ in true }).flatMap(duration(fromTimeout:)).map { start + $0 }
  }
}

/// Set when the server begins its graceful shutdown. Shutting down cancels every call's RPC handle
/// as a deadline or a departed client does; only the latter two should stop the work in flight.
public final class ServerDrain: Sendable {
  private let draining = Atomic(false)

  public init() {}

  public var isDraining: Bool { draining.load(ordering: .acquiring) }

  public func begin() { draining.store(true, ordering: .releasing) }

  /// Runs `work` in a child task that is cancelled when the call is abandoned: its deadline
  /// passed or its client went away. A graceful shutdown lets it finish. SQLite work cancelled
  /// this way is rolled back whole.
  ///
  /// The child, not the call's own task, is cancelled: a cancelled task's later writes fail
  /// (NIO's writer throws on a cancelled task), and the call's task still has its status to
  /// write. One `async let` child, cancelled through `AbandonableWork`, costs one task a call;
  /// a task group racing the work against a waiting task cost three.
  func stoppingWhenAbandoned<Result: Sendable>(_ work: () async throws -> Result) async throws -> Result {
    // The child task ends before this function returns, so `work` does not outlive the call.
    try await withoutActuallyEscaping(work) { work in
      let transferred = TransferredWork(work: work)
      let abandonable = AbandonableWork()
      return try await withRPCCancellationHandler {
        async let result = abandonable.run { try await transferred.work() }
        // An abandoned call ends cancelled, whatever its work answered once cancelled (a peer's
        // UNAVAILABLE, or a result of work that did not look).
        do {
          let value = try await result
          if abandonable.wasAbandoned { throw CancellationError() }
          return value
        } catch {
          if abandonable.wasAbandoned { throw CancellationError() }
          throw error
        }
      } onCancelRPC: { [self] in
        if !isDraining { abandonable.abandon() }
      }
    }
  }
}

/// A call's work handed to the child task that runs it; it never runs anywhere else.
private struct TransferredWork<Result>: @unchecked Sendable {
  let work: () async throws -> Result
}

/// The child task running a call's work, which grpc-swift's cancellation handler cancels.
///
/// The handler may run on any thread, and after the work has ended (grpc-swift calls handlers
/// outside its own lock). The task is held only while it runs, and cancelled under the same
/// lock that clears it before it ends, so a cancel never reaches a task that has finished.
final class AbandonableWork: Sendable {
  /// A task's handle, sent across threads only under the lock: cancelling a task is safe from any
  /// thread while it runs, which the lock guarantees.
  private struct Running: @unchecked Sendable {
    let task: UnsafeCurrentTask
  }

  private struct State {
    var running: Running?
    var abandoned = false
  }

  private let state = Mutex(State())

  /// Runs `work` on the current task, cancelled by `abandon()` while it runs; throws
  /// `CancellationError` without running it when the call was abandoned first.
  func run<Result>(_ work: () async throws -> Result) async throws -> Result {
    let running = withUnsafeCurrentTask { task in task.map(Running.init) }
    let started = state.withLock { state in
      guard !state.abandoned else { return false }
      state.running = running
      return true
    }
    guard started else { throw CancellationError() }
    defer { state.withLock { $0.running = nil } }
    return try await work()
  }

  /// Whether `abandon()` was called.
  var wasAbandoned: Bool { state.withLock { $0.abandoned } }

  /// Cancels the work if it runs, and the work not yet started.
  func abandon() {
    state.withLock { state in
      state.abandoned = true
      state.running?.task.cancel()
    }
  }
}

/// Gives every call to a peer no more time than the call being served has left: the peer's
/// `grpc-timeout` becomes the smaller of its own and `CallDeadline.peerBudget` of the caller's
/// remaining time.
public struct DeadlinePropagationInterceptor: ClientInterceptor {
  public init() {}

  public func intercept<Input: Sendable, Output: Sendable>(
    request: StreamingClientRequest<Input>,
    context: ClientContext,
    next: (StreamingClientRequest<Input>, ClientContext) async throws -> StreamingClientResponse<Output>
  ) async throws -> StreamingClientResponse<Output> {
    guard let remaining = CallDeadline.remaining else { return try await next(request, context) }
    guard remaining > .zero else {
      throw RPCError(
        code: .deadlineExceeded,
        message:
          "the deadline of the call being served passed before calling \(context.descriptor.fullyQualifiedMethod)")
    }
    var request = request
    let budget = CallDeadline.peerBudget(of: remaining)
    let own = request.metadata[stringValues: CallDeadline.timeoutKey].first(where: { _ in true })
      .flatMap(CallDeadline.duration(fromTimeout:))
    if own.map({ budget < $0 }) ?? true {
      request.metadata.replaceOrAddString(CallDeadline.timeoutValue(for: budget), forKey: CallDeadline.timeoutKey)
    }
    return try await next(request, context)
  }
}
