import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import GovernanceAPI
import HTTPTypes
import Hummingbird
import Logging
import MultipartKit
import NIOCore
import ServiceKit

/// Open311 GeoReport v2 (wiki.open311.org/GeoReport_v2) at `/open311/v2/`, so that any Open311
/// client (a resident's app, a city's 311 aggregator) reports and follows cases of the grid
/// service (docs/OPEN311.md):
/// - `GET discovery.{json|xml}`: the service discovery document;
/// - `GET services.{json|xml}`: the service list, the city's case categories (`Open311Service`);
/// - `GET services/{service_code}.{json|xml}`: a service definition (no attributes);
/// - `POST requests.{json|xml}`: a new service request: a resident's case (`CreateCase`), with a
///   photo when one is uploaded as `media` (multipart/form-data); needs an `api_key`;
/// - `GET requests.{json|xml}`: service requests by id, or by service code, date range and status;
/// - `GET requests/{service_request_id}.{json|xml}`: one service request, as a list of one;
/// - `GET tokens/{token}.{json|xml}`: the request a token stands for (the token is the id).
///
/// Reads need no key, as the standard has it: they are made as a read-only principal (the
/// auditor role held to the configured jurisdiction), and answers never hold a reporter's
/// contact. Errors are the standard's: `[{"code": 400, "description": "..."}]` or
/// `<errors><error>...</error></errors>`, with that HTTP status.
struct Open311Controller: Sendable {
  /// The largest POST body: a photo of at most 3 MiB (the grid service's limit for an
  /// attachment) and the form's text fields. Larger is 413 before anything is stored, so a
  /// request is never half made.
  static let maximumBody = 3 * 1024 * 1024 + 64 * 1024
  /// The most requests `GET requests` answers with, newest first: 90 days of a city's reports can
  /// run into tens of thousands, and a client wanting more narrows the dates or the service codes.
  static let maximumResults = 1_000
  /// The most ids one `service_request_id=` list may name.
  static let maximumRequestIDs = 100
  /// The most codes one `service_code=` list may name (the catalogue has 10).
  static let maximumServiceCodes = 20
  /// The widest date range of `GET requests`, and its default back from now ("may not span more
  /// than 90 days").
  static let maximumRange: TimeInterval = 90 * 86_400
  /// The multipart field a photo is uploaded in.
  static let mediaField = "media"
  /// The grid service's name in the contracts, for the role table and the audit trail.
  static let gridService = "governance.grid.v1.GridService"
  /// The longest title taken from a description's first line, in characters.
  static let maximumTitle = 50

  let store: GatewayStore
  let peers: PeerClients
  let configuration: Open311Configuration

  var endpoints: RouteCollection<GatewayRequestContext> {
    let routes = RouteCollection(context: GatewayRequestContext.self)
    routes.get(":resource") { request, context in
      await serve(context.parameters.get("resource") ?? "") { resource in
        let parameters = try Self.query(request)
        switch resource {
        case "discovery": return discovery(request)
        case "services": return try services(parameters)
        case "requests": return try await serviceRequests(parameters, request: request)
        default: throw Open311Error.notFound("no resource '\(resource.prefix(40))': see discovery.json")
        }
      }
    }
    routes.post(":resource") { request, context in
      await serve(context.parameters.get("resource") ?? "") { resource in
        guard resource == "requests" else {
          throw Open311Error.notFound("no resource '\(resource.prefix(40))' to POST to")
        }
        return try await createServiceRequest(request, context: context)
      }
    }
    // One route for the three collections, under the same parameter name as the one above: a
    // constant segment ("services") beside `:resource` would take `GET services` without an
    // extension away from it, answered with an empty 404 instead of the standard's error.
    routes.get(":resource/:item") { request, context in
      let collection = context.parameters.get("resource") ?? ""
      if collection == "media" { return await media(context.parameters.get("item") ?? "", request: request) }
      return await serve(context.parameters.get("item") ?? "") { item in
        let parameters = try Self.query(request)
        switch collection {
        case "services": return try serviceDefinition(item, parameters: parameters)
        case "requests": return try await serviceRequest(item, parameters: parameters, request: request)
        case "tokens": return try await serviceRequestID(token: item, parameters: parameters)
        default: throw Open311Error.notFound("no resource '\(collection.prefix(40))/': see discovery.json")
        }
      }
    }
    return routes
  }

