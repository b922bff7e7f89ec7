import Foundation
import GRPCCore
import GovernanceAPI
import ServiceKit
import ServiceKitTesting
import SwiftProtobuf
import Testing

@testable import Grid

@Suite("Archived cases: loaded whole or not at all, finished, with their times")
struct CaseImportTests {
  static let now = Date(timeIntervalSince1970: 1_790_000_000)

  static func archived(_ index: Int, grid: String = GridFixture.grid1) -> CaseWorkflow.GridCase {
    let reported = now.addingTimeInterval(-Double(86_400 * (index + 2)))
    return .with {
      $0.source = .resident
      $0.category = "环境卫生"
      $0.title = "垃圾清运不及时\(index)"
      $0.location.gridCode = grid
      $0.status = index.isMultiple(of: 2) ? .evaluated : .closed
      $0.reportTime = Google_Protobuf_Timestamp(date: reported)
      $0.resolveTime = Google_Protobuf_Timestamp(date: reported.addingTimeInterval(7200))
      $0.closeTime = Google_Protobuf_Timestamp(date: reported.addingTimeInterval(9000))
      $0.resolvedLevel = .grid
      $0.resolution = "已清运"
      if index.isMultiple(of: 2) { $0.evaluation.satisfaction = 5 }
      $0.reporter = .with {
        $0.name = "钱先生"
        $0.phone = "13900001111"
      }
    }
  }

  @Test("an archived case is finished and its times are in order")
  func anArchivedCaseIsFinishedAndItsTimesAreInOrder() throws {
    let valid = try CaseWorkflow.validateArchived(Self.archived(0), index: 0, at: Self.now)
    #expect(valid.status == .evaluated && valid.resolvedLevel == .grid && valid.reporter.name.isEmpty)
    #expect(valid.reportTime == Self.archived(0).reportTime)
    var cases: [(String, CaseWorkflow.GridCase)] = []
    var open = Self.archived(1)
    open.status = .inProgress
    cases.append(("cases[3].status", open))
    var future = Self.archived(1)
    future.reportTime = Google_Protobuf_Timestamp(date: Self.now.addingTimeInterval(60))
    cases.append(("cases[3].report_time", future))
    var early = Self.archived(1)
    early.resolveTime = Google_Protobuf_Timestamp(date: early.reportTime.date.addingTimeInterval(-1))
    cases.append(("cases[3].resolve_time", early))
    var closedBefore = Self.archived(1)
    closedBefore.closeTime = Google_Protobuf_Timestamp(date: closedBefore.resolveTime.date.addingTimeInterval(-1))
    cases.append(("cases[3].close_time", closedBefore))
    var unresolved = Self.archived(1)
    unresolved.resolvedLevel = .unspecified
    cases.append(("cases[3].resolved_level", unresolved))
    var unhappy = Self.archived(1)
    unhappy.evaluation.satisfaction = 9
    cases.append(("cases[3].evaluation.satisfaction", unhappy))
    var untitled = Self.archived(1)
    untitled.title = " "
    cases.append(("cases[3].title", untitled))
    for (field, archived) in cases {
      do {
        _ = try CaseWorkflow.validateArchived(archived, index: 3, at: Self.now)
        Issue.record("accepted an archived case with a bad \(field)")
      } catch {
        if case .invalidArgument(let named, _) = error {
          #expect(named == field)
        } else {
          Issue.record("\(field): \(error)")
        }
      }
    }
  }

  @Test("a message with one bad case stores nothing; good ones load with a line of history, counted in the statistics")
  func importIsWholeOrNothing() async throws {
    let store = try await GridFixture.store()
    try await withTestServer([GridService(store: store).routes]) { client in
      let grid = Governance_Grid_V1_GridService.Client(wrapping: client)
      var unregistered = (0..<4).map { Self.archived($0) }
      unregistered[2].location.gridCode = "320113005001099"
      let broken = unregistered
      await expectRPCError(.invalidArgument, mentioning: "cases[2].location.grid_code", "not registered") {
        _ = try await grid.importCases(requestProducer: { writer in
          try await writer.write(.with { $0.cases = broken })
        })
      }
      let none = try await grid.getCaseStatistics(.with { $0.divisionPrefix = GridFixture.community })
      #expect(none.totals.total == 0)

      let answer = try await grid.importCases(requestProducer: { writer in
        try await writer.write(.with { $0.cases = (0..<3).map { Self.archived($0) } })
        try await writer.write(.with { $0.cases = (3..<5).map { Self.archived($0, grid: GridFixture.grid2) } })
      })
      #expect(answer.imported == 5)
      let stats = try await grid.getCaseStatistics(.with { $0.divisionPrefix = GridFixture.community })
      #expect(stats.totals.total == 5 && stats.totals.evaluated == 3 && stats.totals.meanSatisfaction == 5)
      let listed = try await grid.listCases(.with { $0.divisionPrefix = GridFixture.community })
      let first = try #require(listed.cases.first)
      #expect(first.reporter.name.isEmpty)
      let history = try await grid.listCaseEvents(.with { $0.caseID = first.id })
      #expect(history.events.map(\.kind) == [.imported])

      let tooMany = Governance_Grid_V1_ImportCasesRequest.with {
        $0.cases = Array(repeating: Self.archived(1), count: CaseWorkflow.importBatchLimit + 1)
      }
      await expectRPCError(.invalidArgument, mentioning: "cases", "at most 5000") {
        _ = try await grid.importCases(requestProducer: { try await $0.write(tooMany) })
      }
    }
    try await withTestServer([GridService(store: store).routes], as: .staff(.district, scope: "320113")) { client in
      await expectRPCError(.permissionDenied, mentioning: "ImportCases") {
        _ = try await Governance_Grid_V1_GridService.Client(wrapping: client).importCases(requestProducer: { writer in
          try await writer.write(.with { $0.cases = [Self.archived(0)] })
        })
      }
    }
  }
}
