import Foundation
import GRDB
import GovernanceAPI
import ServiceKit
import ServiceKitTesting
import Testing

@testable import Grid

@Suite("A first load of the archive: its cases indexed and counted when it ends, the schema as the migrations made it")
struct ArchiveLoadTests {
  static let loader = Principal(service: .grid)

  /// Every table, index and trigger with its statement.
  static func schema(_ store: GridStore) async throws -> [String] {
    try await store.writer.read { db in
      try String.fetchAll(
        db, sql: "SELECT type || ' ' || name || ': ' || IFNULL(sql, '') FROM sqlite_master ORDER BY type, name")
    }
  }

  /// Which of the objects a first load drops are there now.
  static func deferredPresent(_ store: GridStore) async throws -> Set<String> {
    try await store.writer.read { db in
      Set(try String.fetchAll(db, sql: "SELECT name FROM sqlite_master").filter(ArchiveLoad.deferredObjects.contains))
    }
  }

  static func batch(_ range: Range<Int>) -> [CaseWorkflow.GridCase] {
    range.map { CaseImportTests.archived($0, grid: $0.isMultiple(of: 3) ? GridFixture.grid2 : GridFixture.grid1) }
  }

  static func caseCount(_ store: GridStore) async throws -> Int {
    try await store.writer.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM grid_case") ?? 0 }
  }

  @Test("every index and trigger a first load drops is one the migrations make")
  func theDeferredObjectsAreInTheSchema() async throws {
    let store = try await GridFixture.store()
    #expect(try await Self.deferredPresent(store) == Set(ArchiveLoad.deferredObjects))
  }

  @Test(
    "a first load into a system without cases stores them unindexed and ends with the schema and tally it began with")
  func aFirstLoadIndexesItsCasesWhenItEnds() async throws {
    let store = try await GridFixture.store()
    let before = try await Self.schema(store)
    let imported = try await store.loadingArchive {
      var imported = try await store.importCases(Self.batch(0..<40), by: Self.loader)
      #expect(try await Self.deferredPresent(store).isEmpty)
      // A case reported while the archive loads is counted with it.
      _ = try await store.createCase(
        .with {
          $0.gridCase.source = .resident
          $0.gridCase.category = "噪音扰民"
          $0.gridCase.title = "夜间施工"
          $0.gridCase.location.gridCode = GridFixture.grid1
        }, by: Self.loader)
      // The statistics count the cases while the tally lacks them.
      for grouping in [Governance_Grid_V1_StatisticsGrouping.unspecified, .community, .street] {
        let statistics = try await store.caseStatistics(
          .with {
            $0.divisionPrefix = "320113"
            $0.groupBy = grouping
          })
        #expect(statistics.totals.total == 41, "\(grouping)")
        #expect(statistics.totals.evaluated == 20, "\(grouping)")
        #expect(grouping == .unspecified || statistics.rows.map(\.total) == [41], "\(grouping)")
      }
      imported += try await store.importCases(Self.batch(40..<90), by: Self.loader)
      return imported
    }
    #expect(imported == 90)
    #expect(try await Self.schema(store) == before)
    #expect(try await Self.caseCount(store) == 91)
    try await CaseTallyTests.expectSameFigures(store)
    let statistics = try await store.writer.read { db in
      var filter = RecordFilter()
      try filter.divisionPrefix(GridFixture.community, scan: .everything)
      return try CaseTally.statistics(db, units: nil, filter: filter).whole
    }
    #expect(statistics?.total == 91)
  }

  @Test("a load that fails ends too: the indexes are made again and what was stored is counted")
  func aFailedLoadEndsToo() async throws {
    let store = try await GridFixture.store()
    let before = try await Self.schema(store)
    var unregistered = Self.batch(10..<12)
    unregistered[1].location.gridCode = "320113005001099"
    let broken = unregistered
    await #expect(throws: DomainError.self) {
      _ = try await store.loadingArchive {
        _ = try await store.importCases(Self.batch(0..<10), by: Self.loader)
        return try await store.importCases(broken, by: Self.loader)
      }
    }
    #expect(try await Self.schema(store) == before)
    #expect(try await Self.caseCount(store) == 10)
    try await CaseTallyTests.expectSameFigures(store)
  }

  @Test("a load into a system that holds cases keeps every index")
  func aLoadIntoASystemWithCasesKeepsItsIndexes() async throws {
    let store = try await GridFixture.store()
    _ = try await store.importCases(Self.batch(0..<3), by: Self.loader)
    _ = try await store.loadingArchive {
      #expect(try await Self.deferredPresent(store) == Set(ArchiveLoad.deferredObjects))
      return try await store.importCases(Self.batch(3..<6), by: Self.loader)
    }
    #expect(try await Self.caseCount(store) == 6)
    try await CaseTallyTests.expectSameFigures(store)
  }

  @Test("calls loading together: a call joins the load in progress, and the last one out makes the indexes again")
  func theLastCallOutEndsTheLoad() async throws {
    let store = try await GridFixture.store()
    let before = try await Self.schema(store)
    let first = try #require(try await store.writer.write { db in try ArchiveLoad.begin(db) })
    _ = try await store.importCases(Self.batch(0..<5), by: Self.loader)
    let second = try #require(try await store.writer.write { db in try ArchiveLoad.begin(db) })
    _ = try await store.importCases(Self.batch(5..<10), by: Self.loader)
    #expect(try await store.writer.write { db in try ArchiveLoad.leave(db, stream: first) } == false)
    #expect(try await Self.deferredPresent(store).isEmpty)
    #expect(try await store.writer.write { db in try ArchiveLoad.leave(db, stream: second) })
    try await store.writer.write { db in try ArchiveLoad.finish(db) }
    #expect(try await Self.schema(store) == before)
    try await CaseTallyTests.expectSameFigures(store)
  }

  @Test("a load a stop cut short is finished when the service starts again")
  func anInterruptedLoadIsFinishedAtTheNextStart() async throws {
    let store = try await GridFixture.store()
    let before = try await Self.schema(store)
    _ = try #require(try await store.writer.write { db in try ArchiveLoad.begin(db) })
    _ = try await store.importCases(Self.batch(0..<8), by: Self.loader)
    let restarted = GridStore(writer: store.writer, vault: .ephemeral())
    try restarted.finishInterruptedArchiveLoad()
    #expect(try await Self.schema(restarted) == before)
    try await CaseTallyTests.expectSameFigures(restarted)
    let calls = try await store.writer.read { db in
      try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM archive_load_stream")
    }
    #expect(calls == 0)
    // A start with no load in progress changes nothing.
    try restarted.finishInterruptedArchiveLoad()
    #expect(try await Self.schema(restarted) == before)
  }
}