  /// Answers a resource named `segment` (`requests.json`) in its format, or with an error in the
  /// standard's form: a format other than json or xml is 404, told in JSON.
  func serve(
    _ segment: String, _ answer: (String) async throws -> Open311Document
  ) async -> Response {
    let (resource, format) = Open311Format.split(segment)
    guard let format else {
      return Open311Error.notFound("'\(segment.prefix(80))' names no format this server has: add .json or .xml")
        .response(.json)
    }
    do {
      return try await answer(resource).response(format)
    } catch {
      return Self.open311Error(error).response(format)
    }
  }

  // MARK: Jurisdiction and callers

  /// The principal reads are made as: the auditor role, which reads and writes nothing, held to
  /// the configured jurisdiction; the grid service masks reporters for it as for every listing.
  var reader: Principal {
    Principal(subject: "open311:public", role: .auditor, scope: configuration.jurisdictionID)
  }

  var grid: Governance_Grid_V1_GridService.Client<HTTP2ClientTransport.Posix> {
    Governance_Grid_V1_GridService.Client(wrapping: peers.client(for: .grid))
  }

  /// The rule "a request names this endpoint's jurisdiction or none" (GeoReport v2:
  /// "jurisdiction_id provided was not found" is 404).
  func checkJurisdiction(_ parameters: [String: String]) throws(Open311Error) {
    guard let asked = parameters["jurisdiction_id"], !asked.isEmpty, asked != configuration.jurisdictionID else {
      return
    }
    throw Open311Error.notFound(
      "jurisdiction_id: '\(asked.prefix(40))' was not found; this endpoint serves \(configuration.jurisdictionID)")
  }

  /// Where clients reach the gateway: the configured public URL, else `http://` and the request's
  /// host.
  func baseURL(_ request: Request) -> String {
    if let url = configuration.publicURL { return url }
    return "http://\(request.head.authority ?? "localhost")"
  }

  // MARK: Discovery and services

  /// When the interface last changed, for discovery's `changeset`.
  static let changeset = "2026-11-30T00:00:00+08:00"

  /// `GET discovery`: the Open311 service discovery document (wiki.open311.org/Service_discovery).
  func discovery(_ request: Request) -> Open311Document {
    Open311Document(
      root: "discovery",
      value: .record([
        ("changeset", .text(Self.changeset)),
        ("contact", .text("城市运行管理平台 (the city's platform operators); docs/OPEN311.md")),
        ("key_service", .text("API keys are issued by the city's administrators: governance apikey create")),
        (
          "endpoints",
          .list(
            element: "endpoint",
            [
              .record([
                ("specification", .text("http://wiki.open311.org/GeoReport_v2")),
                ("url", .text(baseURL(request) + "/open311/v2")),
                ("changeset", .text(Self.changeset)),
                ("type", .text("production")),
                ("formats", .list(element: "format", [.text("text/xml"), .text("application/json")])),
              ])
            ])
        ),
      ]))
  }

  /// `GET services`: every service of the catalogue.
  func services(_ parameters: [String: String]) throws(Open311Error) -> Open311Document {
    try checkJurisdiction(parameters)
    return Open311Document(
      root: "services", value: .list(element: "service", Open311Service.catalogue.map(\.listEntry)))
  }

  /// `GET services/{service_code}`: the service's definition; 404 for a code not in the list.
  func serviceDefinition(_ code: String, parameters: [String: String]) throws(Open311Error) -> Open311Document {
    try checkJurisdiction(parameters)
    guard let service = Open311Service.named(code) else { throw Self.unknownService(code) }
    return Open311Document(root: "service_definition", value: service.definition)
  }

  static func unknownService(_ code: String) -> Open311Error {
    Open311Error.notFound("service_code: '\(code.prefix(60))' was not found; services.json lists the codes")
  }

  // MARK: POST requests

  /// What a POST sent: its text parameters and the photo uploaded as `media`, if any.
  struct Submission {
    var parameters: [String: String] = [:]
    var media: (filename: String, content: Data)?
  }

