import Foundation
import GovernanceAPI
import Testing

@testable import ServiceKit

@Suite("Points, boundaries and China's GCJ-02 datum")
struct GeoTests {
  static func square(_ west: Double, _ south: Double, _ size: Double) -> String {
    let east = west + size
    let north = south + size
    return
      #"{"type":"Polygon","coordinates":[[[\#(west),\#(south)],[\#(east),\#(south)],[\#(east),\#(north)],[\#(west),\#(north)],[\#(west),\#(south)]]]}"#
  }

  @Test("a point is a real WGS-84 position: finite, in range, with an accuracy of 0 to 10 km")
  func aPointIsARealWGS84Position() throws {
    let good = Governance_Common_V1_GeoPoint.with {
      $0.longitude = 118.7969
      $0.latitude = 32.0603
      $0.accuracyMeters = 15
    }
    #expect(try GeoValidation.point(good, field: "p") == good)
    let cases: [(Governance_Common_V1_GeoPoint, String)] = [
      (.with { $0.longitude = .nan }, "p.longitude"),
      (.with { $0.longitude = 180.5 }, "p.longitude"),
      (.with { $0.latitude = -90.01 }, "p.latitude"),
      (.with { $0.latitude = .infinity }, "p.latitude"),
      (.with { $0.accuracyMeters = -1 }, "p.accuracy_meters"),
      (.with { $0.accuracyMeters = 10_001 }, "p.accuracy_meters"),
    ]
    for (point, field) in cases {
      #expect {
        try GeoValidation.point(point, field: "p")
      } throws: { error in
        guard case .invalidArgument(let named, _) = error as? DomainError else { return false }
        return named == field
      }
    }
  }

  @Test("a ring is closed, has four positions, and a boundary is a Polygon or MultiPolygon in range")
  func aRingIsClosedAndHasFourPositions() throws {
    func refusal(_ text: String) -> String? {
      do {
        _ = try Boundary.parse(text: text, field: "b")
        return nil
      } catch {
        guard case .invalidArgument(let field, _) = error else { return "other" }
        return field
      }
    }
    #expect(refusal(Self.square(118, 32, 0.01)) == nil)
    #expect(refusal(#"{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1]]]}"#) == "b.coordinates[0]")
    #expect(refusal(#"{"type":"Polygon","coordinates":[[[0,0],[1,0],[0,0]]]}"#) == "b.coordinates[0]")
    #expect(refusal(#"{"type":"Point","coordinates":[0,0]}"#) == "b.type")
    #expect(refusal(#"{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,91],[0,0]]]}"#) == "b.coordinates[0][2]")
    #expect(refusal(#"{"type":"Polygon","coordinates":[[[0,0],["x",0],[1,1],[0,0]]]}"#) == "b.coordinates[0][1]")
    #expect(refusal(#"{"type":"MultiPolygon","coordinates":[]}"#) == "b.coordinates")
    #expect(refusal("not json") == "b")
    let multi = try Boundary.parse(
      text: #"{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]],[[[2,2],[3,2],[3,3],[2,2]]]]}"#,
      field: "b")
    #expect(multi.polygons.count == 2)
  }

  @Test("a boundary does not cross itself: a bow tie and a hole crossing its outer ring are refused")
  func aBoundaryDoesNotCrossItself() {
    let bowTie = #"{"type":"Polygon","coordinates":[[[0,0],[1,1],[1,0],[0,1],[0,0]]]}"#
    let crossingHole =
      #"{"type":"Polygon","coordinates":[[[0,0],[4,0],[4,4],[0,4],[0,0]],[[1,1],[5,1],[5,2],[1,2],[1,1]]]}"#
    let foldedBack = #"{"type":"Polygon","coordinates":[[[0,0],[2,0],[1,0],[1,1],[0,0]]]}"#
    for text in [bowTie, crossingHole, foldedBack] {
      #expect(throws: DomainError.self) { try Boundary.parse(text: text, field: "b") }
    }
    let withHole =
      #"{"type":"Polygon","coordinates":[[[0,0],[4,0],[4,4],[0,4],[0,0]],[[1,1],[2,1],[2,2],[1,2],[1,1]]]}"#
    #expect(throws: Never.self) { try Boundary.parse(text: withHole, field: "b") }
  }

  @Test("a point on the boundary lies within it; a point in a hole does not")
  func aPointOnTheBoundaryLiesWithinIt() throws {
    let boundary = try Boundary.parse(
      text: #"{"type":"Polygon","coordinates":[[[0,0],[4,0],[4,4],[0,4],[0,0]],[[1,1],[2,1],[2,2],[1,2],[1,1]]]}"#,
      field: "b")
    #expect(boundary.contains(Position(longitude: 3, latitude: 3)))
    #expect(boundary.contains(Position(longitude: 4, latitude: 2)))  // on an edge
    #expect(boundary.contains(Position(longitude: 0, latitude: 0)))  // a corner
    #expect(boundary.contains(Position(longitude: 1.5, latitude: 1)))  // on the hole's edge
    #expect(!boundary.contains(Position(longitude: 1.5, latitude: 1.5)))  // in the hole
    #expect(!boundary.contains(Position(longitude: 4.0001, latitude: 2)))
  }

  @Test("the distance to a boundary is in metres: one minute of latitude is a nautical mile")
  func theDistanceToABoundaryIsInMetres() throws {
    let boundary = try Boundary.parse(text: Self.square(118.7, 32.0, 0.01), field: "b")
    // 1′ of arc on the mean earth radius is 1,853.2 m (the nautical mile, 1,852 m, is its rounding).
    let north = boundary.distanceMeters(from: Position(longitude: 118.705, latitude: 32.01 + 1.0 / 60))
    #expect(abs(north - 1853.2) < 1)
    #expect(boundary.distanceMeters(from: Position(longitude: 118.705, latitude: 32.005)) == 0)
    let packed = Boundary(packed: boundary.packed)
    #expect(packed == boundary)
    #expect(Boundary(packed: Data([1, 0, 0, 0, 9])) == nil)
  }

  @Test("a boundary lies inside its parent's within a tolerance")
  func aBoundaryLiesInsideItsParentWithinATolerance() throws {
    let parent = try Boundary.parse(text: Self.square(118.7, 32.0, 0.01), field: "b")
    let inside = try Boundary.parse(text: Self.square(118.701, 32.001, 0.005), field: "b")
    // Its east edge lies 0.0001° (about 9.4 m at 32° N) outside the parent's.
    let straying = try Boundary.parse(text: Self.square(118.7051, 32.001, 0.005), field: "b")
    #expect(inside.firstPositionOutside(parent, toleranceMeters: 0) == nil)
    #expect(straying.firstPositionOutside(parent, toleranceMeters: 20) == nil)
    #expect(straying.firstPositionOutside(parent, toleranceMeters: 5) != nil)
  }

  /// WGS-84 → GCJ-02 as two independent implementations on PyPI give them: coord-convert 0.2.1
  /// (`coord_convert.transform.wgs2gcj`) and eviltransform 0.1.1 (`wgs2gcj`), which differ from
  /// each other by up to 1e-7° (1 cm) through their constants.
  static let references: [(wgs: Position, coordConvert: Position, evilTransform: Position)] = [
    (
      Position(longitude: 116.404, latitude: 39.915),
      Position(longitude: 116.41024449916938, latitude: 39.91640428150164),
      Position(longitude: 116.41024460490651, latitude: 39.91640430528012)
    ),
    (
      Position(longitude: 118.7969, latitude: 32.0603),
      Position(longitude: 118.80208355739369, latitude: 32.058224298311096),
      Position(longitude: 118.80208364516605, latitude: 32.05822426316356)
    ),
    (
      Position(longitude: 121.4737, latitude: 31.2304),
      Position(longitude: 121.47822305927693, latitude: 31.22845773757727),
      Position(longitude: 121.47822313586518, latitude: 31.228457704689244)
    ),
    (
      Position(longitude: 113.2644, latitude: 23.1291),
      Position(longitude: 113.26972959210308, latitude: 23.126423339922844),
      Position(longitude: 113.26972968234823, latitude: 23.126423294599377)
    ),
    (
      Position(longitude: 87.6168, latitude: 43.8256),
      Position(longitude: 87.61964994946926, latitude: 43.82680539311119),
      Position(longitude: 87.61964999772701, latitude: 43.82680541352192)
    ),
  ]

  @Test("GCJ-02 agrees with the published implementations and converts back within 1e-8 degrees")
  func gcj02AgreesWithThePublishedImplementations() {
    for reference in Self.references {
      let gcj = ChinaDatum.gcj02(fromWGS84: reference.wgs)
      #expect(abs(gcj.longitude - reference.coordConvert.longitude) < 1e-9)
      #expect(abs(gcj.latitude - reference.coordConvert.latitude) < 1e-9)
      #expect(abs(gcj.longitude - reference.evilTransform.longitude) < 1e-6)
      #expect(abs(gcj.latitude - reference.evilTransform.latitude) < 1e-6)
      let back = ChinaDatum.wgs84(fromGCJ02: gcj)
      #expect(abs(back.longitude - reference.wgs.longitude) < 1e-8)
      #expect(abs(back.latitude - reference.wgs.latitude) < 1e-8)
    }
    // Outside China the datum is WGS-84 itself.
    let london = Position(longitude: -0.1276, latitude: 51.5072)
    #expect(ChinaDatum.gcj02(fromWGS84: london) == london)
    #expect(ChinaDatum.wgs84(fromGCJ02: london) == london)
  }
}
