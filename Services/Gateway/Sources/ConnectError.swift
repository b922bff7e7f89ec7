import Foundation
import GRPCCore
import HTTPTypes
import Hummingbird
import NIOCore
import ServiceKit

/// A Connect-protocol error: an HTTP status and `{"code": ..., "message": ...}`
/// (connectrpc.com/docs/protocol, "Error Codes").
struct ConnectError: HTTPResponseError {
  var code: RPCError.Code
  var message: String
  /// Set where the protocol asks for another status than the code's (415 for an unserved codec).
  var httpStatus: HTTPResponse.Status?
  /// Whether the answer lists the request compressions served (`Accept-Encoding`).
  var acceptEncoding = false

  /// Connect's names and HTTP statuses for gRPC codes.
  var connect: (name: String, status: HTTPResponse.Status) {
    switch code {
    case .cancelled: ("canceled", .init(code: 499))
    case .invalidArgument: ("invalid_argument", .badRequest)
    case .deadlineExceeded: ("deadline_exceeded", .gatewayTimeout)
    case .notFound: ("not_found", .notFound)
    case .alreadyExists: ("already_exists", .conflict)
    case .permissionDenied: ("permission_denied", .forbidden)
    case .resourceExhausted: ("resource_exhausted", .tooManyRequests)
    case .failedPrecondition: ("failed_precondition", .badRequest)
    case .aborted: ("aborted", .conflict)
    case .outOfRange: ("out_of_range", .badRequest)
    case .unimplemented: ("unimplemented", .notImplemented)
    case .unavailable: ("unavailable", .serviceUnavailable)
    case .unauthenticated: ("unauthenticated", .unauthorized)
    default: ("internal", .internalServerError)
    }
  }

  var status: HTTPResponse.Status { httpStatus ?? connect.status }

  /// The error's JSON body, `{"code": ..., "message": ...}`.
  struct Body: Encodable {
    var code: String
    var message: String
  }

  func response(from request: Request, context: some RequestContext) -> Response { response }

  var response: Response {
    var response = JSONAnswer.response(Body(code: connect.name, message: message), status: status)
    if httpStatus == .unsupportedMediaType {
      response.headers[HTTPField.Name("Accept-Post")!] = "application/json, application/proto"
    }
    if acceptEncoding { response.headers[.acceptEncoding] = ConnectUnaryRequest.compressions.joined(separator: ", ") }
    return response
  }

  init(_ code: RPCError.Code, _ message: String, acceptEncoding: Bool = false) {
    self.code = code
    self.message = message
    self.acceptEncoding = acceptEncoding
  }

  init(_ error: any Error) {
    switch error {
    case let error as ConnectError: self = error
    case let error as RPCError: self.init(error.code, error.message)
    case let error as any RPCErrorConvertible: self.init(RPCError(error).code, RPCError(error).message)
    case let error as HTTPError where error.status == .contentTooLarge:
      self.init(.resourceExhausted, "the body is larger than \(ConnectController.maximumBody) bytes")
    case let error as NIOTooManyBytesError:
      // What Hummingbird's body collection throws past its limit.
      self.init(
        .resourceExhausted, "the body is larger than \(error.maxBytes.map(String.init) ?? "the limit of") bytes")
    default: self.init(.internalError, "internal error at the gateway")
    }
  }
}

/// Answers the gateway writes itself (sign-in, the audit trail, the feed, errors) as JSON from
/// `Encodable` values, keys sorted.
enum JSONAnswer {
  static func response(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
    Response(
      status: status, headers: [.contentType: "application/json"],
      body: .init(byteBuffer: ByteBuffer(data: encode(value))))
  }

  /// The answer's bytes: keys sorted, `/` escaped, numbers as `JSONSerialization` writes them.
  static func encode(_ value: some Encodable) -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    return (try? encoder.encode(value)) ?? Data("{}".utf8)
  }
}
