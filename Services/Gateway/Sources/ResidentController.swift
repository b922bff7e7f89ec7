import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import GovernanceAPI
import HTTPTypes
import Hummingbird
import NIOCore
import ServiceKit
import SwiftProtobuf

/// The residents' public API behind the page at `/r/` (居民端), at `/resident/`: a phone proved
/// with a one-time code, reports with photos and a place, their status and public timeline,
/// evaluation and reopening, and micro-wishes (微心愿). Every call goes to the services as the
/// resident's own principal (role `resident`, `ResidentAccess.subject`), so the services' rules
/// (ResidentReports, ResidentVolunteering) hold them to their own records; this controller
/// shapes what a resident may see: personal data masked, notes only where they are public.
///
/// JSON in and out, errors as the Connect API's (`{"code", "message"}`), 429 with `Retry-After`
/// for a rate limit (ResidentAccess, RateLimit). The session is the cookie `gov_resident`
/// (HttpOnly, SameSite=Strict); every POST after sign-in carries `X-CSRF-Token`.
struct ResidentController: Sendable {
  static let sessionCookie = "gov_resident"
  /// The largest JSON body.
  static let maximumJSON = 16 * 1024
  /// The most photos with a report.
  static let maximumPhotos = 3
  /// The largest report form: its photos at their limit and the text.
  static let maximumForm = maximumPhotos * Attachments.maximumBytes + 64 * 1024
  /// The longest description.
  static let maximumDescription = 2000

  let store: GatewayStore
  let peers: PeerClients
  let sender: any MessageSender
  let secureCookies: Bool

  var endpoints: RouteCollection<GatewayRequestContext> {
    let routes = RouteCollection(context: GatewayRequestContext.self)
    routes.post("code") { request, context in await answer { try await sendCode(request, context: context) } }
    routes.post("session") { request, context in await answer { try await signIn(request, context: context) } }
    routes.get("session") { request, _ in await answer { try await session(request) } }
    routes.post("session/end") { request, _ in await answer { try await signOut(request) } }
    routes.get("categories") { _, _ in JSONAnswer.response(Categories()) }
    routes.get("compounds") { request, _ in await answer { try await compounds(request) } }
    routes.get("compounds/:id/buildings") { _, context in
      await answer { try await buildings(compound: context.parameters.get("id") ?? "") }
    }
    routes.post("reports") { request, context in await answer { try await report(request, context: context) } }
    routes.get("reports") { request, _ in await answer { try await myReports(request) } }
    routes.get("reports/:number") { request, context in
      await answer { try await lookUp(request, context: context, number: context.parameters.get("number") ?? "") }
    }
    routes.post("reports/:number/evaluation") { request, context in
      await answer { try await evaluate(request, context: context, number: context.parameters.get("number") ?? "") }
    }
    routes.post("reports/:number/reopen") { request, context in
      await answer { try await reopen(request, context: context, number: context.parameters.get("number") ?? "") }
    }
    routes.get("files/:id") { request, context in await photo(request, id: context.parameters.get("id") ?? "") }
    routes.get("wishes") { request, _ in await answer { try await wishes(request) } }
    routes.post("wishes") { request, context in await answer { try await postWish(request, context: context) } }
    routes.post("wishes/:id/claim") { request, context in
      await answer { try await claim(request, context: context, wish: context.parameters.get("id") ?? "") }
    }
    return routes
  }

  /// Runs a handler and answers its refusal as the Connect API does.
  func answer(_ handler: () async throws -> Response) async -> Response {
    do {
      return try await handler()
    } catch {
      return ConnectError(error).response
    }
  }

  // MARK: Who

  /// The principal every public read goes as: a resident, but nobody in particular.
  static let publicReader = Principal(subject: "resident:public", role: .resident, scope: "")

  static func principal(of resident: GatewayStore.Resident) -> Principal {
    Principal(subject: resident.subject, role: .resident, scope: "")
  }

  /// The resident of the request's session, or nil without one.
  func resident(_ request: Request) async throws -> (resident: GatewayStore.Resident, csrf: String)? {
    guard let token = request.cookies[Self.sessionCookie]?.value else { return nil }
    return try await store.residentSession(token: token)
  }

  /// The resident of a change: signed in, with the session's CSRF token.
  /// - Throws: unauthenticated (401) without a session; permission_denied without the token.
  func signedIn(_ request: Request) async throws -> GatewayStore.Resident {
    guard let (resident, csrf) = try await resident(request) else {
      throw DomainError.unauthenticated(reason: "verify your phone number with a one-time code first")
    }
    guard request.headers[ConnectController.csrfHeader] == csrf else {
      throw DomainError.permissionDenied(reason: "missing or wrong X-CSRF-Token for this session")
    }
    return resident
  }

