import Foundation
import GRDB
import GRPCCore
import GovernanceAPI
import Instrumentation
import Logging
import Metrics
import SwiftProtobuf
import Synchronization
import Tracing

/// The server interceptor every service runs first: it establishes who is calling from the
/// signed access token (UNAUTHENTICATED without a valid one), holds the caller to their role and
/// jurisdiction (PERMISSION_DENIED), turns errors nobody mapped into clear statuses, and records
/// each call's method, status and duration in the logs and in Prometheus metrics. Health (for
/// probes) and reflection answer without a token. A call's handler runs under the caller's deadline
/// (passed on to its peer calls) and is cancelled once the call is abandoned.
public struct CallObservationInterceptor: ServerInterceptor {
  /// The health service's unary check, which probes call without a token.
  static let healthCheck = Grpc_Health_V1_Health.Method.Check.descriptor.fullyQualifiedMethod

  /// The services any caller may use without a token: health, for probes, and reflection, which
  /// describes only the contracts published in proto/.
  static let openServices: Set<String> = [
    Grpc_Health_V1_Health.descriptor.fullyQualifiedService,
    Grpc_Reflection_V1_ServerReflection.descriptor.fullyQualifiedService,
    Grpc_Reflection_V1alpha_ServerReflection.descriptor.fullyQualifiedService,
  ]

  /// The metadata key carrying `Bearer <access token>`.
  public static let authorizationKey = "authorization"
  /// The largest request message served (4 MiB); a larger one is RESOURCE_EXHAUSTED.
  public static let maximumRequestSize = 4 * 1024 * 1024

  private let logger: Logger
  private let authority: TokenAuthority
  private let drain: ServerDrain
  private let budget: CallBudget

  public init(
    logger: Logger, authority: TokenAuthority, drain: ServerDrain = ServerDrain(),
    budget: CallBudget = CallBudget(perPrincipal: ServerLimits().callsPerPrincipal)
  ) {
    self.logger = logger
    self.authority = authority
    self.drain = drain
    self.budget = budget
  }

  /// The principal the call's token stands for, held to the method's role table.
  func authenticate(_ metadata: Metadata, descriptor: MethodDescriptor) async throws -> Principal {
    if Self.openServices.contains(descriptor.service.fullyQualifiedService) { return .system }
    guard let header = metadata[stringValues: Self.authorizationKey].first(where: { _ in true }),
      header.hasPrefix("Bearer ")
    else {
      throw DomainError.unauthenticated(reason: "no access token: send 'authorization: Bearer <token>'")
    }
    let principal = try await authority.verify(String(header.dropFirst("Bearer ".count)))
    try Authorization.check(
      service: descriptor.service.fullyQualifiedService, method: descriptor.method, principal: principal)
    return principal
  }

