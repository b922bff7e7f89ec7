import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import GovernanceAPI
import HTTPTypes
import Hummingbird
import MultipartKit
import NIOCore
import ServiceKit
import SwiftProtobuf

/// Files through the gateway: photos and PDFs of cases, patrols, acceptances and rectification
/// orders, uploaded as an HTML form
/// posts them and shown back as the bytes themselves, so a browser's `<img>` or a link shows them
/// with the caller's own session (the grid service decides who sees the original and who the
/// copy without metadata).
///
/// - `POST /files/{cases|patrols|acceptances|rectification_orders}/{id}`: `multipart/form-data`
///   (RFC 7578), to the service owning the record (grid, property, evaluation), with a
///   part `file` (the part's `filename` is the attachment's name), an optional `event_id` (a case
///   event the file comes with) and an optional `request_id` (the idempotency key: a retried
///   upload with the same one stores once). The body is at most `maximumBody` bytes (413
///   otherwise). Answers 201 with the `Attachment` in protobuf's JSON form and `Location:
///   /files/{id}`.
/// - `GET /files/{id}`: the bytes, typed by the service from their first bytes (JPEG, PNG, WebP,
///   PDF; never anything a browser runs), sandboxed by `Content-Security-Policy`.
///
/// Authentication is the Connect API's: an API key, or a console session whose uploads carry
/// `X-CSRF-Token`. Refusals are Connect errors (`{"code", "message", "details"}`) with the status
/// the Connect API gives the same gRPC code.
struct AttachmentController: Sendable {
  /// The records that take files, each with the service that owns them and its contract name.
  static let owners: [String: (service: ServiceIdentity, name: String)] = [
    "cases": (.grid, "governance.grid.v1.GridService"), "patrols": (.grid, "governance.grid.v1.GridService"),
    "acceptances": (.property, "governance.property.v1.PropertyService"),
    "rectification_orders": (.evaluation, "governance.evaluation.v1.EvaluationService"),
  ]
  /// The largest upload body, in bytes (3.5 MiB): the service's 3 MiB file
  /// (`Attachments.maximumBytes`) with room for the form's boundaries and headers.
  static let maximumBody = 3 * 1024 * 1024 + 512 * 1024
  /// Seconds a browser may keep a file shown to its user: files never change once stored, but
  /// who may see them can, so the copy is private and short-lived.
  static let cacheSeconds = 300
  /// The types a file is served as: the service's, by their signatures.
  static let servedTypes: Set<String> = ["image/jpeg", "image/png", "image/webp", "application/pdf"]
  /// The extension a file without a usable name is saved under.
  static let extensions = [
    "image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "application/pdf": "pdf",
  ]

  let store: GatewayStore
  let peers: PeerClients

  var endpoints: RouteCollection<GatewayRequestContext> {
    let routes = RouteCollection(context: GatewayRequestContext.self)
    // Hummingbird's router takes one parameter name per position: `segment` is the record's kind
    // in an upload and the attachment's id in a download.
    routes.post("files/:segment/:id") { request, context in
      let kind = context.parameters.get("segment") ?? ""
      guard let owner = Self.owners[kind] else {
        return ConnectError(
          DomainError.invalidArgument(
            field: "parent", rule: "is one of cases, patrols, acceptances or rectification_orders, then an id")
        ).response
      }
      return await upload(
        request, context: context, parent: "\(kind)/\(context.parameters.get("id") ?? "")", owner: owner)
    }
    routes.get("files/:segment") { request, context in
      await download(request, context: context, id: context.parameters.get("segment") ?? "")
    }
    return routes
  }

  /// Stores a file with the service owning its record.
  func create(_ asked: Governance_Common_V1_CreateAttachmentRequest, in service: ServiceIdentity) async throws
    -> Governance_Common_V1_Attachment
  {
    switch service {
    case .property:
      try await Governance_Property_V1_PropertyService.Client(wrapping: peers.client(for: .property))
        .createAttachment(asked)
    case .evaluation:
      try await Governance_Evaluation_V1_EvaluationService.Client(wrapping: peers.client(for: .evaluation))
        .createAttachment(asked)
    default:
      try await Governance_Grid_V1_GridService.Client(wrapping: peers.client(for: .grid)).createAttachment(asked)
    }
  }

