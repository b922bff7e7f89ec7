import Foundation
import GRDB
import GovernanceAPI
import ServiceKit

/// The grid service's SQLite database: divisions and, as the service grows, grids, workers,
/// patrols, cases and alarms.
public struct GridStore: Sendable {
  public typealias Division = Governance_Grid_V1_Division

  let writer: any DatabaseWriter
  let vault: ContactVault
  /// The attachments' bytes, beside the database.
  let files: AttachmentFiles
  /// New cases' writes, committed together when they arrive together (CreateCase under load).
  let newCases: GroupCommit
  /// Reads on the calling thread: a case by its key (GetCase) and a page of cases (ListCases).
  let inlineReads: InlineReads

  public init(writer: any DatabaseWriter, vault: ContactVault) {
    self.writer = writer
    self.vault = vault
    self.files = AttachmentFiles(databasePath: writer.path)
    self.newCases = GroupCommit(writer: writer)
    self.inlineReads = InlineReads(writer)
  }

  /// Rewrites a case's record and only the named indexed columns, in a migration: a migration
  /// writes the columns its own version of the schema has, not every column a later one adds.
  static func rewrite(_ db: Database, _ gridCase: GridCase, columns: Set<String>) throws {
    let changed = gridCase.indexedColumns.filter { columns.contains($0.key) }
    let assignments = (["record = ?"] + changed.map { "\($0.key) = ?" }).joined(separator: ", ")
    let values: [(any DatabaseValueConvertible)?] =
      [try StoredMessage.encode(gridCase)] + changed.map(\.value) + [gridCase.id]
    try db.execute(
      sql: "UPDATE grid_case SET \(assignments) WHERE id = ?",
      arguments: StatementArguments(values.map { $0?.databaseValue ?? .null }))
  }

