import NIOCore
import NIOHPACK
import NIOHTTP2

/// Stands in front of the gRPC transport on every HTTP/2 stream a service accepts, so that what
/// an untrusted peer puts in a request's headers and message framing is answered with a status
/// instead of reaching code that traps or resets the stream.
///
/// What it answers itself, with a trailers-only response (HTTP 200, `grpc-status`,
/// `grpc-message` naming the field and the rule; PROTOCOL-HTTP2.md of the gRPC repository):
/// - `grpc-timeout` that is not 1 to 8 ASCII digits followed by one of `H M S m u n`:
///   INVALID_ARGUMENT. (grpc-swift-2 2.4.3 traps on a negative amount: docs/UPSTREAM.md.)
/// - a message whose compressed flag is set while the request names no `grpc-encoding` (or
///   `identity`), or whose flag is neither 0 nor 1: INTERNAL, as the protocol asks.
/// - a message longer than `maximumMessageSize`: RESOURCE_EXHAUSTED.
///
/// What it reshapes: request HEADERS carrying END_STREAM (no message at all) are passed on as
/// HEADERS followed by an empty DATA frame with END_STREAM, which the transport answers at once
/// (given as they came, it never learns the request ended and the call hangs).
///
/// Everything else, content-type, `:method`, `:path`, an unsupported `grpc-encoding`, is left to
/// the transport, which already answers those with a status.
public final class GRPCStreamGuard: ChannelDuplexHandler, RemovableChannelHandler {
  public typealias InboundIn = HTTP2Frame.FramePayload
  public typealias InboundOut = HTTP2Frame.FramePayload
  public typealias OutboundIn = HTTP2Frame.FramePayload
  public typealias OutboundOut = HTTP2Frame.FramePayload

  /// A refusal: the status code (gRPC's numbering) and the message.
  struct Refusal: Equatable {
    var code: Int
    var message: String
  }

  private enum State {
    /// No request headers yet.
    case idle
    /// Headers passed on; messages are read for their 5-byte prefixes.
    case framing
    /// Headers passed on with a compression the transport decodes (or refuses) itself.
    case passing
    /// Answered here: whatever else the peer sends on the stream is dropped.
    case answered
  }

  private let maximumMessageSize: Int
  private var state = State.idle
  private var framing = MessageFraming()
  /// Whether the server has sent its response headers (a later answer is then trailers only).
  private var responseStarted = false
  private var responseEnded = false

  /// - Parameter maximumMessageSize: the largest message, in bytes, the transport reads.
  public init(maximumMessageSize: Int) {
    self.maximumMessageSize = maximumMessageSize
  }