  /// A file's bytes from whichever service holds it: the grid service's (cases and patrols, by
  /// far the most files) first, then the property and the evaluation service's, each asked only
  /// when the one before has no such file.
  func content(id: String) async throws -> Governance_Common_V1_GetAttachmentContentResponse {
    let request = Governance_Common_V1_GetAttachmentContentRequest.with { $0.id = id }
    do {
      return try await Governance_Grid_V1_GridService.Client(wrapping: peers.client(for: .grid))
        .getAttachmentContent(request)
    } catch let error as RPCError where error.code == .notFound {
      do {
        return try await Governance_Property_V1_PropertyService.Client(wrapping: peers.client(for: .property))
          .getAttachmentContent(request)
      } catch let error as RPCError where error.code == .notFound {
        return try await Governance_Evaluation_V1_EvaluationService.Client(wrapping: peers.client(for: .evaluation))
          .getAttachmentContent(request)
      }
    }
  }

  // MARK: Upload

  /// `POST /files/{kind}/{id}`: stores the form's `file` with the record `parent`, in the
  /// service `owner` that holds it.
  func upload(
    _ request: Request, context: GatewayRequestContext, parent: String,
    owner: (service: ServiceIdentity, name: String)
  ) async -> Response {
    var caller: Caller?
    do {
      // The form is checked first (415), the caller next, and only then is the body read.
      let boundary = try Self.boundary(of: request)
      let who = try await context.caller()
      caller = who
      try ConnectController.checkCSRF(request, caller: who)
      try Authorization.check(service: owner.name, method: "CreateAttachment", principal: who.principal)
      if let length = request.headers[.contentLength].flatMap(Int.init), length > Self.maximumBody {
        throw Self.tooLarge()
      }
      let body: ByteBuffer
      do {
        body = try await request.body.collect(upTo: Self.maximumBody)
      } catch is NIOTooManyBytesError {
        throw Self.tooLarge()
      }
      let form = try FormParts(body: body, boundary: boundary)
      guard let file = form.parts.first(where: { $0.name == "file" }) else {
        throw DomainError.invalidArgument(field: "file", rule: "is a part of the multipart form, with a filename")
      }
      let asked = Governance_Common_V1_CreateAttachmentRequest.with {
        $0.requestID = form.text("request_id") ?? "files-\(UUID().uuidString.lowercased())"
        $0.parent = parent
        $0.eventID = form.text("event_id") ?? ""
        $0.filename = file.filename ?? ""
        $0.content = Data(buffer: file.body)
      }
      let attachment = try await Principal.$current.withValue(who.principal) {
        try await create(asked, in: owner.service)
      }
      await audit(caller: who, service: owner.name, target: attachment.id, result: "ok", context: context)
      return Response(
        status: .created,
        headers: [.contentType: "application/json", .location: "/files/\(attachment.id)"],
        body: .init(byteBuffer: ByteBuffer(data: try attachment.jsonUTF8Data())))
    } catch {
      let refusal = ConnectError(error)
      if let caller {
        await audit(caller: caller, service: owner.name, target: parent, result: refusal.connect.name, context: context)
      }
      var response = refusal.response
      if refusal.httpStatus == .unsupportedMediaType {
        response.headers[HTTPField.Name("Accept-Post")!] = "multipart/form-data"
      }
      return response
    }
  }

  /// An upload is a write: it goes into the audit trail as the Connect API's CreateAttachment
  /// would.
  func audit(caller: Caller, service: String, target: String, result: String, context: GatewayRequestContext) async {
    do {
      try await store.audit(
        subject: caller.principal.subject, role: caller.principal.role?.rawValue ?? "",
        action: "\(service)/CreateAttachment", target: target, remote: context.remote, result: result)
    } catch {
      context.logger.error("cannot write the audit trail", metadata: ["error": "\(error)"])
    }
  }

  /// The boundary a `multipart/form-data` body is split by (RFC 7578 §4.1, RFC 2046 §5.1.1).
  /// - Throws: `ConnectError` with HTTP 415 for another type, invalid_argument when the boundary
  ///   is missing or longer than RFC 2046's 70 characters.
  static func boundary(of request: Request) throws -> String {
    let contentType = request.headers[.contentType] ?? ""
    let parameters = HeaderParameters(contentType)
    guard parameters.value.lowercased() == "multipart/form-data" else {
      var refusal = ConnectError(.invalidArgument, "an upload is multipart/form-data, not '\(contentType)'")
      refusal.httpStatus = .unsupportedMediaType
      throw refusal
    }
    guard let boundary = parameters["boundary"], (1...70).contains(boundary.utf8.count) else {
      throw ConnectError(.invalidArgument, "multipart/form-data names its boundary (1 to 70 characters)")
    }
    return boundary
  }

