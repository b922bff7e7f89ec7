import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import GovernanceAPI
import HTTPTypes
import Hummingbird
import NIOCore
import ServiceKit
import SwiftProtobuf

/// The datum a map's coordinates are in: WGS-84 (GPS, 天地图's CGCS2000 within centimetres) or
/// China's GCJ-02, the offset datum AutoNavi, Tencent and other licensed Chinese maps draw in.
public enum MapDatum: String, Sendable, Codable {
  case wgs84
  case gcj02

  /// The name the layers' `datum` foreign member gives it.
  var displayName: String { self == .wgs84 ? "WGS-84" : "GCJ-02" }
}

/// What the console's map is drawn on, from the gateway's options: the tile layer (none: a plain
/// background with the boundaries alone) and the folder Leaflet is served from.
public struct MapSettings: Sendable {
  /// A Leaflet tile URL template (`{z}`, `{x}`, `{y}`, optionally `{s}`), http or https; nil
  /// for no tiles.
  public var tileURL: String?
  /// The attribution the tile provider requires shown on the map (plain text).
  public var tileAttribution: String
  /// The datum the tiles are drawn in: the console asks for layers in it.
  public var tileDatum: MapDatum
  /// The letters or digits `{s}` is replaced with (`"01234567"` for 天地图); empty for Leaflet's
  /// default `abc`.
  public var tileSubdomains: String
  /// The folder holding Leaflet's `leaflet.js`, `leaflet.css` and `images/`; nil when not
  /// installed (the map page then says so).
  public var libraryDirectory: String?

  public init(
    tileURL: String? = nil, tileAttribution: String = "", tileDatum: MapDatum = .wgs84, tileSubdomains: String = "",
    libraryDirectory: String? = nil
  ) {
    self.tileURL = tileURL
    self.tileAttribution = tileAttribution
    self.tileDatum = tileDatum
    self.tileSubdomains = tileSubdomains
    self.libraryDirectory = libraryDirectory
  }

  /// The environment variables read when the options are not given.
  public enum Variable {
    public static let tileURL = "GOVERNANCE_MAP_TILE_URL"
    public static let tileAttribution = "GOVERNANCE_MAP_TILE_ATTRIBUTION"
    public static let tileDatum = "GOVERNANCE_MAP_TILE_DATUM"
    public static let tileSubdomains = "GOVERNANCE_MAP_TILE_SUBDOMAINS"
    public static let library = "GOVERNANCE_MAP_LIBRARY"
  }

  /// The settings from the options given (nil: not given), else the environment, checked.
  /// - Throws: `ConfigurationError` naming the option: a tile URL that is not http(s) or lacks
  ///   `{z}`, `{x}` or `{y}`; a datum other than wgs84 or gcj02; a library folder without
  ///   `leaflet.js`.
  public static func resolve(
    tileURL: String?, tileAttribution: String?, tileDatum: String?, tileSubdomains: String?, library: String?,
    environment: [String: String]
  ) throws -> MapSettings {
    func setting(_ flag: String?, _ variable: String) -> String? {
      let value = flag ?? environment[variable]
      return value?.isEmpty == false ? value : nil
    }
    var settings = MapSettings()
    if let url = setting(tileURL, Variable.tileURL) {
      guard url.hasPrefix("https://") || url.hasPrefix("http://"),
        ["{z}", "{x}", "{y}"].allSatisfy(url.contains),
        URLComponents(
          string: url.replacingOccurrences(of: "{", with: "%7B")
            .replacingOccurrences(of: "}", with: "%7D"))?.host?.isEmpty == false
      else {
        throw ConfigurationError(
          setting: "--map-tile-url", problem: "is an http(s) URL template with {z}, {x} and {y}, got '\(url)'")
      }
      settings.tileURL = url
    }
    settings.tileAttribution = setting(tileAttribution, Variable.tileAttribution) ?? ""
    if let datum = setting(tileDatum, Variable.tileDatum) {
      guard let parsed = MapDatum(rawValue: datum) else {
        throw ConfigurationError(setting: "--map-tile-datum", problem: "is wgs84 or gcj02, got '\(datum)'")
      }
      settings.tileDatum = parsed
    }
    if let subdomains = setting(tileSubdomains, Variable.tileSubdomains) {
      guard subdomains.count <= 16, subdomains.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else {
        throw ConfigurationError(
          setting: "--map-tile-subdomains", problem: "is up to 16 letters or digits, got '\(subdomains)'")
      }
      settings.tileSubdomains = subdomains
    }
    if let folder = setting(library, Variable.library) {
      let path = URL(fileURLWithPath: folder).standardizedFileURL.resolvingSymlinksInPath().path
      guard FileManager.default.fileExists(atPath: "\(path)/leaflet.js") else {
        throw ConfigurationError(
          setting: "--map-library", problem: "is a folder holding leaflet.js (xstatic-leaflet's data), got '\(folder)'")
      }
      settings.libraryDirectory = path
    }
    return settings
  }

