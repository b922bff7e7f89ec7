import Foundation
import GRDB
import GovernanceAPI
import ServiceKit

/// Boundaries and routing by place. Each boundary is kept twice: as GeoJSON on its Division or
/// Grid record (what callers read), and packed in `place_boundary` with its box in the
/// `place_boundary_box` R*Tree (SQLite's rtree module), so that a lookup reads the few
/// boundaries whose box holds the point instead of scanning a city's 18,100 grids.
extension GridStore {
  /// Where a point lies: its grid (empty outside every grid), its community, whether the
  /// community was chosen by distance, and that distance in metres.
  public struct Placement: Sendable, Equatable {
    public var gridCode: String
    public var divisionCode: String
    public var outsideGrids: Bool
    public var distanceMeters: Double
  }

  /// The most features one import may hold.
  public static let maximumFeaturesPerImport = 20_000
  /// The most positions one import may hold, all its boundaries together: a street of 30
  /// communities and 300 grids traced in detail has some 30,000; the checks against the parents'
  /// boundaries run in the write transaction, so an import is held to what they do in a second.
  public static let maximumPositionsPerImport = 50_000
  /// How far, in metres, a boundary may stray outside its parent's when the import names no
  /// tolerance (ImportBoundaries) or cannot name one (ImportDivisions).
  public static let defaultToleranceMeters = 20.0

  /// Stores the boundaries of one ImportBoundaries request, all or none.
  /// - Throws: INVALID_ARGUMENT naming the feature and the rule (not GeoJSON, a code not
  ///   registered or outside `division_code`, a ring open or crossing, a boundary outside its
  ///   parent's beyond the tolerance); PERMISSION_DENIED outside the caller's jurisdiction.
  public func importBoundaries(
    _ request: Governance_Grid_V1_ImportBoundariesRequest, by principal: Principal, at time: Date = Date()
  ) async throws -> Governance_Grid_V1_ImportBoundariesResponse {
    let scope = try DivisionCode(request.divisionCode, field: "division_code")
    try Jurisdiction.checkWritable(scope.code, by: principal)
    let tolerance = request.toleranceMeters == 0 ? Self.defaultToleranceMeters : request.toleranceMeters
    guard tolerance.isFinite, (0...1_000).contains(tolerance) else {
      throw DomainError.invalidArgument(field: "tolerance_meters", rule: "is metres from 0 to 1000")
    }
    let features = try Self.features(of: request.featureCollection)
    return try await writer.write { db in
      try IdempotencyLedger.perform(db, caller: principal, requestID: request.requestID, request: request) {
        try Self.storeBoundaries(db, features, under: scope, tolerance: tolerance, by: principal, at: time)
      }
    }
  }

  /// The features of a FeatureCollection: each one's code, its parsed boundary and its field.
  static func features(of text: String) throws -> [(code: String, boundary: Boundary, field: String)] {
    guard text.utf8.count <= CallObservationInterceptor.maximumRequestSize else {
      throw DomainError.invalidArgument(field: "feature_collection", rule: "is at most 4 MiB")
    }
    guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
      object["type"] as? String == "FeatureCollection", let list = object["features"] as? [Any]
    else {
      throw DomainError.invalidArgument(
        field: "feature_collection", rule: "is a GeoJSON FeatureCollection (RFC 7946 §3.3) with a features array")
    }
    guard !list.isEmpty, list.count <= maximumFeaturesPerImport else {
      throw DomainError.invalidArgument(
        field: "feature_collection.features", rule: "holds 1 to \(maximumFeaturesPerImport) features")
    }
    var seen: Set<String> = []
    var positions = 0
    var parsed: [(code: String, boundary: Boundary, field: String)] = []
    for (index, item) in list.enumerated() {
      let field = "feature_collection.features[\(index)]"
      guard let feature = item as? [String: Any], feature["type"] as? String == "Feature",
        let properties = feature["properties"] as? [String: Any], let code = properties["code"] as? String
      else {
        throw DomainError.invalidArgument(
          field: field, rule: "is a Feature whose properties.code names a division or grid")
      }
      guard seen.insert(code).inserted else {
        throw DomainError.invalidArgument(field: "\(field).properties.code", rule: "appears once; \(code) repeats")
      }
      let boundary = try Boundary.parse(geometry: feature["geometry"] as Any, field: "\(field).geometry")
      positions += boundary.polygons.reduce(0) { $0 + $1.reduce(0) { $0 + $1.count } }
      guard positions <= maximumPositionsPerImport else {
        throw DomainError.invalidArgument(
          field: "feature_collection",
          rule: "holds at most \(maximumPositionsPerImport) positions in all; import a larger area in parts")
      }
      parsed.append((code, boundary, field))
    }
    return parsed
  }

