import Foundation
import GRPCCore
import GovernanceAPI
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceKit
import SwiftProtobuf
import Synchronization

/// Exports of lists as spreadsheets (导出): `GET /exports/<service>/<method>?request=<JSON>&format=csv|xlsx`
/// for every List method of the Connect API the caller may call, with the filters the console's
/// list sends (`request`, the List request as proto3 JSON; paging fields are the export's own).
///
/// Every record the filters select is written, in the service's order: the gateway reads the
/// list page by page (500 records, at most 1 MiB, a page) and writes each page out before
/// reading the next, so its memory does not grow with the list. A CSV (UTF-8 with a byte-order
/// mark, so Excel shows Chinese) streams to the client as it is read; an XLSX is written to a
/// temporary file as it is read, zipped, then sent and removed; a list longer than a sheet's
/// 1,048,576 rows goes on in further sheets of the same header (`案件 (2)`). Headers and enum
/// values are in the console's words, places and compounds by their names. Personal data stays
/// masked as the List methods mask it; `reveal=true&reason=…` on the party members' list shows
/// contacts whole to a role that may see them, each one revealed (and recorded by the
/// organisation service) as `RevealContact` does, at most `maximumRevealed` rows. Every export
/// is in the audit trail with its row count.
///
/// Errors: 400 (`invalid_argument`) naming the parameter for a bad `format`, `request` or
/// `reason`; 501 (`unimplemented`) for a method that is not a List; 403 as the method's own
/// authorisation says; 429 (`resource_exhausted`) past `maximumRunning` exports at once.
struct ExportController: Sendable {
  /// Records a page asks for: the services' largest page.
  static let pageSize = 500
  /// Exports running at once across the gateway; each holds a service busy while it lasts.
  static let maximumRunning = 4
  /// The most rows an export that reveals personal data may hold.
  static let maximumRevealed = 10_000

  let store: GatewayStore
  let peers: PeerClients
  let methods: [String: CatalogMethod]
  let words: ConsoleWords
  let running = ExportSlots(limit: ExportController.maximumRunning)

  init(store: GatewayStore, peers: PeerClients, words: ConsoleWords = .shipped) {
    self.store = store
    self.peers = peers
    self.words = words
    methods = Dictionary(uniqueKeysWithValues: MethodCatalog.methods.map { ($0.fullName, $0) })
  }

  var endpoints: RouteCollection<GatewayRequestContext> {
    let routes = RouteCollection(context: GatewayRequestContext.self)
    routes.get("exports/:service/:method") { request, context in
      await export(
        request, context: context, service: context.parameters.get("service") ?? "",
        method: context.parameters.get("method") ?? "")
    }
    return routes
  }

  /// The file formats.
  enum Format: String, Sendable {
    case csv, xlsx

    var contentType: String {
      switch self {
      case .csv: "text/csv; charset=utf-8"
      case .xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
      }
    }
  }

