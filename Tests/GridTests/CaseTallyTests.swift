import Foundation
import GRDB
import GRPCCore
import GovernanceAPI
import Logging
import ServiceKit
import ServiceKitTesting
import Testing

@testable import Grid

@Suite("The case tally: kept with the cases in every write, the same figures as counting them")
struct CaseTallyTests {
  /// The groupings the tally answers, under the prefixes a user may ask for.
  static let views: [(prefix: String, key: String)] = [
    ("", "''"), ("320113", "''"), (GridFixture.community, "''"), ("320113", CaseStatisticsRules.groupKey(.community)),
    ("320113", CaseStatisticsRules.groupKey(.street)), ("3205", "''"),
  ]

  static func expectSameFigures(_ store: GridStore, sourceLocation: SourceLocation = #_sourceLocation) async throws {
    for view in views {
      var filter = RecordFilter()
      try filter.divisionPrefix(view.prefix, scan: .everything)
      let (tallied, counted) = try await store.writer.read { [filter] db in
        (
          try CaseTally.statistics(db, units: view.key, filter: filter).units,
          try GridStore.statistics(db, key: view.key, filter: filter)
        )
      }
      #expect(tallied == counted, "\(view.prefix) by \(view.key)", sourceLocation: sourceLocation)
    }
    // GetCaseStatistics answers from the tally without dates; with a period that holds every
    // case it counts the cases themselves: the same answer, in total and by unit.
    let everything = Governance_Common_V1_Date.with {
      $0.year = 2000
      $0.month = 1
      $0.day = 1
    }
    for grouping in [Governance_Grid_V1_StatisticsGrouping.unspecified, .community, .street] {
      let tallied = try await store.caseStatistics(
        .with {
          $0.divisionPrefix = "3201"
          $0.groupBy = grouping
        })
      let counted = try await store.caseStatistics(
        .with {
          $0.divisionPrefix = "3201"
          $0.groupBy = grouping
          $0.fromDate = everything
        })
      #expect(tallied == counted, "by \(grouping)", sourceLocation: sourceLocation)
    }
  }

  @Test("the tally's one walk gives the whole, and each unit after the page token, leaving out what sums to nothing")
  func oneWalkGivesTheWholeAndTheUnits() throws {
    let database = try GovernanceDatabase.makeEmptyTestDatabase(migrator: GridStore.migrator)
    let counted = try database.write { db in
      for (community, total, closed) in [
        ("320113005001", 3, 1), ("320113005002", 4, 0), ("320113006001", 5, 2), ("320114001001", 7, 7),
      ] {
        try db.execute(
          sql: """
            INSERT INTO case_tally (division_code, dimension, value, n)
            VALUES (?, 'total', '', ?), (?, 'status', '8', ?)
            """,
          arguments: [community, total, community, closed])
      }
      var filter = RecordFilter()
      try filter.divisionPrefix("320113", scan: .everything)
      return try CaseTally.statistics(db, units: "division_code", after: "320113005001", filter: filter)
    }
    #expect(counted.whole?.total == 12)
    #expect(counted.whole?.byStatus.map(\.count) == [3])
    #expect(counted.units.keys.sorted() == ["320113005002", "320113006001"])
    #expect(counted.units["320113006001"]?.total == 5)
    // A status counted zero times is not listed, as before.
    #expect(counted.units["320113005002"]?.byStatus.isEmpty == true)
  }