  /// `POST requests`: a resident's case in the grid service, made as the API key's principal.
  /// Parameters (GeoReport v2 "POST Service Request"): `api_key`, `service_code` and a location
  /// (`lat` and `long` in WGS-84 degrees, or `address_string`) are required; `description`,
  /// `first_name`, `last_name`, `phone`, `media_url` and a `media` photo are taken; `email`,
  /// `device_id`, `account_id` and `address_id` are not kept (the platform has no place for them).
  /// Every POST with a known key goes into the audit trail as a CreateCase.
  /// - Throws: `Open311Error` 403 without a valid `api_key` or with one whose role may not report
  ///   cases; 404 for an unknown service code or jurisdiction; 400 naming the parameter the grid
  ///   service refused (a latitude out of range: `lat`).
  func createServiceRequest(_ request: Request, context: GatewayRequestContext) async throws -> Open311Document {
    let submission = try await Self.submission(request)
    let parameters = submission.parameters
    try checkJurisdiction(parameters)
    guard let presented = parameters["api_key"], !presented.isEmpty else {
      throw Open311Error(.forbidden, "api_key: required to create a service request")
    }
    guard let key = try await store.apiKey(presented: presented) else {
      throw Open311Error(.forbidden, "api_key: unknown or revoked")
    }
    let principal = Principal(
      subject: "apikey:\(key.name)", role: key.role,
      scope: try Self.scope(of: key, within: configuration.jurisdictionID))
    do {
      let (created, notice) = try await report(submission, as: principal, context: context)
      await audit("CreateCase", target: created.id, principal: principal, result: "ok", context: context)
      return Open311Document(
        root: "service_requests",
        value: .list(
          element: "request",
          [
            .record([
              ("service_request_id", .text(created.id)), ("token", .text(created.id)),
              ("service_notice", .text(notice)), ("account_id", .text("")),
            ])
          ]))
    } catch {
      let refusal = Self.open311Error(error)
      await audit("CreateCase", target: "", principal: principal, result: "\(refusal.status.code)", context: context)
      throw refusal
    }
  }

  /// The jurisdiction a key acts in here: the narrower of its own and the endpoint's, so that a
  /// request made here can be read here.
  /// - Throws: `Open311Error` 403 when the two do not overlap.
  static func scope(of key: GatewayStore.APIKey, within jurisdiction: String) throws(Open311Error) -> String {
    if jurisdiction.hasPrefix(key.scope) { return jurisdiction }
    if key.scope.hasPrefix(jurisdiction) { return key.scope }
    throw Open311Error(
      .forbidden, "api_key: its jurisdiction \(key.scope) lies outside this endpoint's \(jurisdiction)")
  }

  /// Checks a submission, creates its case and stores its photo; returns the case and the notice
  /// for the reporter.
  func report(_ submission: Submission, as principal: Principal, context: GatewayRequestContext) async throws
    -> (Governance_Grid_V1_Case, String)
  {
    let parameters = submission.parameters
    func text(_ name: String) -> String { (parameters[name] ?? "").trimmingCharacters(in: .whitespacesAndNewlines) }
    try Authorization.check(service: Self.gridService, method: "CreateCase", principal: principal)
    let code = text("service_code")
    guard !code.isEmpty else {
      throw Open311Error.badRequest("service_code", "required; services.json lists the codes")
    }
    guard let service = Open311Service.named(code) else { throw Self.unknownService(code) }
    let point = try Self.point(latitude: text("lat"), longitude: text("long"))
    let address = text("address_string")
    guard point != nil || !address.isEmpty else {
      throw Open311Error.badRequest(
        "lat, long", "a location is required: lat and long (WGS-84 degrees), or address_string")
    }
    let description = text("description")
    let mediaURL = text("media_url")
    let gridCase = Governance_Grid_V1_Case.with {
      $0.source = .resident
      // The Chinese name, as the console and the city's own cases write categories, so an
      // official reads 环境卫生 whichever way a case came in.
      $0.category = service.name
      $0.title = Self.title(description: description, service: service)
      $0.details = mediaURL.isEmpty ? description : description + "\n\nmedia_url: " + mediaURL
      if let point { $0.location.point = point }
      $0.location.address = address
      let name = Self.name(first: text("first_name"), last: text("last_name"))
      // The grid service keeps a reporter by name: a phone without one has nobody to belong to.
      if !name.isEmpty {
        $0.reporter.name = name
        $0.reporter.phone = text("phone")
      }
    }
    return try await Principal.$current.withValue(principal) {
      let created = try await grid.createCase(
        .with {
          // Open311 has no idempotency key: each POST is a report of its own.
          $0.requestID = UUID().uuidString
          $0.gridCase = gridCase
        })
      var notice = "已受理登记，" + Open311Request.notice(created) + "，由\(Open311Request.agency(created.handler))处理"
      if let media = submission.media {
        do {
          let attachment = try await grid.createAttachment(
            .with {
              $0.requestID = UUID().uuidString
              $0.parent = "cases/\(created.id)"
              $0.filename = media.filename
              $0.content = media.content
            })
          await audit("CreateAttachment", target: attachment.id, principal: principal, result: "ok", context: context)
        } catch {
          // The case stands: failing the POST would make the client send it again as a second case.
          let refusal = Self.open311Error(error)
          context.logger.warning(
            "open311: the photo of a case was not stored",
            metadata: ["case": "\(created.id)", "error": "\(refusal.description)"])
          await audit(
            "CreateAttachment", target: created.id, principal: principal, result: "\(refusal.status.code)",
            context: context)
          notice += "；照片未能保存（\(refusal.description)）"
        }
      }
      return (created, notice)
    }
  }

