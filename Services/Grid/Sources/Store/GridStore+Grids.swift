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
      try IdempotencyLedger.perform(db, requestID: request.requestID, method: "CreateGrid", request: request) {
        let grid = try GridRegistry.validateNew(
          request.grid,
          communityExists: { try Self.divisionID(db, code: $0) != nil },
          gridExists: { try Self.gridID(db, code: $0) != nil })
        if let existing = try Self.gridID(db, code: grid.gridCode) {
          throw DomainError.alreadyExists(resource: "grid", id: grid.gridCode, detail: "registered as \(existing)")
        }
        return try RecordTable.insertNew(db, into: "grid", prefix: "grd", record: grid, by: principal, at: time) {
          [
            "division_code": $0.divisionCode, "grid_code": $0.gridCode, "kind": $0.kind.rawValue,
            "parent_grid_code": $0.parentGridCode.isEmpty ? nil : $0.parentGridCode,
          ]
        }
      }
    }
  }

  static func gridID(_ db: Database, code: String) throws -> String? {
    try String.fetchOne(db, sql: "SELECT id FROM grid WHERE grid_code = ?", arguments: [code])
  }

  public func grid(id: String) async throws -> Grid? {
    try await writer.read { db in try RecordTable.fetch(db, from: "grid", id: id, as: Grid.self) }
  }

  public func grid(code: String) async throws -> Grid? {
    try await writer.read { db in
      guard let id = try Self.gridID(db, code: code) else { return nil }
      return try RecordTable.fetch(db, from: "grid", id: id, as: Grid.self)
    }
  }

  public func listGrids(_ request: Governance_Grid_V1_ListGridsRequest) async throws -> Governance_Grid_V1_ListGridsResponse {
    let page = try PageRequest(pageSize: request.pageSize, pageToken: request.pageToken)
    var filter = RecordFilter()
    try filter.divisionPrefix(request.divisionPrefix, column: "grid_code")
    filter.add("kind = ?", request.kind.rawValue, when: request.kind != .unspecified)
    filter.add("parent_grid_code = ?", request.parentGridCode, when: !request.parentGridCode.isEmpty)
    var (grids, next) = try await writer.read { [filter] db in
      try RecordTable.list(db, from: "grid", as: Grid.self, filter: filter, page: page)
    }
    if !request.compoundID.isEmpty { grids = grids.filter { $0.compoundIds.contains(request.compoundID) } }
    if request.withoutBranch { grids = grids.filter { $0.branchOrganisationID.isEmpty } }
    return .with {
      $0.grids = grids
      $0.nextPageToken = next
    }
  }
}

extension Governance_Grid_V1_Grid: AuditedRecord {}