  func cookie(_ value: String, maxAge: Int) -> Cookie {
    Cookie(
      name: Self.sessionCookie, value: value, maxAge: maxAge, path: "/", secure: secureCookies, httpOnly: true,
      sameSite: .strict)
  }

  /// A JSON body of at most `maximumJSON` bytes, sent as `application/json` (which a form on
  /// another site cannot send without asking first).
  /// - Throws: invalid_argument when it is not that JSON.
  static func json<Body: Decodable>(_ request: Request, as type: Body.Type) async throws -> Body {
    guard (request.headers[.contentType] ?? "").lowercased().hasPrefix("application/json") else {
      var refusal = ConnectError(.invalidArgument, "send the body as application/json")
      refusal.httpStatus = .unsupportedMediaType
      throw refusal
    }
    let body: ByteBuffer
    do {
      body = try await request.body.collect(upTo: Self.maximumJSON)
    } catch is NIOTooManyBytesError {
      var refusal = ConnectError(.invalidArgument, "the body is at most \(Self.maximumJSON) bytes of JSON")
      refusal.httpStatus = .contentTooLarge
      throw refusal
    }
    do {
      return try JSONDecoder().decode(Body.self, from: Data(buffer: body))
    } catch {
      throw ConnectError(.invalidArgument, "the body is not the JSON this call takes: \(Self.describe(error))")
    }
  }

  static func describe(_ error: any Error) -> String {
    switch error {
    case DecodingError.keyNotFound(let key, _): "'\(key.stringValue)' is missing"
    case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
      "'\(context.codingPath.map(\.stringValue).joined(separator: "."))' has the wrong type"
    default: "it cannot be read"
    }
  }

  /// A request id a page sends with a change: 1 to 64 characters of letters, digits, '-' and '_'.
  static func requestID(_ value: String?) throws -> String {
    let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_".utf8)
    guard let value, (1...64).contains(value.utf8.count), value.utf8.allSatisfy(allowed.contains) else {
      throw DomainError.invalidArgument(
        field: "request_id", rule: "1 to 64 ASCII letters, digits, '-' or '_', the same on every retry")
    }
    return value
  }

  func audit(_ resident: GatewayStore.Resident, action: String, target: String, context: GatewayRequestContext)
    async
  {
    do {
      try await store.audit(
        subject: resident.subject, role: Role.resident.rawValue, action: action, target: target,
        remote: context.remote, result: "ok")
    } catch {
      context.logger.error("cannot write the audit trail", metadata: ["error": "\(error)"])
    }
  }

  // MARK: One-time codes and sessions

  struct CodeForm: Decodable { var phone: String }
  struct CodeSent: Encodable {
    var phone: String
    var expiresInSeconds: Int
    var resendAfterSeconds: Int
  }

  /// `POST /resident/code` `{"phone"}`: sends a new code (202), within the per-phone and
  /// per-address limits.
  func sendCode(_ request: Request, context: GatewayRequestContext) async throws -> Response {
    let phone = try ResidentAccess.phone(try await Self.json(request, as: CodeForm.self).phone)
    let subject = try await store.residentSubject(phone: phone)
    try await store.take([
      ("code-address:\(context.remote)", RateLimit.codesPerAddress), ("code-phone:\(subject)", RateLimit.codesPerPhone),
    ])
    let code = ResidentAccess.newCode()
    try await store.issueCode(code, phone: phone)
    do {
      // By SMS the approved template carries the words; the body is what the log sender writes.
      let minutes = String(Int(ResidentAccess.codeLifetime / 60))
      let text = "【社区治理】您的验证码是 \(code)，\(minutes)分钟内有效。one-time code \(code)"
      try await sender.send(
        OutgoingMessage(
          kind: "resident.code", title: "验证码", body: text, template: ChannelSettings.oneTimeCodeTemplate,
          parameters: [code, minutes]), to: phone)
    } catch {
      throw ConnectError(.unavailable, "the one-time code cannot be sent now; try again in a minute")
    }
    return JSONAnswer.response(
      CodeSent(
        phone: ResidentAccess.masked(phone: phone), expiresInSeconds: Int(ResidentAccess.codeLifetime),
        resendAfterSeconds: Int(RateLimit.codesPerPhone[0].window)), status: .accepted)
  }

  struct SignInForm: Decodable {
    var phone: String
    var code: String
  }
  struct SessionAnswer: Encodable {
    var phone: String
    var csrfToken: String
  }