  /// The origin tiles come from, as a `Content-Security-Policy` source: `{s}` in the host
  /// becomes a `*.` wildcard label (`https://t{s}.tianditu.gov.cn` → `https://*.tianditu.gov.cn`);
  /// nil without tiles.
  var tileSource: String? {
    guard let url = tileURL, let schemeEnd = url.range(of: "://") else { return nil }
    let rest = url[schemeEnd.upperBound...]
    let authority = rest.prefix { $0 != "/" && $0 != "?" }
    let host = authority.split(separator: ".", omittingEmptySubsequences: false).enumerated().map { index, label in
      label.contains("{") ? (index == 0 ? "*" : "") : String(label)
    }.filter { !$0.isEmpty }.joined(separator: ".")
    guard !host.isEmpty, host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-.:*".contains($0)) })
    else { return nil }
    return "\(url[..<schemeEnd.upperBound])\(host)"
  }
}

/// The map's layers and settings for the console:
///
/// - `GET /map/layers?division_prefix=&datum=wgs84|gcj02&from=YYYY-MM-DD&to=YYYY-MM-DD`: a GeoJSON
///   FeatureCollection (RFC 7946 §3.3) of the caller's jurisdiction (or the prefix within it), each
///   feature's `properties.layer` saying what it is: `community` (boundaries from ListDivisions),
///   `grid` (boundaries from ListGrids, with the period's case figures from GetCaseStatistics
///   grouped per grid: `case_count`, `open`, `overdue`), `compound` (points from the property
///   service's ListCompounds) and `case` (open cases with a point: `id`, `case_number`, `title`,
///   `level`, `priority`, `overdue`, `status`, `grid_code`, `source`). Records without a boundary or
///   point are left out. Foreign members (§6.1): `datum` ("WGS-84" or "GCJ-02": with
///   `datum=gcj02` every coordinate is converted by `ChinaDatum.gcj02(fromWGS84:)`), `period`
///   (`from`, `to`; the last 30 days of the city's calendar by default) and `truncated` (the
///   layers cut at their cap: `layerCaps`).
/// - `GET /map/config`: `{tile_url, tile_attribution, tile_datum, tile_subdomains, library}` from
///   the gateway's options (`library`: whether Leaflet is served at `/vendor/leaflet/`).
///
/// Every list is read as the caller, so each service applies its own jurisdiction; refusals are
/// Connect errors.
struct MapController: Sendable {
  let peers: PeerClients
  let settings: MapSettings

  /// The most features of each layer one answer carries: a street's map stays a few megabytes
  /// and draws in a browser within a second or two. A layer cut short is named in `truncated`.
  static let layerCaps = ["community": 500, "grid": 3_000, "compound": 3_000, "case": 3_000]
  /// Records per page asked of a service (the services' largest page).
  static let pageSize: Int32 = 500
  /// The longest period the figures cover, in days.
  static let maximumPeriodDays = 3_660

  var endpoints: RouteCollection<GatewayRequestContext> {
    let routes = RouteCollection(context: GatewayRequestContext.self)
    routes.get("map/layers") { request, context in await layers(request, context: context) }
    routes.get("map/config") { _, context in await config(context: context) }
    return routes
  }

