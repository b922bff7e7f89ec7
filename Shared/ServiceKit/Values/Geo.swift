import Foundation
import GovernanceAPI

/// A position as GeoJSON writes it (RFC 7946 §3.1.1): longitude then latitude, in degrees of
/// WGS-84 unless a function says otherwise.
public struct Position: Sendable, Hashable {
  public var longitude: Double
  public var latitude: Double

  public init(longitude: Double, latitude: Double) {
    self.longitude = longitude
    self.latitude = latitude
  }
}

/// Checks on points, shared by every record that carries one.
public enum GeoValidation {
  /// The widest accuracy radius a point may claim, in metres: beyond it a point says nothing
  /// about which grid it is in.
  public static let maximumAccuracyMeters = 10_000.0

  /// The rule "a point is a real WGS-84 position": longitude -180…180, latitude -90…90, both
  /// finite, accuracy 0…10,000 m.
  /// - Throws: `DomainError.invalidArgument` naming `field.longitude`, `.latitude` or
  ///   `.accuracy_meters`.
  public static func point(_ point: Governance_Common_V1_GeoPoint, field: String) throws(DomainError)
    -> Governance_Common_V1_GeoPoint
  {
    guard point.longitude.isFinite, (-180...180).contains(point.longitude) else {
      throw DomainError.invalidArgument(
        field: "\(field).longitude", rule: "is degrees east from -180 to 180 (WGS-84)")
    }
    guard point.latitude.isFinite, (-90...90).contains(point.latitude) else {
      throw DomainError.invalidArgument(
        field: "\(field).latitude", rule: "is degrees north from -90 to 90 (WGS-84)")
    }
    guard point.accuracyMeters.isFinite, (0...maximumAccuracyMeters).contains(point.accuracyMeters) else {
      throw DomainError.invalidArgument(
        field: "\(field).accuracy_meters", rule: "is metres from 0 to \(Int(maximumAccuracyMeters))")
    }
    return point
  }
}

/// A boundary (边界): one or more polygons, each an outer ring and its holes, as GeoJSON's
/// Polygon (RFC 7946 §3.1.6) and MultiPolygon (§3.1.7) hold them, in WGS-84. Every ring is
/// closed: its last position equals its first.
public struct Boundary: Sendable, Hashable {
  /// Polygons, each `[outer ring, hole, hole…]`.
  public var polygons: [[[Position]]]

  /// The most positions one boundary may have: a community's outline traced from a survey has a
  /// few hundred; the self-intersection check compares every pair of edges.
  public static let maximumPositions = 5_000
  /// The longest GeoJSON text of one boundary, in bytes.
  public static let maximumBytes = 512 * 1024

  public init(polygons: [[[Position]]]) {
    self.polygons = polygons
  }

  /// The smallest box holding the boundary: (west, south, east, north) in degrees.
  public var box: (west: Double, south: Double, east: Double, north: Double) {
    var west = Double.infinity
    var south = Double.infinity
    var east = -Double.infinity
    var north = -Double.infinity
    for polygon in polygons {
      for position in polygon.first ?? [] {
        west = min(west, position.longitude)
        east = max(east, position.longitude)
        south = min(south, position.latitude)
        north = max(north, position.latitude)
      }
    }
    return (west, south, east, north)
  }
}

extension Boundary {
  /// Reads and checks a GeoJSON Polygon or MultiPolygon geometry (a Feature's geometry member).
  /// - Throws: `DomainError.invalidArgument` naming `field` and the rule broken: not a Polygon or
  ///   MultiPolygon, a position out of range, a ring not closed or of fewer than four positions,
  ///   two edges crossing, too many positions.
  public static func parse(geometry: Any, field: String) throws(DomainError) -> Boundary {
    let (boundary, multi) = try read(geometry: geometry, field: field)
    try boundary.check(field: field, multi: multi)
    return boundary
  }