  public func intercept<Input: Sendable, Output: Sendable>(
    request: StreamingServerRequest<Input>,
    context: ServerContext,
    next: @Sendable (StreamingServerRequest<Input>, ServerContext) async throws -> StreamingServerResponse<Output>
  ) async throws -> StreamingServerResponse<Output> {
    let start = ContinuousClock.now
    let method = context.descriptor.fullyQualifiedMethod
    let logger = logger
    let span = Self.startSpan(request.metadata, descriptor: context.descriptor)
    let principal: Principal
    do {
      principal = try await authenticate(request.metadata, descriptor: context.descriptor)
    } catch {
      let rpcError = Self.rpcError(for: error, method: method, logger: logger)
      Self.record(method: method, code: rpcError.code, since: start, caller: .system, logger: logger, span: span)
      throw rpcError
    }
    // Held until the response is written or dropped, streams included. A health check is
    // outside the budget: a probe must get through whatever callers hold (Health/Watch streams,
    // which need no token, are counted like any stream).
    let ticket: CallBudget.Ticket?
    do {
      ticket = method == Self.healthCheck ? nil : try budget.admit(principal)
    } catch {
      let rpcError = Self.rpcError(for: error, method: method, logger: logger)
      Self.record(method: method, code: rpcError.code, since: start, caller: principal, logger: logger, span: span)
      throw rpcError
    }
    // The events the call appends carry its trace (Principal.traceparent); the budget's ticket
    // above was taken for the principal as it was.
    let served: Principal = {
      var copy = principal
      if let span { copy.traceparent = CallTracing.traceparent(of: span) }
      return copy
    }()
    var checked = request
    checked.messages = RPCAsyncSequence(
      wrapping: request.messages.map { message in
        if let message = message as? any SwiftProtobuf.Message {
          let bytes: [UInt8] = try message.serializedBytes()
          let size = bytes.count
          guard size <= Self.maximumRequestSize else {
            throw RPCError(
              code: .resourceExhausted,
              message: "the request is \(size) bytes; at most \(Self.maximumRequestSize) are accepted")
          }
          try Authorization.checkRequest(message, by: principal)
        }
        return message
      })
    var response: StreamingServerResponse<Output>
    let deadline = CallDeadline.deadline(of: request.metadata, from: start)
    // The handler's peer calls are children of this call's span.
    let traceContext = span?.context ?? ServiceContext.current
    do {
      response = try await Principal.$current.withValue(served) {
        try await ServerCall.$descriptor.withValue(context.descriptor) {
          try await CallDeadline.$current.withValue(deadline) {
            try await ServiceContext.$current.withValue(traceContext) {
              try await drain.stoppingWhenAbandoned { try await next(checked, context) }
            }
          }
        }
      }
    } catch {
      let rpcError = Self.rpcError(for: error, method: method, logger: logger, deadline: deadline)
      Self.record(method: method, code: rpcError.code, since: start, caller: principal, logger: logger, span: span)
      throw rpcError
    }

    switch response.accepted {
    case .success(var contents):
      let producer = contents.producer
      let unproduced = UnproducedAnswer(abandoned: {
        Self.record(method: method, code: .cancelled, since: start, caller: principal, logger: logger, span: span)
      })
      contents.producer = { writer in
        unproduced.produced()
        defer { withExtendedLifetime(ticket) {} }
        do {
          let guarded = RPCWriter(
            wrapping: ResponseGuard(writer: writer, principal: principal))
          let trailers = try await Principal.$current.withValue(served) {
            try await ServerCall.$descriptor.withValue(context.descriptor) {
              try await ServiceContext.$current.withValue(traceContext) { try await producer(guarded) }
            }
          }
          Self.record(method: method, code: nil, since: start, caller: principal, logger: logger, span: span)
          return trailers
        } catch {
          let rpcError = Self.rpcError(for: error, method: method, logger: logger)
          Self.record(method: method, code: rpcError.code, since: start, caller: principal, logger: logger, span: span)
          throw rpcError
        }
      }
      response.accepted = .success(contents)
    case .failure(let error):
      Self.record(method: method, code: error.code, since: start, caller: principal, logger: logger, span: span)
    }
    return response
  }

  /// Maps an error to the status the caller sees. Work stopped at the call's deadline is
  /// DEADLINE_EXCEEDED; domain errors carry their own status; a busy
  /// database is worth retrying (UNAVAILABLE); anything else is a bug, logged in full here and
  /// answered INTERNAL without leaking internals.
  static func rpcError(
    for error: any Error, method: String, logger: Logger, deadline: ContinuousClock.Instant? = nil
  ) -> RPCError {
    switch error {
    case is CancellationError where deadline.map({ $0 <= .now }) ?? false:
      return RPCError(code: .deadlineExceeded, message: "the call's deadline passed before \(method) finished")
    case let error as RPCError:
      return error
    case let error as any RPCErrorConvertible:
      return RPCError(error)
    case let error as DatabaseError where error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED:
      return RPCError(code: .unavailable, message: "the database is busy; retry the call")
    case is CancellationError:
      return RPCError(code: .cancelled, message: "the call was cancelled")
    default:
      logger.error("unexpected error", metadata: ["method": "\(method)", "error": "\(String(reflecting: error))"])
      return RPCError(code: .internalError, message: "internal error while serving \(method); see the service log")
    }
  }