  /// What the console needs to draw the map, with the JSON names of docs/MAP.md.
  struct Config: Encodable {
    var tileURL: String?
    var tileAttribution: String
    var tileDatum: String
    var tileSubdomains: String
    var library: Bool

    enum CodingKeys: String, CodingKey {
      case tileURL = "tile_url"
      case tileAttribution = "tile_attribution"
      case tileDatum = "tile_datum"
      case tileSubdomains = "tile_subdomains"
      case library
    }

    /// `tile_url` is written as null when there are no tiles, so a reader finds every key.
    func encode(to encoder: any Encoder) throws {
      var container = encoder.container(keyedBy: CodingKeys.self)
      try container.encode(tileURL, forKey: .tileURL)
      try container.encode(tileAttribution, forKey: .tileAttribution)
      try container.encode(tileDatum, forKey: .tileDatum)
      try container.encode(tileSubdomains, forKey: .tileSubdomains)
      try container.encode(library, forKey: .library)
    }
  }

  func config(context: GatewayRequestContext) async -> Response {
    do {
      _ = try await context.caller()
      return JSONAnswer.response(
        Config(
          tileURL: settings.tileURL, tileAttribution: settings.tileAttribution,
          tileDatum: settings.tileDatum.rawValue, tileSubdomains: settings.tileSubdomains,
          library: settings.libraryDirectory != nil))
    } catch {
      return ConnectError(error).response
    }
  }

  // MARK: Layers

  /// What a layers request asks for.
  struct Query {
    var prefix: String
    var datum: MapDatum
    var from: Governance_Common_V1_Date
    var to: Governance_Common_V1_Date

    /// - Throws: `ConnectError` invalid_argument naming the parameter.
    init(_ request: Request, principal: Principal, now: Date = Date()) throws {
      func text(_ name: String) throws -> String? {
        let value = try ConnectController.formValue(name, in: request).map { String(decoding: $0, as: UTF8.self) }
        return value?.isEmpty == false ? value : nil
      }
      let asked = try text("division_prefix") ?? principal.scope
      guard asked.count <= 12, asked.allSatisfy({ $0.isASCII && $0.isNumber }) else {
        throw ConnectError(.invalidArgument, "division_prefix: is up to 12 digits of a division code, got '\(asked)'")
      }
      prefix = asked
      let datumText = try text("datum") ?? "wgs84"
      guard let datum = MapDatum(rawValue: datumText) else {
        throw ConnectError(.invalidArgument, "datum: is wgs84 or gcj02, got '\(datumText)'")
      }
      self.datum = datum
      let today = CalendarDate.today(at: now)
      let monthAgo = CalendarDate.today(at: now.addingTimeInterval(-29 * 86_400))
      to = try Self.date(text("to"), name: "to") ?? today
      from = try Self.date(text("from"), name: "from") ?? monthAgo
      guard let start = Self.day(from), let end = Self.day(to), start <= end,
        end.timeIntervalSince(start) <= Double(maximumPeriodDays) * 86_400
      else {
        throw ConnectError(
          .invalidArgument, "from, to: from is on or before to, at most \(maximumPeriodDays) days apart")
      }
    }

    static func date(_ text: String?, name: String) throws -> Governance_Common_V1_Date? {
      guard let text else { return nil }
      let parts = text.split(separator: "-", omittingEmptySubsequences: false).compactMap { Int32($0) }
      let date =
        parts.count == 3
        ? Governance_Common_V1_Date.with {
          $0.year = parts[0]
          $0.month = parts[1]
          $0.day = parts[2]
        } : nil
      guard text.count == 10, let date, day(date) != nil else {
        throw ConnectError(.invalidArgument, "\(name): is a date YYYY-MM-DD, got '\(text)'")
      }
      return date
    }

    /// Midnight of `date` in the city's calendar; nil for a day that does not exist.
    static func day(_ date: Governance_Common_V1_Date) -> Date? {
      var calendar = Calendar(identifier: .gregorian)
      calendar.timeZone = CalendarDate.timeZone
      let components = DateComponents(year: Int(date.year), month: Int(date.month), day: Int(date.day))
      guard components.isValidDate(in: calendar) else { return nil }
      return calendar.date(from: components)
    }
  }