  func export(_ request: Request, context: GatewayRequestContext, service: String, method: String) async -> Response {
    let name = "\(service)/\(method)"
    do {
      guard let entry = methods[name], entry.noSideEffects, !entry.serverStreaming, method.hasPrefix("List"),
        let identity = ConnectController.identity(of: service)
      else {
        throw ConnectError(.unimplemented, "no list \(name) to export: exports are of List methods")
      }
      let who = try await context.caller()
      try Authorization.check(service: service, method: method, principal: who.principal)
      let formatText = try ConnectController.formValue("format", in: request).map {
        String(decoding: $0, as: UTF8.self)
      }
      guard let format = Format(rawValue: formatText ?? "xlsx") else {
        throw ConnectError(.invalidArgument, "format must be csv or xlsx, got \(formatText ?? "")")
      }
      let json = try ConnectController.formValue("request", in: request) ?? Data("{}".utf8)
      let filters = try Self.filters(json, as: entry.input)
      let reveal = try revealRequest(request, name: name, principal: who.principal)
      guard let ticket = running.take() else {
        throw ConnectError(
          .resourceExhausted, "\(Self.maximumRunning) exports are running; try again when one has finished")
      }
      // The first page is read before the answer starts, so a refused filter is an error status.
      let (table, first, next) = try await pages(
        name: name, entry: entry, identity: identity, filters: filters, principal: who.principal, reveal: reveal)
      let filename = "\(table.title)-\(Self.stamp(Date())).\(format.rawValue)"
      var headers: HTTPFields = [
        .contentType: format.contentType, .cacheControl: "no-store",
        .contentDisposition: "attachment; filename*=UTF-8''\(AttachmentController.rfc8187(filename))",
      ]
      headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
      let audit: @Sendable (Int, String) async -> Void = { count, result in
        let revealed = reveal.map { "; contacts revealed; reason: \($0.reason)" } ?? ""
        do {
          try await store.audit(
            subject: who.principal.subject, role: who.principal.role?.rawValue ?? "", action: "export \(name)",
            target: "\(format.rawValue); \(count) rows\(revealed)", remote: context.remote, result: result)
        } catch {
          context.logger.error("cannot write the audit trail", metadata: ["error": "\(error)"])
        }
      }
      switch format {
      case .csv:
        return Response(
          status: .ok, headers: headers,
          body: ResponseBody { writer in
            defer { ticket.release() }
            var csv = CSVWriter()
            var count = 0
            do {
              try await writer.write(ByteBuffer(bytes: csv.row(table.columns.map { .text($0.header) })))
              var page = first
              while true {
                let upcoming = Self.prefetch(after: page, next)
                defer { upcoming?.cancel() }
                let rows = try await page.rows(count)
                var bytes: [UInt8] = []
                bytes.reserveCapacity(rows.count * 256)
                for cells in rows { bytes += csv.row(cells) }
                count += rows.count
                try await writer.write(ByteBuffer(bytes: bytes))
                guard let upcoming else { break }
                page = try await upcoming.value
              }
              try await writer.finish(nil)
              await audit(count, "ok")
            } catch {
              await audit(count, ConnectError(error).connect.name)
              throw error
            }
          })
      case .xlsx:
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
          "export-\(UUID().uuidString)", isDirectory: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file: URL
        var count = 0
        do {
          defer { ticket.release() }
          let workbook = try XLSXWriter(directory: directory.appendingPathComponent("parts", isDirectory: true))
          try workbook.startSheet(name: table.title, header: table.columns.map(\.header))
          var page = first
          while true {
            let upcoming = Self.prefetch(after: page, next)
            defer { upcoming?.cancel() }
            let rows = try await page.rows(count)
            // A city's cases outnumber a sheet's rows: the list goes on in further sheets.
            for cells in rows { try workbook.appendContinuing(cells) }
            count += rows.count
            guard let upcoming else { break }
            page = try await upcoming.value
          }
          file = directory.appendingPathComponent("export.xlsx")
          // Zipping a city's sheets takes seconds: on the bulk pool, off the threads that serve
          // calls.
          let finishing = HandedOver(workbook)
          try await BulkWork.run { [file] in try finishing.value.finish(to: file) }
        } catch {
          await audit(count, ConnectError(error).connect.name)
          throw error
        }
        await audit(count, "ok")
        // The file is opened before the directory goes: an open file is read to its end.
        let handle = try FileHandle(forReadingFrom: file)
        headers[.contentLength] = String(
          try FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int ?? 0)
        return Response(
          status: .ok, headers: headers,
          body: ResponseBody { writer in
            defer { try? handle.close() }
            while let chunk = try handle.read(upToCount: 256 * 1024), !chunk.isEmpty {
              try await writer.write(ByteBuffer(data: chunk))
            }
            try await writer.finish(nil)
          })
      }
    } catch {
      return ConnectError(error).response
    }
  }

  /// One page of an export as the service answered it: the token of the next page (empty after
  /// the last) and how to turn its records into rows, given the rows written before it.
  struct FetchedPage: Sendable {
    let nextToken: String
    let rows: @Sendable (_ counted: Int) async throws -> [[SpreadsheetCell]]
  }

