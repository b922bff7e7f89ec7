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
      validated.leaderVolunteerID = try FieldValidation.requiredID(team.leaderVolunteerID, field: "team.leader_volunteer_id")
    }
    for (index, id) in team.compoundIds.enumerated() {
      _ = try FieldValidation.requiredID(id, field: "team.compound_ids[\(index)]")
    }
    validated.memberCount = 0
    validated.active = true
    return validated
  }
}
