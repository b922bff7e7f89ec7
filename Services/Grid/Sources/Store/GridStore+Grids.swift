import Foundation
import GRDB
import GovernanceAPI
import ServiceKit

extension GridStore {
  public typealias Grid = Governance_Grid_V1_Grid

  /// Registers a grid; a code is registered once.
  public func createGrid(
    _ request: Governance_Grid_V1_CreateGridRequest, by principal: Principal, at time: Date = Date()
  ) async throws -> Grid {
    try await writer.write { db in
      try IdempotencyLedger.perform(db, caller: principal, requestID: request.requestID, request: request) {
        var grid = try GridRegistry.validateNew(
          request.grid,
          communityExists: { try Self.divisionID(db, code: $0) != nil },
          gridExists: { try Self.gridID(db, code: $0) != nil })
        // A boundary is checked and indexed by ImportBoundaries only.
        grid.boundary = ""
        if let existing = try Self.gridID(db, code: grid.gridCode) {
          throw DomainError.alreadyExists(
            resource: RuleText(verbatim: Grid.resourceName), id: grid.gridCode, detail: "registered as \(existing)")
        }
        let created = try RecordTable.insertNew(db, grid, by: principal, at: time)
        try Self.replaceCoveredCompounds(db, of: created)
        return created
      }
    }
  }

  static func replaceCoveredCompounds(_ db: Database, of grid: Grid) throws {
    try db.execute(sql: "DELETE FROM grid_compound WHERE grid_code = ?", arguments: [grid.gridCode])
    for compound in Set(grid.compoundIds) {
      try db.execute(
        sql: "INSERT INTO grid_compound (grid_code, compound_id) VALUES (?, ?)", arguments: [grid.gridCode, compound])
    }
  }

  /// Changes what the mask names; the code and the community never change.
  public func updateGrid(
    _ request: Governance_Grid_V1_UpdateGridRequest, by principal: Principal, at time: Date = Date()
  ) async throws -> Grid {
    let paths = try updatePaths(
      request.updateMask, allowed: ["name", "kind", "compound_ids", "branch_organisation_id", "households", "active"])
    let id = try FieldValidation.requiredID(request.grid.id, field: "grid.id")
    return try await writer.write { db in
      var grid = try RecordTable.fetchRequired(db, Grid.self, id: id)
      let changes = request.grid
      grid = try grid.merging(changes, paths: paths)
      var validated = try GridRegistry.validateNew(grid, communityExists: { _ in true }, gridExists: { _ in true })
      validated.active = grid.active
      let saved = try RecordTable.update(db, validated, by: principal, at: time)
      if paths.contains("compound_ids") { try Self.replaceCoveredCompounds(db, of: saved) }
      return saved
    }
  }

  static func gridID(_ db: Database, code: String) throws -> String? {
    // Prepared once per connection: an archive's message looks up thousands of grids.
    try String.fetchOne(db.cachedStatement(sql: "SELECT id FROM grid WHERE grid_code = ?"), arguments: [code])
  }

  public func grid(id: String) async throws -> Grid? {
    try await writer.read { db in try RecordTable.fetch(db, Grid.self, id: id) }
  }

  public func grid(code: String) async throws -> Grid? {
    try await writer.read { db in
      guard let id = try Self.gridID(db, code: code) else { return nil }
      return try RecordTable.fetch(db, Grid.self, id: id)
    }
  }

  public func listGrids(_ request: Governance_Grid_V1_ListGridsRequest) async throws
    -> Governance_Grid_V1_ListGridsResponse
  {
    let page = try PageRequest(pageSize: request.pageSize, pageToken: request.pageToken)
    let order = try ListOrder(request.orderBy)
    var filter = RecordFilter()
    try filter.divisionPrefix(request.divisionPrefix, column: "grid_code")
    filter.add("kind = ?", request.kind.rawValue, when: request.kind != .unspecified)
    filter.add("parent_grid_code = ?", request.parentGridCode, when: !request.parentGridCode.isEmpty)
    filter.add(
      "grid_code IN (SELECT grid_code FROM grid_compound WHERE compound_id = ?)", request.compoundID,
      when: !request.compoundID.isEmpty)
    filter.add(
      "grid_code IN (SELECT grid_code FROM worker_grid WHERE worker_id = ?)", request.workerID,
      when: !request.workerID.isEmpty)
    var (grids, next) = try await writer.read { [filter] db in
      try RecordTable.list(db, Grid.self, filter: filter, page: page, order: order)
    }
    if request.withoutBranch { grids = grids.filter { $0.branchOrganisationID.isEmpty } }
    return .with {
      $0.grids = grids
      $0.nextPageToken = next
    }
  }