  @Test("the tally counts what the cases count: after reports, steps, evaluations, imports, escalations and a backfill")
  func theTallyCountsWhatTheCasesCount() async throws {
    let store = try await GridFixture.store()
    try await withTestServer([GridService(store: store).routes]) { client in
      let grid = Governance_Grid_V1_GridService.Client(wrapping: client)
      _ = try await grid.importCases(requestProducer: { writer in
        try await writer.write(.with { $0.cases = (0..<6).map { CaseImportTests.archived($0) } })
      })
      for index in 0..<5 {
        let id = try await grid.createCase(
          .with {
            $0.gridCase.source = index.isMultiple(of: 2) ? .resident : .patrol
            $0.gridCase.category = index < 2 ? "噪音扰民" : "市政设施"
            $0.gridCase.title = "路灯不亮\(index)"
            if index == 4 {
              $0.gridCase.divisionCode = GridFixture.community
            } else {
              $0.gridCase.location.gridCode = GridFixture.grid1
            }
          }
        ).id
        guard index > 0 else { continue }
        _ = try await grid.acceptCase(.with { $0.caseID = id })
        guard index > 1 else { continue }
        _ = try await grid.assignCase(
          .with {
            $0.caseID = id
            $0.assigneeID = "wkr_1"
          })
        _ = try await grid.startCase(.with { $0.caseID = id })
        _ = try await grid.resolveCase(
          .with {
            $0.caseID = id
            $0.resolution = "已修复"
          })
        guard index > 2 else { continue }
        _ = try await grid.evaluateCase(
          .with {
            $0.caseID = id
            $0.satisfaction = Int32(index)
          })
      }
    }
    try await Self.expectSameFigures(store)
    // A month on, the open cases have passed their deadlines and escalate.
    #expect(
      try await DeadlineSweep(store: store, logger: Logger(label: "test")).sweep(
        at: Date().addingTimeInterval(30 * 86_400)) > 0)
    try await Self.expectSameFigures(store)
    let total = try await store.writer.read { db in
      try Int.fetchOne(
        db, sql: "SELECT n FROM case_tally WHERE dimension = 'total' AND division_code = ?",
        arguments: [GridFixture.community])
    }
    #expect(total == 11)
    // Cases stored before the tally existed are counted when it is made.
    try await store.writer.write { db in
      try db.execute(sql: "DELETE FROM case_tally")
      try CaseTally.backfill(db)
    }
    try await Self.expectSameFigures(store)
  }

  @Test("only open cases keep a deadline: closed cases stored by an earlier version lose theirs on migration")
  func closedCasesLoseTheirDeadlines() async throws {
    let database = try DatabaseQueue()
    try GridStore.migrator.migrate(database)
    let store = GridStore(writer: database, vault: .ephemeral())
    try await GridFixture.register(in: store)
    let ids = try await withTestServer([GridService(store: store).routes]) { client in
      let grid = Governance_Grid_V1_GridService.Client(wrapping: client)
      var ids: [String] = []
      for title in ["路灯不亮", "井盖缺失"] {
        let id = try await grid.createCase(
          .with {
            $0.gridCase.source = .patrol
            $0.gridCase.category = "市政设施"
            $0.gridCase.title = title
            $0.gridCase.location.gridCode = GridFixture.grid1
          }
        ).id
        _ = try await grid.acceptCase(.with { $0.caseID = id })
        ids.append(id)
      }
      _ = try await grid.assignCase(
        .with {
          $0.caseID = ids[1]
          $0.assigneeID = "worker_1"
        })
      _ = try await grid.startCase(.with { $0.caseID = ids[1] })
      _ = try await grid.resolveCase(
        .with {
          $0.caseID = ids[1]
          $0.resolution = "已更换"
        })
      _ = try await grid.closeCase(.with { $0.caseID = ids[1] })
      return ids
    }
    // As an earlier version stored it: the closed case still holding the deadline it closed under,
    // and the migration that clears such deadlines not yet applied.
    try await database.write { db in
      try db.execute(sql: "UPDATE grid_case SET deadline = 4102444800 WHERE id = ?", arguments: [ids[1]])
      try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier = 'v6-grid-case-deadline-open-only'")
    }
    try GridStore.migrator.migrate(database)
    let deadlines = try await database.read { db in
      try ids.map { id in try Int64.fetchOne(db, sql: "SELECT deadline FROM grid_case WHERE id = ?", arguments: [id]) }
    }
    #expect(deadlines[0] != nil)
    #expect(deadlines[1] == nil)
  }
}