  /// `GET /map/layers`: the jurisdiction's boundaries, compounds, open cases and per-grid figures.
  func layers(_ request: Request, context: GatewayRequestContext) async -> Response {
    do {
      let who = try await context.caller()
      let query = try Query(request, principal: who.principal)
      for (service, method) in [
        ("governance.grid.v1.GridService", "ListDivisions"), ("governance.grid.v1.GridService", "ListGrids"),
        ("governance.grid.v1.GridService", "ListCases"), ("governance.grid.v1.GridService", "GetCaseStatistics"),
        ("governance.property.v1.PropertyService", "ListCompounds"),
      ] {
        try Authorization.check(service: service, method: method, principal: who.principal)
      }
      let collection = try await Principal.$current.withValue(who.principal) { try await collect(query) }
      // A whole city's layers (up to about 9,500 features) take tens of milliseconds to encode:
      // on the bulk pool, off the threads that serve calls.
      let body = try await BulkWork.run {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(collection)
      }
      return Response(
        status: .ok,
        headers: [.contentType: "application/geo+json", .cacheControl: "private, no-cache"],
        body: .init(byteBuffer: ByteBuffer(data: body)))
    } catch {
      return ConnectError(error).response
    }
  }

  /// Reads every layer as the current principal and builds the collection.
  func collect(_ query: Query) async throws -> JSONValue {
    let grid = Governance_Grid_V1_GridService.Client(wrapping: peers.client(for: .grid))
    let property = Governance_Property_V1_PropertyService.Client(wrapping: peers.client(for: .property))
    var features: [JSONValue] = []
    var truncated: [String] = []
    let convert: (Position) -> Position =
      query.datum == .gcj02 ? { ChinaDatum.gcj02(fromWGS84: $0) } : { $0 }

    // Communities with a boundary.
    var communities: [Governance_Grid_V1_Division] = []
    var token = ""
    repeat {
      let page = try await grid.listDivisions(
        .with {
          $0.divisionPrefix = query.prefix
          $0.level = .community
          $0.pageSize = Self.pageSize
          $0.pageToken = token
        })
      communities += page.divisions.filter { !$0.boundary.isEmpty }
      token = page.nextPageToken
    } while !token.isEmpty && communities.count < Self.layerCaps["community"]!
    if Self.cut(&communities, layer: "community", more: !token.isEmpty) { truncated.append("community") }
    for division in communities {
      guard let geometry = Self.geometry(division.boundary, convert: convert) else { continue }
      features.append(
        Self.feature(
          id: division.id, geometry: geometry,
          properties: [
            "layer": .string("community"), "code": .string(division.divisionCode), "name": .string(division.name),
            "parent_code": .string(division.parentCode),
          ]))
    }

    // The period's figures per grid.
    var figures: [String: Governance_Grid_V1_CaseStatistics] = [:]
    token = ""
    repeat {
      let page = try await grid.getCaseStatistics(
        .with {
          $0.divisionPrefix = query.prefix
          $0.fromDate = query.from
          $0.toDate = query.to
          $0.groupBy = .grid
          $0.pageSize = Self.pageSize
          $0.pageToken = token
        })
      for row in page.rows { figures[row.unitCode] = row }
      token = page.nextPageToken
    } while !token.isEmpty && figures.count < Self.layerCaps["grid"]! * 2

    // Grids with a boundary.
    var grids: [Governance_Grid_V1_Grid] = []
    token = ""
    repeat {
      let page = try await grid.listGrids(
        .with {
          $0.divisionPrefix = query.prefix
          $0.pageSize = Self.pageSize
          $0.pageToken = token
        })
      grids += page.grids.filter { !$0.boundary.isEmpty }
      token = page.nextPageToken
    } while !token.isEmpty && grids.count < Self.layerCaps["grid"]!
    if Self.cut(&grids, layer: "grid", more: !token.isEmpty) { truncated.append("grid") }
    for item in grids {
      guard let geometry = Self.geometry(item.boundary, convert: convert) else { continue }
      let row = figures[item.gridCode]
      let finished: Set<Governance_Grid_V1_CaseStatus> = [.resolved, .evaluated, .closed, .rejected]
      let open = row?.byStatus.filter { !finished.contains($0.status) }.reduce(Int64(0)) { $0 + $1.count } ?? 0
      features.append(
        Self.feature(
          id: item.id, geometry: geometry,
          properties: [
            "layer": .string("grid"), "grid_code": .string(item.gridCode), "name": .string(item.name),
            "division_code": .string(item.divisionCode), "parent_grid_code": .string(item.parentGridCode),
            "micro": .bool(item.kind == .micro), "case_count": .number(Double(row?.total ?? 0)),
            "open": .number(Double(open)), "overdue": .number(Double(row?.overdue ?? 0)),
          ]))
    }

    // Compounds with a point.
    var compounds: [Governance_Property_V1_Compound] = []
    token = ""
    repeat {
      let page = try await property.listCompounds(
        .with {
          $0.divisionPrefix = query.prefix
          $0.pageSize = Self.pageSize
          $0.pageToken = token
        })
      compounds += page.compounds.filter(\.hasPoint)
      token = page.nextPageToken
    } while !token.isEmpty && compounds.count < Self.layerCaps["compound"]!
    if Self.cut(&compounds, layer: "compound", more: !token.isEmpty) { truncated.append("compound") }
    for compound in compounds {
      features.append(
        Self.feature(
          id: compound.id, geometry: Self.point(compound.point, convert: convert),
          properties: [
            "layer": .string("compound"), "id": .string(compound.id), "name": .string(compound.name),
            "division_code": .string(compound.divisionCode),
          ]))
    }

    // Open cases with a point, the newest first, so a cut keeps the latest.
    var cases: [(Governance_Grid_V1_Case, [String: JSONValue])] = []
    token = ""
    let now = Date()
    repeat {
      let page = try await grid.listCases(
        .with {
          $0.divisionPrefix = query.prefix
          $0.statuses = [.reported, .accepted, .assigned, .inProgress, .reopened]
          $0.orderBy = "create_time desc"
          $0.pageSize = Self.pageSize
          $0.pageToken = token
        })
      // The enum values are written by their contract names, as the Connect API writes them.
      let named = try JSONDecoder().decode(JSONValue.self, from: try page.jsonUTF8Data())
      let rows = named.member("cases")?.array ?? []
      for (index, item) in page.cases.enumerated() where item.location.hasPoint {
        cases.append((item, rows.indices.contains(index) ? rows[index].object ?? [:] : [:]))
      }
      token = page.nextPageToken
    } while !token.isEmpty && cases.count < Self.layerCaps["case"]!
    if Self.cut(&cases, layer: "case", more: !token.isEmpty) { truncated.append("case") }
    for (item, named) in cases {
      let overdue = item.overdue || (item.hasDeadline && item.deadline.date < now)
      features.append(
        Self.feature(
          id: item.id, geometry: Self.point(item.location.point, convert: convert),
          properties: [
            "layer": .string("case"), "id": .string(item.id), "case_number": .string(item.caseNumber),
            "title": .string(item.title), "level": named["handler"]?.member("level") ?? .string(""),
            "priority": named["priority"] ?? .string(""), "status": named["status"] ?? .string(""),
            "source": named["source"] ?? .string(""), "overdue": .bool(overdue),
            "grid_code": .string(item.location.gridCode), "division_code": .string(item.divisionCode),
          ]))
    }

    return .object([
      "type": .string("FeatureCollection"),
      "datum": .string(query.datum.displayName),
      "period": .object([
        "from": .string(CalendarDate.iso(query.from)), "to": .string(CalendarDate.iso(query.to)),
      ]),
      "truncated": .array(truncated.map(JSONValue.string)),
      "features": .array(features),
    ])
  }

