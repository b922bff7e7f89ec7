import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import GRPCProtobuf
import GovernanceAPI
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceKit
import SwiftProtobuf

/// The Connect API: unary calls to every RPC the caller's role allows (POST, or GET for a method
/// marked `NO_SIDE_EFFECTS`) at `/<service>/<method>`, and server streams as server-sent events
/// at `/stream/<service>/<method>` (connectrpc.com/docs/protocol).
struct ConnectController: Sendable {
  static let csrfHeader = HTTPField.Name("X-CSRF-Token")!
  static let maximumBody = 4 * 1024 * 1024
  /// The largest body of a read (a method marked `NO_SIDE_EFFECTS`): its filters, ids and page
  /// token fit in far less, and every byte of a string field costs the services time to check.
  static let maximumReadBody = 64 * 1024

  let store: GatewayStore
  let peers: PeerClients
  let streams: StreamRelay
  let methods: [String: CatalogMethod]

  init(store: GatewayStore, peers: PeerClients, streams: StreamRelay) {
    self.store = store
    self.peers = peers
    self.streams = streams
    self.methods = Dictionary(uniqueKeysWithValues: MethodCatalog.methods.map { ($0.fullName, $0) })
  }

  var endpoints: RouteCollection<GatewayRequestContext> {
    let routes = RouteCollection(context: GatewayRequestContext.self)
    routes.get("stream/:service/:method") { request, context in
      await stream(
        request, context: context, service: context.parameters.get("service") ?? "",
        method: context.parameters.get("method") ?? "")
    }
    routes.post(":service/:method") { request, context in
      await unary(
        request, context: context, service: context.parameters.get("service") ?? "",
        method: context.parameters.get("method") ?? "")
    }
    routes.get(":service/:method") { request, context in
      await unary(
        request, context: context, service: context.parameters.get("service") ?? "",
        method: context.parameters.get("method") ?? "", get: true)
    }
    return routes
  }

  static func identity(of service: String) -> ServiceIdentity? {
    ServiceIdentity.domainServices.first { $0.grpcServiceName == service }
  }

  // MARK: Who is calling

  /// The deadline a Connect client sets with `Connect-Timeout-Ms`, passed on to the service.
  static func connectTimeout(_ request: Request) throws -> Duration? {
    guard let value = request.headers[HTTPField.Name("Connect-Timeout-Ms")!] else { return nil }
    guard value.count <= 10, let milliseconds = Int64(value), milliseconds > 0 else {
      throw ConnectError(
        .invalidArgument, "Connect-Timeout-Ms must be a positive whole number of milliseconds, at most 10 digits")
    }
    return .milliseconds(milliseconds)
  }

  /// The rule "a console session's state-changing request carries its CSRF token".
  static func checkCSRF(_ request: Request, caller: Caller) throws {
    guard let expected = caller.csrfToken else { return }
    guard request.headers[Self.csrfHeader] == expected else {
      throw DomainError.permissionDenied(reason: "missing or wrong X-CSRF-Token for this session")
    }
  }

  // MARK: Connect unary

  /// A Connect unary call, as a POST or, for a method marked `NO_SIDE_EFFECTS`, as a GET.
  func unary(
    _ request: Request, context: GatewayRequestContext, service: String, method: String, get: Bool = false
  ) async -> Response {
    let name = "\(service)/\(method)"
    var caller: Caller?
    do {
      guard let entry = methods[name] else { throw ConnectError(.unimplemented, "no procedure \(name)") }
      guard !entry.serverStreaming else {
        throw ConnectError(.unimplemented, "\(name) is a server stream: GET /stream/\(name)?request=<JSON>")
      }
      if get && !entry.noSideEffects {
        var refusal = ConnectError(.unimplemented, "\(name) changes data: call it with POST, not GET")
        refusal.httpStatus = .methodNotAllowed
        throw refusal
      }
      // The codec is checked first (415), the caller next, and only then is a body read.
      let codec = get ? nil : try ConnectUnaryRequest.codec(of: request)
      let who = try await context.caller()
      caller = who
      try Self.checkCSRF(request, caller: who)
      try Authorization.check(service: service, method: method, principal: who.principal)
      let limit = entry.noSideEffects ? Self.maximumReadBody : Self.maximumBody
      let call =
        if let codec {
          try await ConnectUnaryRequest.post(request, json: codec, maximumBody: limit)
        } else {
          try ConnectUnaryRequest.get(request, maximumBody: limit)
        }
      let (answer, concerns) = try await forward(
        entry.input, entry.output, entry: entry, body: call.message, json: call.json, as: who.principal,
        timeout: try Self.connectTimeout(request))
      await auditIfNeeded(entry: entry, concerns: concerns, caller: who, result: "ok", context: context)
      return call.response(answer)
    } catch {
      let connectError = ConnectError(error)
      if let caller, let entry = methods[name] {
        await auditIfNeeded(
          entry: entry, concerns: Concerns(), caller: caller, result: connectError.connect.name, context: context)
      }
      var response = connectError.response
      if connectError.httpStatus == .methodNotAllowed { response.headers[.allow] = "POST" }
      return response
    }
  }

