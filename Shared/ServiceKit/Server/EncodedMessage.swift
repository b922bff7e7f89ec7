import GRPCCore
import GRPCProtobuf
import SwiftProtobuf

/// A protobuf message already in its wire form: an answer assembled from records stored as
/// protobuf bytes (`StoredMessage`), sent as they are rather than decoded into a message and
/// encoded again. A list page of fifty cases spent a third of the grid service's time on that
/// round trip (docs/PERFORMANCE.md).
public struct EncodedMessage<Message: SwiftProtobuf.Message>: EncodedAnswer {
  /// The message's binary encoding.
  public let bytes: [UInt8]

  /// Bytes that are already a valid binary encoding of `Message`; nothing checks them.
  public init(bytes: [UInt8]) {
    self.bytes = bytes
  }

  /// Encodes `message`. Throws SwiftProtobuf's `BinaryEncodingError` for a message missing
  /// required fields (proto3 messages have none).
  public init(_ message: Message) throws {
    self.bytes = try message.serializedBytes()
  }

  /// The message the bytes encode. Throws SwiftProtobuf's `BinaryDecodingError` for bytes that
  /// are not one.
  public func decoded() throws -> Message {
    try Message(serializedBytes: bytes)
  }

  /// `decoded()`, as the interceptor asks for it.
  public func decodedMessage() throws -> any SwiftProtobuf.Message {
    try decoded()
  }

  /// Sends the bytes as they are: the serializer a route answering with an `EncodedMessage`
  /// registers in place of `ProtobufSerializer`.
  public struct Serializer: MessageSerializer {
    public init() {}

    public func serialize<Bytes: GRPCContiguousBytes>(_ message: EncodedMessage) throws -> Bytes {
      Bytes(message.bytes)
    }
  }
}

/// An answer sent as encoded bytes, which the call interceptor decodes to hold it to the
/// caller's jurisdiction (`Authorization.checkResponse`) as it does every other answer.
public protocol EncodedAnswer: Sendable {
  /// The message the bytes encode. Throws SwiftProtobuf's `BinaryDecodingError`.
  func decodedMessage() throws -> any SwiftProtobuf.Message
}

extension RPCRouter {
  /// Registers `method`, a unary RPC, answering with an `EncodedMessage`: in place of the route
  /// the generated `registerMethods` made for it, when called after that. Interceptors run as
  /// for any route.
  public mutating func registerUnary<Input: SwiftProtobuf.Message, Output: SwiftProtobuf.Message>(
    _ method: MethodDescriptor, answer: @escaping @Sendable (Input) async throws -> EncodedMessage<Output>
  ) {
    registerHandler(
      forMethod: method, deserializer: ProtobufDeserializer<Input>(), serializer: EncodedMessage<Output>.Serializer()
    ) { request, _ in
      let single = try await ServerRequest(stream: request)
      return StreamingServerResponse(single: ServerResponse(message: try await answer(single.message)))
    }
  }
}

/// Writes protobuf's wire format around bytes that are already encoded messages, following the
/// Protocol Buffers encoding guide (protobuf.dev/programming-guides/encoding): a length-delimited
/// field is its key (the field number shifted left by three, or'd with wire type 2) as a varint,
/// the length as a varint, then the bytes. A repeated message field is that, once per element.
public struct ProtobufWriter: Sendable {
  /// What has been written so far.
  public private(set) var bytes: [UInt8] = []

  /// An empty message; `capacity` is a guess of its final size in bytes.
  public init(capacity: Int = 0) {
    bytes.reserveCapacity(capacity)
  }

  /// Appends field `number` (1 to 536,870,911) holding `value`: an encoded message, a string's
  /// UTF-8 or raw bytes.
  public mutating func appendLengthDelimited(field number: Int, _ value: some Collection<UInt8>) {
    precondition(number > 0 && number < 1 << 29, "protobuf field numbers run from 1 to 2^29 - 1")
    appendVarint(UInt64(number) << 3 | 2)
    appendVarint(UInt64(value.count))
    bytes.append(contentsOf: value)
  }

  /// Appends field `number` holding `text`, unless it is empty: proto3 leaves an empty string
  /// off the wire.
  public mutating func appendString(field number: Int, _ text: String) {
    guard !text.isEmpty else { return }
    appendLengthDelimited(field: number, text.utf8)
  }

  private mutating func appendVarint(_ value: UInt64) {
    var rest = value
    while rest >= 0x80 {
      bytes.append(UInt8(truncatingIfNeeded: rest) | 0x80)
      rest >>= 7
    }
    bytes.append(UInt8(rest))
  }
}