  /// A call slower than this is logged at info: the slowest answer the benchmark's targets allow
  /// (a whole-city dashboard, docs/PERFORMANCE.md). A stream's line comes when it ends, so a stream
  /// open this long is logged at info too.
  public static let slowCall = Duration.milliseconds(200)

  /// The level of a call's log line: a failed call at notice, a slow one at info, any other at
  /// debug. A line per call at info cost GetCase about a fifth of its throughput (19 % with
  /// h2load, docs/PERFORMANCE.md: the line is written on the call's path); the per-call figures are
  /// in the Prometheus metrics whatever the level.
  /// A call that waits by design (`waitingMethods`) is not slow for waiting.
  static func logLevel(code: RPCError.Code?, elapsed: Duration, method: String = "") -> Logger.Level {
    if code != nil { return .notice }
    return elapsed >= slowCall && !waitingMethods.contains(method) ? .info : .debug
  }

  /// Calls that wait for something to happen before answering: the gateway's long poll of each
  /// outbox (up to 30 s, one after another), which would otherwise write a line a second at info
  /// in every service of an idle system.
  static let waitingMethods: Set<String> = [
    Governance_Outbox_V1_OutboxService.Method.ReadOutbox.descriptor.fullyQualifiedMethod
  ]

  /// The server span of a call, a child of the caller's (`traceparent` in its metadata); nil when
  /// tracing is off and for the services `CallTracing.traced` leaves out.
  static func startSpan(_ metadata: Metadata, descriptor: MethodDescriptor) -> (any Span)? {
    guard CallTracing.enabled, CallTracing.traced(descriptor.service.fullyQualifiedService) else { return nil }
    var parent = ServiceContext.current ?? .topLevel
    InstrumentationSystem.instrument.extract(metadata, into: &parent, using: MetadataExtractor())
    let span = InstrumentationSystem.tracer.startSpan(
      descriptor.fullyQualifiedMethod, context: parent, ofKind: .server)
    CallTracing.describe(span, method: descriptor)
    return span
  }

  static func record(
    method: String, code: RPCError.Code?, since start: ContinuousClock.Instant, caller: Principal, logger: Logger,
    span: (any Span)? = nil
  ) {
    if let span {
      // Whose jurisdiction the call was held to, never who made it: a role and its division
      // prefix, or the platform's service that called.
      if let role = caller.role {
        span.attributes["governance.caller.role"] = role.rawValue
        span.attributes["governance.jurisdiction"] = caller.scope
      } else if let service = caller.service {
        span.attributes["governance.caller.service"] = service.rawValue
      }
      CallTracing.end(span, code: code)
    }
    let elapsed = ContinuousClock.now - start
    let status = code.map { "\($0)" } ?? "ok"
    let dimensions = [("method", method), ("code", status)]
    Counter(label: "grpc_server_handled_total", dimensions: dimensions).increment()
    Timer(label: "grpc_server_handling_seconds", dimensions: [("method", method)]).recordNanoseconds(
      elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
    // Hundredths of a millisecond (truncated), written without String(format:), which showed in
    // every service's profile.
    let hundredths = elapsed.components.seconds * 100_000 + elapsed.components.attoseconds / 10_000_000_000_000
    let fraction = hundredths % 100
    logger.log(
      level: Self.logLevel(code: code, elapsed: elapsed, method: method),
      "rpc",
      metadata: [
        "method": "\(method)",
        "status": "\(status)",
        "duration_ms": "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)",
        "caller": "\(caller)",
      ])
  }
}

/// Writes a response message only if every record in it lies where the caller may read.
struct ResponseGuard<Element: Sendable>: RPCWriterProtocol {
  let writer: RPCWriter<Element>
  let principal: Principal