  static func storeBoundaries(
    _ db: Database, _ features: [(code: String, boundary: Boundary, field: String)], under scope: DivisionCode,
    tolerance: Double, by principal: Principal, at time: Date
  ) throws -> Governance_Grid_V1_ImportBoundariesResponse {
    let arriving = Dictionary(uniqueKeysWithValues: features.map { ($0.code, $0.boundary) })
    var response = Governance_Grid_V1_ImportBoundariesResponse()
    // Parents before children, so a child's check reads its parent's new boundary.
    for feature in features.sorted(by: { ($0.code.count, $0.code) < ($1.code.count, $1.code) }) {
      let codeField = "\(feature.field).properties.code"
      let code = try DivisionCode(feature.code, field: codeField)
      guard scope.contains(code) else {
        throw DomainError.invalidArgument(
          field: codeField, rule: "lies within division \(scope.code); \(code.code) does not")
      }
      if code.level == .grid || code.level == .microGrid {
        guard let id = try gridID(db, code: code.code), var grid = try RecordTable.fetch(db, Grid.self, id: id) else {
          throw DomainError.invalidArgument(
            field: codeField, rule: "names a registered grid; \(code.code) is not registered")
        }
        let parentCode = grid.parentGridCode.isEmpty ? grid.divisionCode : grid.parentGridCode
        try checkInsideParent(
          db, feature.boundary, parentCode, arriving, tolerance, geometryField: "\(feature.field).geometry")
        grid.boundary = feature.boundary.geoJSON
        _ = try RecordTable.update(db, grid, by: principal, at: time)
        try indexBoundary(db, code: code, boundary: feature.boundary)
        response.grids += 1
      } else {
        guard let id = try divisionID(db, code: code.code),
          var division = try RecordTable.fetch(db, Division.self, id: id)
        else {
          throw DomainError.invalidArgument(
            field: codeField, rule: "names a registered division; \(code.code) is not registered")
        }
        try placeBoundary(
          db, feature.boundary, on: &division, arriving: arriving, tolerance: tolerance,
          geometryField: "\(feature.field).geometry")
        _ = try RecordTable.update(db, division, by: principal, at: time)
        response.divisions += 1
      }
    }
    return response
  }

  /// Gives `division` the checked `boundary` (as ImportBoundaries does): inside its parent's
  /// within `tolerance`, kept as GeoJSON on the record, which the caller writes, and in the place
  /// index. `arriving` holds the boundaries the same import brings, by code.
  static func placeBoundary(
    _ db: Database, _ boundary: Boundary, on division: inout Division, arriving: [String: Boundary] = [:],
    tolerance: Double = defaultToleranceMeters, geometryField: String
  ) throws {
    let code = try DivisionCode(division.divisionCode, field: "division.division_code")
    try checkInsideParent(
      db, boundary, division.parentCode.isEmpty ? nil : division.parentCode, arriving, tolerance,
      geometryField: geometryField)
    division.boundary = boundary.geoJSON
    try indexBoundary(db, code: code, boundary: boundary)
  }

  /// The rule "a boundary lies inside its parent's within the tolerance", when the parent has one.
  static func checkInsideParent(
    _ db: Database, _ boundary: Boundary, _ parentCode: String?, _ arriving: [String: Boundary], _ tolerance: Double,
    geometryField: String
  ) throws {
    guard let parentCode else { return }
    guard let parent = try arriving[parentCode] ?? storedBoundary(db, code: parentCode) else { return }
    if let outside = boundary.firstPositionOutside(parent, toleranceMeters: tolerance) {
      let distance = Int(parent.distanceMeters(from: outside).rounded())
      throw DomainError.invalidArgument(
        field: geometryField,
        rule:
          "lies inside the boundary of \(parentCode) within \(Int(tolerance)) m; position \(outside.longitude), \(outside.latitude) is \(distance) m outside"
      )
    }
  }