  /// A boundary as stored after `ImportBoundaries` checked it, read again without the checks
  /// (whose crossing sweep a map drawing thousands of boundaries need not repeat); nil when the
  /// text is not a GeoJSON Polygon or MultiPolygon.
  public static func stored(text: String) -> Boundary? {
    guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) else { return nil }
    return try? read(geometry: object, field: "boundary").boundary
  }

  /// The polygons of a geometry, each position in range and each ring closed, and whether it
  /// was a MultiPolygon.
  private static func read(geometry: Any, field: String) throws(DomainError) -> (boundary: Boundary, multi: Bool) {
    guard let object = geometry as? [String: Any], let type = object["type"] as? String else {
      throw DomainError.invalidArgument(field: field, rule: "is a GeoJSON geometry object with a type")
    }
    let coordinates = object["coordinates"]
    let polygons: [[[Position]]]
    switch type {
    case "Polygon":
      polygons = [try polygon(coordinates, field: "\(field).coordinates")]
    case "MultiPolygon":
      guard let list = coordinates as? [Any], !list.isEmpty else {
        throw DomainError.invalidArgument(
          field: "\(field).coordinates", rule: "is a non-empty array of polygons (RFC 7946 §3.1.7)")
      }
      var parsed: [[[Position]]] = []
      for (index, item) in list.enumerated() {
        parsed.append(try polygon(item, field: "\(field).coordinates[\(index)]"))
      }
      polygons = parsed
    default:
      throw DomainError.invalidArgument(field: "\(field).type", rule: "is Polygon or MultiPolygon, got \(type)")
    }
    return (Boundary(polygons: polygons), type == "MultiPolygon")
  }

  /// The checks a stored boundary passed: at most `maximumPositions`, no edges crossing, every
  /// ring enclosing an area, every hole inside its outer ring.
  private func check(field: String, multi: Bool) throws(DomainError) {
    let count = polygons.reduce(0) { $0 + $1.reduce(0) { $0 + $1.count } }
    guard count <= Self.maximumPositions else {
      throw DomainError.invalidArgument(
        field: field, rule: "has at most \(Self.maximumPositions) positions, got \(count)")
    }
    if let crossing = firstCrossing() {
      throw DomainError.invalidArgument(
        field: field,
        rule: "does not cross itself: edges meet near \(crossing.longitude), \(crossing.latitude)")
    }
    for (polygonIndex, polygon) in polygons.enumerated() {
      let prefix = multi ? "\(field).coordinates[\(polygonIndex)]" : "\(field).coordinates"
      let outer = Boundary(polygons: [[polygon[0]]])
      for (ringIndex, ring) in polygon.enumerated() {
        guard Self.twiceSignedArea(ring) != 0 else {
          throw DomainError.invalidArgument(field: "\(prefix)[\(ringIndex)]", rule: "encloses an area")
        }
        if ringIndex > 0, !ring.allSatisfy(outer.contains) {
          throw DomainError.invalidArgument(
            field: "\(prefix)[\(ringIndex)]", rule: "is a hole inside its polygon's outer ring (RFC 7946 §3.1.6)")
        }
      }
    }
  }

  /// Reads a GeoJSON geometry from its text (as a Division or Grid stores it).
  public static func parse(text: String, field: String) throws(DomainError) -> Boundary {
    guard text.utf8.count <= maximumBytes else {
      throw DomainError.invalidArgument(field: field, rule: "is at most \(maximumBytes) bytes of GeoJSON")
    }
    guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) else {
      throw DomainError.invalidArgument(field: field, rule: "is GeoJSON (RFC 7946)")
    }
    return try parse(geometry: object, field: field)
  }

  private static func polygon(_ value: Any?, field: String) throws(DomainError) -> [[Position]] {
    guard let rings = value as? [Any], !rings.isEmpty else {
      throw DomainError.invalidArgument(
        field: field, rule: "is a non-empty array of linear rings (RFC 7946 §3.1.6)")
    }
    var parsed: [[Position]] = []
    for (index, ring) in rings.enumerated() {
      parsed.append(try linearRing(ring, field: "\(field)[\(index)]"))
    }
    return parsed
  }

  private static func linearRing(_ value: Any?, field: String) throws(DomainError) -> [Position] {
    guard let list = value as? [Any] else {
      throw DomainError.invalidArgument(field: field, rule: "is an array of positions")
    }
    var ring: [Position] = []
    ring.reserveCapacity(list.count)
    for (index, item) in list.enumerated() {
      guard let numbers = item as? [Any], numbers.count >= 2, numbers.count <= 3,
        let longitude = degrees(numbers[0]), let latitude = degrees(numbers[1])
      else {
        throw DomainError.invalidArgument(
          field: "\(field)[\(index)]", rule: "is a position: [longitude, latitude] in degrees")
      }
      guard longitude.isFinite, (-180...180).contains(longitude), latitude.isFinite, (-90...90).contains(latitude)
      else {
        throw DomainError.invalidArgument(
          field: "\(field)[\(index)]", rule: "lies within longitude -180 to 180 and latitude -90 to 90")
      }
      ring.append(Position(longitude: longitude, latitude: latitude))
    }
    guard ring.count >= 4 else {
      throw DomainError.invalidArgument(field: field, rule: "has at least four positions, got \(ring.count)")
    }
    guard ring.first == ring.last else {
      throw DomainError.invalidArgument(
        field: field, rule: "is closed: its last position equals its first (RFC 7946 §3.1.6)")
    }
    return ring
  }

  /// Twice the area a ring encloses, in square degrees, signed by its direction (the shoelace
  /// formula).
  public static func twiceSignedArea(_ ring: [Position]) -> Double {
    var sum = 0.0
    for index in 0..<(ring.count - 1) {
      sum += ring[index].longitude * ring[index + 1].latitude - ring[index + 1].longitude * ring[index].latitude
    }
    return sum
  }

  /// A JSON number as Foundation's parser gives it (an integer or a floating-point value; never a
  /// Boolean, which Foundation may also hand over as a number).
  private static func degrees(_ value: Any) -> Double? {
    // Foundation's Boolean is its own class; `is Bool` is no test, as 0 and 1 pass it too.
    guard let number = value as? NSNumber, !String(describing: type(of: number)).contains("Boolean") else {
      return nil
    }
    return number.doubleValue
  }

  /// Where two edges of one polygon (its rings together) cross or overlap, other than two
  /// neighbours meeting at their shared position; nil when none do.
  func firstCrossing() -> Position? {
    for polygon in polygons {
      var edges: [(Position, Position, ring: Int, index: Int, count: Int)] = []
      for (ringIndex, ring) in polygon.enumerated() {
        for index in 0..<(ring.count - 1) {
          edges.append((ring[index], ring[index + 1], ringIndex, index, ring.count - 1))
        }
      }
      // Swept west to east: an edge is compared only with those whose span of longitudes and of
      // latitudes meets its own, so an outline of thousands of positions takes milliseconds.
      edges.sort { min($0.0.longitude, $0.1.longitude) < min($1.0.longitude, $1.1.longitude) }
      for first in 0..<edges.count {
        let a = edges[first]
        let east = max(a.0.longitude, a.1.longitude)
        let south = min(a.0.latitude, a.1.latitude)
        let north = max(a.0.latitude, a.1.latitude)
        var second = first + 1
        while second < edges.count, min(edges[second].0.longitude, edges[second].1.longitude) <= east {
          let b = edges[second]
          second += 1
          guard max(b.0.latitude, b.1.latitude) >= south, min(b.0.latitude, b.1.latitude) <= north else { continue }
          if a.ring == b.ring {
            let gap = abs(a.index - b.index)
            if gap == 1 || gap == a.count - 1 {
              // Neighbours share a position; they cross only by folding back along each other.
              if Self.overlapsAlong(a.0, a.1, b.0, b.1) { return a.1 }
              continue
            }
          }
          if Self.segmentsIntersect(a.0, a.1, b.0, b.1) { return a.0 }
        }
      }
    }
    return nil
  }

  private static func orientation(_ p: Position, _ q: Position, _ r: Position) -> Double {
    (q.longitude - p.longitude) * (r.latitude - p.latitude) - (q.latitude - p.latitude) * (r.longitude - p.longitude)
  }

  private static func onSegment(_ p: Position, _ q: Position, _ r: Position) -> Bool {
    min(p.longitude, q.longitude) <= r.longitude && r.longitude <= max(p.longitude, q.longitude)
      && min(p.latitude, q.latitude) <= r.latitude && r.latitude <= max(p.latitude, q.latitude)
  }

  static func segmentsIntersect(_ p1: Position, _ p2: Position, _ q1: Position, _ q2: Position) -> Bool {
    let d1 = orientation(q1, q2, p1)
    let d2 = orientation(q1, q2, p2)
    let d3 = orientation(p1, p2, q1)
    let d4 = orientation(p1, p2, q2)
    if ((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0)) { return true }
    if d1 == 0 && onSegment(q1, q2, p1) { return true }
    if d2 == 0 && onSegment(q1, q2, p2) { return true }
    if d3 == 0 && onSegment(p1, p2, q1) { return true }
    if d4 == 0 && onSegment(p1, p2, q2) { return true }
    return false
  }

  /// Whether two neighbouring edges (sharing one end) lie along each other for more than that end.
  private static func overlapsAlong(_ p1: Position, _ p2: Position, _ q1: Position, _ q2: Position) -> Bool {
    guard orientation(p1, p2, q1) == 0, orientation(p1, p2, q2) == 0 else { return false }
    let shared = (p1 == q1 || p1 == q2) ? p1 : p2
    let ownEnd = shared == p1 ? p2 : p1
    let otherEnd = shared == q1 ? q2 : q1
    let along =
      (ownEnd.longitude - shared.longitude) * (otherEnd.longitude - shared.longitude)
      + (ownEnd.latitude - shared.latitude) * (otherEnd.latitude - shared.latitude)
    return along > 0
  }
}

