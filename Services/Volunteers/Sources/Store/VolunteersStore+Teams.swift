import Foundation
import GRDB
import GovernanceAPI
import ServiceKit

extension VolunteersStore {

  static func replaceTeamCompounds(_ db: Database, of team: Team) throws {
    try db.execute(sql: "DELETE FROM team_compound WHERE team_id = ?", arguments: [team.id])
    for compound in Set(team.compoundIds) {
      try db.execute(
        sql: "INSERT INTO team_compound (team_id, compound_id) VALUES (?, ?)", arguments: [team.id, compound])
    }
  }

  /// Forms a team in one transaction; a leader named at formation is its first member. A
  /// repeated `requestID` returns the first team.
  public func createTeam(
    _ request: Governance_Volunteers_V1_CreateTeamRequest, by principal: Principal, at time: Date = Date()
  ) async throws -> Team {
    let team = try TeamFormation.validateNew(request.team)
    return try await writer.write { db in
      try IdempotencyLedger.perform(db, caller: principal, requestID: request.requestID, request: request) {
        var created = try RecordTable.insertNew(db, team, by: principal, at: time)
        try Self.replaceTeamCompounds(db, of: created)
        if !created.leaderVolunteerID.isEmpty {
          created = try Self.addMember(
            db, team: created, volunteer: created.leaderVolunteerID, field: "team.leader_volunteer_id", by: principal,
            at: time)
        }
        return created
      }
    }
  }

  public func team(id: String) async throws -> Team? {
    try await writer.read { db in try RecordTable.fetch(db, Team.self, id: id) }
  }

  public func listTeams(_ request: Governance_Volunteers_V1_ListTeamsRequest) async throws
    -> Governance_Volunteers_V1_ListTeamsResponse
  {
    let page = try PageRequest(pageSize: request.pageSize, pageToken: request.pageToken)
    let order = try ListOrder(request.orderBy, fields: ["name": "name"])
    var filter = RecordFilter()
    try filter.divisionPrefix(request.divisionPrefix)
    filter.add("kind = ?", request.kind.rawValue, when: request.kind != .unspecified)
    filter.add(
      "id IN (SELECT team_id FROM team_compound WHERE compound_id = ?)", request.compoundID,
      when: !request.compoundID.isEmpty)
    filter.add(
      "id IN (SELECT team_id FROM team_member WHERE volunteer_id = ?)", request.volunteerID,
      when: !request.volunteerID.isEmpty)
    filter.add("active", when: !request.includeInactive)
    let (teams, next) = try await writer.read { [filter] db in
      try RecordTable.list(db, Team.self, filter: filter, page: page, order: order)
    }
    return .with {
      $0.teams = teams
      $0.nextPageToken = next
    }
  }

  /// Changes what the mask names; a new leader must already be a member.
  public func updateTeam(
    _ request: Governance_Volunteers_V1_UpdateTeamRequest, by principal: Principal, at time: Date = Date()
  ) async throws -> Team {
    let paths = try updatePaths(
      request.updateMask, allowed: ["name", "kind", "leader_volunteer_id", "compound_ids", "details", "active"])
    let id = try FieldValidation.requiredID(request.team.id, field: "team.id")
    return try await writer.write { db in
      var team = try RecordTable.fetchRequired(db, Team.self, id: id)
      let changes = request.team
      team = try team.merging(changes, paths: paths)
      var validated = try TeamFormation.validateNew(team)
      validated.memberCount = team.memberCount
      validated.active = team.active
      if paths.contains("leader_volunteer_id"), !validated.leaderVolunteerID.isEmpty {
        try TeamFormation.checkLeader(
          of: validated, leaderIsMember: Self.isMember(db, team: id, volunteer: validated.leaderVolunteerID))
      }
      let saved = try RecordTable.update(db, validated, by: principal, at: time)
      if paths.contains("compound_ids") { try Self.replaceTeamCompounds(db, of: saved) }
      return saved
    }
  }

