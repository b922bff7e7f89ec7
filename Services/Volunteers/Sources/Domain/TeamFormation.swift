import GovernanceAPI
import ServiceKit

/// What a volunteer team must be to be formed: a named team of a known kind in one community.
public enum TeamFormation {
  public typealias Team = Governance_Volunteers_V1_Team

  /// The rule "a team belongs to one community": validates a new team and returns it ready to
  /// store, active and without members yet (members join through AddTeamMember).
  public static func validateNew(_ team: Team) throws(DomainError) -> Team {
    var validated = team
    validated.name = try FieldValidation.requiredName(team.name, field: "team.name")
    validated.details = try FieldValidation.optionalText(team.details, field: "team.details")
    let community = try DivisionCode(team.divisionCode, field: "team.division_code")
    guard community.level == .community else {
      throw DomainError.invalidArgument(
        field: "team.division_code", rule: "a team belongs to a community, got a \(community.level)")
    }
    validated.kind = try FieldValidation.requiredCase(
      team.kind, field: "team.kind", unspecified: .unspecified,
      known: Governance_Volunteers_V1_TeamKind.allCases.filter { $0 != .unspecified })
    if !team.leaderVolunteerID.isEmpty {
      validated.leaderVolunteerID = try FieldValidation.requiredID(
        team.leaderVolunteerID, field: "team.leader_volunteer_id")
    }
    for (index, id) in team.compoundIds.enumerated() {
      _ = try FieldValidation.requiredID(id, field: "team.compound_ids[\(index)]")
    }
    validated.memberCount = 0
    validated.active = true
    return validated
  }
}

extension TeamFormation {
  /// The rule "a team's leader is one of its members".
  public static func checkLeader(of team: Governance_Volunteers_V1_Team, leaderIsMember: Bool) throws(DomainError) {
    guard leaderIsMember else {
      throw DomainError.failedPrecondition(
        rule: "a team's leader is one of its members", detail: "\(team.leaderVolunteerID) is not a member of \(team.id)"
      )
    }
  }

  /// The rule "only a registered, active volunteer joins a team": the volunteer `field` names
  /// (`id`), as found; FAILED_PRECONDITION when there is none or they have withdrawn.
  public static func joiner(
    _ found: Governance_Volunteers_V1_Volunteer?, id: String, field: String
  ) throws(DomainError) -> Governance_Volunteers_V1_Volunteer {
    guard let found else {
      throw DomainError.failedPrecondition(rule: "\(field) names a registered volunteer", detail: "no volunteer \(id)")
    }
    guard found.active else {
      throw DomainError.failedPrecondition(rule: "only an active volunteer joins a team", detail: "\(id) has withdrawn")
    }
    return found
  }

  /// The rule "a disbanded team takes no members".
  public static func checkTakesMembers(_ team: Governance_Volunteers_V1_Team) throws(DomainError) {
    guard team.active else {
      throw DomainError.failedPrecondition(
        rule: "a disbanded team takes no members", detail: "team \(team.id) is disbanded")
    }
  }

  /// The rule "a team's leader is replaced before leaving".
  public static func checkLeaving(_ team: Governance_Volunteers_V1_Team, volunteerID: String) throws(DomainError) {
    guard team.leaderVolunteerID != volunteerID else {
      throw DomainError.failedPrecondition(
        rule: "a team's leader is replaced before leaving", detail: "\(volunteerID) leads \(team.id)")
    }
  }
}
