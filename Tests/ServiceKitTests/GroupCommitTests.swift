import Foundation
import GRDB
import Logging
import Testing

@testable import ServiceKit

@Suite("Group commit: writes arriving together share a transaction, each keeps its own outcome")
struct GroupCommitTests {
  struct Refused: Error, Equatable {
    let number: Int
  }

  static func pool() throws -> (DatabasePool, URL) {
    try TemporaryPool.open { table in table.primaryKey("number", .integer) }
  }

  @Test("a write that fails in a group rolls back only itself")
  func failedWriteRollsBackOnlyItself() async throws {
    let (pool, directory) = try Self.pool()
    defer { try? FileManager.default.removeItem(at: directory) }
    let commits = GroupCommit(writer: pool, maximumBatch: 8)
    // Given 200 writers at once, every third of which inserts its row and then throws
    let outcomes = await withTaskGroup(of: (Int, Result<Int, Refused>).self) { group in
      for number in 1...200 {
        group.addTask {
          do {
            let written = try await commits.write { db in
              try db.execute(sql: "INSERT INTO note (number) VALUES (?)", arguments: [number])
              if number % 3 == 0 { throw Refused(number: number) }
              return number
            }
            return (number, .success(written))
          } catch {
            return (number, .failure(error as! Refused))
          }
        }
      }
      var outcomes: [Int: Result<Int, Refused>] = [:]
      for await (number, outcome) in group { outcomes[number] = outcome }
      return outcomes
    }
    // Then each caller heard its own outcome, and only the refused rows are missing
    for number in 1...200 {
      #expect(outcomes[number] == (number % 3 == 0 ? .failure(Refused(number: number)) : .success(number)))
    }
    let stored = try await pool.read { db in try Int.fetchAll(db, sql: "SELECT number FROM note ORDER BY number") }
    #expect(stored == (1...200).filter { $0 % 3 != 0 })
  }

  @Test("a caller hears of its write only once the write is committed")
  func callerHearsAfterCommit() async throws {
    let (pool, directory) = try Self.pool()
    defer { try? FileManager.default.removeItem(at: directory) }
    let commits = GroupCommit(writer: pool)
    try await withThrowingTaskGroup(of: Void.self) { group in
      for number in 1...50 {
        group.addTask {
          try await commits.write { db in
            try db.execute(sql: "INSERT INTO note (number) VALUES (?)", arguments: [number])
          }
          // A reader outside the writer's transaction sees the row as soon as the call returns.
          let seen = try await pool.read { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM note WHERE number = ?)", arguments: [number])
          }
          #expect(seen == true, "row \(number)")
        }
      }
      try await group.waitForAll()
    }
  }

  @Test("a transaction that cannot commit fails every write in it")
  func failedTransactionFailsEveryWrite() async throws {
    let (pool, directory) = try Self.pool()
    defer { try? FileManager.default.removeItem(at: directory) }
    try await pool.write { db in
      try db.execute(sql: "CREATE TABLE parent (id INTEGER PRIMARY KEY)")
      try db.execute(
        sql: "CREATE TABLE child (parent INTEGER REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED)")
    }
    let commits = GroupCommit(writer: pool)
    // Given one write that breaks a foreign key SQLite checks only at COMMIT, among good ones
    let failures = await withTaskGroup(of: Bool.self) { group in
      for number in 1...20 {
        group.addTask {
          do {
            try await commits.write { db in
              try db.execute(sql: "INSERT INTO note (number) VALUES (?)", arguments: [number])
              if number == 10 { try db.execute(sql: "INSERT INTO child (parent) VALUES (999)") }
            }
            return false
          } catch {
            return true
          }
        }
      }
      var failures = 0
      for await failed in group where failed { failures += 1 }
      return failures
    }
    // Then the writes in its transaction failed with it and none of them is stored; the others are
    let stored = try await pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM note") ?? -1 }
    #expect(failures >= 1)
    #expect(stored == 20 - failures)
  }
}