  /// Holds `items` to the layer's cap; true when the layer is cut short: more items than the
  /// cap were read, or the reading stopped at the cap with pages left (`more`).
  static func cut<T>(_ items: inout [T], layer: String, more: Bool) -> Bool {
    let cap = Self.layerCaps[layer] ?? 0
    guard items.count > cap || more else { return false }
    if items.count > cap { items.removeLast(items.count - cap) }
    return true
  }

  static func feature(id: String, geometry: JSONValue, properties: [String: JSONValue]) -> JSONValue {
    .object([
      "type": .string("Feature"), "id": .string(id), "geometry": geometry, "properties": .object(properties),
    ])
  }

  /// A stored boundary as a GeoJSON geometry, every position converted; nil when the text is no
  /// longer a boundary (left off the map rather than failing it).
  static func geometry(_ text: String, convert: (Position) -> Position) -> JSONValue? {
    guard let boundary = Boundary.stored(text: text) else { return nil }
    let polygons: [JSONValue] = boundary.polygons.map { polygon in
      .array(
        polygon.map { ring in
          .array(
            ring.map { position in
              let moved = convert(position)
              return .array([.number(moved.longitude), .number(moved.latitude)])
            })
        })
    }
    return polygons.count == 1
      ? .object(["type": .string("Polygon"), "coordinates": polygons[0]])
      : .object(["type": .string("MultiPolygon"), "coordinates": .array(polygons)])
  }