  static func storedBoundary(_ db: Database, code: String) throws -> Boundary? {
    try Data.fetchOne(db, sql: "SELECT shape FROM place_boundary WHERE code = ?", arguments: [code])
      .flatMap(Boundary.init(packed:))
  }

  /// Writes a boundary and its box into the place index, replacing the code's former one.
  static func indexBoundary(_ db: Database, code: DivisionCode, boundary: Boundary) throws {
    let isGrid = code.level == .grid || code.level == .microGrid
    if let rowID = try Int64.fetchOne(
      db, sql: "SELECT rowid FROM place_boundary WHERE code = ?", arguments: [code.code])
    {
      try db.execute(sql: "DELETE FROM place_boundary_box WHERE id = ?", arguments: [rowID])
      try db.execute(sql: "DELETE FROM place_boundary WHERE rowid = ?", arguments: [rowID])
    }
    try db.execute(
      sql: "INSERT INTO place_boundary (code, is_grid, level, area, shape) VALUES (?, ?, ?, ?, ?)",
      arguments: [code.code, isGrid, code.level.rawValue, PlaceRouting.area(of: boundary), boundary.packed])
    let box = boundary.box
    try db.execute(
      sql: "INSERT INTO place_boundary_box (id, west, east, south, north) VALUES (?, ?, ?, ?, ?)",
      arguments: [db.lastInsertedRowID, box.west, box.east, box.south, box.north])
  }

  /// The boundaries of one kind whose box meets the box around `point` of half-width `radius`
  /// degrees (0: whose box holds the point).
  static func candidates(_ db: Database, near point: Position, radius: Double, grids: Bool) throws
    -> [PlaceRouting.Candidate]
  {
    let level = grids ? "b.is_grid = 1" : "b.level = \(DivisionCode.Level.community.rawValue)"
    let rows = try Row.fetchAll(
      db.cachedStatement(
        sql: """
          SELECT b.code, b.area, b.shape FROM place_boundary_box x JOIN place_boundary b ON b.rowid = x.id
          WHERE x.west <= ? AND x.east >= ? AND x.south <= ? AND x.north >= ? AND \(level)
          """),
      arguments: [
        point.longitude + radius, point.longitude - radius, point.latitude + radius, point.latitude - radius,
      ])
    return rows.compactMap { row in
      let shape: Data = row[2]
      return Boundary(packed: shape).map {
        PlaceRouting.Candidate(code: row[0], areaSquareMeters: row[1], boundary: $0)
      }
    }
  }

  /// The placement of a point (PlaceRouting): FAILED_PRECONDITION when no community has a
  /// boundary yet, INVALID_ARGUMENT naming `field` for a point 20 km or more from every one.
  static func locate(_ db: Database, _ point: Governance_Common_V1_GeoPoint, field: String) throws -> Placement {
    let position = Position(longitude: point.longitude, latitude: point.latitude)
    let held = try candidates(db, near: position, radius: 0, grids: true)
    if let grid = PlaceRouting.grids(holding: position, among: held).first {
      return Placement(gridCode: grid, divisionCode: String(grid.prefix(12)), outsideGrids: false, distanceMeters: 0)
    }
    var best: (code: String, distanceMeters: Double)?
    for radius in PlaceRouting.searchRadii {
      best = PlaceRouting.nearest(to: position, among: try candidates(db, near: position, radius: radius, grids: false))
      if let found = best, found.distanceMeters <= PlaceRouting.coveredMeters(radius: radius, around: position) {
        break
      }
    }
    if best == nil {
      let known =
        try Bool.fetchOne(
          db, sql: "SELECT EXISTS (SELECT 1 FROM place_boundary WHERE level = ?)",
          arguments: [DivisionCode.Level.community.rawValue]) ?? false
      guard known else {
        throw DomainError.failedPrecondition(
          rule: "a point is routed by the boundaries of grids and communities",
          detail: "no community has a boundary yet; name the grid or the community")
      }
    }
    try PlaceRouting.checkNear(distanceMeters: best?.distanceMeters, field: field)
    return Placement(gridCode: "", divisionCode: best!.code, outsideGrids: true, distanceMeters: best!.distanceMeters)
  }

  /// Where a point lies (LocatePoint).
  public func locate(_ point: Governance_Common_V1_GeoPoint) async throws -> Placement {
    let valid = try GeoValidation.point(point, field: "point")
    return try await writer.read { db in try Self.locate(db, valid, field: "point") }
  }
}
