import GRDB
import GRPCCore
import Logging
import Testing

@testable import ServiceKit

@Suite("Domain errors map to gRPC status codes in one place")
struct DomainErrorTests {
  @Test(
    "each domain error has its status code and a message naming the field or rule",
    arguments: [
      (
        DomainError.invalidArgument(field: "division_code", rule: "must be 12 digits"), RPCError.Code.invalidArgument,
        "division_code: must be 12 digits"
      ),
      (.notFound(resource: "compound", id: "c-1"), .notFound, "compound c-1 not found"),
      (.alreadyExists(resource: "score", id: "s-1"), .alreadyExists, "score s-1 already exists"),
      (
        .failedPrecondition(rule: "standalone branch needs 3 formal members", detail: "compound has 2"),
        .failedPrecondition, "standalone branch needs 3 formal members: compound has 2"
      ),
      (.permissionDenied(reason: "outside jurisdiction 3201"), .permissionDenied, "outside jurisdiction 3201"),
      (.unauthenticated(reason: "no token"), .unauthenticated, "no token"),
      (
        .peerUnavailable(peer: "property", detail: "connection refused"), .unavailable,
        "property service unavailable: connection refused"
      ),
    ])
  func mapping(error: DomainError, code: RPCError.Code, message: String) {
    let rpcError = RPCError(error)
    #expect(rpcError.code == code)
    #expect(rpcError.message == message)
  }

  @Test("the interceptor maps a busy database to UNAVAILABLE and hides other internals")
  func unexpectedErrors() {
    let logger = Logger(label: "test")
    let busy = CallObservationInterceptor.rpcError(
      for: DatabaseError(resultCode: .SQLITE_BUSY), method: "m", logger: logger)
    #expect(busy.code == .unavailable)
    struct Surprise: Error {}
    let surprise = CallObservationInterceptor.rpcError(for: Surprise(), method: "pkg.S/M", logger: logger)
    #expect(surprise.code == .internalError)
    #expect(surprise.message.contains("pkg.S/M"))
    let domain = CallObservationInterceptor.rpcError(
      for: DomainError.notFound(resource: "grid", id: "g"), method: "m", logger: logger)
    #expect(domain.code == .notFound)
  }
}
