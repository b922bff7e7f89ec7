import Foundation
import GRDB
import GRPCCore
import GovernanceAPI
import Logging
import Testing

@testable import ServiceKit

@Suite("Databases: WAL pool, append-only migrations, the idempotency ledger")
struct DatabaseTests {
  static func migrator(upTo version: Int) -> DatabaseMigrator {
    var migrator = DatabaseMigrator()
    IdempotencyLedger.registerMigration(in: &migrator)
    migrator.registerMigration("v1-notes") { db in
      try db.create(table: "note") { table in
        table.primaryKey("id", .text)
        table.column("text", .text).notNull()
      }
    }
    if version >= 2 {
      migrator.registerMigration("v2-note-author") { db in
        try db.alter(table: "note") { table in table.add(column: "author", .text) }
      }
    }
    return migrator
  }

  @Test("audit times are stored as GRDB stores a date, to the nearest millisecond, from 1600 to 9999 and beyond")
  func auditTimesAreStoredAsGRDBStoresDates() {
    var random = SystemRandomNumberGenerator()
    var instants: [Double] = [0, -0.0005, -0.001, 0.9995, 1_790_000_000.9999, -11_676_096_000, 253_402_300_799.999]
    instants += (0..<20_000).map { _ in Double.random(in: -11_676_096_000..<253_402_300_800, using: &random) }
    instants += (0..<20_000).map { _ in Double.random(in: -2_000_000_000..<2_000_000_000, using: &random) }
    instants += [-62_135_596_800 - 86_400, 253_402_300_800 + 86_400]
    for instant in instants {
      let date = Date(timeIntervalSince1970: instant)
      #expect(AuditTime.text(of: date) == String.fromDatabaseValue(date.databaseValue), "\(instant)")
    }
  }

  @Test("a file opened by an older schema is migrated forward and keeps its rows")
  func migratesForward() throws {
    // Given a database written by version 1
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
    defer { try? FileManager.default.removeItem(at: directory) }
    let path = directory.appendingPathComponent("nested/notes.sqlite").path
    let logger = Logger(label: "test")
    do {
      let pool = try GovernanceDatabase.openPool(path: path, migrator: Self.migrator(upTo: 1), logger: logger)
      try pool.write { db in try db.execute(sql: "INSERT INTO note (id, text) VALUES ('n1', '网格')") }
    }
    // When version 2 opens it
    let pool = try GovernanceDatabase.openPool(path: path, migrator: Self.migrator(upTo: 2), logger: logger)
    // Then the new column exists, the old row survived, and the settings hold
    let (columns, text, journalMode, foreignKeys, complete) = try pool.read { db in
      (
        try db.columns(in: "note").map(\.name),
        try String.fetchOne(db, sql: "SELECT text FROM note WHERE id = 'n1'"),
        try String.fetchOne(db, sql: "PRAGMA journal_mode"),
        try Bool.fetchOne(db, sql: "PRAGMA foreign_keys"),
        try Self.migrator(upTo: 2).hasCompletedMigrations(db)
      )
    }
    #expect(columns.contains("author"))
    #expect(text == "网格")
    #expect(journalMode == "wal")
    #expect(foreignKeys == true)
    #expect(complete)
  }

  static let clerk = Principal(subject: "user:clerk", role: .street, scope: "")

