import Foundation
import GovernanceAPI
import ServiceKit
import Testing

@testable import Grid

@Suite("Places: boundaries imported whole, points routed to the grid holding them")
struct PlacesTests {
  static let setup = Principal(service: .grid)

  static func square(_ west: Double, _ south: Double, _ width: Double, _ height: Double) -> String {
    let east = west + width
    let north = south + height
    return
      #"{"type":"Polygon","coordinates":[[[\#(west),\#(south)],[\#(east),\#(south)],[\#(east),\#(north)],[\#(west),\#(north)],[\#(west),\#(south)]]]}"#
  }

  static func collection(_ features: [(String, String)]) -> String {
    let items = features.map { #"{"type":"Feature","properties":{"code":"\#($0.0)"},"geometry":\#($0.1)}"# }
    return #"{"type":"FeatureCollection","features":["# + items.joined(separator: ",") + "]}"
  }

  /// The fixture's community is 118.70…118.72 E, 32.00…32.01 N; grid 001 its west half less a
  /// strip at the east edge's far north, grid 002 the east half, micro-grid 001001 a corner of 001.
  static func importFixture(_ store: GridStore) async throws {
    let response = try await store.importBoundaries(
      .with {
        $0.divisionCode = GridFixture.community
        $0.featureCollection = collection([
          (GridFixture.community, square(118.70, 32.00, 0.02, 0.01)),
          (GridFixture.grid1, square(118.70, 32.00, 0.01, 0.008)),
          (GridFixture.grid2, square(118.71, 32.00, 0.01, 0.008)),
          (GridFixture.microGrid, square(118.70, 32.00, 0.002, 0.002)),
        ])
      }, by: setup)
    #expect(response.divisions == 1 && response.grids == 3)
  }

  static func point(_ longitude: Double, _ latitude: Double) -> Governance_Common_V1_GeoPoint {
    .with {
      $0.longitude = longitude
      $0.latitude = latitude
    }
  }

  @Test("a point lies in the most specific grid holding it; on a shared edge, in the lower code")
  func aPointLiesInTheMostSpecificGridHoldingIt() async throws {
    let store = try await GridFixture.store()
    try await Self.importFixture(store)
    #expect(try await store.locate(Self.point(118.715, 32.004)).gridCode == GridFixture.grid2)
    #expect(try await store.locate(Self.point(118.705, 32.004)).gridCode == GridFixture.grid1)
    #expect(try await store.locate(Self.point(118.701, 32.001)).gridCode == GridFixture.microGrid)
    // On the edge grids 001 and 002 share, equal in area: the lower code.
    #expect(try await store.locate(Self.point(118.71, 32.004)).gridCode == GridFixture.grid1)
    // On the micro-grid's edge inside grid 001: the smaller grid.
    #expect(try await store.locate(Self.point(118.702, 32.001)).gridCode == GridFixture.microGrid)
  }

  @Test("outside every grid a case goes to the community whose boundary is nearest, flagged")
  func outsideEveryGridACaseGoesToTheNearestCommunity() async throws {
    let store = try await GridFixture.store()
    try await Self.importFixture(store)
    // Inside the community's strip no grid covers.
    let strip = try await store.locate(Self.point(118.705, 32.009))
    #expect(strip == .init(gridCode: "", divisionCode: GridFixture.community, outsideGrids: true, distanceMeters: 0))
    // 0.01° north of the community: about 1.1 km.
    let north = try await store.locate(Self.point(118.71, 32.02))
    #expect(north.divisionCode == GridFixture.community && north.outsideGrids)
    #expect(abs(north.distanceMeters - 1112) < 2)

    let created = try await store.createCase(
      .with {
        $0.gridCase.source = .resident
        $0.gridCase.category = "环境卫生"
        $0.gridCase.title = "小区外路口垃圾堆放"
        $0.gridCase.location.point = Self.point(118.71, 32.02)
      }, by: Self.setup)
    #expect(created.divisionCode == GridFixture.community)
    #expect(created.location.gridCode.isEmpty && created.location.outsideGrids)
    #expect(created.handler.level == .community && created.handler.unitCode == GridFixture.community)

    let inGrid = try await store.createCase(
      .with {
        $0.gridCase.source = .resident
        $0.gridCase.category = "环境卫生"
        $0.gridCase.title = "楼道堆放杂物"
        $0.gridCase.location.point = Self.point(118.715, 32.004)
        $0.gridCase.location.outsideGrids = true
      }, by: Self.setup)
    #expect(inGrid.location.gridCode == GridFixture.grid2 && !inGrid.location.outsideGrids)
    #expect(inGrid.handler.level == .grid && inGrid.handler.unitCode == GridFixture.grid2)
  }

  @Test("a point is refused naming its field; with no boundary anywhere a point alone cannot be routed")
  func aBadPointIsRefusedNamingItsField() async throws {
    let store = try await GridFixture.store()
    await #expect(
      throws: DomainError.failedPrecondition(
        rule: "a point is routed by the boundaries of grids and communities",
        detail: "no community has a boundary yet; name the grid or the community")
    ) {
      try await store.locate(Self.point(118.7, 32))
    }
    do {
      _ = try await store.createCase(
        .with {
          $0.gridCase.source = .resident
          $0.gridCase.category = "环境卫生"
          $0.gridCase.title = "t"
          $0.gridCase.location.point = Self.point(.nan, 32)
        }, by: Self.setup)
      Issue.record("a NaN longitude was taken")
    } catch let DomainError.invalidArgument(field, _) {
      #expect(field == "grid_case.location.point.longitude")
    }
  }

