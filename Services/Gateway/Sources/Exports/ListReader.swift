import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import GRPCProtobuf
import GovernanceAPI
import ServiceKit
import SwiftProtobuf

/// Reads any List method page by page as the caller: each page's records as proto3 JSON objects
/// (which leave out fields holding their default value) and the next page's token.
struct ListReader: Sendable {
  /// One page: the records under the response's repeated field `key`, and the token of the next
  /// page (empty after the last).
  struct Page: @unchecked Sendable {
    let key: String
    let records: [[String: Any]]
    let nextToken: String
  }

  let entry: CatalogMethod
  let client: GRPCClient<HTTP2ClientTransport.Posix>
  /// The request's fields but paging, as a JSON object.
  let filters: Data
  let principal: Principal
  /// The response's field holding the records, when known; else its first repeated field.
  let key: String?

  init(
    entry: CatalogMethod, client: GRPCClient<HTTP2ClientTransport.Posix>, filters: Data,
    principal: Principal, key: String?
  ) {
    self.key = key
    self.entry = entry
    self.client = client
    self.filters = filters
    self.principal = principal
  }

  /// The page after `token` ("" for the first). Throws the service's refusal as it came.
  func page(token: String) async throws -> Page {
    var fields = try JSONSerialization.jsonObject(with: filters) as? [String: Any] ?? [:]
    fields["pageSize"] = ExportController.pageSize
    fields["pageToken"] = token
    let object = try await entry.input.listPage(
      fields: try JSONSerialization.data(withJSONObject: fields), output: entry.output, reader: self)
    let found = key ?? object.keys.sorted().first { object[$0] is [Any] } ?? ""
    return Page(
      key: found, records: object[found] as? [[String: Any]] ?? [],
      nextToken: object["nextPageToken"] as? String ?? "")
  }
}

extension SwiftProtobuf.Message {
  /// One page of `reader`'s list: this type is its request, `output` its response; the answer as
  /// a JSON object.
  fileprivate static func listPage(fields: Data, output: any SwiftProtobuf.Message.Type, reader: ListReader)
    async throws -> [String: Any]
  {
    try await output.listAnswer(to: try Self(jsonUTF8Data: fields), reader: reader)
  }

  /// The answer of `reader`'s method to `input`, this type being its response.
  fileprivate static func listAnswer<Input: SwiftProtobuf.Message>(to input: Input, reader: ListReader)
    async throws -> [String: Any]
  {
    let output = try await Principal.$current.withValue(reader.principal) {
      try await reader.client.unary(
        request: ClientRequest(message: input),
        descriptor: MethodDescriptor(fullyQualifiedService: reader.entry.service, method: reader.entry.method),
        serializer: ProtobufSerializer<Input>(), deserializer: ProtobufDeserializer<Self>(),
        options: .defaults
      ) { try $0.message }
    }
    return try JSONSerialization.jsonObject(with: try output.jsonUTF8Data()) as? [String: Any] ?? [:]
  }
}