  func write(_ element: Element) async throws {
    if let message = element as? any SwiftProtobuf.Message {
      try Authorization.checkResponse(message, by: principal)
    } else if let encoded = element as? any EncodedAnswer, !principal.scope.isEmpty {
      // Only a caller held to a jurisdiction pays for decoding an answer sent as stored bytes.
      try Authorization.checkResponse(try encoded.decodedMessage(), by: principal)
    }
    try await writer.write(element)
  }

  func write(contentsOf elements: some Sequence<Element>) async throws {
    for element in elements { try await write(element) }
  }
}

/// How many calls each principal has in flight in this process, held to a bound so that one
/// caller (a runaway script, a stream leak) cannot take every task and connection slot; and,
/// optionally, how many all principals together have.
public final class CallBudget: Sendable {
  private let perPrincipal: Int
  private let total: Int
  private let what: String
  private let onChange: @Sendable (Int) -> Void
  private let counts = Mutex<(total: Int, bySubject: [String: Int])>((0, [:]))

  /// - Parameters:
  ///   - perPrincipal: calls one principal may have in flight at once.
  ///   - total: calls all principals may have in flight at once.
  ///   - what: the word for a call in the refusal ("calls", "streams").
  ///   - onChange: told the new total after every admission and release (for a gauge), under
  ///     the budget's lock: it must be quick and must not call back into the budget.
  public init(
    perPrincipal: Int, total: Int = .max, what: String = "calls", onChange: @escaping @Sendable (Int) -> Void = { _ in }
  ) {
    self.perPrincipal = perPrincipal
    self.total = total
    self.what = what
    self.onChange = onChange
  }

  /// A call's place in the budget, given back when the ticket is released (its last reference
  /// dropped), however the call ends.
  public final class Ticket: Sendable {
    private let budget: CallBudget
    private let subject: String

    fileprivate init(budget: CallBudget, subject: String) {
      self.budget = budget
      self.subject = subject
    }

    deinit { budget.release(subject) }
  }

  /// Admits one more call of `principal`.
  /// - Throws: `RPCError` RESOURCE_EXHAUSTED when the principal already has `perPrincipal` calls
  ///   in flight, or all together have `total`.
  public func admit(_ principal: Principal) throws -> Ticket {
    let subject = principal.subject
    // onChange is told under the lock, so a gauge never ends on a stale total.
    let outcome: Result<Void, RPCError> = counts.withLock { counts in
      let count = counts.bySubject[subject, default: 0]
      guard count < perPrincipal else {
        return .failure(
          RPCError(
            code: .resourceExhausted, message: "\(subject) already has \(perPrincipal) \(what) open; close some first"))
      }
      guard counts.total < total else {
        return .failure(
          RPCError(code: .resourceExhausted, message: "the server already has \(total) \(what) open; retry later"))
      }
      counts.bySubject[subject] = count + 1
      counts.total += 1
      onChange(counts.total)
      return .success(())
    }
    try outcome.get()
    return Ticket(budget: self, subject: subject)
  }

  fileprivate func release(_ subject: String) {
    counts.withLock { counts in
      let remaining = counts.bySubject[subject, default: 1] - 1
      counts.bySubject[subject] = remaining > 0 ? remaining : nil
      counts.total -= 1
      onChange(counts.total)
    }
  }
}

/// A handler's answer that may never be produced: grpc-swift skips the producer when the client
/// left after the handler returned. Released unproduced, it records the call as CANCELLED (its
/// metrics, its log line, its span, which would otherwise never end).
final class UnproducedAnswer: Sendable {
  private let wasProduced = Atomic<Bool>(false)
  private let abandoned: @Sendable () -> Void

  init(abandoned: @escaping @Sendable () -> Void) {
    self.abandoned = abandoned
  }

  /// The producer ran: the call is recorded by it.
  func produced() {
    wasProduced.store(true, ordering: .relaxed)
  }

  deinit {
    if !wasProduced.load(ordering: .relaxed) { abandoned() }
  }
}