  /// Asks the service for the page after a token.
  typealias NextPage = @Sendable (_ token: String) async throws -> FetchedPage

  /// Starts asking for the page after `page` (none after the last) before `page` is turned into
  /// rows and written, so that the service reads the next page while the gateway works on this
  /// one: the two processes work at once instead of in turn. Memory holds two pages at most.
  static func prefetch(after page: FetchedPage, _ next: @escaping NextPage) -> Task<FetchedPage, any Error>? {
    guard !page.nextToken.isEmpty else { return nil }
    let token = page.nextToken
    return Task { try await next(token) }
  }

  /// The export's table, its first page, and how to ask for the next: the cases from their typed
  /// messages (CaseExport), any other list from its JSON by its table's columns.
  func pages(
    name: String, entry: CatalogMethod, identity: ServiceIdentity, filters: Data, principal: Principal,
    reveal: RevealRequest?
  ) async throws -> (ExportTable, FetchedPage, NextPage) {
    if name == CaseExport.method, let table = ExportTables.tables[name] {
      var request = try Governance_Grid_V1_ListCasesRequest(jsonUTF8Data: filters)
      request.pageSize = Int32(Self.pageSize)
      let client = Governance_Grid_V1_GridService.Client(wrapping: peers.client(for: .grid))
      let writer = RowWriter(table: table, words: words, peers: peers, principal: principal, reveal: nil)
      let labels = CaseExport.Labels(words: words)
      let read: NextPage = { [request] token in
        var asked = request
        asked.pageToken = token
        let page = try await Principal.$current.withValue(principal) { try await client.listCases(asked) }
        return FetchedPage(nextToken: page.nextPageToken) { _ in
          let codes = CaseExport.codes(of: page.cases)
          try await writer.learnNames(places: codes.places, compounds: codes.compounds)
          let names = await writer.names.snapshot()
          return page.cases.map { CaseExport.cells($0, names: names, labels: labels) }
        }
      }
      return (table, try await read(""), read)
    }
    let reader = ListReader(
      entry: entry, client: peers.client(for: identity), filters: filters, principal: principal,
      key: ExportTables.tables[name]?.key)
    let first = try await reader.page(token: "")
    let table = ExportTables.tables[name] ?? Self.generic(key: first.key, records: first.records, words: words)
    let writer = RowWriter(table: table, words: words, peers: peers, principal: principal, reveal: reveal)
    let fetched: @Sendable (ListReader.Page) -> FetchedPage = { page in
      FetchedPage(nextToken: page.nextToken) { counted in try await writer.cells(of: page.records, counted: counted) }
    }
    let read: NextPage = { token in fetched(try await reader.page(token: token)) }
    return (table, fetched(first), read)
  }

  /// The List request's filters as a JSON object less its paging fields, checked by decoding
  /// them as the method's request: INVALID_ARGUMENT naming `request` otherwise.
  static func filters(_ json: Data, as input: any SwiftProtobuf.Message.Type) throws -> Data {
    let text = json.isEmpty ? Data("{}".utf8) : json
    do {
      _ = try input.init(jsonUTF8Data: text)
    } catch {
      throw ConnectError(.invalidArgument, "request is not a valid JSON \(input.protoMessageName): \(error)")
    }
    guard var object = try JSONSerialization.jsonObject(with: text) as? [String: Any] else {
      throw ConnectError(.invalidArgument, "request must be a JSON object")
    }
    for paging in ["pageSize", "page_size", "pageToken", "page_token"] { object[paging] = nil }
    return try JSONSerialization.data(withJSONObject: object)
  }