  @Test("request ids are the caller's own, and answers are kept for the retention, then pruned")
  func requestIDsAreScopedToTheCallerAndPruned() throws {
    let database = try GovernanceDatabase.makeEmptyTestDatabase(migrator: Self.migrator(upTo: 1))
    let other = Principal(subject: "apikey:city-platform", role: .cityPlatform, scope: "")
    var actions = 0
    func send(_ caller: Principal, _ service: String) throws -> Grpc_Health_V1_HealthCheckResponse {
      try database.write { db in
        try IdempotencyLedger.perform(
          db, caller: caller, requestID: "R1",
          request: Grpc_Health_V1_HealthCheckRequest.with { $0.service = service }
        ) {
          actions += 1
          return .with { $0.status = actions == 1 ? .serving : .notServing }
        }
      }
    }
    // Two callers who both send "R1" each get their own answer; each one's retry gets theirs.
    #expect(try send(Self.clerk, "a").status == .serving)
    #expect(try send(other, "b").status == .notServing)
    #expect(try send(Self.clerk, "a").status == .serving)
    #expect(actions == 2)
    // Pruning drops what is older than the cutoff and keeps what is newer.
    let now = Date()
    #expect(
      try database.write { db in
        try IdempotencyLedger.prune(db, before: now.addingTimeInterval(-IdempotencyLedger.retention))
      } == 0)
    #expect(try database.write { db in try IdempotencyLedger.prune(db, before: now.addingTimeInterval(60)) } == 2)
    #expect(try send(Self.clerk, "a").status == .notServing && actions == 3)
    // An answer recorded before request ids had callers still answers the same request's retry.
    try database.write { db in
      try db.execute(
        sql:
          "INSERT INTO idempotency_ledger (caller, request_id, method, request, response, created_at) VALUES ('', 'R0', 'HealthCheck', ?, ?, ?)",
        arguments: [
          try Grpc_Health_V1_HealthCheckRequest.with { $0.service = "old" }.serializedData(),
          try Grpc_Health_V1_HealthCheckResponse.with { $0.status = .serviceUnknown }.serializedData(), now,
        ])
    }
    let retried = try database.write { db in
      try IdempotencyLedger.perform(
        db, caller: Self.clerk, requestID: "R0",
        request: Grpc_Health_V1_HealthCheckRequest.with { $0.service = "old" }
      ) { Grpc_Health_V1_HealthCheckResponse.with { $0.status = .serving } }
    }
    #expect(retried.status == .serviceUnknown)
  }

  @Test("a repeated request_id returns the first answer and acts once")
  func idempotentRepeat() throws {
    // Given an empty database
    let database = try GovernanceDatabase.makeEmptyTestDatabase(migrator: Self.migrator(upTo: 1))
    let request = Grpc_Health_V1_HealthCheckRequest.with { $0.service = "a" }
    var actions = 0
    func create() throws -> Grpc_Health_V1_HealthCheckResponse {
      try database.write { db in
        try IdempotencyLedger.perform(db, caller: Self.clerk, requestID: "r-1", request: request) {
          actions += 1
          try db.execute(sql: "INSERT INTO note (id, text) VALUES (?, 'x')", arguments: ["n\(actions)"])
          return .with { $0.status = .serving }
        }
      }
    }
    // When the same request is sent twice
    let first = try create()
    let second = try create()
    // Then it acted once and both answers are the same
    #expect(actions == 1)
    #expect(first == second)
    #expect(try database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM note") } == 1)
  }

  @Test("an act is recorded under the served call's method, or outside a call its request's name")
  func methodNameComesFromTheCallDescriptor() {
    let request = Grpc_Health_V1_HealthCheckRequest()
    #expect(ServerCall.methodName(for: request) == "HealthCheck")
    let named = ServerCall.$descriptor.withValue(
      MethodDescriptor(fullyQualifiedService: "grpc.health.v1.Health", method: "Watch")
    ) {
      ServerCall.methodName(for: request)
    }
    #expect(named == "Watch")
  }

  @Test("a request_id reused for a different request is refused")
  func reusedRequestID() throws {
    let database = try GovernanceDatabase.makeEmptyTestDatabase(migrator: Self.migrator(upTo: 1))
    func send(_ service: String) throws {
      try database.write { db in
        _ = try IdempotencyLedger.perform(
          db, caller: Self.clerk, requestID: "r-1",
          request: Grpc_Health_V1_HealthCheckRequest.with { $0.service = service }
        ) { Grpc_Health_V1_HealthCheckResponse() }
      }
    }
    try send("a")
    #expect(throws: DomainError.self) { try send("b") }
  }

  @Test("a failed action records nothing, so the retry acts")
  func failedActionIsNotRemembered() throws {
    let database = try GovernanceDatabase.makeEmptyTestDatabase(migrator: Self.migrator(upTo: 1))
    let request = Grpc_Health_V1_HealthCheckRequest()
    #expect(throws: DomainError.self) {
      try database.write { db in
        try IdempotencyLedger.perform(db, caller: Self.clerk, requestID: "r-2", request: request) {
          () throws -> Grpc_Health_V1_HealthCheckResponse in
          throw DomainError.failedPrecondition(rule: "r", detail: "d")
        }
      }
    }
    let retried = try database.write { db in
      try IdempotencyLedger.perform(db, caller: Self.clerk, requestID: "r-2", request: request) {
        Grpc_Health_V1_HealthCheckResponse.with { $0.status = .serving }
      }
    }
    #expect(retried.status == .serving)
  }
}

@Suite("Updates by field mask")
struct FieldMaskMergeTests {
  @Test("an update takes the masked fields only: a scalar to its new value or default, a repeated field replaced")
  func anUpdateTakesTheMaskedFieldsOnly() throws {
    let stored = Governance_Grid_V1_Grid.with {
      $0.name = "一网格"
      $0.households = 300
      $0.compoundIds = ["cmp_1", "cmp_2"]
      $0.active = true
    }
    let changes = Governance_Grid_V1_Grid.with {
      $0.name = "不应改"
      $0.compoundIds = ["cmp_3"]
    }
    let merged = try stored.merging(changes, paths: ["compound_ids", "households", "active"])
    #expect(merged.name == "一网格")
    #expect(merged.compoundIds == ["cmp_3"])
    #expect(merged.households == 0 && !merged.active)
  }
}