  /// `POST /resident/session` `{"phone", "code"}`: a session for a right code (the code is used
  /// up); 401 for a wrong, expired or used-up one.
  func signIn(_ request: Request, context: GatewayRequestContext) async throws -> Response {
    let form = try await Self.json(request, as: SignInForm.self)
    let phone = try ResidentAccess.phone(form.phone)
    try await store.take([("verify-address:\(context.remote)", RateLimit.verificationsPerAddress)])
    guard
      let (resident, token, csrf) = try await store.verify(
        code: form.code.trimmingCharacters(in: .whitespaces), phone: phone)
    else {
      throw DomainError.unauthenticated(
        reason: "the code is wrong, expired (after 5 minutes) or used up (after 5 tries); ask for a new one")
    }
    var response = JSONAnswer.response(
      SessionAnswer(phone: ResidentAccess.masked(phone: resident.phone), csrfToken: csrf))
    response.setCookie(cookie(token, maxAge: Int(ResidentAccess.sessionAbsoluteLimit)))
    return response
  }

  /// `GET /resident/session`: the signed-in resident's masked number and CSRF token, or 401.
  func session(_ request: Request) async throws -> Response {
    guard let (resident, csrf) = try await resident(request) else {
      throw DomainError.unauthenticated(reason: "verify your phone number with a one-time code first")
    }
    return JSONAnswer.response(SessionAnswer(phone: ResidentAccess.masked(phone: resident.phone), csrfToken: csrf))
  }

  /// `POST /resident/session/end`: ends the session.
  func signOut(_ request: Request) async throws -> Response {
    _ = try await signedIn(request)
    if let token = request.cookies[Self.sessionCookie]?.value { try await store.endResidentSession(token: token) }
    var response = JSONAnswer.response(["ended": true])
    response.setCookie(cookie("", maxAge: 0))
    return response
  }

  // MARK: Places and categories

  struct Categories: Encodable {
    struct Category: Encodable {
      var code: String
      var name: String
      var description: String
    }
    var categories = Open311Service.catalogue.map {
      Category(code: $0.code, name: $0.name, description: $0.description)
    }
  }

  struct CompoundEntry: Encodable {
    var id: String
    var name: String
    var community: String
  }

  var grid: Governance_Grid_V1_GridService.Client<HTTP2ClientTransport.Posix> {
    Governance_Grid_V1_GridService.Client(wrapping: peers.client(for: .grid))
  }
  var property: Governance_Property_V1_PropertyService.Client<HTTP2ClientTransport.Posix> {
    Governance_Property_V1_PropertyService.Client(wrapping: peers.client(for: .property))
  }
  var volunteers: Governance_Volunteers_V1_VolunteersService.Client<HTTP2ClientTransport.Posix> {
    Governance_Volunteers_V1_VolunteersService.Client(wrapping: peers.client(for: .volunteers))
  }

  /// The names of divisions (communities, streets) by code, each asked once.
  func divisionNames(_ codes: some Sequence<String>) async -> [String: String] {
    var names: [String: String] = [:]
    for code in Set(codes) where !code.isEmpty {
      names[code] = try? await grid.getDivision(.with { $0.divisionCode = code }).name
    }
    return names
  }

  /// `GET /resident/compounds?q=`: up to 20 compounds whose name holds `q` (1 to 50 characters).
  func compounds(_ request: Request) async throws -> Response {
    let query = request.uri.queryParameters.get("q")?.trimmingCharacters(in: .whitespaces) ?? ""
    guard (1...50).contains(query.count) else {
      throw DomainError.invalidArgument(field: "q", rule: "1 to 50 characters of a compound's name")
    }
    let found = try await Principal.$current.withValue(Self.publicReader) {
      let compounds = try await property.listCompounds(
        .with {
          $0.nameContains = query
          $0.pageSize = 20
          $0.orderBy = "name"
        }
      ).compounds
      let names = await divisionNames(compounds.map(\.divisionCode))
      return compounds.map { CompoundEntry(id: $0.id, name: $0.name, community: names[$0.divisionCode] ?? "") }
    }
    return JSONAnswer.response(["compounds": found])
  }

  struct BuildingEntry: Encodable {
    var id: String
    var name: String
  }

  /// `GET /resident/compounds/{id}/buildings`: the compound's buildings.
  func buildings(compound: String) async throws -> Response {
    let id = try FieldValidation.requiredID(compound, field: "compound_id")
    let found = try await Principal.$current.withValue(Self.publicReader) {
      try await property.listBuildings(
        .with {
          $0.compoundID = id
          $0.pageSize = 200
        }
      ).buildings.map { BuildingEntry(id: $0.id, name: $0.name) }
    }
    return JSONAnswer.response(["buildings": found])
  }

  // MARK: Reports