  @Test("a point lies within 20 km of a community's boundary of this city")
  func aPointLiesWithin20KmOfTheCity() async throws {
    let store = try await GridFixture.store()
    try await Self.importFixture(store)
    // 0.15° north of the community: about 16.7 km, still the city's.
    #expect(try await store.locate(Self.point(118.71, 32.16)).outsideGrids)
    for (longitude, latitude) in [(118.71, 32.25), (-0.1276, 51.5072), (0.0, 0.0)] {
      await #expect(
        throws: DomainError.invalidArgument(
          field: "point", rule: "lies within 20 km of a community's boundary of this city")
      ) { try await store.locate(Self.point(longitude, latitude)) }
    }
  }

  @Test("a hole lies inside its outer ring and every ring encloses an area")
  func aHoleLiesInsideItsOuterRing() {
    let outside =
      #"{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]],[[2,2],[3,2],[3,3],[2,3],[2,2]]]}"#
    let flat = #"{"type":"Polygon","coordinates":[[[0,0],[0,0],[0,0],[0,0]]]}"#
    for (text, field) in [(outside, "b.coordinates[1]"), (flat, "b.coordinates[0]")] {
      #expect {
        try Boundary.parse(text: text, field: "b")
      } throws: { error in
        guard case .invalidArgument(let named, _) = error as? DomainError else { return false }
        return named == field
      }
    }
  }

  @Test("an import is checked whole and stored all or none")
  func anImportIsCheckedWholeAndStoredAllOrNone() async throws {
    let store = try await GridFixture.store()
    try await Self.importFixture(store)
    func refusal(_ features: [(String, String)], scope: String = GridFixture.community) async -> String? {
      do {
        _ = try await store.importBoundaries(
          .with {
            $0.divisionCode = scope
            $0.featureCollection = Self.collection(features)
          }, by: Self.setup)
        return nil
      } catch let DomainError.invalidArgument(field, _) {
        return field
      } catch {
        return "\(error)"
      }
    }
    let open = #"{"type":"Polygon","coordinates":[[[118.71,32.0],[118.72,32.0],[118.72,32.008],[118.71,32.008]]]}"#
    // A good grid 002 first, then an open ring: neither is stored.
    #expect(
      await refusal([(GridFixture.grid2, Self.square(118.711, 32.0, 0.009, 0.008)), (GridFixture.grid1, open)])
        == "feature_collection.features[1].geometry.coordinates[0]")
    #expect(
      try await store.grid(code: GridFixture.grid2)?.boundary
        == Boundary.parse(
          text: Self.square(118.71, 32.00, 0.01, 0.008), field: "b"
        ).geoJSON)
    // 0.001° (about 94 m) east of the community: beyond the 20 m tolerance.
    #expect(
      await refusal([(GridFixture.grid2, Self.square(118.71, 32.0, 0.011, 0.008))])
        == "feature_collection.features[0].geometry")
    #expect(
      await refusal([("320113005002001", Self.square(118.7, 32, 0.001, 0.001))])
        == "feature_collection.features[0].properties.code")
    #expect(await refusal([(GridFixture.grid2, "{}")]) == "feature_collection.features[0].geometry")
    #expect(await refusal([]) == "feature_collection.features")
    // The boundary of a grid never comes from CreateGrid.
    let created = try await store.createGrid(
      .with {
        $0.grid.gridCode = "320113005001003"
        $0.grid.name = "网格003"
        $0.grid.kind = .basic
        $0.grid.boundary = Self.square(0, 0, 1, 1)
      }, by: Self.setup)
    #expect(created.boundary.isEmpty)
  }

  @Test("10,000 random points are located as a scan of every boundary locates them")
  func randomPointsAreLocatedAsAScanLocatesThem() async throws {
    let store = try await GridFixture.store()
    // 20 × 20 grids on a jittered lattice over the community: neighbours share their edges.
    var random = SystemRandomNumberGenerator()
    let size = 20
    var corners: [[Position]] = []
    for row in 0...size {
      corners.append(
        (0...size).map { column in
          let inner = row > 0 && row < size && column > 0 && column < size
          let jitter = { inner ? Double.random(in: -0.0002...0.0002, using: &random) : 0 }
          return Position(
            longitude: 118.70 + Double(column) * 0.001 + jitter(), latitude: 32.00 + Double(row) * 0.001 + jitter())
        })
    }
    var features: [(String, String)] = [(GridFixture.community, Self.square(118.70, 32.00, 0.02, 0.02))]
    var boundaries: [(code: String, boundary: Boundary)] = []
    for row in 0..<size {
      for column in 0..<size {
        let code = GridFixture.community + String(format: "%03d", 100 + row * size + column)
        _ = try await store.createGrid(
          .with {
            $0.grid.gridCode = code
            $0.grid.name = "网格\(code.suffix(3))"
            $0.grid.kind = .basic
          }, by: Self.setup)
        let ring = [
          corners[row][column], corners[row][column + 1], corners[row + 1][column + 1], corners[row + 1][column],
          corners[row][column],
        ]
        let boundary = Boundary(polygons: [[ring]])
        boundaries.append((code, boundary))
        features.append((code, boundary.geoJSON))
      }
    }
    _ = try await store.importBoundaries(
      .with {
        $0.divisionCode = GridFixture.community
        $0.featureCollection = Self.collection(features)
      }, by: Self.setup)
    for _ in 0..<10_000 {
      let point = Position(
        longitude: Double.random(in: 118.699...118.721, using: &random),
        latitude: Double.random(in: 31.999...32.021, using: &random))
      let scan = boundaries.filter { $0.boundary.contains(point) }
        .min { (PlaceRouting.area(of: $0.boundary), $0.code) < (PlaceRouting.area(of: $1.boundary), $1.code) }
      let placement = try await store.locate(Self.point(point.longitude, point.latitude))
      #expect(placement.gridCode == (scan?.code ?? ""), "at \(point)")
      #expect(placement.divisionCode == GridFixture.community)
    }
  }
}
