import CompressNIO
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// What the Connect protocol's unary calls carry besides the message: the codec, the
/// compression of the request and the compressions the client accepts for the answer
/// (connectrpc.com/docs/protocol, "Unary-Request" and "Unary-GET-Request").
struct ConnectUnaryRequest {
  /// The request message, decompressed.
  var message: ByteBuffer
  /// JSON (`application/json`, `encoding=json`) or binary protobuf (`application/proto`, `encoding=proto`).
  var json: Bool
  /// Whether the answer may be gzip-compressed (`Accept-Encoding` names gzip).
  var acceptsGzip: Bool

  /// The codecs served, by their Connect names.
  static let codecs = ["json": true, "proto": false]
  /// The compressions understood, by their names in `Content-Encoding` and `compression=`.
  static let compressions = ["gzip", "identity"]
  /// Answers smaller than this are sent as they are: gzip would save little or make them larger.
  static let compressionThreshold = 1024

  /// The codec a POST names in `Content-Type`: JSON (true) for `application/json`, binary for
  /// `application/proto`.
  /// - Throws: `ConnectError` with HTTP 415 for any other (or none).
  static func codec(of request: Request) throws -> Bool {
    let contentType = request.headers[.contentType]?.lowercased() ?? ""
    let codec = contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
    guard codec.hasPrefix("application/"), let json = codecs[String(codec.dropFirst("application/".count))] else {
      throw ConnectError.unsupportedMediaType(contentType)
    }
    return json
  }

  /// Reads a POST's body, of codec `json`: `Content-Encoding` gzip or identity (`unimplemented`
  /// otherwise), at most `maximumBody` bytes once decompressed (`resource_exhausted`).
  static func post(_ request: Request, json: Bool, maximumBody: Int) async throws -> ConnectUnaryRequest {
    let body = try await request.body.collect(upTo: maximumBody)
    let message = try decompress(
      body, encoding: request.headers[.contentEncoding], setting: "Content-Encoding", maximumBody: maximumBody)
    return ConnectUnaryRequest(message: message, json: json, acceptsGzip: acceptsGzip(request))
  }

  /// Reads a GET: `?connect=v1&encoding=json|proto&message=...&base64=1&compression=gzip`, the
  /// message URL-encoded, or base64url (padding optional) when `base64=1`.
  static func get(_ request: Request, maximumBody: Int) throws -> ConnectUnaryRequest {
    func text(_ name: String) throws -> String? {
      try ConnectController.formValue(name, in: request).map { String(decoding: $0, as: UTF8.self) }
    }
    if let version = try text("connect"), version != "v1" {
      throw ConnectError(
        .invalidArgument, "connect=\(version) is not a Connect protocol version this gateway speaks (v1)")
    }
    guard let encoding = try text("encoding") else {
      throw ConnectError(.invalidArgument, "a GET call names its codec: encoding=json or encoding=proto")
    }
    guard let json = codecs[encoding] else { throw ConnectError.unsupportedMediaType("encoding=\(encoding)") }
    // The message as bytes: binary protobuf sent without base64 is percent-encoded bytes, not text.
    var bytes = try ConnectController.formValue("message", in: request) ?? Data()
    if try text("base64") == "1" {
      var base64 = String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: "-", with: "+")
        .replacingOccurrences(of: "_", with: "/")
      base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
      guard let decoded = Data(base64Encoded: base64) else {
        throw ConnectError(.invalidArgument, "message= is not base64url although base64=1")
      }
      bytes = decoded
    }
    guard bytes.count <= maximumBody else {
      throw ConnectError(.resourceExhausted, "message= is larger than \(maximumBody) bytes")
    }
    let message = try decompress(
      ByteBuffer(data: bytes), encoding: try text("compression"), setting: "compression=", maximumBody: maximumBody)
    return ConnectUnaryRequest(message: message, json: json, acceptsGzip: acceptsGzip(request))
  }

  /// `body` decoded from `encoding` (absent or identity: as it is; gzip: inflated to at most
  /// `maximumBody` bytes).
  /// - Throws: `ConnectError` unimplemented for another encoding, invalid_argument for bytes that
  ///   are not gzip, resource_exhausted for more than `maximumBody` bytes inflated.
  static func decompress(_ body: ByteBuffer, encoding: String?, setting: String, maximumBody: Int) throws -> ByteBuffer
  {
    switch encoding?.lowercased().trimmingCharacters(in: .whitespaces) {
    case nil, "", "identity":
      return body
    case "gzip":
      var compressed = body
      let inflated: ByteBuffer
      do {
        // One byte over the limit is asked for: compress-nio 1.5.0 may stop at the limit without
        // an error (docs/UPSTREAM.md), so a body that reaches it is taken as over it.
        inflated = try compressed.decompress(with: .gzip(), maxSize: maximumBody + 1)
      } catch let error as CompressNIOError where error == .bufferOverflow {
        throw ConnectError(.resourceExhausted, "the body inflates to more than \(maximumBody) bytes")
      } catch {
        throw ConnectError(.invalidArgument, "the body is not valid gzip although \(setting) says gzip")
      }
      guard inflated.readableBytes <= maximumBody else {
        throw ConnectError(.resourceExhausted, "the body inflates to more than \(maximumBody) bytes")
      }
      // compress-nio takes a stream cut short as complete: the gzip trailer's ISIZE (RFC 1952
      // §2.3.1, the inflated length modulo 2^32) must be there and agree.
      guard body.readableBytes >= 18,
        let size = body.getInteger(at: body.writerIndex - 4, endianness: .little, as: UInt32.self),
        size == UInt32(truncatingIfNeeded: inflated.readableBytes)
      else {
        throw ConnectError(.invalidArgument, "the gzip body is cut short (its trailer is missing or disagrees)")
      }
      return inflated
    case let other?:
      throw ConnectError(
        .unimplemented, "\(setting) '\(other)' is not supported: send gzip or identity", acceptEncoding: true)
    }
  }

  /// Whether `Accept-Encoding` names gzip with a quality above zero (RFC 9110 §12.5.3).
  static func acceptsGzip(_ request: Request) -> Bool {
    guard let header = request.headers[.acceptEncoding] else { return false }
    return header.split(separator: ",").contains { entry in
      let parts = entry.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
      guard parts.first == "gzip" || parts.first == "*" else { return false }
      let quality = parts.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
      return quality > 0
    }
  }

  /// The answer: `Content-Type` of the codec, gzip-compressed when the client accepts it and it
  /// is worth it.
  func response(_ answer: Data) -> Response {
    var headers: HTTPFields = [.contentType: json ? "application/json" : "application/proto"]
    var body = ByteBuffer(data: answer)
    if acceptsGzip, answer.count >= Self.compressionThreshold, let compressed = try? body.compress(with: .gzip()) {
      body = compressed
      headers[.contentEncoding] = "gzip"
    }
    headers[.vary] = "Accept-Encoding"
    return Response(status: .ok, headers: headers, body: .init(byteBuffer: body))
  }
}

extension ConnectError {
  /// 415 for a codec this gateway does not serve, naming what it does.
  static func unsupportedMediaType(_ given: String) -> ConnectError {
    var error = ConnectError(
      .invalidArgument,
      "Content-Type '\(given)' is not served: send application/json or application/proto (GET: encoding=json or encoding=proto)"
    )
    error.httpStatus = .unsupportedMediaType
    return error
  }
}
