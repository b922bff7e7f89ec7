import Foundation
import GRPCCore
import GovernanceAPI
import ServiceKit
import Testing

/// The seed generator and the load tool against the real processes: a town (the city in
/// miniature) seeded through the public APIs, the same seed again changing nothing, and the load
/// tool's report of what it measured.
@Suite("Seed and load against the real processes", .serialized)
struct SeedAndLoadTests {
  /// Runs the operator tool and waits for it without holding one of the test process's few
  /// cooperative threads (a seed takes many seconds; a blocked thread starved other suites'
  /// clients into timeouts).
  static func governance(_ arguments: [String]) async throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = SystemHarness.binDirectory.appendingPathComponent("governance")
    process.arguments = arguments
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    let collected = LineCollector(output.fileHandleForReading)
    let status: Int32 = try await withCheckedThrowingContinuation { continuation in
      process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
      do { try process.run() } catch { continuation.resume(throwing: error) }
    }
    // The collector reads the pipe as the child writes (a full pipe would block it); a moment
    // lets it take in the last lines once the child has gone.
    try await Task.sleep(for: .milliseconds(200))
    return (status, collected.text)
  }

  /// What the town holds, counted through the APIs: grids, compounds, archived cases.
  static func census(_ system: SystemHarness) async throws -> [Int64] {
    let grids = try await system.withClient(.grid) { client in
      let grid = Governance_Grid_V1_GridService.Client(wrapping: client)
      return try await PeerCall.allPages(.grid) { token in
        let page = try await grid.listGrids(
          .with {
            $0.pageSize = 500
            $0.pageToken = token
          })
        return (page.grids, page.nextPageToken)
      }.count
    }
    let compounds = try await system.withClient(.property) { client in
      let property = Governance_Property_V1_PropertyService.Client(wrapping: client)
      return try await PeerCall.allPages(.property) { token in
        let page = try await property.listCompounds(
          .with {
            $0.pageSize = 500
            $0.pageToken = token
          })
        return (page.compounds, page.nextPageToken)
      }.count
    }
    let cases = try await system.withClient(.grid) { client in
      try await Governance_Grid_V1_GridService.Client(wrapping: client).getCaseStatistics(
        .with {
          $0.divisionPrefix = "320102"
        }
      ).totals.total
    }
    return [Int64(grids), Int64(compounds), cases]
  }

  /// The rule "the figures of one jurisdiction never contradict each other", on the seeded town:
  /// the tally and a count of the cases agree; every case is at one level and in one status; a case
  /// counted overdue is not counted on time (on time + late = resolved, late at least the resolved
  /// cases that went overdue); a case resolved above the grid is held at that level.
  static func expectStatisticsAgree(_ system: SystemHarness) async throws {
    let (tallied, counted) = try await system.withClient(.grid) { client in
      let grid = Governance_Grid_V1_GridService.Client(wrapping: client)
      let tallied = try await grid.getCaseStatistics(.with { $0.divisionPrefix = "320102" }).totals
      // A period forces a count of the cases themselves instead of the tally.
      let counted = try await grid.getCaseStatistics(
        .with {
          $0.divisionPrefix = "320102"
          $0.fromDate = .with {
            $0.year = 1990
            $0.month = 1
            $0.day = 1
          }
          $0.toDate = .with {
            $0.year = 2100
            $0.month = 1
            $0.day = 1
          }
        }
      ).totals
      return (tallied, counted)
    }
    #expect(tallied.total == counted.total && tallied.overdue == counted.overdue, "\(tallied) vs \(counted)")
    #expect(abs(tallied.onTimeRate - counted.onTimeRate) < 1e-9)
    for figures in [tallied, counted] {
      #expect(figures.byLevel.reduce(0) { $0 + $1.count } == figures.total)
      #expect(figures.byStatus.reduce(0) { $0 + $1.count } == figures.total)
      let resolved = figures.resolvedByLevel.reduce(0) { $0 + $1.resolved }
      let open = figures.byStatus.filter {
        [.reported, .accepted, .assigned, .inProgress, .reopened].contains($0.status)
      }
      .reduce(0) { $0 + $1.count }
      let onTime = Int64((figures.onTimeRate * Double(resolved)).rounded())
      #expect(
        resolved > 0 && onTime <= resolved - max(0, figures.overdue - open),
        "on time \(onTime) of \(resolved) resolved beside \(figures.overdue) overdue, \(open) open")
      #expect(figures.onTimeRate < 1, "the town's archive holds late cases")
      for share in figures.resolvedByLevel where share.level != .grid {
        let held = figures.byLevel.first { $0.level == share.level }?.count ?? 0
        #expect(held >= share.resolved, "\(share.resolved) resolved at \(share.level) but \(held) held there")
      }
    }
  }

  @Test("a town seeds through the APIs, the same seed again changes nothing, the load tool reports its figures")
  func seedTownAndLoad() async throws {
    let system = try SystemHarness()
    try system.startAll()
    try await system.waitUntilHealthy()
    let place =
      ["--data", system.dataDirectory.path]
      + ServiceIdentity.allCases.flatMap { ["--address", "\($0.rawValue)=127.0.0.1:\(system.ports[$0]!)"] }

    let seeded = try await Self.governance(["seed", "--scale", "town", "--cases", "2000"] + place)
    #expect(seeded.status == 0, "\(seeded.output)")
    #expect(seeded.output.contains("2000 historical cases"))
    let first = try await Self.census(system)
    #expect(first == [200, 60, 2000])
    try await Self.expectStatisticsAgree(system)
    let again = try await Self.governance(["seed", "--scale", "town", "--cases", "0"] + place)
    #expect(again.status == 0, "\(again.output)")
    #expect(try await Self.census(system) == first)

    let report = system.dataDirectory.appendingPathComponent("load.json")
    for scenario in ["case-get", "mixed"] {
      let load = try await Self.governance(
        ["load", scenario, "--duration", "1", "--concurrency", "4", "--json", report.path] + place)
      #expect(load.status == 0, "\(load.output)")
      #expect(load.output.contains("p99.9 ms"))
      let rows = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: report)) as? [[String: Any]])
      let row = try #require(rows.first)
      #expect(row["scenario"] as? String == scenario)
      #expect((row["completed"] as? Int ?? 0) > 0)
      #expect((row["errors"] as? [String: Int])?.isEmpty == true, "\(row)")
      #expect((row["p50"] as? Double ?? 0) > 0)
    }
  }
}
