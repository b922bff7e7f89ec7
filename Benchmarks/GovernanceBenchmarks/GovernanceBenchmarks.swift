import Benchmark
import Foundation
import GovernanceAPI
import Grid
import ServiceKit
import SwiftProtobuf

/// The hot paths of a call: the case rules every case write runs, the statistics a dashboard
/// asks for, the token every call carries, and the JSON the gateway transcodes.
let benchmarks: @Sendable () -> Void = {
  Benchmark.defaultConfiguration.maxDuration = .seconds(3)
  Benchmark.defaultConfiguration.metrics = [.wallClock, .throughput, .mallocCountTotal]

  let reported = CaseWorkflow.GridCase.with {
    $0.source = .resident
    $0.category = "环境卫生"
    $0.title = "垃圾清运不及时"
    $0.details = "三号楼东侧垃圾桶已满两天"
    $0.location.gridCode = "320113005001001"
    $0.reporter = .with {
      $0.name = "钱先生"
      $0.phone = "13900001111"
    }
  }

  Benchmark("case transitions: validate a new case and walk it to closed") { benchmark in
    let path: [CaseWorkflow.Status] = [.accepted, .assigned, .inProgress, .resolved, .evaluated, .closed]
    for _ in benchmark.scaledIterations {
      var gridCase = try CaseWorkflow.validateNew(reported, at: Date())
      for next in path {
        try CaseWorkflow.checkTransition(gridCase, to: next)
        gridCase.status = next
      }
      blackHole(gridCase)
    }
  }

  Benchmark(
    "statistics: a community's KPIs over 10,000 cases", configuration: .init(scalingFactor: .one, maxIterations: 200)
  ) { benchmark in
    let store = GridStore(
      writer: try GovernanceDatabase.makeEmptyTestDatabase(migrator: GridStore.migrator), vault: .ephemeral())
    let setup = Principal(subject: "user:benchmark", role: .cityAdministrator, scope: "")
    for (code, name) in [("320113000000", "栖霞区"), ("320113005000", "尧化街道"), ("320113005001", "尧新社区")] {
      _ = try await store.createDivision(
        .with {
          $0.division.divisionCode = code
          $0.division.name = name
        }, by: setup)
    }
    _ = try await store.createGrid(
      .with {
        $0.grid.gridCode = "320113005001001"
        $0.grid.name = "第一网格"
        $0.grid.kind = .basic
      }, by: setup)
    let now = Date()
    for batch in 0..<10 {
      let archived = (0..<1000).map { index in
        var gridCase = reported
        gridCase.reporter = .init()
        gridCase.status = index.isMultiple(of: 3) ? .closed : .evaluated
        gridCase.reportTime = Google_Protobuf_Timestamp(
          date: now.addingTimeInterval(-Double(86_400 + batch * 1000 + index)))
        gridCase.resolveTime = Google_Protobuf_Timestamp(date: now.addingTimeInterval(-3600))
        gridCase.resolvedLevel = index.isMultiple(of: 5) ? .community : .grid
        if !index.isMultiple(of: 3) { gridCase.evaluation.satisfaction = Int32(1 + index % 5) }
        return gridCase
      }
      _ = try await store.importCases(archived, by: setup, at: now)
    }
    benchmark.startMeasurement()
    for _ in benchmark.scaledIterations {
      blackHole(
        try await store.caseStatistics(
          .with {
            $0.divisionPrefix = "320113005001"
            $0.groupBy = .grid
          }))
    }
  }

  Benchmark("token verification: a signed access token checked") { benchmark in
    let authority = TokenAuthority.ephemeral()
    let token = try await authority.mint(for: Principal(subject: "user:clerk", role: .community, scope: "320113005001"))
    benchmark.startMeasurement()
    for _ in benchmark.scaledIterations {
      blackHole(try await authority.verify(token))
    }
  }

  Benchmark("JSON transcoding: a case from JSON to protobuf and back, as the gateway does") { benchmark in
    var stored = reported
    stored.id = "case_01JCX5R8W6Y4T2P0N8M6K4H2G0"
    stored.status = .inProgress
    stored.reportTime = Google_Protobuf_Timestamp(date: Date())
    let json = try stored.jsonUTF8Data()
    for _ in benchmark.scaledIterations {
      let decoded = try Governance_Grid_V1_Case(jsonUTF8Data: json)
      blackHole(try decoded.serializedData())
      blackHole(try decoded.jsonUTF8Data())
    }
  }

  Benchmark(
    "place routing: one point located among 18,200 grid boundaries (10,000 first checked against a scan)",
    configuration: .init(
      metrics: [.wallClock, .throughput], timeUnits: .microseconds, scalingFactor: .one, maxDuration: .seconds(10),
      maxIterations: 100_000),
    closure: { benchmark in
      guard let city = PlaceRoutingCity.shared.city else { return }
      for _ in benchmark.scaledIterations {
        blackHole(try await city.store.locate(city.points[benchmark.currentIteration % city.points.count]))
      }
    },
    setup: {
      // Built and checked once, before the iterations: each iteration then times one lookup.
      var city = try await PlaceRoutingCity.make()
      var random = SystemRandomNumberGenerator()
      try await city.checkAgainstAScan(points: 10_000, random: &random)
      city.points = (0..<100_000).map { _ in city.randomPoint(&random) }
      PlaceRoutingCity.shared.city = city
    })
}

