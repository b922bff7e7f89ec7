import Foundation
import GRDB
import GovernanceAPI
import ServiceKit

extension VolunteersStore {
  public typealias Project = Governance_Volunteers_V1_ServiceProject

  /// The rule "a project or brand belongs to one compound of a community and is run by
  /// registered teams; a project may run under a brand of the same compound".
  static func validateProject(_ db: Database, _ project: Project) throws -> Project {
    var validated = project
    let community = try DivisionCode(project.divisionCode, field: "project.division_code")
    guard community.level == .community else {
      throw DomainError.invalidArgument(field: "project.division_code", rule: "a community, got a \(community.level)")
    }
    validated.compoundID = try FieldValidation.requiredID(project.compoundID, field: "project.compound_id")
    validated.kind = try FieldValidation.requiredCase(
      project.kind, field: "project.kind", unspecified: .unspecified, known: [.project, .brand])
    validated.name = try FieldValidation.requiredName(project.name, field: "project.name")
    validated.details = try FieldValidation.optionalText(project.details, field: "project.details")
    if project.hasStartDate { try CalendarDate.validate(project.startDate, field: "project.start_date") }
    if project.hasEndDate {
      try CalendarDate.validate(project.endDate, field: "project.end_date")
      if project.hasStartDate, CalendarDate.iso(project.endDate) < CalendarDate.iso(project.startDate) {
        throw DomainError.invalidArgument(field: "project.end_date", rule: "not before start_date")
      }
    }
    for (index, team) in project.teamIds.enumerated() {
      guard try RecordTable.fetch(db, Team.self, id: team) != nil else {
        throw DomainError.invalidArgument(
          field: "project.team_ids[\(index)]", rule: "names a registered team; \(team) is not")
      }
    }
    if !project.brandID.isEmpty {
      guard validated.kind == .project,
        let brand = try RecordTable.fetch(db, Project.self, id: project.brandID),
        brand.kind == .brand, brand.compoundID == validated.compoundID
      else {
        throw DomainError.invalidArgument(
          field: "project.brand_id", rule: "a project runs under a brand of its own compound")
      }
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
