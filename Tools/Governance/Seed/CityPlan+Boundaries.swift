import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import GovernanceAPI
import ServiceKit

/// Where the seeded city lies: Nanjing's extent divided into its districts, each district into
/// its streets, each street into its communities and each community into its grids, every
/// division a rectangle that its children tile exactly (neighbours share their edges), so every
/// point of the city lies in a grid and the map has boundaries to draw.
struct CityLayout: Sendable {
  /// A rectangle in WGS-84 degrees.
  struct Box: Sendable {
    var west: Double
    var south: Double
    var east: Double
    var north: Double

    /// `count` cells tiling the box: rows of near-square cells (by metres, not degrees), the last
    /// row's cells widened to fill it.
    func split(_ count: Int) -> [Box] {
      guard count > 1 else { return [self] }
      let width = (east - west) * cos((south + north) / 2 * .pi / 180)
      let height = north - south
      let columns = max(1, Int((Double(count) * width / height).squareRoot().rounded(.up)))
      let rows = (count + columns - 1) / columns
      var cells: [Box] = []
      for row in 0..<rows {
        let inRow = row == rows - 1 ? count - columns * (rows - 1) : columns
        for column in 0..<inRow {
          cells.append(
            Box(
              west: west + (east - west) * Double(column) / Double(inRow),
              south: south + height * Double(row) / Double(rows),
              east: west + (east - west) * Double(column + 1) / Double(inRow),
              north: south + height * Double(row + 1) / Double(rows)))
        }
      }
      return cells
    }

    /// A point at fractions `u` (west to east) and `v` (south to north) of the box.
    func point(_ u: Double, _ v: Double) -> Governance_Common_V1_GeoPoint {
      .with {
        $0.longitude = west + (east - west) * u
        $0.latitude = south + (north - south) * v
        $0.accuracyMeters = 10
      }
    }

    var boundary: Boundary {
      let ring = [
        Position(longitude: west, latitude: south), Position(longitude: east, latitude: south),
        Position(longitude: east, latitude: north), Position(longitude: west, latitude: north),
        Position(longitude: west, latitude: south),
      ]
      return Boundary(polygons: [[ring]])
    }
  }

  /// Nanjing's main urban extent.
  static let city = Box(west: 118.50, south: 31.80, east: 119.10, north: 32.30)

  var districts: [Box] = []
  var streets: [Box] = []
  var communities: [Box] = []
  var grids: [Box] = []

  init(_ plan: CityPlan) {
    districts = Self.city.split(plan.districts.count)
    streets = Array(repeating: Self.city, count: plan.streets.count)
    communities = Array(repeating: Self.city, count: plan.communities.count)
    grids = Array(repeating: Self.city, count: plan.grids.count)
    for (district, box) in districts.enumerated() {
      let children = plan.streets.indices.filter { plan.streets[$0].district == district }
      for (index, cell) in zip(children, box.split(children.count)) { streets[index] = cell }
    }
    for (street, box) in streets.enumerated() {
      let children = plan.communities.indices.filter { plan.communities[$0].street == street }
      for (index, cell) in zip(children, box.split(children.count)) { communities[index] = cell }
    }
    for (community, box) in communities.enumerated() {
      let children = Array(plan.communities[community].grids)
      for (index, cell) in zip(children, box.split(children.count)) { grids[index] = cell }
    }
  }

  /// One FeatureCollection per district (the district alone) and per street (the street, its
  /// communities and their grids), each with the code ImportBoundaries is called for.
  func collections(_ plan: CityPlan) -> [(divisionCode: String, featureCollection: String)] {
    func feature(_ code: String, _ box: Box) -> String {
      #"{"type":"Feature","properties":{"code":"\#(code)"},"geometry":\#(box.boundary.geoJSON)}"#
    }
    func collection(_ features: [String]) -> String {
      #"{"type":"FeatureCollection","features":["# + features.joined(separator: ",") + "]}"
    }
    var collections = plan.districts.indices.map { index in
      (plan.districts[index].code, collection([feature(plan.districts[index].code, districts[index])]))
    }
    for (street, box) in streets.enumerated() {
      var features = [feature(plan.streets[street].code, box)]
      for community in plan.communities.indices where plan.communities[community].street == street {
        features.append(feature(plan.communities[community].code, communities[community]))
        for grid in plan.communities[community].grids { features.append(feature(plan.grids[grid].code, grids[grid])) }
      }
      collections.append((plan.streets[street].code, collection(features)))
    }
    return collections
  }
}

extension CitySeed {
  /// Gives every district, street, community and grid its boundary, a district or a street per
  /// call, after the grids are registered.
  static func loadBoundaries(_ plan: CityPlan, _ client: Client, _ progress: some SeedProgress & Sendable)
    async throws
  {
    let grid = Governance_Grid_V1_GridService.Client(wrapping: client)
    let collections = CityLayout(plan).collections(plan)
    try await calls(collections.count, of: "boundaries", progress) { index in
      _ = try await grid.importBoundaries(
        .with {
          $0.requestID = plan.requestID("boundaries", collections[index].divisionCode)
          $0.divisionCode = collections[index].divisionCode
          $0.featureCollection = collections[index].featureCollection
        })
    }
  }
}