/// A city's worth of grids for place routing: 20 streets of 10 communities of 91 grids, 18,200 in
/// all, each community a jittered lattice whose neighbours share their edges, as seeded cities are
/// tiled; the community boundaries too, for points outside every grid.
struct PlaceRoutingCity: Sendable {
  /// The city the setup built, for the iterations to use.
  final class Holder: @unchecked Sendable {
    var city: PlaceRoutingCity?
  }
  static let shared = Holder()

  let store: GridStore
  let grids: [(code: String, boundary: Boundary)]
  /// The points the iterations locate, in turn.
  var points: [Governance_Common_V1_GeoPoint] = []
  static let west = 118.5
  static let south = 31.8
  /// Degrees per community side; 91 grids in a 10 × 10 lattice less 9.
  static let side = 0.02

  static func make() async throws -> PlaceRoutingCity {
    let store = GridStore(
      writer: try GovernanceDatabase.makeEmptyTestDatabase(migrator: GridStore.migrator), vault: .ephemeral())
    let setup = Principal(subject: "user:benchmark", role: .cityAdministrator, scope: "")
    var random = SystemRandomNumberGenerator()
    _ = try await store.createDivision(
      .with {
        $0.division.divisionCode = "320102000000"
        $0.division.name = "市辖区"
      }, by: setup)
    var grids: [(code: String, boundary: Boundary)] = []
    for street in 0..<20 {
      let streetCode = "320102\(String(format: "%03d", street + 1))000"
      _ = try await store.createDivision(
        .with {
          $0.division.divisionCode = streetCode
          $0.division.name = "街道\(street)"
        }, by: setup)
      for community in 0..<10 {
        let code = String(streetCode.prefix(9)) + String(format: "%03d", community + 1)
        _ = try await store.createDivision(
          .with {
            $0.division.divisionCode = code
            $0.division.name = "社区\(community)"
          }, by: setup)
        let west = Self.west + Double(street) * Self.side
        let south = Self.south + Double(community) * Self.side
        let step = Self.side / 10
        var corners: [[Position]] = []
        for row in 0...10 {
          corners.append(
            (0...10).map { column in
              let inner = row > 0 && row < 10 && column > 0 && column < 10
              return Position(
                longitude: west + Double(column) * step
                  + (inner ? Double.random(in: -step / 4...step / 4, using: &random) : 0),
                latitude: south + Double(row) * step
                  + (inner ? Double.random(in: -step / 4...step / 4, using: &random) : 0))
            })
        }
        var features = [
          Self.feature(
            code,
            Boundary(polygons: [
              [[corners[0][0], corners[0][10], corners[10][10], corners[10][0], corners[0][0]]]
            ]))
        ]
        for cell in 0..<91 {
          let (row, column) = (cell / 10, cell % 10)
          let gridCode = code + String(format: "%03d", cell + 1)
          _ = try await store.createGrid(
            .with {
              $0.grid.gridCode = gridCode
              $0.grid.name = "网格\(cell + 1)"
              $0.grid.kind = .basic
            }, by: setup)
          let boundary = Boundary(polygons: [
            [
              [
                corners[row][column], corners[row][column + 1], corners[row + 1][column + 1],
                corners[row + 1][column], corners[row][column],
              ]
            ]
          ])
          grids.append((gridCode, boundary))
          features.append(Self.feature(gridCode, boundary))
        }
        _ = try await store.importBoundaries(
          .with {
            $0.divisionCode = code
            $0.featureCollection =
              #"{"type":"FeatureCollection","features":["# + features.joined(separator: ",") + "]}"
          }, by: setup)
      }
    }
    return PlaceRoutingCity(store: store, grids: grids)
  }

  static func feature(_ code: String, _ boundary: Boundary) -> String {
    #"{"type":"Feature","properties":{"code":"\#(code)"},"geometry":\#(boundary.geoJSON)}"#
  }

  /// A point over the city and a little beyond it.
  func randomPoint(_ random: inout SystemRandomNumberGenerator) -> Governance_Common_V1_GeoPoint {
    .with {
      $0.longitude = Double.random(in: Self.west - 0.01...Self.west + 20 * Self.side + 0.01, using: &random)
      $0.latitude = Double.random(in: Self.south - 0.01...Self.south + 10 * Self.side + 0.01, using: &random)
    }
  }

  /// Locates `points` random points and compares each with a scan of every grid boundary under
  /// the same rule (PlaceRouting: smallest area, then lowest code); prints the agreement and
  /// throws on the first difference.
  func checkAgainstAScan(points: Int, random: inout SystemRandomNumberGenerator) async throws {
    let areas = grids.map { PlaceRouting.area(of: $0.boundary) }
    for _ in 0..<points {
      let point = randomPoint(&random)
      let position = Position(longitude: point.longitude, latitude: point.latitude)
      let scan =
        grids.indices.filter { grids[$0].boundary.contains(position) }
        .min { (areas[$0], grids[$0].code) < (areas[$1], grids[$1].code) }
        .map { grids[$0].code } ?? ""
      let located = try await store.locate(point).gridCode
      guard located == scan else {
        throw DomainError.failedPrecondition(
          rule: "the index locates as a scan does",
          detail: "\(point.longitude), \(point.latitude): \(located) ≠ \(scan)")
      }
    }
    print("place routing: \(points) random points located as a scan of all \(grids.count) grid boundaries locates them")
  }
}