  /// The schema, one append-only migration per shipped change.
  public static var migrator: DatabaseMigrator {
    var migrator = DatabaseMigrator.governance
    migrator.registerMigration("v1-grid") { db in
      try RecordTable.create(db, name: "division") { table in
        table.column("division_code", .text).notNull().unique()
        table.column("name", .text).notNull()
        table.column("level", .integer).notNull()
        table.column("parent_code", .text).notNull().indexed()
      }
      try RecordTable.create(db, name: "grid") { table in
        table.column("division_code", .text).notNull().indexed()
        table.column("grid_code", .text).notNull().unique()
        table.column("kind", .integer).notNull()
        table.column("parent_grid_code", .text).indexed()
      }
      try RecordTable.create(db, name: "grid_case") { table in
        table.column("division_code", .text).notNull().indexed()
        table.column("unit_code", .text).notNull().indexed()
        table.column("status", .integer).notNull()
        table.column("source", .integer).notNull()
        table.column("priority", .integer).notNull()
        table.column("category", .text).notNull()
        table.column("assignee_id", .text).indexed()
        table.column("compound_id", .text).indexed()
        table.column("external_id", .text).unique()
        // When the current level's time runs out (Unix seconds); the sweep escalates past it.
        table.column("deadline", .integer).indexed()
        table.column("open", .boolean).notNull()
        // What the statistics group and count by, kept current with the record.
        table.column("grid_code", .text).indexed()
        table.column("level", .integer).notNull()
        table.column("report_date", .text).notNull().indexed()
        table.column("resolved_level", .integer)
        table.column("on_time", .boolean)
        table.column("overdue", .boolean).notNull()
        table.column("satisfaction", .integer)
      }
      // Reporters' contacts, sealed, apart from the case records that hold them masked.
      try db.create(table: "case_reporter") { table in
        table.primaryKey("case_id", .text).references("grid_case")
        table.column("contact", .blob).notNull()
      }
      try RecordTable.create(db, name: "grid_worker") { table in
        table.column("division_code", .text).notNull().indexed()
        table.column("active", .boolean).notNull()
      }
      try db.create(table: "worker_grid") { table in
        table.column("worker_id", .text).notNull().references("grid_worker")
        table.column("grid_code", .text).notNull().indexed()
        table.primaryKey(["worker_id", "grid_code"])
      }
      try RecordTable.create(db, name: "duty_shift") { table in
        table.column("grid_code", .text).notNull()
        table.column("worker_id", .text).notNull().references("grid_worker")
        table.column("start_time", .integer).notNull()
        table.column("end_time", .integer).notNull()
        table.column("roster_order", .integer).notNull()
      }
      try db.create(
        index: "duty_shift_by_grid_time", on: "duty_shift", columns: ["grid_code", "start_time", "end_time"])
      try RecordTable.create(db, name: "assignment") { table in
        table.column("case_id", .text).notNull().references("grid_case").indexed()
        table.column("worker_id", .text).notNull().indexed()
        table.column("state", .integer).notNull()
      }
      try RecordTable.create(db, name: "deadline_policy") { table in
        table.column("division_code", .text).notNull().unique()
      }
      try RecordTable.create(db, name: "case_event") { table in
        table.column("division_code", .text).notNull()
        table.column("case_id", .text).notNull().references("grid_case").indexed()
      }
    }
    migrator.registerMigration("v2-grid-patrols-alarms") { db in
      // Which grids cover a compound, so an alarm given by compound finds its grid by index.
      try db.create(table: "grid_compound") { table in
        table.column("grid_code", .text).notNull()
        table.column("compound_id", .text).notNull().indexed()
        table.primaryKey(["grid_code", "compound_id"])
      }
      for data in try Data.fetchAll(db, sql: "SELECT record FROM grid") {
        let grid = try StoredMessage.decode(Governance_Grid_V1_Grid.self, from: data)
        try Self.replaceCoveredCompounds(db, of: grid)
      }
      try db.alter(table: "grid_worker") { $0.add(column: "kind", .integer) }
      for data in try Data.fetchAll(db, sql: "SELECT record FROM grid_worker") {
        let worker = try StoredMessage.decode(Governance_Grid_V1_GridWorker.self, from: data)
        try db.execute(
          sql: "UPDATE grid_worker SET kind = ? WHERE id = ?", arguments: [worker.kind.rawValue, worker.id])
      }
      // When a pending alarm assignment passes to the next worker (Unix seconds).
      try db.alter(table: "assignment") { $0.add(column: "ack_deadline", .integer) }
      for data in try Data.fetchAll(db, sql: "SELECT record FROM assignment") {
        let assignment = try StoredMessage.decode(Governance_Grid_V1_Assignment.self, from: data)
        guard assignment.hasAckDeadline else { continue }
        try db.execute(
          sql: "UPDATE assignment SET ack_deadline = ? WHERE id = ?",
          arguments: [assignment.ackDeadline.seconds, assignment.id])
      }
      try db.create(index: "assignment_by_ack_deadline", on: "assignment", columns: ["state", "ack_deadline"])
      try RecordTable.create(db, name: "patrol") { table in
        table.column("division_code", .text).notNull().indexed()
        table.column("grid_code", .text).notNull().indexed()
        table.column("worker_id", .text).notNull().indexed()
        table.column("kind", .integer).notNull()
        table.column("start_date", .text).notNull().indexed()
        table.column("finding_count", .integer).notNull()
      }
      try ContactReveal.createTable(db)
    }
    migrator.registerMigration("v3-grid-statistics-index") { db in
      // Every column the case statistics read, so that counting a district's or the city's
      // cases reads this index alone and never the records.
      try db.create(
        index: "grid_case_statistics", on: "grid_case",
        columns: [
          "division_code", "report_date", "status", "level", "source", "resolved_level", "on_time", "overdue",
          "satisfaction", "open", "deadline", "category", "grid_code", "compound_id", "unit_code",
        ])
    }
    migrator.registerMigration("v4-grid-case-tally") { db in
      try CaseTally.create(db)
    }
    migrator.registerMigration("v5-grid-case-division-index") { db in
      // The statistics index leads with division_code and serves every lookup this one did;
      // keeping both cost each new case a page write in an index nothing needs.
      try db.drop(index: "grid_case_on_division_code")
    }
    migrator.registerMigration("v6-grid-case-deadline-open-only") { db in
      // Closed cases kept the deadline they were closed under, so the deadline index grew with
      // the whole history; only open cases have one now.
      try db.execute(sql: "UPDATE grid_case SET deadline = NULL WHERE deadline IS NOT NULL AND NOT open")
    }
    migrator.registerMigration("v7-on-time-excludes-overdue") { db in
      // The on-time rate's definition now leaves out resolved cases that went overdue
      // (CaseStatisticsRules.resolvedOnTime); the tally follows through its trigger.
      try db.execute(sql: "UPDATE grid_case SET on_time = 0 WHERE on_time = 1 AND overdue = 1")
    }
    migrator.registerMigration("v8-open-cases-deadline-from-arrival") { db in
      // Cases reported before deadlines ran from arrival got one only when accepted: those still
      // open without one get their level's limit counted from their report.
      for id in try String.fetchAll(db, sql: "SELECT id FROM grid_case WHERE open AND deadline IS NULL AND NOT overdue")
      {
        guard var gridCase = try RecordTable.fetch(db, GridCase.self, id: id), !gridCase.hasDeadline
        else { continue }
        let policy = try policy(db, for: gridCase.divisionCode)
        gridCase.deadline = CaseWorkflow.deadline(
          arrivingAt: gridCase.reportTime.date,
          limit: DeadlinePolicies.limit(in: policy, level: gridCase.handler.level, priority: gridCase.priority))
        try rewrite(db, gridCase, columns: ["deadline"])
      }
    }
    migrator.registerMigration("v9-missed-deadline-from-history") { db in
      // Cases the sweep moved before missed_deadline was kept: its escalations for a deadline are
      // in their history. Archived cases have one line of history and are passed over cheaply.
      let candidates = try String.fetchAll(
        db,
        sql: """
          SELECT case_id FROM case_event GROUP BY case_id HAVING COUNT(*) > 1
          """)
      for id in candidates {
        let events = try Data.fetchAll(db, sql: "SELECT record FROM case_event WHERE case_id = ?", arguments: [id])
        // The sweep's moves are the automatic ones made for a deadline.
        let missed = try events.contains {
          let event = try StoredMessage.decode(Governance_Grid_V1_CaseEvent.self, from: $0)
          return event.automatic && event.hasDeadline
        }
        guard missed, var gridCase = try RecordTable.fetch(db, GridCase.self, id: id),
          !gridCase.missedDeadline
        else { continue }
        gridCase.missedDeadline = true
        try rewrite(db, gridCase, columns: ["on_time"])
      }
    }
    migrator.registerMigration("v10-case-numbers") { db in
      // Every case gets its number (CaseNumbers): those stored before numbers existed are numbered
      // day by day (their report dates) in the order they were stored, in SQL, so a city's
      // million cases take seconds. The number is also appended to each record as field 31
      // (case_number, the highest field of Case, so the bytes are those an encoder writes last);
      // a parser keeps the last value of a field, so the number stands over anything sent before.
      try db.alter(table: "grid_case") { table in table.add(column: "case_number", .text) }
      let busiest =
        try Int.fetchOne(db, sql: "SELECT MAX(n) FROM (SELECT COUNT(*) AS n FROM grid_case GROUP BY report_date)") ?? 0
      guard busiest <= CaseNumbers.maximumSequence else {
        throw DomainError.failedPrecondition(
          rule: "a day holds at most \(CaseNumbers.maximumSequence) case numbers", detail: "a day has \(busiest) cases")
      }
      try db.execute(
        sql: """
          UPDATE grid_case SET case_number = numbered.number
          FROM (SELECT id, replace(report_date, '-', '') || '-'
                  || printf('%05d', row_number() OVER (PARTITION BY report_date ORDER BY id)) AS number
                FROM grid_case) AS numbered
          WHERE grid_case.id = numbered.id
          """)
      // `||` makes text of blobs, byte for byte; the outer CAST keeps the record a blob.
      try db.execute(
        sql: "UPDATE grid_case SET record = CAST(record || x'fa010e' || CAST(case_number AS BLOB) AS BLOB)")
      try db.create(index: "grid_case_case_number", on: "grid_case", columns: ["case_number"], unique: true)
    }
    migrator.registerMigration("v11-places") { db in
      // Boundaries packed for lookups (GridStore+Places), and their boxes in an R*Tree: SQLite's
      // rtree module keeps 32-bit boxes rounded outwards, so a box never misses its boundary.
      try db.execute(
        sql: """
          CREATE TABLE place_boundary (
            rowid INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE, is_grid BOOLEAN NOT NULL,
            level INTEGER NOT NULL, area REAL NOT NULL, shape BLOB NOT NULL);
          CREATE VIRTUAL TABLE place_boundary_box USING rtree(id, west, east, south, north);
          """)
      try AttachmentLedger.createTable(db)
    }
    migrator.registerMigration("v12-reporter-principal") { db in
      // "My reports" (ListCases by reporter_principal_id) reads an index, not every record. Only
      // a resident's own report carries the field (ResidentReports), so only those are read.
      try db.alter(table: "grid_case") { table in table.add(column: "reporter_principal_id", .text) }
      let residents = try Data.fetchAll(
        db, sql: "SELECT record FROM grid_case WHERE source = ?",
        arguments: [Governance_Grid_V1_CaseSource.resident.rawValue])
      for record in residents {
        let gridCase = try StoredMessage.decode(GridCase.self, from: record)
        if !gridCase.reporterPrincipalID.isEmpty { try rewrite(db, gridCase, columns: ["reporter_principal_id"]) }
      }
      try db.create(
        index: "grid_case_reporter_principal_id", on: "grid_case", columns: ["reporter_principal_id"],
        condition: Column("reporter_principal_id") != nil)
    }
    migrator.registerMigration("v13-worker-principal") { db in
      // A grid worker's sign-in finds their record, and so the grids they handle (CaseHandling).
      try db.alter(table: "grid_worker") { table in table.add(column: "principal_id", .text) }
      for record in try Data.fetchAll(db, sql: "SELECT record FROM grid_worker") {
        let worker = try StoredMessage.decode(Worker.self, from: record)
        if !worker.principalID.isEmpty {
          try db.execute(
            sql: "UPDATE grid_worker SET principal_id = ? WHERE id = ?", arguments: [worker.principalID, worker.id])
        }
      }
      try db.create(
        index: "grid_worker_principal_id", on: "grid_worker", columns: ["principal_id"],
        condition: Column("principal_id") != nil)
    }
    migrator.registerMigration("v14-archive-load") { db in
      // A first load of the archive indexes its cases at its end (ArchiveLoad). A later migration
      // that changes ArchiveLoad.deferredObjects or the tally's triggers runs ArchiveLoad.finish
      // first: a load a stop cut short keeps their old statements until the next start.
      try ArchiveLoad.createTables(db)
    }
    Outbox.registerMigration(in: &migrator)
    return migrator
  }