  /// What a revealing export asks: the reason given. Nil when `reveal` is not `true`; a
  /// refusal for a list whose contacts cannot be revealed, a role that may not see them, or a
  /// missing reason.
  func revealRequest(_ request: Request, name: String, principal: Principal) throws -> RevealRequest? {
    guard try ConnectController.formValue("reveal", in: request) == Data("true".utf8) else { return nil }
    guard name == "governance.organisation.v1.OrganisationService/ListMembers" else {
      throw ConnectError(.invalidArgument, "reveal applies to the party members' list only, not to \(name)")
    }
    try Authorization.check(
      service: "governance.organisation.v1.OrganisationService", method: "RevealContact", principal: principal)
    guard principal.role?.mayRevealPersonalData == true else {
      throw DomainError.permissionDenied(reason: "personal data is revealed only to staff whose role allows it")
    }
    let reason = try ConnectController.formValue("reason", in: request).map { String(decoding: $0, as: UTF8.self) }
    guard let reason, (1...200).contains(reason.trimmingCharacters(in: .whitespacesAndNewlines).count) else {
      throw ConnectError(.invalidArgument, "reason: 1 to 200 characters saying why the contacts are revealed")
    }
    return RevealRequest(reason: reason)
  }

  /// A reveal's reason.
  struct RevealRequest: Sendable {
    let reason: String
  }

  /// The columns of a list without an entry in `ExportTables`: every field the first page's
  /// records carry, nested ones by their path (`location.address`), ids and stamps last, each
  /// named by the dictionary's field names.
  static func generic(key: String, records: [[String: Any]], words: ConsoleWords) -> ExportTable {
    var paths: [String: ExportColumn.Kind] = [:]
    func walk(_ object: [String: Any], prefix: String) {
      for (name, value) in object {
        let path = prefix.isEmpty ? name : "\(prefix).\(name)"
        switch value {
        case let nested as [String: Any]:
          if Set(nested.keys) == ["year", "month", "day"] || Set(nested.keys).isSubset(of: ["year", "month", "day"]) {
            paths[path] = .date
          } else if !nested.isEmpty {
            walk(nested, prefix: path)
          }
        case is [Any]: paths[path] = .list
        case let text as String where text.count >= 20 && text.dropFirst(4).first == "-" && text.contains("T"):
          paths[path] = .time
        case let text as String where words.enums[text] != nil: paths[path] = .label
        case is NSNumber: paths[path] = paths[path] ?? .text
        default: paths[path] = paths[path] ?? .text
        }
      }
    }
    for record in records { walk(record, prefix: "") }
    let order: (String) -> (Int, String) = { path in
      (path == "id" || path.hasPrefix("audit.") ? 1 : 0, path)
    }
    let columns = paths.keys.sorted { order($0) < order($1) }.map { path in
      ExportColumn(
        path.split(separator: ".").map { words.field(ConsoleWords.snakeCase(String($0))) }.joined(separator: "·"),
        path, paths[path] ?? .text)
    }
    return ExportTable(key: key, title: words.field(ConsoleWords.snakeCase(key)), columns: columns)
  }

  /// `20261130-0805`, in the city's time, for file names.
  static func stamp(_ date: Date) -> String {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(secondsFromGMT: 8 * 3600)!
    let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
    return String(
      format: "%04d%02d%02d-%02d%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0, parts.hour ?? 0,
      parts.minute ?? 0)
  }
}

/// Running exports, counted: `take` gives a ticket while fewer than `limit` run.
final class ExportSlots: Sendable {
  private let count: Mutex<Int>
  let limit: Int

  init(limit: Int) {
    self.limit = limit
    count = Mutex(0)
  }

  /// A ticket, or nil when `limit` exports run.
  func take() -> Ticket? {
    count.withLock { running in
      guard running < limit else { return nil }
      running += 1
      return Ticket(slots: self)
    }
  }

  fileprivate func release() { count.withLock { $0 -= 1 } }

  /// One running export's place; released once.
  final class Ticket: Sendable {
    private let slots: ExportSlots
    private let released = Mutex(false)

    fileprivate init(slots: ExportSlots) { self.slots = slots }

    func release() {
      let first = released.withLock { done in
        defer { done = true }
        return !done
      }
      if first { slots.release() }
    }

    deinit { release() }
  }
}