  static func point(_ point: Governance_Common_V1_GeoPoint, convert: (Position) -> Position) -> JSONValue {
    let moved = convert(Position(longitude: point.longitude, latitude: point.latitude))
    return .object([
      "type": .string("Point"), "coordinates": .array([.number(moved.longitude), .number(moved.latitude)]),
    ])
  }
}

extension JSONValue {
  func member(_ name: String) -> JSONValue? {
    if case .object(let members) = self { return members[name] }
    return nil
  }

  var array: [JSONValue]? {
    if case .array(let items) = self { return items }
    return nil
  }

  var object: [String: JSONValue]? {
    if case .object(let members) = self { return members }
    return nil
  }
}

/// Leaflet, served read-only at `/vendor/leaflet/` from the folder `--map-library` names (the
/// xstatic-leaflet package's data), so the console needs no CDN. Only plain names of the files a
/// map loads are served: each path segment letters, digits, `.`, `_` or `-`, not starting with a
/// dot, the whole path inside the folder once symbolic links are resolved; anything else is 404.
struct MapLibraryController: Sendable {
  let directory: String?

  static let types = [
    "js": "text/javascript; charset=utf-8", "css": "text/css; charset=utf-8", "png": "image/png",
    "svg": "image/svg+xml", "txt": "text/plain; charset=utf-8",
  ]

  var endpoints: RouteCollection<GatewayRequestContext> {
    let routes = RouteCollection(context: GatewayRequestContext.self)
    routes.get("vendor/leaflet/**") { _, context in
      file(context.parameters.getCatchAll().map(String.init))
    }
    return routes
  }

  func file(_ segments: [String]) -> Response {
    guard let directory, !segments.isEmpty, segments.count <= 3,
      segments.allSatisfy({ segment in
        !segment.isEmpty && !segment.hasPrefix(".") && segment.count <= 100
          && segment.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }
      }),
      let type = Self.types[(segments.last! as NSString).pathExtension.lowercased()]
    else {
      return Response(status: .notFound)
    }
    let path = URL(fileURLWithPath: directory).appendingPathComponent(segments.joined(separator: "/"))
      .resolvingSymlinksInPath().path
    var isDirectory: ObjCBool = false
    guard path.hasPrefix(directory + "/"), FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory),
      !isDirectory.boolValue, let data = FileManager.default.contents(atPath: path)
    else {
      return Response(status: .notFound)
    }
    return Response(
      status: .ok,
      headers: [
        .contentType: type, .cacheControl: "public, max-age=86400",
        HTTPField.Name("X-Content-Type-Options")!: "nosniff",
      ],
      body: .init(byteBuffer: ByteBuffer(data: data)))
  }
}