  /// Rejects a reference to a grid that is not registered.
  static func requireGrid(_ db: Database, code: String, field: String) throws {
    try GridRegistry.checkRegistered(code, field: field, registered: gridID(db, code: code) != nil)
  }

  /// Rejects a reference to a division that is not registered.
  static func requireDivision(_ db: Database, code: String, field: String) throws {
    try DivisionRegistry.checkRegistered(code, field: field, registered: divisionID(db, code: code) != nil)
  }

  /// Registers a division in one transaction. A code is registered once: a second division with
  /// the same code is ALREADY_EXISTS; a repeated `requestID` returns the first answer.
  public func createDivision(
    _ request: Governance_Grid_V1_CreateDivisionRequest,
    by principal: Principal,
    at time: Date = Date()
  ) async throws -> Division {
    try await writer.write { db in
      try IdempotencyLedger.perform(db, caller: principal, requestID: request.requestID, request: request) {
        try RecordTable.insertNew(db, try Self.validateNewDivision(db, request.division), by: principal, at: time)
      }
    }
  }

  /// CreateDivision's rules inside the caller's transaction: `proposed` validated as a new
  /// division under its registered parent, its code not yet registered, without a boundary.
  static func validateNewDivision(_ db: Database, _ proposed: Division) throws -> Division {
    var division = try DivisionRegistry.validateNew(proposed) { parent in
      try Self.divisionID(db, code: parent.code) != nil
    }
    // A boundary is checked and indexed by ImportBoundaries (and ImportDivisions) only.
    division.boundary = ""
    if let existing = try Self.divisionID(db, code: division.divisionCode) {
      throw DomainError.alreadyExists(
        resource: "division", id: division.divisionCode, detail: "registered as \(existing)")
    }
    return division
  }

  public func division(id: String) async throws -> Division? {
    try await writer.read { db in try RecordTable.fetch(db, Division.self, id: id) }
  }

  public func division(code: String) async throws -> Division? {
    try await writer.read { db in
      guard let id = try Self.divisionID(db, code: code) else { return nil }
      return try RecordTable.fetch(db, Division.self, id: id)
    }
  }

  static func divisionID(_ db: Database, code: String) throws -> String? {
    try String.fetchOne(db.cachedStatement(sql: "SELECT id FROM division WHERE division_code = ?"), arguments: [code])
  }
}

extension Governance_Grid_V1_Division: AuditedRecord {}
