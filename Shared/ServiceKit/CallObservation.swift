import Foundation
import GRDB
import GRPCCore
import Logging
import Metrics

/// The server interceptor every service runs first: it establishes who is calling, turns errors
/// nobody mapped into clear statuses, and records each call's method, status and duration in the
/// logs and in Prometheus metrics.
public struct CallObservationInterceptor: ServerInterceptor {
  private let logger: Logger

  public init(logger: Logger) {
    self.logger = logger
  }

  public func intercept<Input: Sendable, Output: Sendable>(
    request: StreamingServerRequest<Input>,
    context: ServerContext,
    next: @Sendable (StreamingServerRequest<Input>, ServerContext) async throws -> StreamingServerResponse<Output>
  ) async throws -> StreamingServerResponse<Output> {
    let start = ContinuousClock.now
    let principal = Principal.from(request.metadata)
    let method = context.descriptor.fullyQualifiedMethod
    let logger = logger
    var response: StreamingServerResponse<Output>
    do {
      response = try await Principal.$current.withValue(principal) {
        try await next(request, context)
      }
    } catch {
      let rpcError = Self.rpcError(for: error, method: method, logger: logger)
      Self.record(method: method, code: rpcError.code, since: start, caller: principal, logger: logger)
      throw rpcError
    }

    switch response.accepted {
    case .success(var contents):
      let producer = contents.producer
      contents.producer = { writer in
        do {
          let trailers = try await Principal.$current.withValue(principal) { try await producer(writer) }
          Self.record(method: method, code: nil, since: start, caller: principal, logger: logger)
          return trailers
        } catch {
          let rpcError = Self.rpcError(for: error, method: method, logger: logger)
          Self.record(method: method, code: rpcError.code, since: start, caller: principal, logger: logger)
          throw rpcError
        }
      }
      response.accepted = .success(contents)
    case .failure(let error):
      Self.record(method: method, code: error.code, since: start, caller: principal, logger: logger)
    }
    return response
  }

  /// Maps an error to the status the caller sees. Domain errors carry their own status; a busy
  /// database is worth retrying (UNAVAILABLE); anything else is a bug, logged in full here and
  /// answered INTERNAL without leaking internals.
  static func rpcError(for error: any Error, method: String, logger: Logger) -> RPCError {
    switch error {
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

  static func record(method: String, code: RPCError.Code?, since start: ContinuousClock.Instant, caller: Principal, logger: Logger) {
    let elapsed = ContinuousClock.now - start
    let status = code.map { "\($0)" } ?? "ok"
    let dimensions = [("method", method), ("code", status)]
    Counter(label: "grpc_server_handled_total", dimensions: dimensions).increment()
    Timer(label: "grpc_server_handling_seconds", dimensions: [("method", method)]).recordNanoseconds(
      elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
    let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
    logger.log(
      level: code == nil ? .info : .notice,
      "rpc",
      metadata: [
        "method": "\(method)",
        "status": "\(status)",
        "duration_ms": "\(String(format: "%.2f", milliseconds))",
        "caller": "\(caller)",
      ])
  }
}