extension Boundary {
  /// Metres per degree of latitude on the WGS-84 mean radius (6,371,008.8 m).
  public static let metersPerDegree = 6_371_008.8 * Double.pi / 180

  /// The rule "a point on the boundary lies within it": whether `point` lies inside an outer ring
  /// and outside that polygon's holes, a point on any ring's edge counting as inside (so a
  /// point on an edge two grids share lies in both, and PlaceRouting's tie rule decides).
  public func contains(_ point: Position) -> Bool {
    for polygon in polygons {
      guard let outer = polygon.first else { continue }
      if Self.onEdge(of: outer, point) { return true }
      guard Self.inside(outer, point) else { continue }
      var inHole = false
      for hole in polygon.dropFirst() {
        if Self.onEdge(of: hole, point) { return true }
        if Self.inside(hole, point) {
          inHole = true
          break
        }
      }
      if !inHole { return true }
    }
    return false
  }

  /// Metres from `point` to the nearest edge of the boundary, on a plane tangent at the point
  /// (exact to a fraction of a per cent over the few kilometres between neighbouring
  /// communities); 0 when the boundary contains the point.
  public func distanceMeters(from point: Position) -> Double {
    if contains(point) { return 0 }
    let scaleX = Self.metersPerDegree * cos(point.latitude * .pi / 180)
    let scaleY = Self.metersPerDegree
    var best = Double.infinity
    for polygon in polygons {
      for ring in polygon {
        for index in 0..<(ring.count - 1) {
          let ax = (ring[index].longitude - point.longitude) * scaleX
          let ay = (ring[index].latitude - point.latitude) * scaleY
          let bx = (ring[index + 1].longitude - point.longitude) * scaleX
          let by = (ring[index + 1].latitude - point.latitude) * scaleY
          let dx = bx - ax
          let dy = by - ay
          let length = dx * dx + dy * dy
          let t = length == 0 ? 0 : max(0, min(1, -(ax * dx + ay * dy) / length))
          let x = ax + t * dx
          let y = ay + t * dy
          best = min(best, (x * x + y * y).squareRoot())
        }
      }
    }
    return best
  }