  /// A point from `lat` and `long`, nil when neither is given. Their range is the grid service's
  /// rule (a refusal names `lat` or `long`).
  /// - Throws: `Open311Error` 400 when only one is given or one is not a number.
  static func point(latitude: String, longitude: String) throws(Open311Error) -> Governance_Common_V1_GeoPoint? {
    guard !latitude.isEmpty || !longitude.isEmpty else { return nil }
    guard !latitude.isEmpty else { throw Open311Error.badRequest("lat", "required with long") }
    guard !longitude.isEmpty else { throw Open311Error.badRequest("long", "required with lat") }
    guard let lat = Double(latitude), lat.isFinite else {
      throw Open311Error.badRequest("lat", "'\(latitude.prefix(40))' is not a number of degrees")
    }
    guard let long = Double(longitude), long.isFinite else {
      throw Open311Error.badRequest("long", "'\(longitude.prefix(40))' is not a number of degrees")
    }
    return .with {
      $0.latitude = lat
      $0.longitude = long
    }
  }

  /// A case's title: the description's first line, cut to `maximumTitle` characters, or the
  /// service's name when there is no description.
  static func title(description: String, service: Open311Service) -> String {
    let line = description.split(whereSeparator: \.isNewline).first.map {
      $0.trimmingCharacters(in: .whitespaces)
    }
    guard let line, !line.isEmpty else { return service.name }
    return line.count <= maximumTitle ? line : String(line.prefix(maximumTitle - 1)) + "…"
  }

  /// A reporter's name from Open311's `first_name` and `last_name`: a Chinese name as it is
  /// written, family name first and no space (王 + 小明: 王小明); others as given, "Anna Li".
  static func name(first: String, last: String) -> String {
    guard !first.isEmpty, !last.isEmpty else { return first + last }
    return (first + last).allSatisfy(\.isASCII) ? "\(first) \(last)" : last + first
  }

  /// The parameters of a POST: a form (`application/x-www-form-urlencoded`, the standard's) or
  /// `multipart/form-data` with a photo as `media`; parameters of the query string count where
  /// the body lacks them.
  /// - Throws: `Open311Error` 415 for another body type, 413 past `maximumBody`, 400 for a
  ///   malformed body.
  static func submission(_ request: Request) async throws -> Submission {
    var submission = Submission(parameters: try query(request))
    let contentType = request.headers[.contentType] ?? ""
    let mediaType = contentType.split(separator: ";").first.map {
      $0.trimmingCharacters(in: .whitespaces).lowercased()
    }
    let body = try await request.body.collect(upTo: maximumBody)
    switch mediaType ?? "" {
    case "application/x-www-form-urlencoded",
      "" where body.readableBytes == 0:
      let form = try Open311Form.parse(Substring(String(buffer: body)))
      submission.parameters.merge(form) { _, sent in sent }
    case "multipart/form-data":
      let parts = try multipart(body, contentType: contentType)
      for part in parts {
        if part.name == mediaField, let filename = part.filename {
          submission.media = (filename.isEmpty ? "photo" : filename, Data(buffer: part.body))
        } else if let value = String(validating: part.body.readableBytesView, as: UTF8.self) {
          submission.parameters[part.name] = value
        } else {
          throw Open311Error.badRequest(part.name, "is not UTF-8 text")
        }
      }
    default:
      throw Open311Error(
        .unsupportedMediaType,
        "Content-Type: '\(contentType.prefix(60))' is not application/x-www-form-urlencoded or multipart/form-data")
    }
    return submission
  }

