import GovernanceAPI
import ServiceKit
import Testing

@testable import Volunteers

/// The volunteers' rules a store checks inside its transactions, as plain functions.
@Suite("Volunteer, team, post, wish and call-out rules")
struct VolunteerRulesTests {
  let team = Governance_Volunteers_V1_Team.with {
    $0.id = "team_1"
    $0.active = true
    $0.leaderVolunteerID = "vol_lead"
  }
  let volunteer = Governance_Volunteers_V1_Volunteer.with {
    $0.id = "vol_1"
    $0.active = true
  }
  var disbanded: Governance_Volunteers_V1_Team {
    var copy = team
    copy.active = false
    return copy
  }
  var withdrawn: Governance_Volunteers_V1_Volunteer {
    var copy = volunteer
    copy.active = false
    return copy
  }

  @Test("a disbanded team is not called out, and a team is called out to its members")
  func aTeamIsCalledOutToItsMembers() throws {
    try Mobilisations.checkCalledOut(team)
    #expect(throws: DomainError.self) { try Mobilisations.checkCalledOut(disbanded) }
    try Mobilisations.checkMembersCalled(["vol_1"], team: team)
    #expect(throws: DomainError.self) { try Mobilisations.checkMembersCalled([], team: team) }
  }

  @Test("a call-out is stood down once")
  func aCallOutIsStoodDownOnce() throws {
    try Mobilisations.checkStandDown(.with { $0.state = .open })
    #expect(throws: DomainError.self) { try Mobilisations.checkStandDown(.with { $0.state = .closed }) }
  }

  @Test("a post is closed once; an active volunteer claims posts")
  func postsCloseOnceAndAreClaimedByActiveVolunteers() throws {
    try ServicePosts.checkClose(.with { $0.state = .open })
    #expect(throws: DomainError.self) { try ServicePosts.checkClose(.with { $0.state = .closed }) }
    try ServicePosts.checkClaimant(volunteer)
    #expect(throws: DomainError.self) { try ServicePosts.checkClaimant(withdrawn) }
  }

  @Test("service with a team is recorded for its members")
  func serviceWithATeamIsRecordedForItsMembers() throws {
    let record = Governance_Volunteers_V1_ServiceRecord.with {
      $0.volunteerID = "vol_1"
      $0.teamID = "team_1"
    }
    try ServiceHours.checkTeamService(record, volunteerIsMember: true)
    #expect(throws: DomainError.self) { try ServiceHours.checkTeamService(record, volunteerIsMember: false) }
  }

  @Test("a team's leader is one of its members and is replaced before leaving")
  func aTeamsLeaderIsAMemberAndIsReplacedBeforeLeaving() throws {
    try TeamFormation.checkLeader(of: team, leaderIsMember: true)
    #expect(throws: DomainError.self) { try TeamFormation.checkLeader(of: team, leaderIsMember: false) }
    try TeamFormation.checkLeaving(team, volunteerID: "vol_1")
    #expect(throws: DomainError.self) { try TeamFormation.checkLeaving(team, volunteerID: "vol_lead") }
  }

  @Test("only a registered, active volunteer joins a team, and a disbanded team takes no members")
  func onlyActiveVolunteersJoinActiveTeams() throws {
    #expect(try TeamFormation.joiner(volunteer, id: "vol_1", field: "volunteer_id") == volunteer)
    #expect(throws: DomainError.self) { try TeamFormation.joiner(nil, id: "vol_9", field: "volunteer_id") }
    #expect(throws: DomainError.self) { try TeamFormation.joiner(withdrawn, id: "vol_1", field: "volunteer_id") }
    try TeamFormation.checkTakesMembers(team)
    #expect(throws: DomainError.self) { try TeamFormation.checkTakesMembers(disbanded) }
  }

  @Test("an active volunteer or team claims wishes")
  func activeVolunteersAndTeamsClaimWishes() throws {
    try MicroWishWorkflow.checkClaimant(volunteer)
    try MicroWishWorkflow.checkClaimant(team)
    #expect(throws: DomainError.self) { try MicroWishWorkflow.checkClaimant(withdrawn) }
    #expect(throws: DomainError.self) { try MicroWishWorkflow.checkClaimant(disbanded) }
  }
}

@Suite("Request rules of the volunteers service")
struct VolunteerRequestRulesTests {
  let project = Governance_Volunteers_V1_ServiceProject.with {
    $0.divisionCode = "320113005001"
    $0.compoundID = "cmp_1"
    $0.kind = .project
    $0.name = "楼道清洁"
  }

  @Test("a project belongs to a compound of a community, is run by registered teams, under a brand of its compound")
  func aProjectBelongsToACompoundAndItsBrand() throws {
    #expect(try ServiceProjects.validate(project).name == "楼道清洁")
    var street = project
    street.divisionCode = "320113005000"
    #expect(throws: DomainError.self) { try ServiceProjects.validate(street) }
    #expect(throws: DomainError.self) { try ServiceProjects.checkTeam("team_9", index: 0, registered: false) }
    var brand = project
    brand.kind = .brand
    try ServiceProjects.checkBrand(brand, of: project)
    brand.compoundID = "cmp_2"
    #expect(throws: DomainError.self) { try ServiceProjects.checkBrand(brand, of: project) }
    #expect(throws: DomainError.self) { try ServiceProjects.checkBrand(nil, of: project) }
  }

  @Test("a call-out asks for 0 or more; an arrival estimate is 0 to 1,440 minutes")
  func callOutNumbersAreBounded() throws {
    try Mobilisations.checkNeeded(0)
    #expect(throws: DomainError.self) { try Mobilisations.checkNeeded(-1) }
    try Mobilisations.checkETA(1440)
    #expect(throws: DomainError.self) { try Mobilisations.checkETA(1441) }
  }

  func day(_ day: Int32) -> Governance_Common_V1_Date {
    .with {
      $0.year = 2026
      $0.month = 1
      $0.day = day
    }
  }

  @Test("a service record names registered records, and a span of service ends not before it starts")
  func serviceRecordsNameRegisteredRecordsAndSpans() throws {
    #expect(throws: DomainError.self) {
      try ServiceHours.checkReference("post_9", field: "record.post_id", registered: false)
    }
    try ServiceHours.checkSpan(from: day(1), to: day(2))
    #expect(throws: DomainError.self) {
      try ServiceHours.checkSpan(from: day(2), to: day(1))
    }
    #expect(
      MicroWishWorkflow.unknownClaimantKind
        == .invalidArgument(field: "claimant.kind", rule: "one of VOLUNTEER, TEAM or PAIRED_UNIT"))
  }
}