  /// The rule "a boundary lies inside its parent's within a tolerance": every position of
  /// `self` is in `parent` or at most `toleranceMeters` from it. Returns the first position
  /// that is not, or nil.
  public func firstPositionOutside(_ parent: Boundary, toleranceMeters: Double) -> Position? {
    for polygon in polygons {
      for ring in polygon {
        for position in ring where parent.distanceMeters(from: position) > toleranceMeters {
          return position
        }
      }
    }
    return nil
  }

  private static func inside(_ ring: [Position], _ point: Position) -> Bool {
    var inside = false
    var previous = ring[ring.count - 1]
    for current in ring {
      if (current.latitude > point.latitude) != (previous.latitude > point.latitude) {
        let crossing =
          (previous.longitude - current.longitude) * (point.latitude - current.latitude)
          / (previous.latitude - current.latitude) + current.longitude
        if point.longitude < crossing { inside.toggle() }
      }
      previous = current
    }
    return inside
  }

  private static func onEdge(of ring: [Position], _ point: Position) -> Bool {
    for index in 0..<(ring.count - 1) {
      let a = ring[index]
      let b = ring[index + 1]
      if orientation(a, b, point) == 0 && onSegment(a, b, point) { return true }
    }
    return false
  }
}

extension Boundary {
  /// The boundary as GeoJSON geometry text: a Polygon when it has one polygon, else a
  /// MultiPolygon.
  public var geoJSON: String {
    func ring(_ positions: [Position]) -> String {
      "[" + positions.map { "[\($0.longitude),\($0.latitude)]" }.joined(separator: ",") + "]"
    }
    func polygon(_ rings: [[Position]]) -> String { "[" + rings.map(ring).joined(separator: ",") + "]" }
    if polygons.count == 1 {
      return #"{"type":"Polygon","coordinates":"# + polygon(polygons[0]) + "}"
    }
    return #"{"type":"MultiPolygon","coordinates":["# + polygons.map(polygon).joined(separator: ",") + "]}"
  }

