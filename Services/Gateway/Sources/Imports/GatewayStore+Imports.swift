import Foundation
import GRDB
import ServiceKit

/// An import of one register file (导入任务): a dry run or the import itself, with its progress.
struct ImportJob: Sendable, Encodable, Equatable {
  /// Where a job stands.
  enum State: String, Sendable, Encodable {
    /// Waiting for the runner.
    case queued
    case running
    /// Every row was read (problems are in the report).
    case done
    /// Stopped by its owner; `resume` goes on from `nextRow`.
    case stopped
    /// The file could not be read to its end, or a service refused the whole batch.
    case failed
  }

  let id: String
  let register: String
  let filename: String
  let dryRun: Bool
  var state: State
  /// Rows of data in the file (the header not counted).
  let rowsTotal: Int
  /// The spreadsheet row number the job goes on from: every row before it was done.
  var nextRow: Int
  var rowsDone: Int
  var created: Int
  var updated: Int
  var unchanged: Int
  var failed: Int
  var error: String
  let createdBy: String
  let createdAt: Date
  var finishedAt: Date?

  enum CodingKeys: String, CodingKey {
    case id, register, filename, dryRun, state, rowsTotal, nextRow, rowsDone, created, updated, unchanged, failed
    case error, createdBy, createdAt, finishedAt
  }

  /// As JSON: times in RFC 3339, as the rest of the API writes them.
  func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(id, forKey: .id)
    try container.encode(register, forKey: .register)
    try container.encode(filename, forKey: .filename)
    try container.encode(dryRun, forKey: .dryRun)
    try container.encode(state, forKey: .state)
    try container.encode(rowsTotal, forKey: .rowsTotal)
    try container.encode(nextRow, forKey: .nextRow)
    try container.encode(rowsDone, forKey: .rowsDone)
    try container.encode(created, forKey: .created)
    try container.encode(updated, forKey: .updated)
    try container.encode(unchanged, forKey: .unchanged)
    try container.encode(failed, forKey: .failed)
    try container.encode(error, forKey: .error)
    try container.encode(createdBy, forKey: .createdBy)
    let format = ISO8601DateFormatter()
    try container.encode(format.string(from: createdAt), forKey: .createdAt)
    try container.encodeIfPresent(finishedAt.map(format.string(from:)), forKey: .finishedAt)
  }
}

/// Who started a job: the runner calls the services as them.
struct ImportOwner: Sendable, Equatable {
  let subject: String
  let role: String
  let scope: String
}

extension GatewayStore {
  static func registerImportMigration(_ migrator: inout DatabaseMigrator) {
    migrator.registerMigration("v4-imports") { db in
      try db.create(table: "import_job") { table in
        table.primaryKey("id", .text)
        table.column("register", .text).notNull()
        table.column("filename", .text).notNull()
        table.column("path", .text).notNull()
        table.column("dry_run", .boolean).notNull()
        table.column("state", .text).notNull().indexed()
        table.column("rows_total", .integer).notNull()
        table.column("next_row", .integer).notNull()
        table.column("rows_done", .integer).notNull().defaults(to: 0)
        table.column("created", .integer).notNull().defaults(to: 0)
        table.column("updated", .integer).notNull().defaults(to: 0)
        table.column("unchanged", .integer).notNull().defaults(to: 0)
        table.column("failed", .integer).notNull().defaults(to: 0)
        table.column("error", .text).notNull().defaults(to: "")
        table.column("subject", .text).notNull().indexed()
        table.column("role", .text).notNull()
        table.column("scope", .text).notNull()
        table.column("created_at", .datetime).notNull()
        table.column("finished_at", .datetime)
      }
      try db.create(table: "import_problem") { table in
        table.column("job_id", .text).notNull().references("import_job", onDelete: .cascade)
        table.column("row", .integer).notNull()
        table.column("column", .text).notNull()
        table.column("rule", .text).notNull()
        table.column("value", .text).notNull()
        table.primaryKey(["job_id", "row", "column"])
      }
    }
  }

  /// Files and jobs kept this long after they finish.
  static let importRetention: TimeInterval = 30 * 86_400