  /// One part of a multipart/form-data body (RFC 7578): its field name, its file name when it is
  /// a file, and its bytes.
  struct FormPart {
    var name: String
    var filename: String?
    var body: ByteBuffer
  }

  /// The parts of a multipart/form-data body, read by MultipartKit's parser.
  /// - Throws: `Open311Error` 400 without a boundary or for a body that is not multipart.
  static func multipart(_ body: ByteBuffer, contentType: String) throws(Open311Error) -> [FormPart] {
    let boundary = headerParameters(contentType)["boundary"] ?? ""
    guard !boundary.isEmpty, boundary.utf8.count <= 200 else {
      throw Open311Error.badRequest("Content-Type", "multipart/form-data names its boundary")
    }
    var parts: [FormPart] = []
    var disposition = ""
    var content = ByteBuffer()
    let parser = MultipartParser(boundary: boundary)
    parser.onHeader = { name, value in
      if name.lowercased() == "content-disposition" { disposition = value }
    }
    parser.onBody = { chunk in content.writeBuffer(&chunk) }
    parser.onPartComplete = {
      let fields = headerParameters(disposition)
      if let name = fields["name"] { parts.append(FormPart(name: name, filename: fields["filename"], body: content)) }
      disposition = ""
      content = ByteBuffer()
    }
    do {
      try parser.execute(body)
    } catch {
      throw Open311Error.badRequest("body", "is not multipart/form-data with the boundary its Content-Type names")
    }
    return parts
  }