  static func isMember(_ db: Database, team: String, volunteer: String) throws -> Bool {
    try Bool.fetchOne(
      db, sql: "SELECT EXISTS (SELECT 1 FROM team_member WHERE team_id = ? AND volunteer_id = ?)",
      arguments: [team, volunteer]) ?? false
  }

  /// Adds an active volunteer to a team, keeping the team's count and the volunteer's teams.
  static func addMember(
    _ db: Database, team: Team, volunteer volunteerID: String, field: String, by principal: Principal, at time: Date
  ) throws -> Team {
    var volunteer = try TeamFormation.joiner(
      RecordTable.fetch(db, Volunteer.self, id: volunteerID), id: volunteerID, field: field)
    guard try !isMember(db, team: team.id, volunteer: volunteerID) else {
      throw DomainError.alreadyExists(resource: "team member", id: volunteerID, detail: "already in \(team.id)")
    }
    try db.execute(
      sql: "INSERT INTO team_member (team_id, volunteer_id) VALUES (?, ?)", arguments: [team.id, volunteerID])
    volunteer.teamIds.append(team.id)
    _ = try RecordTable.update(db, volunteer, by: principal, at: time)
    var counted = team
    counted.memberCount += 1
    return try RecordTable.update(db, counted, by: principal, at: time)
  }

  public func addTeamMember(
    _ request: Governance_Volunteers_V1_AddTeamMemberRequest, by principal: Principal, at time: Date = Date()
  ) async throws -> Team {
    let teamID = try FieldValidation.requiredID(request.teamID, field: "team_id")
    let volunteerID = try FieldValidation.requiredID(request.volunteerID, field: "volunteer_id")
    return try await writer.write { db in
      try IdempotencyLedger.perform(db, caller: principal, requestID: request.requestID, request: request) {
        let team = try RecordTable.fetchRequired(db, Team.self, id: teamID)
        try TeamFormation.checkTakesMembers(team)
        return try Self.addMember(
          db, team: team, volunteer: volunteerID, field: "volunteer_id", by: principal, at: time)
      }
    }
  }

  /// Removes a member; the leader is replaced first, so a team is never led by a non-member.
  public func removeTeamMember(
    _ request: Governance_Volunteers_V1_RemoveTeamMemberRequest, by principal: Principal, at time: Date = Date()
  ) async throws -> Team {
    let teamID = try FieldValidation.requiredID(request.teamID, field: "team_id")
    let volunteerID = try FieldValidation.requiredID(request.volunteerID, field: "volunteer_id")
    _ = try FieldValidation.optionalText(request.reason, field: "reason", maximumLength: 200)
    return try await writer.write { db in
      try IdempotencyLedger.perform(db, caller: principal, requestID: request.requestID, request: request) {
        var team = try RecordTable.fetchRequired(db, Team.self, id: teamID)
        guard try Self.isMember(db, team: teamID, volunteer: volunteerID) else {
          throw DomainError.notFound(resource: "team member", id: volunteerID)
        }
        try TeamFormation.checkLeaving(team, volunteerID: volunteerID)
        try db.execute(
          sql: "DELETE FROM team_member WHERE team_id = ? AND volunteer_id = ?", arguments: [teamID, volunteerID])
        if var volunteer = try RecordTable.fetch(db, Volunteer.self, id: volunteerID) {
          volunteer.teamIds.removeAll { $0 == teamID }
          _ = try RecordTable.update(db, volunteer, by: principal, at: time)
        }
        team.memberCount -= 1
        return try RecordTable.update(db, team, by: principal, at: time)
      }
    }
  }

  static func memberIDs(_ db: Database, team: String) throws -> [String] {
    try String.fetchAll(
      db, sql: "SELECT volunteer_id FROM team_member WHERE team_id = ? ORDER BY volunteer_id", arguments: [team])
  }
}

extension Governance_Volunteers_V1_Team: AuditedRecord {}