  /// A case as a resident sees it: the reporter masked, staff and their notes left out except
  /// what is said to the reporter (a resolution, a rejection's reason, a reopening's reason).
  struct Report: Encodable {
    struct Contact: Encodable {
      var name: String
      var phone: String
    }
    struct Step: Encodable {
      var time: String
      var kind: String
      var status: String
      var note: String
    }
    struct Photo: Encodable {
      var url: String
      var name: String
    }
    struct Evaluation: Encodable {
      var satisfaction: Int32
      var comment: String
    }
    var trackingNumber: String
    var category: String
    var categoryName: String
    var title: String
    var description: String
    var status: String
    var reporter: Contact
    var place: String
    var reportTime: String
    var timeline: [Step]
    var photos: [Photo]
    var resolution: String
    var evaluation: Evaluation?
    var mine: Bool
    var mayEvaluate: Bool
    var mayReopen: Bool
    var reopenUntil: String?
  }

  static func time(_ timestamp: Google_Protobuf_Timestamp) -> String {
    timestamp.date.formatted(.iso8601)
  }

  /// The resident's view of `gridCase`; `whole` adds its timeline, photos and reopening window
  /// (a list shows the rest).
  func view(_ gridCase: Governance_Grid_V1_Case, for viewer: String?, whole: Bool) async throws -> Report {
    let service = Open311Service.of(category: gridCase.category)
    let mine = viewer != nil && gridCase.reporterPrincipalID == viewer
    var report = Report(
      trackingNumber: gridCase.caseNumber, category: service?.code ?? gridCase.category,
      categoryName: service?.name ?? gridCase.category, title: gridCase.title, description: gridCase.details,
      status: RuleText.protoName(of: gridCase.status) ?? "",
      reporter: .init(name: gridCase.reporter.name, phone: gridCase.reporter.phone), place: "",
      reportTime: Self.time(gridCase.reportTime), timeline: [], photos: [], resolution: gridCase.resolution,
      evaluation: gridCase.hasEvaluation
        ? .init(satisfaction: gridCase.evaluation.satisfaction, comment: gridCase.evaluation.comment) : nil,
      mine: mine, mayEvaluate: mine && gridCase.status == .resolved, mayReopen: false, reopenUntil: nil)
    guard whole else { return report }
    if !gridCase.location.gridCode.isEmpty {
      report.place = (try? await grid.getGrid(.with { $0.gridCode = gridCase.location.gridCode }).name) ?? ""
    }
    if report.place.isEmpty { report.place = await divisionNames([gridCase.divisionCode])[gridCase.divisionCode] ?? "" }
    let events = try await grid.listCaseEvents(
      .with {
        $0.caseID = gridCase.id
        $0.pageSize = 100
      }
    ).events
    report.timeline = events.map { event in
      let publicNote: String =
        switch event.kind {
        case .resolved, .rejected, .reopened, .evaluated: event.note
        default: ""
        }
      return .init(
        time: Self.time(event.eventTime), kind: RuleText.protoName(of: event.kind) ?? "",
        status: RuleText.protoName(of: event.toStatus) ?? "", note: publicNote)
    }
    report.photos = try await grid.listAttachments(.with { $0.parent = "cases/\(gridCase.id)" }).attachments
      .filter { $0.mediaType.hasPrefix("image/") }
      .map { .init(url: "/resident/files/\($0.id)", name: $0.filename) }
    if [.resolved, .evaluated, .closed].contains(gridCase.status), gridCase.hasResolveTime {
      let days = try await grid.getDeadlinePolicy(.with { $0.divisionCode = gridCase.divisionCode }).reopenWindowDays
      let until = gridCase.resolveTime.date.addingTimeInterval(TimeInterval(days) * 86_400)
      report.reopenUntil = until.formatted(.iso8601)
      report.mayReopen = mine && Date() < until
    }
    return report
  }

