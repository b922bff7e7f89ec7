import GRPCCore
import GRPCProtobuf
import SwiftProtobuf

extension RPCRouter {
  /// Registers one unary protobuf method by its generated descriptor.
  ///
  /// A service registers the methods it serves; a method of its contract not yet registered
  /// answers UNIMPLEMENTED, as gRPC requires, rather than a stub that pretends to work.
  public mutating func registerUnary<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
    _ method: MethodDescriptor,
    handler: @escaping @Sendable (Request, ServerContext) async throws -> Response
  ) {
    registerHandler(
      forMethod: method,
      deserializer: ProtobufDeserializer<Request>(),
      serializer: ProtobufSerializer<Response>()
    ) { request, context in
      let single = try await ServerRequest(stream: request)
      let response = try await handler(single.message, context)
      return StreamingServerResponse(single: ServerResponse(message: response))
    }
  }
}

extension RPCRouter {
  /// Registers one server-streaming protobuf method: `handler` writes messages until it returns.
  public mutating func registerServerStreaming<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
    _ method: MethodDescriptor,
    handler: @escaping @Sendable (Request, RPCWriter<Response>, ServerContext) async throws -> Void
  ) {
    registerHandler(
      forMethod: method,
      deserializer: ProtobufDeserializer<Request>(),
      serializer: ProtobufSerializer<Response>()
    ) { request, context in
      let single = try await ServerRequest(stream: request)
      return StreamingServerResponse(metadata: [:]) { writer in
        try await handler(single.message, writer, context)
        return [:]
      }
    }
  }
}

extension RPCRouter {
  /// Registers one client-streaming protobuf method: `handler` reads the requests and answers once.
  public mutating func registerClientStreaming<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
    _ method: MethodDescriptor,
    handler: @escaping @Sendable (RPCAsyncSequence<Request, any Error>, ServerContext) async throws -> Response
  ) {
    registerHandler(
      forMethod: method,
      deserializer: ProtobufDeserializer<Request>(),
      serializer: ProtobufSerializer<Response>()
    ) { request, context in
      let response = try await handler(request.messages, context)
      return StreamingServerResponse(single: ServerResponse(message: response))
    }
  }
}
