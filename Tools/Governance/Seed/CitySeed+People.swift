import GRPCCore
import GRPCNIOTransportHTTP2
import GovernanceAPI
import ServiceKit

// The people of the city and a year of their scores, loaded after the registers they belong to.
extension CitySeed {
  // MARK: - People and scores

  /// Grids before their workers and cases: a worker or a case is refused for a grid not yet
  /// registered.
  static func loadGrids(
    _ plan: CityPlan, _ client: Client, _ property: PropertyIDs, _ progress: some SeedProgress & Sendable
  ) async throws {
    let grid = Governance_Grid_V1_GridService.Client(wrapping: client)
    try await calls(plan.grids.count, of: "grid", progress) { index in
      let area = plan.grids[index]
      let compoundIDs = area.compounds.map { property.compounds[$0] }
      _ = try await grid.createGrid(
        .with {
          $0.requestID = plan.requestID("grid", area.code)
          $0.grid.gridCode = area.code
          $0.grid.name = area.name
          $0.grid.kind = .basic
          $0.grid.compoundIds = compoundIDs
          $0.grid.households = area.households
        })
    }
  }

  /// Returns the grid service's ids of the workers, by their index in the plan.
  static func loadWorkers(
    _ plan: CityPlan, _ client: Client, _ property: PropertyIDs, _ progress: some SeedProgress & Sendable
  ) async throws -> [String] {
    let grid = Governance_Grid_V1_GridService.Client(wrapping: client)
    return try await calls(plan.workers.count, of: "grid worker", progress) { index in
      let worker = plan.workers[index]
      let companyID = worker.company.map { property.companies[$0] } ?? ""
      return try await grid.createGridWorker(
        .with {
          $0.requestID = plan.requestID("worker", index)
          $0.worker.name = worker.name
          $0.worker.phone = worker.phone
          $0.worker.kind = worker.kind
          $0.worker.gridCodes = [plan.grids[worker.grid].code]
          $0.worker.propertyCompanyID = companyID
        }
      ).id
    }
  }

  /// The organisation service's ids of the party committees, and of the branches and members by
  /// their index in the plan.
  struct PartyIDs: Sendable {
    let committees: Committees
    let branches: [String]
    let members: [String]
  }

  /// The founding members first, since a compound branch is refused until three formal members
  /// live in its compound; then the branches; then everyone else, most of them in a branch.
  static func loadParty(
    _ plan: CityPlan, _ client: Client, _ committees: Committees, _ property: PropertyIDs,
    _ progress: some SeedProgress & Sendable
  ) async throws -> PartyIDs {
    let organisations = Governance_Organisation_V1_OrganisationService.Client(wrapping: client)
    let createMember: @Sendable (Int, String) async throws -> String = { index, organisationID in
      let member = plan.members[index]
      let homeID = member.homeCompound.map { property.compounds[$0] } ?? ""
      return try await organisations.createMember(
        .with {
          $0.requestID = plan.requestID("member", index)
          $0.member.contact.name = member.name
          $0.member.contact.phone = member.phone
          $0.member.kind = member.kind
          $0.member.standing = member.standing
          $0.member.organisationID = organisationID
          $0.member.homeCompoundID = homeID
          $0.member.workUnit = member.workUnit
          $0.member.skills = member.skills
          $0.member.joinedPartyDate = member.joined
        }
      ).id
    }
    let founders = try await calls(plan.foundingMembers, of: "founding party member", progress) { index in
      try await createMember(index, committees.communities[plan.members[index].community])
    }
    let branchIDs = try await calls(plan.branches.count, of: "party branch", progress) { index in
      let branch = plan.branches[index]
      let compoundID = branch.compound.map { property.compounds[$0] } ?? ""
      let coveredIDs = branch.covered.map { property.compounds[$0] }
      let companyIDs = branch.company.map { [property.companies[$0]] } ?? []
      let gridCode = branch.grid.map { plan.grids[$0].code } ?? ""
      return try await organisations.createOrganisation(
        .with {
          $0.requestID = plan.requestID("branch", index)
          $0.organisation.name = branch.name
          $0.organisation.level = .branch
          $0.organisation.branchKind = branch.kind
          $0.organisation.parentID = committees.communities[branch.community]
          // A grid branch serves its grid; every other branch serves the whole community.
          $0.organisation.divisionCode = gridCode.isEmpty ? plan.communities[branch.community].code : gridCode
          $0.organisation.gridCode = gridCode
          $0.organisation.compoundID = compoundID
          $0.organisation.coveredCompoundIds = coveredIDs
          $0.organisation.jointBasis = coveredIDs.isEmpty ? .unspecified : .area
          $0.organisation.propertyCompanyIds = companyIDs
        }
      ).id
    }
    let others = try await calls(plan.members.count - plan.foundingMembers, of: "party member", progress) { offset in
      let index = plan.foundingMembers + offset
      let member = plan.members[index]
      return try await createMember(
        index, member.branch.map { branchIDs[$0] } ?? committees.communities[member.community])
    }
    return PartyIDs(committees: committees, branches: branchIDs, members: founders + others)
  }