  /// The boundary packed for the place index: per polygon its ring count, per ring its position
  /// count and then longitude, latitude pairs, all little-endian (UInt32 counts, Float64
  /// degrees). Decoding it is a copy, where parsing GeoJSON per lookup would cost far more.
  public var packed: Data {
    var data = Data()
    func append(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) } }
    func append(_ value: Double) { withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
    append(UInt32(polygons.count))
    for polygon in polygons {
      append(UInt32(polygon.count))
      for ring in polygon {
        append(UInt32(ring.count))
        for position in ring {
          append(position.longitude)
          append(position.latitude)
        }
      }
    }
    return data
  }

  /// The boundary from `packed`; nil when the bytes are not such a packing.
  public init?(packed data: Data) {
    var offset = data.startIndex
    func readUInt32() -> UInt32? {
      guard data.endIndex - offset >= 4 else { return nil }
      var value: UInt32 = 0
      withUnsafeMutableBytes(of: &value) { $0.copyBytes(from: data[offset..<(offset + 4)]) }
      offset += 4
      return UInt32(littleEndian: value)
    }
    func readDouble() -> Double? {
      guard data.endIndex - offset >= 8 else { return nil }
      var value: UInt64 = 0
      withUnsafeMutableBytes(of: &value) { $0.copyBytes(from: data[offset..<(offset + 8)]) }
      offset += 8
      return Double(bitPattern: UInt64(littleEndian: value))
    }
    guard let polygonCount = readUInt32() else { return nil }
    var polygons: [[[Position]]] = []
    for _ in 0..<polygonCount {
      guard let ringCount = readUInt32() else { return nil }
      var rings: [[Position]] = []
      for _ in 0..<ringCount {
        guard let count = readUInt32(), Int(count) * 16 <= data.endIndex - offset else { return nil }
        var ring: [Position] = []
        ring.reserveCapacity(Int(count))
        for _ in 0..<count {
          guard let longitude = readDouble(), let latitude = readDouble() else { return nil }
          ring.append(Position(longitude: longitude, latitude: latitude))
        }
        rings.append(ring)
      }
      polygons.append(rings)
    }
    self.polygons = polygons
  }
}