  /// The `key=value` parameters of a header such as `form-data; name="media"; filename="a.jpg"`,
  /// keys lowercased, quotes removed (a quoted value may hold `;`).
  static func headerParameters(_ header: String) -> [String: String] {
    var parameters: [String: String] = [:]
    var rest = Substring(header)
    // The value itself (form-data, multipart/form-data) comes first.
    guard let first = rest.firstIndex(of: ";") else { return [:] }
    rest = rest[rest.index(after: first)...]
    while !rest.isEmpty {
      rest = rest.drop { $0 == " " || $0 == "\t" || $0 == ";" }
      guard let equals = rest.firstIndex(of: "=") else { break }
      let key = rest[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
      rest = rest[rest.index(after: equals)...]
      var value = ""
      if rest.first == "\"" {
        rest = rest.dropFirst()
        var escaped = false
        while let character = rest.first {
          rest = rest.dropFirst()
          if escaped {
            value.append(character)
            escaped = false
          } else if character == "\\" {
            escaped = true
          } else if character == "\"" {
            break
          } else {
            value.append(character)
          }
        }
        rest = rest.drop { $0 != ";" }
      } else {
        let end = rest.firstIndex(of: ";") ?? rest.endIndex
        value = rest[..<end].trimmingCharacters(in: .whitespaces)
        rest = rest[end...]
      }
      if parameters[key] == nil { parameters[key] = value }
    }
    return parameters
  }

  // MARK: GET requests

  /// `GET requests`: the requests named by `service_request_id` (a comma list, which overrides
  /// every other filter; unknown ids are left out), or those reported between `start_date` and
  /// `end_date` (W3C date-times, at most 90 days apart; the last 90 days by default) of the
  /// `service_code`s and `status`es given (comma lists; all when absent). Newest first, at most
  /// `maximumResults`. A service code outside the list is taken as a case category as it stands,
  /// as `service_code` shows one for cases entered with another category.
  func serviceRequests(_ parameters: [String: String], request: Request) async throws -> Open311Document {
    try checkJurisdiction(parameters)
    let cases: [Governance_Grid_V1_Case]
    if let ids = parameters["service_request_id"], !ids.trimmingCharacters(in: .whitespaces).isEmpty {
      var seen: Set<String> = []
      let wanted = ids.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        .filter { !$0.isEmpty && seen.insert($0).inserted }
      guard wanted.count <= Self.maximumRequestIDs else {
        throw Open311Error.badRequest("service_request_id", "names at most \(Self.maximumRequestIDs) ids")
      }
      var found: [Governance_Grid_V1_Case] = []
      for id in wanted {
        if let gridCase = try await fetch(id) { found.append(gridCase) }
      }
      cases = found
    } else {
      cases = try await search(try Open311Query(parameters, now: Date()))
    }
    let media = await mediaURLs(for: cases, base: baseURL(request))
    return Open311Document(
      root: "service_requests",
      value: .list(element: "request", cases.map { Open311Request.record($0, mediaURL: media[$0.id] ?? "") }))
  }

  /// `GET requests/{service_request_id}`: the request as a list of one; 404 when there is no such
  /// case in the jurisdiction.
  func serviceRequest(_ id: String, parameters: [String: String], request: Request) async throws -> Open311Document {
    try checkJurisdiction(parameters)
    guard let gridCase = try await fetch(id) else {
      throw Open311Error.notFound("service_request_id: '\(id.prefix(80))' was not found")
    }
    let media = await mediaURLs(for: [gridCase], base: baseURL(request))
    return Open311Document(
      root: "service_requests",
      value: .list(element: "request", [Open311Request.record(gridCase, mediaURL: media[gridCase.id] ?? "")]))
  }

  /// `GET tokens/{token}`: `[{service_request_id, token}]`. Requests are made at once here, so a
  /// token is the request's id; 404 when there is no such case.
  func serviceRequestID(token: String, parameters: [String: String]) async throws -> Open311Document {
    try checkJurisdiction(parameters)
    guard let gridCase = try await fetch(token) else {
      throw Open311Error.notFound("token: '\(token.prefix(80))' was not found")
    }
    return Open311Document(
      root: "service_requests",
      value: .list(
        element: "request", [.record([("service_request_id", .text(gridCase.id)), ("token", .text(token))])]))
  }

  /// The case `id` as the reader sees it; nil when it does not exist, lies outside the
  /// jurisdiction or is not an id at all (the three look the same from outside).
  func fetch(_ id: String) async throws -> Governance_Grid_V1_Case? {
    do {
      return try await Principal.$current.withValue(reader) { try await grid.getCase(.with { $0.id = id }) }
    } catch let error as RPCError where [.notFound, .permissionDenied, .invalidArgument].contains(error.code) {
      return nil
    }
  }

  /// The cases a query asks for: one listing per case category (a service's code and its Chinese
  /// name are two), paged through in report order, newest first, until `maximumResults` match.
  /// The grid service filters by whole days of the city's calendar; the exact times are filtered
  /// here.
  func search(_ query: Open311Query) async throws -> [Governance_Grid_V1_Case] {
    var seen: Set<String> = []
    let categories = (query.serviceCodes?.flatMap { Open311Service.named($0)?.categories ?? [$0] } ?? [""])
      .filter { seen.insert($0).inserted }
    var found: [String: Governance_Grid_V1_Case] = [:]
    try await Principal.$current.withValue(reader) {
      for category in categories {
        var pageToken = ""
        var matched = 0
        repeat {
          let page = try await grid.listCases(
            .with {
              $0.divisionPrefix = configuration.jurisdictionID
              $0.category = category
              $0.statuses = query.statuses.flatMap(\.caseStatuses)
              $0.fromDate = CalendarDate.today(at: query.start)
              $0.toDate = CalendarDate.today(at: query.end)
              $0.orderBy = "case_number desc"
              $0.pageSize = 500
              $0.pageToken = pageToken
            })
          for gridCase in page.cases where (query.start...query.end).contains(gridCase.reportTime.date) {
            found[gridCase.id] = gridCase
            matched += 1
          }
          pageToken = page.nextPageToken
        } while !pageToken.isEmpty && matched < Self.maximumResults
      }
    }
    return Array(
      found.values.sorted { ($0.reportTime.seconds, $0.id) > ($1.reportTime.seconds, $1.id) }
        .prefix(Self.maximumResults))
  }

  /// `GET media/{attachment id}`: the photo a `media_url` points to, as anyone may see it: read
  /// as the public reader, so the grid service gives the copy without its metadata (a resident's
  /// photo carries their home's GPS position) and refuses a PDF (403), which only the staff
  /// handling the case see. Served with the file endpoint's safe headers.
  func media(_ id: String, request: Request) async -> Response {
    do {
      let answer = try await Principal.$current.withValue(reader) {
        try await grid.getAttachmentContent(.with { $0.id = id })
      }
      return AttachmentController.fileResponse(answer, request: request)
    } catch {
      return Self.open311Error(error).response(.json)
    }
  }

  /// The absolute URL of each case's first photo (`/open311/v2/media/{id}` at the gateway), by case id;
  /// cases without one are left out. Up to 8 lookups run at once. A grid service that lists no
  /// attachments (or fails to) leaves `media_url` empty rather than failing the answer.
  func mediaURLs(for cases: [Governance_Grid_V1_Case], base: String) async -> [String: String] {
    guard let first = cases.first else { return [:] }
    let grid = grid
    @Sendable func lookUp(_ id: String) async throws -> String? {
      try await grid.listAttachments(.with { $0.parent = "cases/\(id)" }).attachments
        .first { $0.mediaType != Attachments.MediaType.pdf.rawValue }
        .map { "\(base)/open311/v2/media/\($0.id)" }
    }
    return await Principal.$current.withValue(reader) {
      var urls: [String: String] = [:]
      // One first: a service without the method (or unreachable) is found out in one call, not a thousand.
      do {
        urls[first.id] = try await lookUp(first.id)
      } catch {
        return urls
      }
      await withTaskGroup(of: (String, String?).self) { group in
        var pending = cases.dropFirst().map(\.id).makeIterator()
        for _ in 0..<8 {
          guard let id = pending.next() else { break }
          group.addTask { (id, try? await lookUp(id)) }
        }
        while let (id, url) = await group.next() {
          urls[id] = url
          if let next = pending.next() { group.addTask { (next, try? await lookUp(next)) } }
        }
      }
      return urls
    }
  }

  // MARK: Errors, parameters and the audit trail

  /// The parameters of the query string.
  static func query(_ request: Request) throws(Open311Error) -> [String: String] {
    guard let query = request.uri.query else { return [:] }
    return try Open311Form.parse(Substring(query))
  }

  /// Any error as the standard's: a service's refusal by its code (INVALID_ARGUMENT and
  /// FAILED_PRECONDITION 400 with the parameter named in Open311's terms, NOT_FOUND 404,
  /// PERMISSION_DENIED and UNAUTHENTICATED 403, UNAVAILABLE 503), a body past the limit 413,
  /// anything else 500.
  static func open311Error(_ error: any Error) -> Open311Error {
    switch error {
    case let error as Open311Error: return error
    case let error as RPCError:
      switch error.code {
      case .invalidArgument, .failedPrecondition, .outOfRange:
        let violation = ConnectError.details(of: error).compactMap { $0.debug?.fieldViolations?.first }.first
        guard let violation else { return Open311Error(.badRequest, error.message) }
        if violation.field.hasSuffix("division_code") || violation.field.hasSuffix("location.grid_code") {
          // No point, so no place: the grid service asks for a grid or community code, which
          // Open311 has no parameter for.
          return Open311Error.badRequest(
            "lat, long", "required here: requests are placed in a grid by their point, not by address_string alone")
        }
        return Open311Error.badRequest(parameter(for: violation.field), violation.description)
      case .notFound: return Open311Error(.notFound, error.message)
      case .permissionDenied, .unauthenticated: return Open311Error(.forbidden, error.message)
      case .alreadyExists, .aborted: return Open311Error(.conflict, error.message)
      case .resourceExhausted: return Open311Error(.tooManyRequests, error.message)
      case .unavailable, .deadlineExceeded:
        return Open311Error(.serviceUnavailable, "the case service is unavailable; try again")
      case .unimplemented: return Open311Error(.notImplemented, error.message)
      default: return Open311Error(.internalServerError, "internal error at the gateway")
      }
    case let error as any RPCErrorConvertible: return open311Error(RPCError(error))
    case let error as HTTPError where error.status == .contentTooLarge:
      return Open311Error(
        .contentTooLarge, "the request is larger than \(maximumBody) bytes (a photo takes at most 3 MiB)")
    case is NIOTooManyBytesError:
      return Open311Error(
        .contentTooLarge, "the request is larger than \(maximumBody) bytes (a photo takes at most 3 MiB)")
    default: return Open311Error(.internalServerError, "internal error at the gateway")
    }
  }

  /// The Open311 parameter a field of the grid service's contract came from, so a refusal names
  /// what the client sent: `grid_case.location.point.latitude` is `lat`.
  static func parameter(for field: String) -> String {
    let known: [(suffix: String, parameter: String)] = [
      ("point.latitude", "lat"), ("point.longitude", "long"), ("point", "lat, long"),
      ("location.address", "address_string"), ("grid_case.details", "description"),
      ("grid_case.title", "description"), ("grid_case.category", "service_code"),
      ("reporter.name", "first_name, last_name"), ("reporter.phone", "phone"),
      ("filename", mediaField), ("content", mediaField),
    ]
    return known.first { field.hasSuffix($0.suffix) }?.parameter ?? field
  }

  /// Writes a POST to the audit trail as the grid method it made, like the Connect API's writes.
  func audit(
    _ method: String, target: String, principal: Principal, result: String, context: GatewayRequestContext
  ) async {
    do {
      try await store.audit(
        subject: principal.subject, role: principal.role?.rawValue ?? "", action: "\(Self.gridService)/\(method)",
        target: target, remote: context.remote, result: result)
    } catch {
      context.logger.error("cannot write the audit trail", metadata: ["error": "\(error)"])
    }
  }
}

/// The filters of `GET requests` (GeoReport v2 "GET Service Requests") other than ids.
struct Open311Query: Sendable, Equatable {
  /// `service_code`: the codes asked for; nil for all.
  var serviceCodes: [String]?
  /// `start_date`…`end_date`: report times, both ends included.
  var start: Date
  var end: Date
  /// `status`: open, closed or both (empty for both).
  var statuses: [Open311Status]