  /// The volunteers service's ids of the teams and volunteers, by their index in the plan.
  struct VolunteeringIDs: Sendable {
    let teams: [String]
    let volunteers: [String]
  }

  /// Residents and "five elders" only, so that no volunteer needs a party member checked with the
  /// organisation service; volunteers join the team of their community where it has one.
  static func loadVolunteers(
    _ plan: CityPlan, _ client: Client, _ property: PropertyIDs, _ progress: some SeedProgress & Sendable
  ) async throws -> VolunteeringIDs {
    let volunteering = Governance_Volunteers_V1_VolunteersService.Client(wrapping: client)
    let teamIDs = try await calls(plan.teams.count, of: "volunteer team", progress) { index in
      let team = plan.teams[index]
      let compoundIDs = team.compounds.map { property.compounds[$0] }
      return try await volunteering.createTeam(
        .with {
          $0.requestID = plan.requestID("team", index)
          $0.team.name = team.name
          $0.team.kind = team.kind
          $0.team.divisionCode = plan.communities[team.community].code
          $0.team.compoundIds = compoundIDs
        }
      ).id
    }
    let volunteerIDs = try await calls(plan.volunteers.count, of: "volunteer", progress) { index in
      let volunteer = plan.volunteers[index]
      let compoundID = volunteer.compound.map { property.compounds[$0] } ?? ""
      return try await volunteering.createVolunteer(
        .with {
          $0.requestID = plan.requestID("volunteer", index)
          $0.volunteer.divisionCode = plan.communities[volunteer.community].code
          $0.volunteer.contact.name = volunteer.name
          $0.volunteer.contact.phone = volunteer.phone
          $0.volunteer.kind = volunteer.kind
          $0.volunteer.skills = volunteer.skills
          $0.volunteer.compoundID = compoundID
        }
      ).id
    }
    try await calls(plan.teamMemberships.count, of: "team member", progress) { index in
      let membership = plan.teamMemberships[index]
      _ = try await volunteering.addTeamMember(
        .with {
          $0.requestID = plan.requestID("team-member", membership.volunteer)
          $0.teamID = teamIDs[membership.team]
          $0.volunteerID = volunteerIDs[membership.volunteer]
        })
    }
    return VolunteeringIDs(teams: teamIDs, volunteers: volunteerIDs)
  }

  /// A four-party panel per contracted compound and month, then the scores its seats give.
  static func loadScores(
    _ plan: CityPlan, _ client: Client, _ property: PropertyIDs, _ calendar: ScoringCalendar,
    _ progress: some SeedProgress & Sendable
  ) async throws {
    let evaluation = Governance_Evaluation_V1_EvaluationService.Client(wrapping: client)
    let panelIDs = try await calls(plan.panels.count, of: "panel", progress) { index in
      let panel = plan.panels[index]
      let contract = plan.contracts[panel.contract]
      let community = plan.communities[plan.compounds[contract.compound].community]
      return try await evaluation.createPanel(
        .with {
          $0.requestID = plan.requestID("panel", index)
          $0.panel.kind = .fourParty
          $0.panel.periodID = calendar.periods[CityPlan.periodIndex(district: community.district, month: panel.month)]
          $0.panel.divisionCode = community.code
          $0.panel.compoundID = property.compounds[contract.compound]
          $0.panel.companyID = property.companies[contract.company]
          $0.panel.members = plan.panelSeats(of: panel.contract)
        }
      ).id
    }
    try await calls(plan.scores.count, of: "score", progress) { index in
      let score = plan.scores[index]
      let panel = plan.panels[score.panel]
      let contract = plan.contracts[panel.contract]
      let district = plan.communities[plan.compounds[contract.compound].community].district
      let evaluatorID = plan.panelSeats(of: panel.contract)[score.seat].evaluatorID
      _ = try await evaluation.submitScore(
        .with {
          $0.requestID = plan.requestID("score", index)
          $0.panelID = panelIDs[score.panel]
          $0.itemID = calendar.items[CityPlan.itemIndex(district: district, item: score.item)]
          $0.periodID = calendar.periods[CityPlan.periodIndex(district: district, month: panel.month)]
          $0.companyID = property.companies[contract.company]
          $0.compoundID = property.compounds[contract.compound]
          $0.evaluatorID = evaluatorID
          $0.value = score.value
        })
    }
  }
}
