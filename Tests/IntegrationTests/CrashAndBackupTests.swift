import Foundation
import GRDB
import GRPCCore
import GRPCNIOTransportHTTP2
import GovernanceAPI
import ServiceKit
import Synchronization
import Testing

/// The ids of the writes a service acknowledged, shared with the task writing them.
final class AcknowledgedWrites: Sendable {
  let ids = Mutex<[String]>([])
  /// The error that stopped the writer (expected once the process is killed).
  let failure = Mutex<String?>(nil)
}

/// Crashes and backups of the real processes and their SQLite files.
@Suite("Crash without loss; backup and restore", .serialized)
struct CrashAndBackupTests {
  typealias Client = GRPCClient<HTTP2ClientTransport.Posix>

  /// For each service: a write that returns the new record's id, and a read that finds it.
  struct Workload: Sendable {
    var prepare: (@Sendable (Client) async throws -> Void)?
    var write: @Sendable (Client, Int) async throws -> String
    var exists: @Sendable (Client, String) async throws -> Bool
  }

  static func notFoundIsFalse(_ body: () async throws -> Void) async throws -> Bool {
    do {
      try await body()
      return true
    } catch let error as RPCError where error.code == .notFound {
      return false
    }
  }

  static let workloads: [ServiceIdentity: Workload] = [
    .organisation: Workload(
      write: { client, index in
        try await Governance_Organisation_V1_OrganisationService.Client(wrapping: client).createPairedUnit(
          .with {
            $0.unit.name = "结对单位\(index)"
            $0.unit.kind = .agency
            $0.unit.divisionCode = "320113000000"
          }
        ).id
      },
      exists: { client, id in
        let organisation = Governance_Organisation_V1_OrganisationService.Client(wrapping: client)
        let units = try await PeerCall.allPages(.organisation) { token in
          let page = try await organisation.listPairedUnits(
            .with {
              $0.pageSize = 500
              $0.pageToken = token
            })
          return (page.units, page.nextPageToken)
        }
        return units.contains { $0.id == id }
      }),
    .property: Workload(
      write: { client, index in
        try await Governance_Property_V1_PropertyService.Client(wrapping: client).createCompound(
          .with {
            $0.compound.name = "小区\(index)"
            $0.compound.divisionCode = "320113005001"
            $0.compound.kind = .old
          }
        ).id
      },
      exists: { client, id in
        try await notFoundIsFalse {
          _ = try await Governance_Property_V1_PropertyService.Client(wrapping: client).getCompound(
            .with { $0.id = id })
        }
      }),
    .grid: Workload(
      prepare: { client in
        let grid = Governance_Grid_V1_GridService.Client(wrapping: client)
        for code in ["320113000000", "320113005000"] {
          _ = try await grid.createDivision(
            .with {
              $0.division.divisionCode = code
              $0.division.name = "区划\(code)"
            })
        }
      },
      write: { client, index in
        try await Governance_Grid_V1_GridService.Client(wrapping: client).createDivision(
          .with {
            $0.division.divisionCode = String(format: "320113005%03d", index + 1)
            $0.division.name = "社区\(index)"
          }
        ).id
      },
      exists: { client, id in
        try await notFoundIsFalse {
          _ = try await Governance_Grid_V1_GridService.Client(wrapping: client).getDivision(.with { $0.id = id })
        }
      }),
    .volunteers: Workload(
      write: { client, index in
        try await Governance_Volunteers_V1_VolunteersService.Client(wrapping: client).createTeam(
          .with {
            $0.team.name = "志愿队\(index)"
            $0.team.kind = .volunteerService
            $0.team.divisionCode = "320113005001"
          }
        ).id
      },
      exists: { client, id in
        try await notFoundIsFalse {
          _ = try await Governance_Volunteers_V1_VolunteersService.Client(wrapping: client).getTeam(
            .with { $0.id = id })
        }
      }),
    .evaluation: Workload(
      write: { client, index in
        try await Governance_Evaluation_V1_EvaluationService.Client(wrapping: client).createScoringItem(
          .with {
            $0.item.code = "ITEM\(index)"
            $0.item.name = "项目\(index)"
            $0.item.use = .monthlySatisfaction
            $0.item.weight = 10
            $0.item.fullMarks = 10
            $0.item.divisionCode = "320113000000"
          }
        ).id
      },
      exists: { client, id in
        try await notFoundIsFalse {
          _ = try await Governance_Evaluation_V1_EvaluationService.Client(wrapping: client).getScoringItem(
            .with { $0.id = id })
        }
      }),
  ]