  /// The refusal of a body past `maximumBody`: 413 (RFC 9110 §15.5.14), as a bad `file` so the
  /// console says it in Chinese, naming both limits.
  static func tooLarge() -> ConnectError {
    var refusal = ConnectError(
      DomainError.invalidArgument(
        field: "file",
        rule: "is at most \(Attachments.maximumBytes) bytes (3 MiB), sent in a form of at most \(maximumBody) bytes"))
    refusal.httpStatus = .contentTooLarge
    return refusal
  }

  // MARK: Download

  /// `GET /files/{id}`: the file's bytes as the service shows them to the caller.
  func download(_ request: Request, context: GatewayRequestContext, id: String) async -> Response {
    do {
      let who = try await context.caller()
      try Authorization.check(
        service: "governance.grid.v1.GridService", method: "GetAttachmentContent", principal: who.principal)
      let answer = try await Principal.$current.withValue(who.principal) { try await content(id: id) }
      return Self.fileResponse(answer, request: request)
    } catch {
      return ConnectError(error).response
    }
  }

  /// The HTTP answer carrying a file the grid service handed out: its type from the service
  /// (one of `servedTypes`; anything else is refused, never guessed), `nosniff` and a sandboxing
  /// `Content-Security-Policy` so a file can never run as a page, images `inline` and PDFs as a
  /// download (`attachment`, RFC 6266 with the RFC 8187 `filename*`), a private cache, and the
  /// content's SHA-256 as its `ETag` (304 for a matching `If-None-Match`). Other controllers that
  /// show a file (Open311's media) answer with this too.
  static func fileResponse(
    _ answer: Governance_Common_V1_GetAttachmentContentResponse, request: Request
  ) -> Response {
    let attachment = answer.attachment
    guard servedTypes.contains(attachment.mediaType) else {
      return ConnectError(.internalError, "the file's type \(attachment.mediaType) is not one the gateway serves")
        .response
    }
    let tag = "\"\(answer.stripped ? attachment.publicSha256 : attachment.sha256)\""
    var headers: HTTPFields = [
      .contentType: attachment.mediaType,
      HTTPField.Name("X-Content-Type-Options")!: "nosniff",
      .contentSecurityPolicy: "default-src 'none'; sandbox",
      .cacheControl: "private, max-age=\(cacheSeconds)",
      .eTag: tag,
      HTTPField.Name("Cross-Origin-Resource-Policy")!: "same-origin",
    ]
    let name = downloadName(attachment)
    let disposition = attachment.mediaType == "application/pdf" ? "attachment" : "inline"
    headers[.contentDisposition] = "\(disposition); filename*=UTF-8''\(rfc8187(name))"
    if let match = request.headers[.ifNoneMatch],
      match.split(separator: ",").contains(where: {
        $0.trimmingCharacters(in: .whitespaces) == tag
      })
    {
      return Response(status: .notModified, headers: headers)
    }
    return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(data: answer.content)))
  }

  /// The name a file is saved under: the uploader's, less anything a file system or a header
  /// would misread (path separators, control characters), with the extension its type has;
  /// the id when nothing usable is left.
  static func downloadName(_ attachment: Governance_Common_V1_Attachment) -> String {
    let cleaned = String(
      String.UnicodeScalarView(
        attachment.filename.unicodeScalars.filter {
          !CharacterSet.controlCharacters.contains($0) && !"/\\\"".unicodeScalars.contains($0)
        })
    ).trimmingCharacters(in: .whitespaces)
    let wanted = extensions[attachment.mediaType] ?? "bin"
    let base = cleaned.isEmpty || cleaned.hasPrefix(".") ? attachment.id : cleaned
    return (base as NSString).pathExtension.lowercased() == wanted
      || (wanted == "jpg" && (base as NSString).pathExtension.lowercased() == "jpeg")
      ? base : "\(base).\(wanted)"
  }

  /// `text` as an RFC 8187 §3.2 value: UTF-8, every byte outside `attr-char` percent-encoded.
  static func rfc8187(_ text: String) -> String {
    let allowed = Set("!#$&+-.^_`|~".utf8).union(Array(UInt8(ascii: "0")...UInt8(ascii: "9")))
      .union(Array(UInt8(ascii: "a")...UInt8(ascii: "z"))).union(Array(UInt8(ascii: "A")...UInt8(ascii: "Z")))
    return text.utf8.map { allowed.contains($0) ? String(UnicodeScalar($0)) : String(format: "%%%02X", $0) }.joined()
  }
}

/// A header value with parameters, as `Content-Type` and `Content-Disposition` write them
/// (RFC 9110 §5.6.6): `value; name=token; name="quoted \" string"`, names case-insensitive, and
/// an RFC 8187 `name*=UTF-8''percent-encoded` preferred to the plain `name`.
struct HeaderParameters {
  var value: String
  var parameters: [String: String] = [:]