  /// Records a new job over the file at `path` (already checked), queued.
  func createImportJob(
    register: String, filename: String, path: String, dryRun: Bool, rowsTotal: Int, firstRow: Int,
    owner: ImportOwner, at time: Date = Date()
  ) async throws -> ImportJob {
    let id = RecordID.make(prefix: "imp", at: time)
    try await writer.write { db in
      try db.execute(
        sql: """
          INSERT INTO import_job (id, register, filename, path, dry_run, state, rows_total, next_row, subject, role,
            scope, created_at)
          VALUES (?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?)
          """,
        arguments: [
          id, register, filename, path, dryRun, rowsTotal, firstRow, owner.subject, owner.role, owner.scope, time,
        ])
    }
    guard let job = try await importJob(id: id) else { throw DomainError.notFound(resource: "import", id: id) }
    return job
  }

  /// The job `id`, or nil.
  func importJob(id: String) async throws -> ImportJob? {
    try await writer.read { db in
      try Row.fetchOne(db, sql: "SELECT * FROM import_job WHERE id = ?", arguments: [id]).map(Self.job)
    }
  }

  /// Who started job `id` and the file it reads.
  func importSource(id: String) async throws -> (owner: ImportOwner, path: String)? {
    try await writer.read { db in
      try Row.fetchOne(db, sql: "SELECT subject, role, scope, path FROM import_job WHERE id = ?", arguments: [id]).map {
        (ImportOwner(subject: $0["subject"], role: $0["role"], scope: $0["scope"]), $0["path"])
      }
    }
  }

  /// The latest jobs of `subject` (all jobs for nil), newest first.
  func importJobs(subject: String?, limit: Int = 50) async throws -> [ImportJob] {
    try await writer.read { db in
      if let subject {
        return try Row.fetchAll(
          db, sql: "SELECT * FROM import_job WHERE subject = ? ORDER BY created_at DESC, id DESC LIMIT ?",
          arguments: [subject, limit]
        ).map(Self.job)
      }
      return try Row.fetchAll(
        db, sql: "SELECT * FROM import_job ORDER BY created_at DESC, id DESC LIMIT ?", arguments: [limit]
      ).map(Self.job)
    }
  }

  /// The next job to run: one left running by a stop or a crash of the gateway first, then the
  /// oldest queued.
  func nextImportJob() async throws -> ImportJob? {
    try await writer.read { db in
      try Row.fetchOne(
        db,
        sql: """
          SELECT * FROM import_job WHERE state IN ('running', 'queued')
          ORDER BY state = 'running' DESC, created_at, id LIMIT 1
          """
      ).map(Self.job)
    }
  }

  /// Marks `id` running (from queued or running).
  func startImportJob(id: String) async throws {
    try await writer.write { db in
      try db.execute(
        sql: "UPDATE import_job SET state = 'running' WHERE id = ? AND state IN ('queued', 'running')",
        arguments: [id])
    }
  }

  /// Records one batch's outcome and moves the job past it, in one transaction: a job resumed
  /// after a crash goes on from the first row not recorded here. Returns the job's state, which
  /// its owner may have set to stopped meanwhile.
  func recordImportBatch(
    id: String, nextRow: Int, rows: Int, created: Int, updated: Int, unchanged: Int, problems: [ImportProblem]
  ) async throws -> ImportJob.State {
    try await writer.write { db in
      // A row already reported (a batch recorded again) is not counted as failed twice.
      let reported = Array(Set(problems.map(\.row)))
      let known = try Set(
        Int.fetchAll(
          db,
          sql:
            "SELECT DISTINCT row FROM import_problem WHERE job_id = ? AND row IN (\(reported.map { _ in "?" }.joined(separator: ",")))",
          arguments: StatementArguments([id] + reported.map { $0 as any DatabaseValueConvertible })))
      let failedRows = reported.filter { !known.contains($0) }.count
      for problem in problems {
        try db.execute(
          sql: """
            INSERT INTO import_problem (job_id, row, "column", rule, value) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (job_id, row, "column") DO UPDATE SET rule = excluded.rule, value = excluded.value
            """,
          arguments: [id, problem.row, problem.column, problem.rule, String(problem.value.prefix(500))])
      }
      try db.execute(
        sql: """
          UPDATE import_job SET next_row = ?, rows_done = rows_done + ?, created = created + ?,
            updated = updated + ?, unchanged = unchanged + ?, failed = failed + ?
          WHERE id = ?
          """,
        arguments: [nextRow, rows, created, updated, unchanged, failedRows, id])
      let state = try String.fetchOne(db, sql: "SELECT state FROM import_job WHERE id = ?", arguments: [id])
      return state.flatMap(ImportJob.State.init(rawValue:)) ?? .failed
    }
  }