/// China's GCJ-02 datum (国测局坐标, "Mars coordinates"): the offset every map of China published
/// under the national surveying rules carries (AutoNavi/Gaode, Tencent). WGS-84 positions land
/// 100 to 700 m off on such tiles unless converted. The national 天地图 service uses CGCS2000,
/// which agrees with WGS-84 to well under a metre and needs no conversion.
///
/// The formula is the published one (Krasovsky 1940 ellipsoid, a = 6,378,245 m,
/// e² = 0.006693421622965943), applied inside China's box only, as the map providers do.
public enum ChinaDatum {
  static let semiMajorAxis = 6_378_245.0
  static let eccentricitySquared = 0.006_693_421_622_965_943_23

  /// Whether the offset applies at `position`: inside the box the map providers use for China.
  public static func offsetApplies(at position: Position) -> Bool {
    (72.004...137.8347).contains(position.longitude) && (0.8293...55.8271).contains(position.latitude)
  }

  /// The GCJ-02 position of a WGS-84 one; the position itself outside China.
  public static func gcj02(fromWGS84 position: Position) -> Position {
    guard offsetApplies(at: position) else { return position }
    let offset = self.offset(at: position)
    return Position(longitude: position.longitude + offset.longitude, latitude: position.latitude + offset.latitude)
  }

  /// The WGS-84 position of a GCJ-02 one, found by iterating the forward conversion until it
  /// agrees within 1e-9° (about 0.1 mm); the position itself outside China.
  public static func wgs84(fromGCJ02 position: Position) -> Position {
    guard offsetApplies(at: position) else { return position }
    var guess = Position(
      longitude: position.longitude - offset(at: position).longitude,
      latitude: position.latitude - offset(at: position).latitude)
    for _ in 0..<30 {
      let forward = gcj02(fromWGS84: guess)
      let errorLongitude = forward.longitude - position.longitude
      let errorLatitude = forward.latitude - position.latitude
      if abs(errorLongitude) < 1e-9 && abs(errorLatitude) < 1e-9 { break }
      guess.longitude -= errorLongitude
      guess.latitude -= errorLatitude
    }
    return guess
  }

  private static func offset(at position: Position) -> Position {
    let x = position.longitude - 105
    let y = position.latitude - 35
    let pi = Double.pi
    var dLatitude =
      -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * abs(x).squareRoot()
      + (20 * sin(6 * x * pi) + 20 * sin(2 * x * pi)) * 2 / 3
      + (20 * sin(y * pi) + 40 * sin(y / 3 * pi)) * 2 / 3
      + (160 * sin(y / 12 * pi) + 320 * sin(y * pi / 30)) * 2 / 3
    var dLongitude =
      300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * abs(x).squareRoot()
      + (20 * sin(6 * x * pi) + 20 * sin(2 * x * pi)) * 2 / 3
      + (20 * sin(x * pi) + 40 * sin(x / 3 * pi)) * 2 / 3
      + (150 * sin(x / 12 * pi) + 300 * sin(x / 30 * pi)) * 2 / 3
    let radians = position.latitude / 180 * pi
    var magic = sin(radians)
    magic = 1 - eccentricitySquared * magic * magic
    let root = magic.squareRoot()
    dLatitude = (dLatitude * 180) / ((semiMajorAxis * (1 - eccentricitySquared)) / (magic * root) * pi)
    dLongitude = (dLongitude * 180) / (semiMajorAxis / root * cos(radians) * pi)
    return Position(longitude: dLongitude, latitude: dLatitude)
  }
}