  public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    let frame = unwrapInboundIn(data)
    switch (state, frame) {
    case (.answered, _):
      return
    case (.idle, .headers(var headers)):
      if let refusal = Self.check(headers.headers) {
        // A request still open is reset after the answer, so it holds no stream slot.
        answer(refusal, context: context, close: !headers.endStream)
        return
      }
      state = Self.namesCompression(headers.headers) ? .passing : .framing
      guard headers.endStream else {
        context.fireChannelRead(data)
        return
      }
      headers.endStream = false
      context.fireChannelRead(wrapInboundOut(.headers(headers)))
      let end = HTTP2Frame.FramePayload.Data(
        data: .byteBuffer(context.channel.allocator.buffer(capacity: 0)), endStream: true)
      context.fireChannelRead(wrapInboundOut(.data(end)))
    case (.framing, .data(let payload)):
      if case .byteBuffer(let buffer) = payload.data,
        let refusal = framing.read(buffer, maximumMessageSize: maximumMessageSize)
      {
        answer(refusal, context: context, close: true)
        return
      }
      context.fireChannelRead(data)
    default:
      context.fireChannelRead(data)
    }
  }

  public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
    if case .headers(let headers) = unwrapOutboundIn(data) {
      responseStarted = true
      responseEnded = responseEnded || headers.endStream
    }
    context.write(data, promise: promise)
  }

  /// Ends the stream with `refusal`. After the request's headers went on, the call already
  /// running behind is ended too (`close`), so nothing waits for messages that will not come.
  private func answer(_ refusal: Refusal, context: ChannelHandlerContext, close: Bool) {
    state = .answered
    if !responseEnded {
      var headers = HPACKHeaders()
      if !responseStarted {
        headers.add(name: ":status", value: "200")
        headers.add(name: "content-type", value: "application/grpc")
      }
      headers.add(name: "grpc-status", value: String(refusal.code))
      headers.add(name: "grpc-message", value: Self.percentEncoded(refusal.message))
      responseStarted = true
      responseEnded = true
      context.writeAndFlush(wrapOutboundOut(.headers(.init(headers: headers, endStream: true))), promise: nil)
    }
    if close { context.close(promise: nil) }
  }

  /// The rule for request headers the transport would trust: `grpc-timeout` is 1 to 8 ASCII
  /// digits and a unit (PROTOCOL-HTTP2.md, "Timeout"). Returns the refusal, or nil.
  static func check(_ headers: HPACKHeaders) -> Refusal? {
    for value in headers["grpc-timeout"] where !isTimeout(value) {
      let shown = value.count > 20 ? String(value.prefix(20)) + "…" : String(value)
      return Refusal(
        code: 3,
        message: "grpc-timeout '\(shown)' is not 1 to 8 ASCII digits followed by H, M, S, m, u or n")
    }
    return nil
  }

  /// Whether `value` is a gRPC timeout: `TimeoutValue TimeoutUnit`, the value 1 to 8 ASCII digits.
  static func isTimeout(_ value: some StringProtocol) -> Bool {
    let bytes = Array(value.utf8)
    guard (2...9).contains(bytes.count), let unit = bytes.last, Array("HMSmun".utf8).contains(unit) else {
      return false
    }
    return bytes.dropLast().allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
  }

  /// Whether the request names a compression other than `identity`: the transport then owns the
  /// framing (it refuses every compression this server does not enable).
  static func namesCompression(_ headers: HPACKHeaders) -> Bool {
    headers[canonicalForm: "grpc-encoding"].contains { $0.lowercased() != "identity" }
  }

  /// `grpc-message` is percent-encoded UTF-8 (PROTOCOL-HTTP2.md, "Responses").
  static func percentEncoded(_ message: String) -> String {
    var encoded = ""
    for byte in message.utf8 {
      if byte >= 0x20, byte <= 0x7E, byte != UInt8(ascii: "%") {
        encoded.unicodeScalars.append(Unicode.Scalar(byte))
      } else {
        encoded += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
      }
    }
    return encoded
  }
}

/// The 5-byte prefixes of length-prefixed gRPC messages (a compressed flag, then a big-endian
/// length), followed across DATA frames of any size.
struct MessageFraming {
  private var prefix: [UInt8] = []
  /// Bytes of the current message still to come.
  private var remaining = 0

  /// Reads the next bytes of the request; the refusal for the first bad prefix, or nil.
  mutating func read(_ buffer: ByteBuffer, maximumMessageSize: Int) -> GRPCStreamGuard.Refusal? {
    var buffer = buffer
    while buffer.readableBytes > 0 {
      if remaining > 0 {
        let skipped = min(remaining, buffer.readableBytes)
        buffer.moveReaderIndex(forwardBy: skipped)
        remaining -= skipped
        continue
      }
      prefix.append(buffer.readInteger(as: UInt8.self)!)
      guard prefix.count == 5 else { continue }
      let flag = prefix[0]
      let length = prefix[1...].reduce(0) { $0 << 8 | Int($1) }
      prefix.removeAll(keepingCapacity: true)
      switch flag {
      case 0: break
      case 1:
        return .init(code: 13, message: "the message's compressed flag is set but the request names no grpc-encoding")
      default:
        return .init(code: 13, message: "the message's compressed flag is \(flag); it must be 0 or 1")
      }
      guard length <= maximumMessageSize else {
        return .init(code: 8, message: "a message of \(length) bytes is over the limit of \(maximumMessageSize)")
      }
      remaining = length
    }
    return nil
  }
}

