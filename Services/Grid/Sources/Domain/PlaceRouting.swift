import Foundation
import ServiceKit

/// Routing by place (按位置分派): which grid a point lies in, or, outside every grid, which
/// community is nearest. Pure: the store finds the candidates through its R*Tree index of
/// boundary boxes and this decides among them.
public enum PlaceRouting {
  /// A boundary the point's box search returned: its grid or division code, its area (square
  /// metres, from `area(of:)`) and its shape.
  public struct Candidate: Sendable {
    public var code: String
    public var areaSquareMeters: Double
    public var boundary: Boundary

    public init(code: String, areaSquareMeters: Double, boundary: Boundary) {
      self.code = code
      self.areaSquareMeters = areaSquareMeters
      self.boundary = boundary
    }
  }

  /// The rule "a point lies in the most specific grid holding it": among the grids whose boundary
  /// holds the point (a point on an edge is held by the grids on both sides), the one of smallest
  /// area, so a micro-grid or a special grid wins over the basic grid around it; of equal areas,
  /// the lowest code. So a point on the edge two grids share goes to the smaller grid, and
  /// between equal grids to the lower code. Nil when no grid holds the point.
  public static func grid(holding point: Position, among candidates: [Candidate]) -> String? {
    grids(holding: point, among: candidates).first
  }

  /// Every grid holding the point, the most specific first by the rule of `grid(holding:among:)`:
  /// an alarm passes to the next when the first has nobody on duty.
  public static func grids(holding point: Position, among candidates: [Candidate]) -> [String] {
    candidates.filter { $0.boundary.contains(point) }
      .sorted { ($0.areaSquareMeters, $0.code) < ($1.areaSquareMeters, $1.code) }.map(\.code)
  }

  /// The rule "outside every grid, a case goes to the community whose boundary is nearest": the
  /// candidate at the least distance (0 for one holding the point), the lowest code of equals.
  public static func nearest(to point: Position, among candidates: [Candidate]) -> (
    code: String, distanceMeters: Double
  )? {
    candidates.map { ($0.code, $0.boundary.distanceMeters(from: point)) }
      .min { ($0.1, $0.0) < ($1.1, $1.0) }
      .map { (code: $0.0, distanceMeters: $0.1) }
  }

  /// Square metres a boundary covers (its outer rings less their holes), on a plane tangent at its
  /// box's centre: for comparing grids, not for surveying.
  public static func area(of boundary: Boundary) -> Double {
    let box = boundary.box
    let scaleX = Boundary.metersPerDegree * cos((box.south + box.north) / 2 * .pi / 180)
    let scaleY = Boundary.metersPerDegree
    func ringArea(_ ring: [Position]) -> Double { abs(Boundary.twiceSignedArea(ring)) / 2 * scaleX * scaleY }
    return boundary.polygons.reduce(0) { total, polygon in
      total + ringArea(polygon[0]) - polygon.dropFirst().reduce(0) { $0 + ringArea($1) }
    }
  }

  /// The farthest a point may lie from every community's boundary, in metres: farther, it is
  /// not a place of this city (a phone's 0, 0 for "no fix", a slip of a digit), and a case there
  /// would land in some community tens or thousands of kilometres away.
  public static let maximumDistanceMeters = 20_000.0

  /// The rule "a point lies within 20 km of the city's communities".
  /// - Throws: `DomainError.invalidArgument` naming `field`.
  public static func checkNear(distanceMeters: Double?, field: String) throws(DomainError) {
    guard let distanceMeters, distanceMeters <= maximumDistanceMeters else {
      throw DomainError.invalidArgument(
        field: field,
        rule: "lies within \(Int(maximumDistanceMeters / 1000)) km of a community's boundary of this city")
    }
  }

  /// Half-widths, in degrees, of the boxes searched for the nearest community, each tried when
  /// the one before held none near enough: from about 500 m to the widest the 20 km rule needs
  /// (0.5° covers more than 20 km below 65° of latitude).
  public static let searchRadii: [Double] = [0.005, 0.02, 0.1, 0.5]

  /// Metres every community outside a box of half-width `radius` degrees around `point` is at
  /// least away: a nearest candidate no farther than this is the nearest of all.
  public static func coveredMeters(radius: Double, around point: Position) -> Double {
    radius * Boundary.metersPerDegree * max(cos(min(abs(point.latitude) + radius, 90) * .pi / 180), 0)
  }
}