  /// Kill-and-restart rounds per service: one in the test command; a soak sets
  /// GOVERNANCE_SOAK_ROUNDS (say 20) to run many.
  static let crashRounds = max(1, Int(ProcessInfo.processInfo.environment["GOVERNANCE_SOAK_ROUNDS"] ?? "") ?? 1)

  @Test("each service, killed with SIGKILL while writing, keeps every acknowledged write and a sound file")
  func crashWithoutLoss() async throws {
    for identity in ServiceIdentity.domainServices {
      let system = try SystemHarness()
      let workload = try #require(Self.workloads[identity])
      try system.start(identity)
      try await system.waitUntilServing(identity)
      if let prepare = workload.prepare { try await system.withClient(identity) { try await prepare($0) } }

      let acknowledged = AcknowledgedWrites()
      for round in 0..<Self.crashRounds {
        let before = acknowledged.ids.withLock { $0.count }
        let writer = Task {
          try await system.withClient(identity) { client in
            // The write in flight at the kill may have committed unacknowledged: skip its index.
            var index = before + round
            do {
              while !Task.isCancelled {
                let id = try await workload.write(client, index)
                acknowledged.ids.withLock { $0.append(id) }
                index += 1
              }
            } catch {
              acknowledged.failure.withLock { $0 = "\(error)" }
              throw error
            }
          }
        }
        // Let writes flow, then kill the process in the middle of them.
        while acknowledged.ids.withLock({ $0.count }) < before + 20 {
          if let failure = acknowledged.failure.withLock({ $0 }) {
            Issue.record("\(identity.rawValue) refused a write before the kill: \(failure)")
            return
          }
          try await Task.sleep(for: .milliseconds(20))
        }
        try await system.crash(identity)
        _ = await writer.result
        acknowledged.failure.withLock { $0 = nil }
        let written = acknowledged.ids.withLock { $0 }

        try system.start(identity)
        try await system.waitUntilServing(identity)
        for id in written {
          let found = try await system.withClient(identity) { try await workload.exists($0, id) }
          #expect(found, "\(identity.rawValue) lost acknowledged write \(id)")
        }
      }
      #expect(try await system.stop(identity) == 0)
      let file = system.dataDirectory.appendingPathComponent("\(identity.rawValue).sqlite").path
      let check = try await DatabaseQueue(path: file).read { db in
        try String.fetchOne(db, sql: "PRAGMA integrity_check")
      }
      #expect(check == "ok", "\(identity.rawValue): \(check ?? "?")")
    }
  }

  static func governance(_ arguments: [String]) throws -> Int32 {
    let process = Process()
    process.executableURL = SystemHarness.binDirectory.appendingPathComponent("governance")
    process.arguments = arguments
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    return process.terminationStatus
  }

  @Test("a backup taken while the system runs brings back what was there, and only that")
  func backupAndRestore() async throws {
    let system = try SystemHarness()
    try system.startAll()
    try await system.waitUntilHealthy()
    let workload = try #require(Self.workloads[.volunteers])
    let before = try await system.withClient(.volunteers) { try await workload.write($0, 1) }

    let backup = FileManager.default.temporaryDirectory.appendingPathComponent("governance-backup-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: backup) }
    #expect(try Self.governance(["backup", "--data", system.dataDirectory.path, "--to", backup.path]) == 0)
    let after = try await system.withClient(.volunteers) { try await workload.write($0, 2) }
    #expect(try await system.withClient(.volunteers) { try await workload.exists($0, after) })

    for identity in ServiceIdentity.allCases { #expect(try await system.stop(identity) == 0) }
    #expect(try Self.governance(["restore", "--from", backup.path, "--data", system.dataDirectory.path]) == 0)
    try system.startAll()
    try await system.waitUntilHealthy()
    #expect(try await system.withClient(.volunteers) { try await workload.exists($0, before) })
    #expect(try await system.withClient(.volunteers) { try await workload.exists($0, after) } == false)
    for identity in ServiceIdentity.allCases { #expect(try await system.stop(identity) == 0) }
  }
}