extension String {
  fileprivate func leftPadded(to width: Int) -> String {
    count >= width ? self : String(repeating: "0", count: width - count) + self
  }
}

/// Sits on each HTTP/2 connection between swift-nio-http2's handler and the gRPC transport's
/// connection handler, for two faults of the connection as a whole (docs/UPSTREAM.md):
/// - A malformed request (RFC 9113 §8.1.1: a `te` other than `trailers`, a bad pseudo-header, a
///   forbidden or invalid field) is kept to the one stream it was sent on. swift-nio-http2 resets
///   that stream with PROTOCOL_ERROR and reports the error down the pipeline, where the transport
///   closes the whole connection on any error it does not know; here those errors end.
/// - Once the server has sent GOAWAY (idle, or shutting down), the peer has `goAwayGrace` to
///   finish; then the connection is closed. The transport waits for the peer to acknowledge a
///   ping first, so a peer that never answers would hold the connection for ever.
public final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
  public typealias InboundIn = HTTP2Frame
  public typealias InboundOut = HTTP2Frame
  public typealias OutboundIn = HTTP2Frame
  public typealias OutboundOut = HTTP2Frame

  private let goAwayGrace: TimeAmount
  private var closing: Scheduled<Void>?

  /// - Parameter goAwayGrace: how long a connection may stay open after the server's GOAWAY.
  public init(goAwayGrace: TimeAmount) {
    self.goAwayGrace = goAwayGrace
  }

  /// Whether `error` is one swift-nio-http2 raises for a malformed request block, after which it
  /// has already reset the stream and carries on with the connection.
  static func isStreamScoped(_ error: any Error) -> Bool {
    switch error {
    case is NIOHTTP2Errors.ForbiddenHeaderField, is NIOHTTP2Errors.MissingPseudoHeader,
      is NIOHTTP2Errors.DuplicatePseudoHeader, is NIOHTTP2Errors.PseudoHeaderAfterRegularHeader,
      is NIOHTTP2Errors.UnknownPseudoHeader, is NIOHTTP2Errors.UnsupportedPseudoHeader,
      is NIOHTTP2Errors.InvalidPseudoHeaders, is NIOHTTP2Errors.MissingHostHeader,
      is NIOHTTP2Errors.DuplicateHostHeader, is NIOHTTP2Errors.EmptyPathHeader,
      is NIOHTTP2Errors.InvalidPseudoHeaderValue, is NIOHTTP2Errors.InvalidHTTP2HeaderFieldName,
      is NIOHTTP2Errors.InvalidHTTP2HeaderFieldValue, is NIOHTTP2Errors.ContentLengthViolated,
      is NIOHTTP2Errors.ContentLengthHeadersMismatch, is NIOHTTP2Errors.ContentLengthHeaderNegative,
      is NIOHTTP2Errors.ContentLengthHeaderMalformedValue, is NIOHTTP2Errors.TrailersWithoutEndStream:
      true
    default:
      false
    }
  }

  public func errorCaught(context: ChannelHandlerContext, error: any Error) {
    guard !Self.isStreamScoped(error) else { return }
    context.fireErrorCaught(error)
  }

  public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
    if closing == nil, case .goAway = unwrapOutboundIn(data).payload {
      let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
      closing = context.eventLoop.scheduleTask(in: goAwayGrace) { loopBound.value.close(promise: nil) }
    }
    context.write(data, promise: promise)
  }

  public func channelInactive(context: ChannelHandlerContext) {
    closing?.cancel()
    closing = nil
    context.fireChannelInactive()
  }
}