  /// The codes of the grids under a prefix, in code order, walked along the code index.
  public func listGridCodes(_ request: Governance_Grid_V1_ListGridCodesRequest) async throws
    -> Governance_Grid_V1_ListGridCodesResponse
  {
    let page = try PageRequest(
      pageSize: request.pageSize, pageToken: request.pageToken, defaultSize: 10_000, maximumSize: 20_000)
    var filter = RecordFilter()
    try filter.divisionPrefix(request.divisionPrefix, column: "grid_code", scan: .everything)
    filter.add("kind = ?", request.kind.rawValue, when: request.kind != .unspecified)
    if let after = page.afterID { filter.add("grid_code > ?", after) }
    let conditions = filter.conditions.isEmpty ? "1" : filter.conditions.joined(separator: " AND ")
    let codes = try await writer.read { [filter] db in
      try String.fetchAll(
        db, sql: "SELECT grid_code FROM grid WHERE \(conditions) ORDER BY grid_code LIMIT ?",
        arguments: StatementArguments(filter.arguments + [(page.size + 1).databaseValue]))
    }
    return .with {
      $0.gridCodes = Array(codes.prefix(page.size))
      $0.nextPageToken = codes.count > page.size ? PageRequest.token(after: codes[page.size - 1]) : ""
    }
  }
}

extension GridStore {
  public func listDivisions(_ request: Governance_Grid_V1_ListDivisionsRequest) async throws
    -> Governance_Grid_V1_ListDivisionsResponse
  {
    let page = try PageRequest(pageSize: request.pageSize, pageToken: request.pageToken)
    var filter = RecordFilter()
    try filter.divisionPrefix(request.divisionPrefix)
    filter.add("level = ?", request.level.rawValue, when: request.level != .unspecified)
    if !request.parentCode.isEmpty {
      filter.add("parent_code = ?", try DivisionCode(request.parentCode, field: "parent_code").code)
    }
    let (divisions, next) = try await writer.read { [filter] db in
      try RecordTable.list(db, Division.self, filter: filter, page: page)
    }
    return .with {
      $0.divisions = divisions
      $0.nextPageToken = next
    }
  }

  /// Renames a division; its code and level are its identity and never change.
  public func updateDivision(
    _ request: Governance_Grid_V1_UpdateDivisionRequest, by principal: Principal, at time: Date = Date()
  ) async throws -> Division {
    _ = try updatePaths(request.updateMask, allowed: ["name"])
    let id = try FieldValidation.requiredID(request.division.id, field: "division.id")
    let name = try DivisionRegistry.renamed(request.division, to: request.division.name).name
    return try await writer.write { db in
      var division = try RecordTable.fetchRequired(db, Division.self, id: id)
      division.name = name
      return try RecordTable.update(db, division, by: principal, at: time)
    }
  }
}

extension Governance_Grid_V1_Grid: AuditedRecord {}

extension GridStore {
  /// Takes one batch of a register of divisions (区划台账): each row matched by its division
  /// code, then created by CreateDivision's rules or renamed by UpdateDivision's, its boundary
  /// (when given) checked and stored as ImportBoundaries does, or left as it is when it already
  /// holds what the row gives. Each row is held to the caller's jurisdiction as its own call
  /// would be.
  public func importDivisions(
    _ request: Governance_Grid_V1_ImportDivisionsRequest, by principal: Principal, at time: Date = Date()
  ) async throws -> Governance_Common_V1_ImportResponse {
    try ImportBatch.checkSize(request.rows.count)
    return try await writer.write { db in
      let results = try ImportBatch.run(db, rows: request.rows, validateOnly: request.validateOnly, number: \.row) {
        db, row in
        try Self.importDivision(db, row, by: principal, at: time)
      }
      return .with { $0.results = results }
    }
  }

  /// One row of a register of divisions, applied inside the batch's savepoint.
  static func importDivision(
    _ db: Database, _ row: Governance_Grid_V1_ImportedDivision, by principal: Principal, at time: Date
  ) throws -> ImportBatch.Applied {
    try Authorization.checkRequest(row, by: principal)
    let given = row.division
    let code = try DivisionCode(given.divisionCode, field: "division.division_code")
    try Jurisdiction.checkWritable(code.code, by: principal)
    let boundary = given.boundary.isEmpty ? nil : try Boundary.parse(text: given.boundary, field: "division.boundary")
    guard let id = try divisionID(db, code: code.code) else {
      var division = try validateNewDivision(db, given)
      if let boundary { try placeBoundary(db, boundary, on: &division, geometryField: "division.boundary") }
      return .created(id: try RecordTable.insertNew(db, division, by: principal, at: time).id)
    }
    let stored = try RecordTable.fetchRequired(db, Division.self, id: id)
    var division = stored
    if !given.name.isEmpty { division = try DivisionRegistry.renamed(division, to: given.name) }
    if let boundary, boundary.geoJSON != stored.boundary {
      try placeBoundary(db, boundary, on: &division, geometryField: "division.boundary")
    }
    if division == stored { return .unchanged(id: id) }
    return .updated(id: try RecordTable.update(db, division, by: principal, at: time).id)
  }
}