  /// The filters of `parameters` at `now`.
  /// - Throws: `Open311Error` 400 naming `start_date`, `end_date` or `status` when one is
  ///   malformed, the end is before the start or the range spans more than 90 days.
  init(_ parameters: [String: String], now: Date) throws(Open311Error) {
    func list(_ name: String) -> [String]? {
      let items = (parameters[name] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        .filter { !$0.isEmpty }
      return items.isEmpty ? nil : items
    }
    serviceCodes = list("service_code")
    // Each code is a listing of its own in the grid service: a list is held to the catalogue's
    // size and a little more, not left to fan out into thousands of calls.
    if let codes = serviceCodes, codes.count > Open311Controller.maximumServiceCodes {
      throw Open311Error.badRequest(
        "service_code", "names at most \(Open311Controller.maximumServiceCodes) service codes, got \(codes.count)")
    }
    var statuses: [Open311Status] = []
    for word in list("status") ?? [] {
      guard let status = Open311Status(rawValue: word.lowercased()) else {
        throw Open311Error.badRequest("status", "'\(word.prefix(40))' is not open or closed")
      }
      if !statuses.contains(status) { statuses.append(status) }
    }
    self.statuses = statuses
    let range = Open311Controller.maximumRange
    let startText = parameters["start_date"].flatMap { $0.isEmpty ? nil : $0 }
    let endText = parameters["end_date"].flatMap { $0.isEmpty ? nil : $0 }
    let start = try startText.map { text throws(Open311Error) in
      try Open311DateTime.parse(text, parameter: "start_date")
    }
    let end = try endText.map { text throws(Open311Error) in
      try Open311DateTime.parse(text, parameter: "end_date", endOfDay: true)
    }
    switch (start, end) {
    case (let start?, let end?):
      guard end >= start else { throw Open311Error.badRequest("end_date", "is before start_date") }
      guard end.timeIntervalSince(start) <= range else {
        throw Open311Error.badRequest("end_date", "is more than 90 days after start_date")
      }
      (self.start, self.end) = (start, end)
    case (let start?, nil): (self.start, self.end) = (start, start.addingTimeInterval(range))
    case (nil, let end?): (self.start, self.end) = (end.addingTimeInterval(-range), end)
    case (nil, nil): (self.start, self.end) = (now.addingTimeInterval(-range), now)
    }
  }
}