  /// Ends job `id` as `state` (done or failed) with `error`, unless its owner stopped it.
  func finishImportJob(id: String, state: ImportJob.State, error: String = "", at time: Date = Date()) async throws {
    try await writer.write { db in
      try db.execute(
        sql: "UPDATE import_job SET state = ?, error = ?, finished_at = ? WHERE id = ? AND state = 'running'",
        arguments: [state.rawValue, error, time, id])
    }
  }

  /// Stops a queued or running job (the runner stops after its current batch), or puts a stopped
  /// or failed one back in the queue; returns the job as it now stands.
  /// - Throws: FAILED_PRECONDITION when the job is in no state to do so.
  func setImportJob(id: String, stopped: Bool) async throws -> ImportJob {
    try await writer.write { db in
      let from = stopped ? "('queued', 'running')" : "('stopped', 'failed')"
      try db.execute(
        sql: "UPDATE import_job SET state = ?, error = '' WHERE id = ? AND state IN \(from)",
        arguments: [stopped ? "stopped" : "queued", id])
      guard db.changesCount == 1 else {
        if stopped {
          throw DomainError.failedPrecondition(
            rule: "only a queued or running import can be stopped", detail: "import \(id)")
        }
        throw DomainError.failedPrecondition(rule: "only a stopped or failed import resumes", detail: "import \(id)")
      }
    }
    guard let job = try await importJob(id: id) else { throw DomainError.notFound(resource: "import", id: id) }
    return job
  }

  /// Where a page of an import's problems ended: the last problem's row, and its rowid, the
  /// order in which that row's problems were found.
  struct ImportProblemPosition: Sendable, Equatable {
    var row: Int
    var rowid: Int64
  }

  /// The problems of job `id` in order (by row, then as found), at most `limit` after `position`
  /// (from the first when nil), and where the next page starts (nil after the last). A page may
  /// end inside a row: one row can have a problem in each of its columns.
  func importProblems(id: String, after position: ImportProblemPosition? = nil, limit: Int = 10_000) async throws
    -> (problems: [ImportProblem], next: ImportProblemPosition?)
  {
    try await writer.read { db in
      let rows = try Row.fetchAll(
        db,
        sql: """
          SELECT rowid, row, "column", rule, value FROM import_problem
          WHERE job_id = ? AND (row, rowid) > (?, ?)
          ORDER BY row, rowid LIMIT ?
          """,
        arguments: [id, position?.row ?? 0, position?.rowid ?? 0, limit])
      let problems = rows.map {
        ImportProblem(row: $0["row"], column: $0["column"], rule: $0["rule"], value: $0["value"])
      }
      let next = rows.count < limit ? nil : rows.last.map { ImportProblemPosition(row: $0["row"], rowid: $0["rowid"]) }
      return (problems, next)
    }
  }

  /// Removes jobs finished before `retention` and returns the paths of their files.
  func pruneImportJobs(now: Date = Date()) async throws -> [String] {
    try await writer.write { db in
      let cutoff = now.addingTimeInterval(-Self.importRetention)
      let paths = try String.fetchAll(
        db, sql: "SELECT path FROM import_job WHERE finished_at IS NOT NULL AND finished_at < ?", arguments: [cutoff])
      try db.execute(
        sql: "DELETE FROM import_job WHERE finished_at IS NOT NULL AND finished_at < ?", arguments: [cutoff])
      // A file shared by a dry run and its import goes only when no job reads it any more.
      let kept = Set(try String.fetchAll(db, sql: "SELECT path FROM import_job"))
      return paths.filter { !kept.contains($0) }
    }
  }

  static func job(_ row: Row) -> ImportJob {
    ImportJob(
      id: row["id"], register: row["register"], filename: row["filename"], dryRun: row["dry_run"],
      state: ImportJob.State(rawValue: row["state"]) ?? .failed, rowsTotal: row["rows_total"],
      nextRow: row["next_row"], rowsDone: row["rows_done"], created: row["created"], updated: row["updated"],
      unchanged: row["unchanged"], failed: row["failed"], error: row["error"], createdBy: row["subject"],
      createdAt: row["created_at"], finishedAt: row["finished_at"])
  }
}