  /// What the audit trail records of a call: the record it concerns, and whether it asked for
  /// personal data whole (a `reveal...` flag set, or a `Reveal...` method).
  struct Concerns {
    var target = ""
    var reveals = false

    /// The record: the answer's `id`, else the request's `subjectId`, `id` or first other
    /// `...Id` (never the `requestId`, which names the call, not a record). For a reveal the
    /// target also says what kind of record it is and the reason given, e.g.
    /// `CONTACT_SUBJECT_PARTY_MEMBER mbr_1; reason: 走访核实`.
    init(method: String, request: Data, response: Data) {
      let asked = (try? JSONSerialization.jsonObject(with: request)) as? [String: Any] ?? [:]
      reveals =
        method.hasPrefix("Reveal") || asked.contains { $0.key.hasPrefix("reveal") && ($0.value as? Bool) == true }
      let answer = (try? JSONSerialization.jsonObject(with: response)) as? [String: Any] ?? [:]
      let named = ["subjectId", "id"] + asked.keys.sorted().filter { $0.hasSuffix("Id") && $0 != "requestId" }
      let record = answer["id"] as? String ?? named.lazy.compactMap { asked[$0] as? String }.first { !$0.isEmpty } ?? ""
      guard reveals else {
        target = record
        return
      }
      // RevealContact names the kind of record; a read with a reveal flag is named by its method
      // less the verb (GetCase: Case).
      let verbEnd = method.dropFirst().firstIndex { $0.isUppercase } ?? method.endIndex
      let kind = asked["subject"] as? String ?? String(method[verbEnd...])
      target = "\(kind) \(record)"
      if let reason = asked["reason"] as? String, !reason.isEmpty { target += "; reason: \(reason)" }
    }

    init() {}

    /// Whether a request's JSON could set a `reveal...` flag: proto3 JSON leaves false flags out,
    /// so a request without the word cannot.
    static func mayReveal(_ request: Data) -> Bool {
      request.range(of: Data("\"reveal".utf8)) != nil
    }
  }

  /// Decodes the body as `Input`, calls the service as `principal`, encodes the answer; returns
  /// it with what the audit trail records of the call.
  func forward<Input: SwiftProtobuf.Message, Output: SwiftProtobuf.Message>(
    _: Input.Type, _: Output.Type, entry: CatalogMethod, body: ByteBuffer, json: Bool, as principal: Principal,
    timeout: Duration?
  ) async throws -> (Data, Concerns) {
    let bytes = Data(buffer: body)
    let input: Input
    do {
      input =
        json
        ? try Input(jsonUTF8Data: bytes.isEmpty ? Data("{}".utf8) : JSONSurrogates.combined(bytes))
        : try Input(serializedBytes: bytes)
    } catch {
      throw ConnectError(
        .invalidArgument, "the body is not a valid \(json ? "JSON" : "binary") \(Input.protoMessageName): \(error)")
    }
    guard let identity = Self.identity(of: entry.service) else {
      throw ConnectError(.unimplemented, "no service \(entry.service)")
    }
    let output: Output
    // The call's deadline, the client's or else the gateway's own, goes on to the service and its
    // peers (DeadlinePropagationInterceptor), each given a little less: a service cut off from a
    // peer answers UNAVAILABLE naming it before the gateway gives up.
    let deadline = ContinuousClock.now + (timeout ?? peers.timeout)
    do {
      output = try await Principal.$current.withValue(principal) {
        try await CallDeadline.$current.withValue(deadline) {
          try await peers.client(for: identity).unary(
            request: ClientRequest(message: input),
            descriptor: MethodDescriptor(fullyQualifiedService: entry.service, method: entry.method),
            serializer: ProtobufSerializer<Input>(), deserializer: ProtobufDeserializer<Output>(),
            options: timeout.map { CallOptions.defaults.withTimeout($0) } ?? .defaults
          ) { try $0.message }
        }
      }
    } catch let error as RPCError
      where error.code == .deadlineExceeded && timeout == nil && ContinuousClock.now >= deadline
    {
      // The client set no deadline and the gateway's own wait for the service ran out: the
      // service is not answering (cut off, hung), not late for the client. A service that did
      // answer DEADLINE_EXCEEDED before then keeps its answer.
      throw DomainError.peerUnavailable(peer: identity.rawValue, detail: "no answer within the gateway's peer timeout")
    }
    let answer = json ? try output.jsonUTF8Data() : try output.serializedData()
    // Only writes and reveals go into the audit trail: a plain read is not parsed again to find
    // what it concerns.
    let asked = try input.jsonUTF8Data()
    guard !Authorization.isRead(entry.method) || Concerns.mayReveal(asked) else { return (answer, Concerns()) }
    return (answer, Concerns(method: entry.method, request: asked, response: try output.jsonUTF8Data()))
  }

