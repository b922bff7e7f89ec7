import Foundation
import GRPCCore
import GovernanceAPI
import Logging
import ServiceKit
import ServiceKitTesting
import Testing

@testable import Grid

@Suite("Reads under load: a service on a WAL pool serves more concurrent reads than it has readers")
struct ConcurrentReadsTests {
  /// Swift's concurrency pool has a thread per core. A handler that waited for one of GRDB's
  /// five readers on such a thread (a synchronous read) could leave every pool thread waiting
  /// for readers whose release itself needs a pool thread: the grid service once stopped this
  /// way under the benchmark's mixed load, answering nothing, health checks included.
  @Test("three hundred reads at once, by id and by list, all answer", .timeLimit(.minutes(1)))
  func concurrentReadsAllAnswer() async throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
    defer { try? FileManager.default.removeItem(at: directory) }
    let pool = try GovernanceDatabase.openPool(
      path: directory.appendingPathComponent("grid.sqlite").path, migrator: GridStore.migrator,
      logger: Logger(label: "test"))
    let store = GridStore(writer: pool, vault: .ephemeral())
    try await GridFixture.register(in: store)
    var ids: [String] = []
    for number in 1...20 {
      ids.append(
        try await store.createCase(
          .with {
            $0.gridCase.source = .resident
            $0.gridCase.category = "环境卫生"
            $0.gridCase.title = "楼道杂物 \(number)"
            $0.gridCase.location.gridCode = GridFixture.grid1
          }, by: .testAdministrator
        ).id)
    }
    let caseIDs = ids
    let answered = try await withTestServer([GridService(store: store).routes]) { client in
      let grid = Governance_Grid_V1_GridService.Client(wrapping: client)
      return try await withThrowingTaskGroup(of: Int.self) { group in
        for number in 0..<300 {
          group.addTask {
            if number % 3 == 0 {
              return try await grid.listCases(.with { $0.pageSize = 50 }).cases.count == caseIDs.count ? 1 : 0
            }
            return try await grid.getCase(.with { $0.id = caseIDs[number % caseIDs.count] }).id
              == caseIDs[number % caseIDs.count]
              ? 1 : 0
          }
        }
        return try await group.reduce(0, +)
      }
    }
    #expect(answered == 300)
  }
}