  /// A tracking number as the case number is written: the date and the day's sequence.
  /// - Throws: invalid_argument naming `tracking_number`.
  static func trackingNumber(_ value: String) throws -> String {
    let parts = value.split(separator: "-", omittingEmptySubsequences: false)
    guard parts.count == 2, parts[0].utf8.count == 8, parts[1].utf8.count == 5,
      parts.allSatisfy({ $0.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) } })
    else {
      throw DomainError.invalidArgument(
        field: "tracking_number", rule: "is the date and the day's number, e.g. 20261201-00003")
    }
    return value
  }

  /// The case with this tracking number, read as `principal`.
  func gridCase(number: String) async throws -> Governance_Grid_V1_Case {
    let number = try Self.trackingNumber(number)
    guard
      let found = try await grid.listCases(
        .with {
          $0.caseNumber = number
          $0.pageSize = 1
        }
      ).cases.first, found.caseNumber == number
    else { throw DomainError.notFound(resource: "report", id: number) }
    return found
  }

  /// `POST /resident/reports`, multipart: a case of source RESIDENT with its photos, all checked
  /// before anything is stored; the same `request_id` again stores nothing twice.
  func report(_ request: Request, context: GatewayRequestContext) async throws -> Response {
    let resident = try await signedIn(request)
    let limits = [
      (bucket: "report-address:\(context.remote)", limits: RateLimit.reportsPerAddress),
      (bucket: "report-phone:\(resident.subject)", limits: RateLimit.reportsPerPhone),
    ]
    // A form costs work to read: one over a limit is refused before it is read.
    for (bucket, limit) in limits { try await store.check(bucket, limit) }
    let boundary = try AttachmentController.boundary(of: request)
    if let length = request.headers[.contentLength].flatMap(Int.init), length > Self.maximumForm {
      throw Self.formTooLarge()
    }
    let body: ByteBuffer
    do {
      body = try await request.body.collect(upTo: Self.maximumForm)
    } catch is NIOTooManyBytesError {
      throw Self.formTooLarge()
    }
    let form = try FormParts(body: body, boundary: boundary, limit: 16, field: "form")
    let photos = try Self.photos(form)
    let asked = try await newCase(form, resident: resident)
    try await store.take(limits)
    let shown = try await Principal.$current.withValue(Self.principal(of: resident)) {
      let created = try await grid.createCase(asked)
      for (index, photo) in photos.enumerated() {
        _ = try await grid.createAttachment(
          .with {
            $0.requestID = "\(asked.requestID)-photo-\(index)"
            $0.parent = "cases/\(created.id)"
            $0.filename = photo.name
            $0.content = photo.content
          })
      }
      return try await view(created, for: resident.subject, whole: true)
    }
    await audit(resident, action: "resident/report", target: shown.trackingNumber, context: context)
    return JSONAnswer.response(shown, status: .created)
  }

  static func formTooLarge() -> ConnectError {
    var refusal = ConnectError(
      DomainError.invalidArgument(
        field: "photo",
        rule:
          "is at most \(Attachments.maximumBytes) bytes (3 MiB) each, at most \(maximumPhotos), in a form of at most \(maximumForm) bytes"
      ))
    refusal.httpStatus = .contentTooLarge
    return refusal
  }

  /// The report's photos: at most three JPEG, PNG or WebP images of at most 3 MiB each, each
  /// checked as the grid service will check it (its type by its bytes, and whole enough to strip
  /// its metadata), so that no report is stored with a photo the service then refuses. They are
  /// named 照片1.jpg… rather than as the phone named them, since anyone may see their names.
  static func photos(_ form: FormParts) throws -> [(name: String, content: Data)] {
    let parts = form.parts.filter { $0.name == "photo" && $0.body.readableBytes > 0 }
    guard parts.count <= maximumPhotos else {
      throw DomainError.invalidArgument(field: "photo", rule: "at most \(maximumPhotos) photos with a report")
    }
    return try parts.enumerated().map { index, part in
      let content = Data(buffer: part.body)
      let field = "photo[\(index)]"
      guard content.count <= Attachments.maximumBytes else {
        var refusal = ConnectError(
          DomainError.invalidArgument(field: field, rule: "is at most \(Attachments.maximumBytes) bytes (3 MiB)"))
        refusal.httpStatus = .contentTooLarge
        throw refusal
      }
      guard let type = Attachments.mediaType(of: content), type != .pdf else {
        throw DomainError.invalidArgument(field: field, rule: "is a JPEG, PNG or WebP photo, judged by its first bytes")
      }
      _ = try MetadataStripping.stripped(content, type: type, field: field)
      let suffix = type == .jpeg ? "jpg" : type.rawValue.split(separator: "/").last.map(String.init) ?? "jpg"
      return ("照片\(index + 1).\(suffix)", content)
    }
  }

  /// The CreateCase request a report form asks for: its category from the catalogue, its place
  /// from a position or a compound (the compound's point, else its first grid, else its
  /// community), the resident's name and proved number as the reporter.
  func newCase(_ form: FormParts, resident: GatewayStore.Resident) async throws -> Governance_Grid_V1_CreateCaseRequest
  {
    let requestID = try Self.requestID(form.text("request_id"))
    guard let code = form.text("category"), let service = Open311Service.named(code) else {
      throw DomainError.invalidArgument(
        field: "category", rule: "is one of \(Open311Service.catalogue.map(\.code).joined(separator: ", "))")
    }
    let description = try FieldValidation.optionalText(
      form.text("description") ?? "", field: "description", maximumLength: Self.maximumDescription)
    guard !description.isEmpty else {
      throw DomainError.invalidArgument(
        field: "description", rule: "says what is wrong in 1 to \(Self.maximumDescription) characters")
    }
    let name = try FieldValidation.requiredName(form.text("name") ?? "", field: "name", maximumLength: 50)
    var location = Governance_Grid_V1_CaseLocation()
    if let longitude = form.text("longitude"), let latitude = form.text("latitude") {
      guard let lon = Self.decimal(longitude), let lat = Self.decimal(latitude) else {
        throw DomainError.invalidArgument(field: "longitude", rule: "longitude and latitude are decimal degrees")
      }
      let accuracy = try form.text("accuracy").map {
        guard let metres = Self.decimal($0) else {
          throw DomainError.invalidArgument(field: "accuracy", rule: "is a decimal number of metres")
        }
        return metres
      }
      location.point = try GeoValidation.point(
        .with {
          $0.longitude = lon
          $0.latitude = lat
          $0.accuracyMeters = accuracy ?? 0
        }, field: "position")
    } else if let compoundID = form.text("compound_id") {
      let compound = try await Principal.$current.withValue(Self.publicReader) {
        try await property.getCompound(.with { $0.id = compoundID })
      }
      location.compoundID = compound.id
      location.address = compound.name
      if let buildingID = form.text("building_id") {
        let building = try await Principal.$current.withValue(Self.publicReader) {
          try await property.getBuilding(.with { $0.id = buildingID })
        }
        guard building.compoundID == compound.id else {
          throw DomainError.invalidArgument(field: "building_id", rule: "is a building of the compound chosen")
        }
        location.buildingID = building.id
        location.address = "\(compound.name)\(building.name)"
      }
      if compound.hasPoint {
        location.point = compound.point
      } else if let gridCode = compound.gridCodes.first {
        location.gridCode = gridCode
      }
      if !compound.hasPoint && compound.gridCodes.isEmpty {
        return Self.caseRequest(
          requestID, service: service, description: description, name: name, phone: resident.phone,
          location: location, community: compound.divisionCode)
      }
    } else {
      throw DomainError.invalidArgument(
        field: "position", rule: "send the phone's position (longitude, latitude) or choose a compound")
    }
    return Self.caseRequest(
      requestID, service: service, description: description, name: name, phone: resident.phone, location: location,
      community: "")
  }

  /// A case's title from a report: the category's name and the description's first 30
  /// characters on one line (a title holds no line breaks or tabs), "…" when it goes on.
  static func title(service: Open311Service, description: String) -> String {
    let line = description.split(whereSeparator: { $0.isNewline || $0 == "\t" }).joined(separator: " ")
    return "\(service.name)：\(String(line.prefix(30)))\(line.count > 30 ? "…" : "")"
  }

  /// A number written as a phone's browser writes a position: an optional minus sign, digits and
  /// at most one decimal point, nothing else (no exponent, no hexadecimal, no "inf"); at most 32
  /// characters.
  static func decimal(_ text: String) -> Double? {
    let digits = text.hasPrefix("-") ? text.dropFirst() : Substring(text)
    guard text.utf8.count <= 32, !digits.isEmpty, digits.filter({ $0 == "." }).count <= 1,
      digits.allSatisfy({ $0 == "." || ("0"..."9").contains($0) }), digits.first != ".", digits.last != "."
    else { return nil }
    return Double(text)
  }

  static func caseRequest(
    _ requestID: String, service: Open311Service, description: String, name: String, phone: String,
    location: Governance_Grid_V1_CaseLocation, community: String
  ) -> Governance_Grid_V1_CreateCaseRequest {
    .with {
      $0.requestID = requestID
      $0.gridCase = .with {
        $0.source = .resident
        $0.category = service.name
        $0.title = title(service: service, description: description)
        $0.details = description
        $0.location = location
        $0.divisionCode = community
        $0.reporter = .with {
          $0.name = name
          $0.phone = phone
        }
      }
    }
  }

  /// `GET /resident/reports`: the signed-in resident's reports, newest first (at most 50).
  func myReports(_ request: Request) async throws -> Response {
    guard let (resident, _) = try await resident(request) else {
      throw DomainError.unauthenticated(reason: "verify your phone number with a one-time code first")
    }
    let reports = try await Principal.$current.withValue(Self.principal(of: resident)) {
      var views: [Report] = []
      for gridCase in try await grid.listCases(
        .with {
          $0.reporterPrincipalID = resident.subject
          $0.orderBy = "create_time desc"
          $0.pageSize = 50
        }
      ).cases {
        views.append(try await view(gridCase, for: resident.subject, whole: false))
      }
      return views
    }
    return JSONAnswer.response(["reports": reports])
  }

  /// `GET /resident/reports/{trackingNumber}`: anyone with the number of a resident's report sees
  /// its status and public timeline, the reporter masked; the reporter also sees what they may
  /// do. Other cases (patrol findings, hotline cases) are not found here.
  func lookUp(_ request: Request, context: GatewayRequestContext, number: String) async throws -> Response {
    let viewer = try await resident(request)?.resident
    // Numbers run day by day, so looking them up one after another is bounded per address.
    try await store.take([("lookup-address:\(context.remote)", RateLimit.lookupsPerAddress)])
    let report = try await Principal.$current.withValue(viewer.map(Self.principal(of:)) ?? Self.publicReader) {
      let found = try await gridCase(number: number)
      // The page follows residents' reports; a patrol's finding or a hotline case is not public.
      guard found.source == .resident || found.reporterPrincipalID == viewer?.subject else {
        throw DomainError.notFound(resource: "report", id: number)
      }
      return try await view(found, for: viewer?.subject, whole: true)
    }
    return JSONAnswer.response(report)
  }

  struct EvaluationForm: Decodable {
    var request_id: String?
    var satisfaction: Int32
    var comment: String?
  }

  /// `POST /resident/reports/{trackingNumber}/evaluation`: the reporter rates a resolved case.
  func evaluate(_ request: Request, context: GatewayRequestContext, number: String) async throws -> Response {
    let resident = try await signedIn(request)
    let form = try await Self.json(request, as: EvaluationForm.self)
    let requestID = try Self.requestID(form.request_id)
    let report = try await Principal.$current.withValue(Self.principal(of: resident)) {
      let target = try await gridCase(number: number)
      let evaluated = try await grid.evaluateCase(
        .with {
          $0.requestID = requestID
          $0.caseID = target.id
          $0.satisfaction = form.satisfaction
          $0.comment = form.comment ?? ""
        })
      return try await view(evaluated, for: resident.subject, whole: true)
    }
    await audit(resident, action: "resident/evaluate", target: report.trackingNumber, context: context)
    return JSONAnswer.response(report)
  }

  struct ReopenForm: Decodable {
    var request_id: String?
    var reason: String
  }

  /// `POST /resident/reports/{trackingNumber}/reopen`: the reporter reopens within the window.
  func reopen(_ request: Request, context: GatewayRequestContext, number: String) async throws -> Response {
    let resident = try await signedIn(request)
    let form = try await Self.json(request, as: ReopenForm.self)
    let requestID = try Self.requestID(form.request_id)
    let report = try await Principal.$current.withValue(Self.principal(of: resident)) {
      let target = try await gridCase(number: number)
      let reopened = try await grid.reopenCase(
        .with {
          $0.requestID = requestID
          $0.caseID = target.id
          $0.reason = form.reason
        })
      return try await view(reopened, for: resident.subject, whole: true)
    }
    await audit(resident, action: "resident/reopen", target: report.trackingNumber, context: context)
    return JSONAnswer.response(report)
  }

  /// `GET /resident/files/{id}`: a case photo as anyone but its handlers sees it, without its
  /// metadata (no position, no camera, no time).
  func photo(_ request: Request, id: String) async -> Response {
    do {
      let id = try FieldValidation.requiredID(id, field: "id")
      let answer = try await Principal.$current.withValue(Self.publicReader) {
        try await grid.getAttachmentContent(.with { $0.id = id })
      }
      guard answer.attachment.parent.hasPrefix("cases/"), answer.attachment.mediaType.hasPrefix("image/") else {
        throw DomainError.notFound(resource: "photo", id: id)
      }
      return AttachmentController.fileResponse(answer, request: request)
    } catch {
      return ConnectError(error).response
    }
  }

  // MARK: Micro-wishes

  struct WishEntry: Encodable {
    struct Resident: Encodable { var name: String }
    var id: String
    var title: String
    var details: String
    var category: String
    var resident: Resident
    var state: String
    var compound: String
    var expireDate: String
    var mine: Bool
    var claimedByMe: Bool
  }

  func entry(_ wish: Governance_Volunteers_V1_MicroWish, compounds: [String: String], viewer: GatewayStore.Resident?)
    -> WishEntry
  {
    WishEntry(
      id: wish.id, title: wish.title, details: wish.details, category: wish.category,
      resident: .init(name: wish.resident.name), state: RuleText.protoName(of: wish.state) ?? "",
      compound: compounds[wish.compoundID] ?? "", expireDate: CalendarDate.iso(wish.expireDate),
      mine: viewer != nil && wish.residentPrincipalID == viewer?.subject,
      claimedByMe: viewer?.volunteerID != nil && wish.claimant.kind == .volunteer
        && wish.claimant.id == viewer?.volunteerID)
  }

  /// The names of compounds by id, each asked once.
  func compoundNames(_ ids: some Sequence<String>) async -> [String: String] {
    var names: [String: String] = [:]
    for id in Set(ids) where !id.isEmpty {
      names[id] = try? await property.getCompound(.with { $0.id = id }).name
    }
    return names
  }

  /// `GET /resident/wishes?compound_id=`: open and claimed wishes, newest first (at most 50),
  /// the residents masked.
  func wishes(_ request: Request) async throws -> Response {
    let viewer = try await resident(request)?.resident
    let compound = request.uri.queryParameters.get("compound_id") ?? ""
    let entries = try await Principal.$current.withValue(Self.publicReader) {
      let found = try await volunteers.listMicroWishes(
        .with {
          $0.compoundID = compound
          $0.states = [.open, .claimed]
          $0.orderBy = "create_time desc"
          $0.pageSize = 50
        }
      ).wishes
      let names = await compoundNames(found.map(\.compoundID))
      return found.map { entry($0, compounds: names, viewer: viewer) }
    }
    return JSONAnswer.response(["wishes": entries])
  }

  struct WishForm: Decodable {
    var request_id: String?
    var title: String
    var details: String?
    var category: String?
    var name: String
    var compound_id: String
  }

  /// `POST /resident/wishes`: the resident posts a wish for themselves in a compound's community.
  func postWish(_ request: Request, context: GatewayRequestContext) async throws -> Response {
    let resident = try await signedIn(request)
    let form = try await Self.json(request, as: WishForm.self)
    let requestID = try Self.requestID(form.request_id)
    let compoundID = try FieldValidation.requiredID(form.compound_id, field: "compound_id")
    try await store.take([("wish-phone:\(resident.subject)", RateLimit.wishesPerPhone)])
    let posted = try await Principal.$current.withValue(Self.principal(of: resident)) {
      let compound = try await property.getCompound(.with { $0.id = compoundID })
      let wish = try await volunteers.createMicroWish(
        .with {
          $0.requestID = requestID
          $0.wish = .with {
            $0.divisionCode = compound.divisionCode
            $0.compoundID = compound.id
            $0.title = form.title
            $0.details = form.details ?? ""
            $0.category = form.category ?? ""
            $0.resident = .with {
              $0.name = form.name
              $0.phone = resident.phone
            }
          }
        })
      return entry(wish, compounds: [compound.id: compound.name], viewer: resident)
    }
    await audit(resident, action: "resident/wish", target: posted.id, context: context)
    return JSONAnswer.response(posted, status: .created)
  }

  struct ClaimForm: Decodable {
    var request_id: String?
    var name: String?
  }

  /// `POST /resident/wishes/{id}/claim`: the resident claims a wish as the volunteer registered to
  /// them, registering as a resident volunteer of the wish's community the first time (with the
  /// name given and the proved number).
  func claim(_ request: Request, context: GatewayRequestContext, wish: String) async throws -> Response {
    var resident = try await signedIn(request)
    let form = try await Self.json(request, as: ClaimForm.self)
    let requestID = try Self.requestID(form.request_id)
    let wishID = try FieldValidation.requiredID(wish, field: "wish_id")
    try await store.take([("wish-phone:\(resident.subject)", RateLimit.wishesPerPhone)])
    let claimed = try await Principal.$current.withValue(Self.principal(of: resident)) {
      let target = try await volunteers.getMicroWish(.with { $0.id = wishID })
      // The volunteers service refuses this claim (ResidentVolunteering.checkClaimant); it is
      // refused here too, before the resident would be registered for nothing.
      guard target.residentPrincipalID != resident.subject else {
        throw DomainError.failedPrecondition(
          rule: "a wish is met by someone else", detail: "wish \(target.id) was posted by the resident claiming it")
      }
      if resident.volunteerID == nil {
        let volunteer = try await volunteers.createVolunteer(
          .with {
            // One registration per resident: two claims at once send the same request, which the
            // service's ledger answers once.
            $0.requestID = "volunteer-\(resident.subject.dropFirst("resident:".count))"
            $0.volunteer = .with {
              $0.divisionCode = target.divisionCode
              $0.kind = .resident
              $0.compoundID = target.compoundID
              $0.contact = .with {
                $0.name = form.name ?? ""
                $0.phone = resident.phone
              }
            }
          })
        try await store.setVolunteer(volunteer.id, for: resident.subject)
        resident.volunteerID = volunteer.id
      }
      let wish = try await volunteers.claimMicroWish(
        .with {
          $0.requestID = requestID
          $0.wishID = wishID
          $0.claimant = .with {
            $0.kind = .volunteer
            $0.id = resident.volunteerID ?? ""
          }
        })
      return entry(wish, compounds: await compoundNames([wish.compoundID]), viewer: resident)
    }
    await audit(resident, action: "resident/claim", target: claimed.id, context: context)
    return JSONAnswer.response(claimed)
  }
}