  /// Every write, and every read that reveals personal data (JSON or binary), goes into the audit
  /// trail.
  func auditIfNeeded(
    entry: CatalogMethod, concerns: Concerns, caller: Caller, result: String, context: GatewayRequestContext
  ) async {
    guard !Authorization.isRead(entry.method) || concerns.reveals else { return }
    do {
      try await store.audit(
        subject: caller.principal.subject, role: caller.principal.role?.rawValue ?? "", action: entry.fullName,
        target: concerns.target, remote: context.remote, result: result)
    } catch {
      context.logger.error("cannot write the audit trail", metadata: ["error": "\(error)"])
    }
  }

  // MARK: Server streams as server-sent events

  /// `GET /stream/<service>/<method>?request=<JSON>`: a server stream as server-sent events,
  /// relayed over the stream connections (429 past the caller's or the gateway's stream limit).
  func stream(_ request: Request, context: GatewayRequestContext, service: String, method: String) async -> Response {
    let name = "\(service)/\(method)"
    do {
      guard let entry = methods[name], entry.serverStreaming, let identity = Self.identity(of: service) else {
        throw ConnectError(.unimplemented, "no server stream \(name)")
      }
      let who = try await context.caller()
      try Authorization.check(service: service, method: method, principal: who.principal)
      let text = try Self.formValue("request", in: request).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
      return try streams.response(
        entry.input, entry.output, entry: entry, service: identity, json: text, as: who.principal)
    } catch {
      return ConnectError(error).response
    }
  }
}

extension ConnectController {
  /// The bytes of query parameter `name` as HTML forms, `URLSearchParams` and Go's
  /// `url.Values.Encode` write it (application/x-www-form-urlencoded: `+` is a space, `%XX` a
  /// byte), or nil when it is absent.
  /// - Throws: `ConnectError` invalid_argument naming the parameter when a `%` escape is broken.
  static func formValue(_ name: String, in request: Request) throws -> Data? {
    guard let query = request.uri.query else { return nil }
    for pair in query.split(separator: "&") {
      let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
      guard parts.first.map(String.init) == name else { continue }
      let encoded = Array((parts.count > 1 ? parts[1] : "").utf8)
      var bytes: [UInt8] = []
      bytes.reserveCapacity(encoded.count)
      var index = 0
      while index < encoded.count {
        switch encoded[index] {
        case UInt8(ascii: "+"):
          bytes.append(UInt8(ascii: " "))
          index += 1
        case UInt8(ascii: "%"):
          let hex = Array("0123456789abcdefABCDEF".utf8)
          guard index + 2 < encoded.count, hex.contains(encoded[index + 1]), hex.contains(encoded[index + 2]),
            let byte = UInt8(String(decoding: encoded[index + 1...index + 2], as: UTF8.self), radix: 16)
          else {
            throw ConnectError(.invalidArgument, "\(name)= has a broken percent escape at byte \(index)")
          }
          bytes.append(byte)
          index += 3
        case let byte:
          bytes.append(byte)
          index += 1
        }
      }
      return Data(bytes)
    }
    return nil
  }
}

extension CallOptions {
  func withTimeout(_ timeout: Duration) -> CallOptions {
    var options = self
    options.timeout = timeout
    return options
  }
}