  init(_ header: String) {
    let scalars = Array(header.unicodeScalars)
    var index = 0
    func skipSpaces() { while index < scalars.count, scalars[index] == " " || scalars[index] == "\t" { index += 1 } }
    var head = ""
    while index < scalars.count, scalars[index] != ";" {
      head.unicodeScalars.append(scalars[index])
      index += 1
    }
    value = head.trimmingCharacters(in: .whitespaces)
    var extended: [String: String] = [:]
    while index < scalars.count {
      index += 1  // the ';'
      skipSpaces()
      var name = ""
      while index < scalars.count, scalars[index] != "=", scalars[index] != ";" {
        name.unicodeScalars.append(scalars[index])
        index += 1
      }
      name = name.trimmingCharacters(in: .whitespaces).lowercased()
      guard index < scalars.count, scalars[index] == "=" else { continue }
      index += 1
      skipSpaces()
      var text = ""
      if index < scalars.count, scalars[index] == "\"" {
        index += 1
        while index < scalars.count, scalars[index] != "\"" {
          if scalars[index] == "\\", index + 1 < scalars.count { index += 1 }
          text.unicodeScalars.append(scalars[index])
          index += 1
        }
        index += 1
        while index < scalars.count, scalars[index] != ";" { index += 1 }
      } else {
        while index < scalars.count, scalars[index] != ";" {
          text.unicodeScalars.append(scalars[index])
          index += 1
        }
        text = text.trimmingCharacters(in: .whitespaces)
      }
      guard !name.isEmpty else { continue }
      if name.hasSuffix("*") {
        // RFC 8187 §3.2.1: charset'language'percent-encoded; only UTF-8 is read.
        let pieces = text.split(separator: "'", maxSplits: 2, omittingEmptySubsequences: false)
        if pieces.count == 3, pieces[0].lowercased() == "utf-8", let decoded = String(pieces[2]).removingPercentEncoding
        {
          extended[String(name.dropLast())] = decoded
        }
      } else {
        parameters[name] = text
      }
    }
    parameters.merge(extended) { _, new in new }
  }

  subscript(name: String) -> String? { parameters[name.lowercased()] }
}

/// The parts of a `multipart/form-data` body (RFC 7578), split by MultipartKit's parser.
struct FormParts {
  /// One part: its form field name, file name when it is a file, and bytes.
  struct Part {
    var name: String?
    var filename: String?
    var body: ByteBuffer
  }

  var parts: [Part] = []

  /// The most parts a form may have: an upload has three (file, event_id, request_id).
  static let maximumParts = 10

  /// - Throws: `DomainError.invalidArgument` naming `field` when the body is not a complete
  ///   multipart body for `boundary` or has more than `limit` parts.
  init(body: ByteBuffer, boundary: String, limit: Int = maximumParts, field: String = "file") throws {
    let parser = MultipartParser(boundary: boundary)
    var headers: [(String, String)] = []
    var current = ByteBuffer()
    var complete: [Part] = []
    parser.onHeader = { name, value in headers.append((name, value)) }
    parser.onBody = { chunk in current.writeBuffer(&chunk) }
    parser.onPartComplete = {
      let disposition = headers.first { $0.0.lowercased() == "content-disposition" }.map { HeaderParameters($0.1) }
      complete.append(Part(name: disposition?["name"], filename: disposition?["filename"], body: current))
      headers = []
      current = ByteBuffer()
    }
    do {
      try parser.execute(body)
    } catch {
      throw DomainError.invalidArgument(field: field, rule: "is sent in a well-formed multipart/form-data body")
    }
    // A body cut short ends without its close delimiter (RFC 2046 §5.1.1): the parser would
    // take it as it is, its last part dropped or cut.
    let close = Data("--\(boundary)--".utf8)
    guard !complete.isEmpty, Data(buffer: body).range(of: close) != nil else {
      throw DomainError.invalidArgument(field: field, rule: "is sent in a well-formed multipart/form-data body")
    }
    guard complete.count <= limit else {
      throw DomainError.invalidArgument(
        field: field, rule: "is sent in a form of at most \(limit) parts")
    }
    parts = complete
  }

  /// The text of the part `name`, trimmed; nil when absent or empty.
  func text(_ name: String) -> String? {
    guard let part = parts.first(where: { $0.name == name }) else { return nil }
    let text = String(decoding: part.body.readableBytesView, as: UTF8.self).trimmingCharacters(
      in: .whitespacesAndNewlines)
    return text.isEmpty ? nil : text
  }
}
