import Foundation
import GRDB
import Logging
import Synchronization
import Testing

@testable import ServiceKit

@Suite("Inline reads: a read by key on the caller's thread, never waiting for a connection")
struct InlineReadsTests {
  struct Refused: Error {}

  static func pool() throws -> (DatabasePool, URL) {
    try TemporaryPool.open { table in
      table.primaryKey("number", .integer)
      table.column("text", .text).notNull()
    }
  }

  static func text(_ db: Database, _ number: Int) throws -> String? {
    try String.fetchOne(db.cachedStatement(sql: "SELECT text FROM note WHERE number = ?"), arguments: [number])
  }

  @Test("a read sees every write committed before it")
  func readSeesCommittedWrites() async throws {
    let (pool, directory) = try Self.pool()
    defer { try? FileManager.default.removeItem(at: directory) }
    let reads = InlineReads(pool)
    for number in 1...200 {
      try await pool.write { db in
        try db.execute(sql: "INSERT INTO note (number, text) VALUES (?, ?)", arguments: [number, "n\(number)"])
      }
      #expect(try await reads.read { db in try Self.text(db, number) } == "n\(number)")
      try await pool.write { db in
        try db.execute(sql: "UPDATE note SET text = ? WHERE number = ?", arguments: ["u\(number)", number])
      }
      #expect(try await reads.read { db in try Self.text(db, number) } == "u\(number)")
    }
    #expect(reads.openedConnections == 1)
  }

  @Test("hundreds of reads at once, beside writes, all answer and open no more connections than the limit")
  func readsAtOnceNeverWait() async throws {
    let (pool, directory) = try Self.pool()
    defer { try? FileManager.default.removeItem(at: directory) }
    try await pool.write { db in
      for number in 1...500 {
        try db.execute(sql: "INSERT INTO note (number, text) VALUES (?, ?)", arguments: [number, "n\(number)"])
      }
    }
    let reads = InlineReads(pool, connections: 2)
    let answered = try await withThrowingTaskGroup(of: Int.self) { group in
      // A hang (a cooperative thread waiting for a connection) fails here instead of stopping the tests.
      group.addTask {
        try await Task.sleep(for: .seconds(60))
        throw CancellationError()
      }
      group.addTask {
        try await withThrowingTaskGroup(of: Bool.self) { readers in
          for number in 1...600 {
            readers.addTask {
              if number % 50 == 0 {
                try await pool.write { db in
                  try db.execute(sql: "UPDATE note SET text = text WHERE number = ?", arguments: [number])
                }
              }
              let key = (number - 1) % 500 + 1
              return try await reads.read { db in try Self.text(db, key) } == "n\(key)"
            }
          }
          var answered = 0
          for try await correct in readers where correct { answered += 1 }
          return answered
        }
      }
      let first = try await group.next()!
      group.cancelAll()
      return first
    }
    #expect(answered == 600)
    #expect(reads.openedConnections <= 2)
  }

