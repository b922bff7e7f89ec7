import Foundation
import GRDB
import GovernanceAPI
import ServiceKit

extension GridStore {
  public typealias Patrol = Governance_Grid_V1_Patrol

  /// Records a patrol and, in the same transaction, opens a case for each finding marked
  /// open_case: either the patrol and all its cases are stored, or none.
  public func createPatrol(
    _ request: Governance_Grid_V1_CreatePatrolRequest, by principal: Principal, at time: Date = Date()
  ) async throws -> Patrol {
    let patrol = try PatrolLog.validateNew(request.patrol)
    let vault = vault
    return try await writer.write { db in
      try IdempotencyLedger.perform(db, caller: principal, requestID: request.requestID, request: request) {
        try Self.requireGrid(db, code: patrol.gridCode, field: "patrol.grid_code")
        let serves =
          try Bool.fetchOne(
            db, sql: "SELECT EXISTS (SELECT 1 FROM worker_grid WHERE worker_id = ? AND grid_code = ?)",
            arguments: [patrol.workerID, patrol.gridCode]) ?? false
        try PatrolLog.checkWalker(of: patrol, servesGrid: serves)
        var created = try RecordTable.insertNew(db, patrol, by: principal, at: time)
        guard created.findings.contains(where: \.openCase) else { return created }
        for index in created.findings.indices where created.findings[index].openCase {
          let finding = created.findings[index]
          try Self.requireGrid(
            db, code: finding.location.gridCode, field: "patrol.findings[\(index)].location.grid_code")
          let prepared = try Self.prepare(PatrolLog.caseFor(finding, of: created), at: time)
          created.findings[index].caseID = try Self.insertCase(
            db, prepared, note: "巡查发现 \(created.id)", vault: vault, by: principal, at: time
          ).id
        }
        return try RecordTable.update(db, created, by: principal, at: time)
      }
    }
  }

  public func patrol(id: String) async throws -> Patrol? {
    try await writer.read { db in try RecordTable.fetch(db, Patrol.self, id: id) }
  }

  public func listPatrols(_ request: Governance_Grid_V1_ListPatrolsRequest) async throws
    -> Governance_Grid_V1_ListPatrolsResponse
  {
    let page = try PageRequest(pageSize: request.pageSize, pageToken: request.pageToken)
    var filter = RecordFilter()
    try filter.divisionPrefix(request.divisionPrefix)
    if !request.gridCode.isEmpty {
      filter.add("grid_code = ?", try DivisionCode(request.gridCode, field: "grid_code").code)
    }
    filter.add("worker_id = ?", request.workerID, when: !request.workerID.isEmpty)
    filter.add("kind = ?", request.kind.rawValue, when: request.kind != .unspecified)
    try filter.dates(
      "start_date", from: request.hasFromDate ? request.fromDate : nil, to: request.hasToDate ? request.toDate : nil)
    filter.add("finding_count > 0", when: request.withFindingsOnly)
    let (patrols, next) = try await writer.read { [filter] db in
      try RecordTable.list(db, Patrol.self, filter: filter, page: page)
    }
    return .with {
      $0.patrols = patrols
      $0.nextPageToken = next
    }
  }
}

extension Governance_Grid_V1_Patrol: AuditedRecord {}
