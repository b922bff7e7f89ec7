import Foundation
import GRDB
import GovernanceAPI
import ServiceKit

extension VolunteersStore {
  public typealias Project = Governance_Volunteers_V1_ServiceProject

  /// The rule "a project or brand belongs to one compound of a community and is run by
  /// registered teams; a project may run under a brand of the same compound".
  static func validateProject(_ db: Database, _ project: Project) throws -> Project {
    let validated = try ServiceProjects.validate(project)
    for (index, team) in project.teamIds.enumerated() {
      try ServiceProjects.checkTeam(team, index: index, registered: RecordTable.fetch(db, Team.self, id: team) != nil)
    }
    if !project.brandID.isEmpty {
      try ServiceProjects.checkBrand(
        validated.kind == .project ? RecordTable.fetch(db, Project.self, id: project.brandID) : nil, of: validated)
    }
    return validated
  }

  public func createProject(
    _ request: Governance_Volunteers_V1_CreateServiceProjectRequest, by principal: Principal, at time: Date = Date()
  ) async throws -> Project {
    try await writer.write { db in
      try IdempotencyLedger.perform(db, caller: principal, requestID: request.requestID, request: request) {
        var project = try Self.validateProject(db, request.project)
        project.active = true
        return try RecordTable.insertNew(db, project, by: principal, at: time)
      }
    }
  }

  public func project(id: String) async throws -> Project? {
    try await writer.read { db in try RecordTable.fetch(db, Project.self, id: id) }
  }

  public func listProjects(_ request: Governance_Volunteers_V1_ListServiceProjectsRequest) async throws
    -> Governance_Volunteers_V1_ListServiceProjectsResponse
  {
    let page = try PageRequest(pageSize: request.pageSize, pageToken: request.pageToken)
    var filter = RecordFilter()
    try filter.divisionPrefix(request.divisionPrefix)
    filter.add("compound_id = ?", request.compoundID, when: !request.compoundID.isEmpty)
    filter.add("kind = ?", request.kind.rawValue, when: request.kind != .unspecified)
    filter.add("team_ids LIKE ?", "%,\(request.teamID),%", when: !request.teamID.isEmpty)
    filter.add("active", when: !request.includeInactive)
    let (projects, next) = try await writer.read { [filter] db in
      try RecordTable.list(db, Project.self, filter: filter, page: page)
    }
    return .with {
      $0.projects = projects
      $0.nextPageToken = next
    }
  }

  public func updateProject(
    _ request: Governance_Volunteers_V1_UpdateServiceProjectRequest, by principal: Principal, at time: Date = Date()
  ) async throws -> Project {
    let paths = try updatePaths(
      request.updateMask, allowed: ["name", "details", "brand_id", "team_ids", "start_date", "end_date", "active"])
    let id = try FieldValidation.requiredID(request.project.id, field: "project.id")
    return try await writer.write { db in
      var project = try RecordTable.fetchRequired(db, Project.self, id: id)
      let changes = request.project
      for path in paths {
        switch path {
        case "name": project.name = changes.name
        case "details": project.details = changes.details
        case "brand_id": project.brandID = changes.brandID
        case "team_ids": project.teamIds = changes.teamIds
        case "start_date": project.startDate = changes.startDate
        case "end_date": project.endDate = changes.endDate
        default: project.active = changes.active
        }
      }
      var validated = try Self.validateProject(db, project)
      validated.active = project.active
      return try RecordTable.update(db, validated, by: principal, at: time)
    }
  }
}

extension Governance_Volunteers_V1_ServiceProject: AuditedRecord {}