  @Test("a read that throws gives its connection back")
  func failedReadReturnsConnection() async throws {
    let (pool, directory) = try Self.pool()
    defer { try? FileManager.default.removeItem(at: directory) }
    let reads = InlineReads(pool, connections: 1)
    await #expect(throws: Refused.self) { try await reads.read { _ in throw Refused() } }
    await #expect(throws: DatabaseError.self) {
      try await reads.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM no_such_table") }
    }
    #expect(try await reads.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM note") } == 0)
    #expect(reads.openedConnections == 1)
    #expect(reads.idleConnections == 1)
  }

  @Test("an inline connection cannot write")
  func connectionIsReadOnly() async throws {
    let (pool, directory) = try Self.pool()
    defer { try? FileManager.default.removeItem(at: directory) }
    let reads = InlineReads(pool)
    let error = await #expect(throws: DatabaseError.self) {
      try await reads.read { db in try db.execute(sql: "INSERT INTO note (number, text) VALUES (1, 'x')") }
    }
    #expect(error?.resultCode == .SQLITE_READONLY)
    #expect(try await pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM note") } == 0)
  }

  @Test("a read after the schema changed (an index dropped and made again) reads the new schema")
  func readAfterSchemaChange() async throws {
    let (pool, directory) = try Self.pool()
    defer { try? FileManager.default.removeItem(at: directory) }
    let reads = InlineReads(pool)
    try await pool.write { db in try db.execute(sql: "INSERT INTO note (number, text) VALUES (7, 'seven')") }
    #expect(try await reads.read { db in try Self.text(db, 7) } == "seven")
    try await pool.write { db in
      try db.execute(sql: "CREATE INDEX note_on_text ON note(text)")
      try db.execute(sql: "ALTER TABLE note ADD COLUMN kept INTEGER NOT NULL DEFAULT 1")
    }
    #expect(try await reads.read { db in try Self.text(db, 7) } == "seven")
    #expect(try await reads.read { db in try Int.fetchOne(db, sql: "SELECT kept FROM note WHERE number = 7") } == 1)
    try await pool.write { db in try db.execute(sql: "DROP INDEX note_on_text") }
    #expect(try await reads.read { db in try Self.text(db, 7) } == "seven")
  }

  @Test("a database in memory is read through as it is")
  func inMemoryReadsThrough() async throws {
    var migrator = DatabaseMigrator()
    migrator.registerMigration("v1-note") { db in
      try db.create(table: "note") { table in table.primaryKey("number", .integer) }
    }
    let queue = try GovernanceDatabase.makeEmptyTestDatabase(migrator: migrator)
    try await queue.write { db in try db.execute(sql: "INSERT INTO note (number) VALUES (3)") }
    let reads = InlineReads(queue)
    #expect(try await reads.read { db in try Int.fetchOne(db, sql: "SELECT number FROM note") } == 3)
    #expect(reads.openedConnections == 0)
  }

  @Test("a read past its steps on the calling thread is done again through the pool, and answers the same")
  func boundedReadFallsBack() async throws {
    let (pool, directory) = try Self.pool()
    defer { try? FileManager.default.removeItem(at: directory) }
    try await pool.write { db in
      for number in 1...5_000 {
        try db.execute(sql: "INSERT INTO note (number, text) VALUES (?, ?)", arguments: [number, "n\(number % 7)"])
      }
    }
    let reads = InlineReads(pool, connections: 1)
    let runs = Mutex(0)
    // A scan of 5,000 rows takes far more than 1,000 steps: stopped inline, answered by the pool.
    let scanned = try await reads.read(steps: 1_000) { db in
      runs.withLock { $0 += 1 }
      return try Int.fetchOne(db, sql: "SELECT count(*) FROM note WHERE text = 'n3'")
    }
    #expect(scanned == 714)
    #expect(runs.withLock { $0 } == 2)
    // A read by key fits its steps: it runs once, and the connection has no handler left behind.
    runs.withLock { $0 = 0 }
    let keyed = try await reads.read(steps: 1_000) { db in
      runs.withLock { $0 += 1 }
      return try Self.text(db, 42)
    }
    #expect(keyed == "n0")
    #expect(runs.withLock { $0 } == 1)
    let whole = try await reads.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM note WHERE text = 'n3'") }
    #expect(whole == 714)
    #expect(reads.openedConnections == 1)
    #expect(reads.idleConnections == 1)
  }

  @Test("a cached statement read many times within its steps is never stopped")
  func cachedStatementKeepsItsBound() async throws {
    let (pool, directory) = try Self.pool()
    defer { try? FileManager.default.removeItem(at: directory) }
    try await pool.write { db in
      for number in 1...300 {
        try db.execute(sql: "INSERT INTO note (number, text) VALUES (?, ?)", arguments: [number, "n\(number)"])
      }
    }
    let reads = InlineReads(pool, connections: 1)
    let runs = Mutex(0)
    // Each read takes a few thousand steps of one cached statement: 200 of them pass 5,000 steps
    // hundreds of times over in the statement's lifetime count, and none may be stopped for it.
    for _ in 0..<200 {
      let count = try await reads.read(steps: 5_000) { db in
        runs.withLock { $0 += 1 }
        return try Int.fetchOne(db.cachedStatement(sql: "SELECT count(*) FROM note WHERE text GLOB 'n1*'"))
      }
      #expect(count == 111)
    }
    #expect(runs.withLock { $0 } == 200)
  }
}
