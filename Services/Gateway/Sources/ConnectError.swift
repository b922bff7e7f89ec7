import Foundation
import GRPCCore
import GRPCProtobuf
import GovernanceAPI
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceKit

/// A Connect-protocol error: an HTTP status and `{"code": ..., "message": ..., "details": [...]}`
/// (connectrpc.com/docs/protocol, "Error Codes" and "Error details").
struct ConnectError: HTTPResponseError {
  var code: RPCError.Code
  var message: String
  /// What a service sent in its status's details (google.rpc.ErrorInfo, google.rpc.BadRequest),
  /// handed on unchanged.
  var details: [Detail] = []
  /// Set where the protocol asks for another status than the code's (415 for an unserved codec).
  var httpStatus: HTTPResponse.Status?
  /// Whether the answer lists the request compressions served (`Accept-Encoding`).
  var acceptEncoding = false
  /// Seconds until a refused request may be sent again (`Retry-After`, RFC 9110 §10.2.3), for a
  /// rate limit reached.
  var retryAfter: Int?

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

  /// The error's JSON body, `{"code": ..., "message": ..., "details": [...]}`, details left out
  /// when there are none.
  struct Body: Encodable {
    var code: String
    var message: String
    var details: [Detail]?
  }

  /// One error detail as Connect sends it: the message's type name (`google.rpc.ErrorInfo`),
  /// its protobuf bytes in standard base64 without padding, and, for people and for clients
  /// that read JSON, the message as JSON (`debug`).
  struct Detail: Encodable, Equatable {
    var type: String
    var value: String
    var debug: Debug?
  }

  /// The JSON of the details the services send (proto3 JSON names).
  struct Debug: Encodable, Equatable {
    var reason: String?
    var domain: String?
    var metadata: [String: String]?
    var fieldViolations: [FieldViolation]?

    struct FieldViolation: Encodable, Equatable {
      var field: String
      var description: String
    }
  }

  /// The details in a status's `grpc-status-details-bin` trailer, or none when it is absent or
  /// unreadable.
  static func details(of error: RPCError) -> [Detail] {
    guard let bytes = error.metadata[binaryValues: "grpc-status-details-bin"].first(where: { _ in true }),
      let status = try? Google_Rpc_Status(serializedBytes: bytes)
    else { return [] }
    let typed = (try? GoogleRPCStatus(serializedBytes: bytes))?.details ?? []
    return status.details.enumerated().map { index, any in
      var value = Data(any.value).base64EncodedString()
      while value.hasSuffix("=") { value.removeLast() }
      let detail = typed.indices.contains(index) ? typed[index] : nil
      var debug: Debug?
      if let info = detail?.errorInfo {
        debug = Debug(reason: info.reason, domain: info.domain, metadata: info.metadata)
      } else if let badRequest = detail?.badRequest {
        debug = Debug(
          fieldViolations: badRequest.violations.map { .init(field: $0.field, description: $0.violationDescription) })
      }
      return Detail(type: String(any.typeURL.split(separator: "/").last ?? ""), value: value, debug: debug)
    }
  }

  func response(from request: Request, context: some RequestContext) -> Response { response }

  var response: Response {
    if let cause { Self.log.error("internal error at the gateway", metadata: ["error": "\(cause)"]) }
    var response = JSONAnswer.response(
      Body(code: connect.name, message: message, details: details.isEmpty ? nil : details), status: status)
    if httpStatus == .unsupportedMediaType {
      response.headers[HTTPField.Name("Accept-Post")!] = "application/json, application/proto"
    }
    if acceptEncoding { response.headers[.acceptEncoding] = ConnectUnaryRequest.compressions.joined(separator: ", ") }
    if let retryAfter { response.headers[.retryAfter] = String(retryAfter) }
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
    case let error as RPCError:
      self.init(error.code, error.message)
      details = Self.details(of: error)
    case let error as any RPCErrorConvertible:
      self.init(RPCError(error))
    case let error as HTTPError where error.status == .contentTooLarge:
      self.init(
        .resourceExhausted,
        """
        the body is larger than the call takes: \(ConnectController.maximumReadBody) bytes for a read, \
        \(ConnectController.maximumBody) for a change
        """)
    case let error as NIOTooManyBytesError:
      // What Hummingbird's body collection throws past its limit.
      self.init(
        .resourceExhausted, "the body is larger than \(error.maxBytes.map(String.init) ?? "the limit of") bytes")
    case XLSXWriterError.tooManyRows(let limit):
      self.init(
        .resourceExhausted, "a sheet of a workbook holds at most \(limit) rows, its header included; ask for fewer rows"
      )
    case XLSXWriterError.tooManyColumns(let limit):
      self.init(.resourceExhausted, "a sheet of a workbook holds at most \(limit) columns")
    case is CancellationError:
      // The call was given up (its client went away, the gateway is stopping): no fault here.
      self.init(.cancelled, "the call was cancelled")
    default:
      // The caller learns no more than this; `response` logs what it was, for whoever runs the
      // gateway (a 500 nobody can explain is a fault that stays).
      self.init(.internalError, "internal error at the gateway")
      cause = String(reflecting: error)
    }
  }

  /// The error the gateway did not expect behind an internal error, logged with its answer.
  var cause: String?

  /// Where the errors the gateway did not expect are written.
  private static let log = Logger(label: "gateway")
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
