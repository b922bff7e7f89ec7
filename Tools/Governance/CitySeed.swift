import GRPCCore
import GRPCNIOTransportHTTP2
import GovernanceAPI
import Property
import ServiceKit

/// A whole city loaded through the public APIs, the same city every time for one seed: Nanjing's
/// districts with their streets and communities, the party organisation from the district
/// committees down to branches and members, compounds, property companies and their contracts,
/// grids and their workers, volunteer teams, and a year of monthly four-party scoring.
///
/// The districts are Nanjing's without 栖霞区 (320113), which the demo city holds, so that both fit
/// in one system. The city's case history goes in through the grid service's ImportCases.
///
/// Every register request carries a `request_id` made of the seed and the entity, and holds only
/// what the seed draws or an earlier request returned, so loading the same seed again changes
/// no register; the archive of cases has no such key and is added again on every load.
enum CitySeed {
  typealias Client = GRPCClient<HTTP2ClientTransport.Posix>

  /// Calls of one kind in flight at once on a service's connection. HTTP/2 carries them all on
  /// one connection; this many keep the service's single database writer busy while other
  /// requests are decoded and answers travel back, and few enough that none waits long.
  static let window = 48

  /// Loads the city of `scale` drawn from `seed` into the services at `addresses`, as the
  /// operator holding the system's token key; returns a one-line summary.
  static func load(
    addresses: [ServiceIdentity: NetworkAddress], authority: TokenAuthority, scale: CityScale, seed: UInt64,
    historicalCases: Int, progress: SeedProgress
  ) async throws -> String {
    let plan = try CityPlan(scale: scale, seed: seed)
    let services = SeedConnections(addresses: addresses, authority: authority)

    // First the registers everything else points at: divisions, committees, compounds, companies,
    // contracts and the scoring calendar. Each service's chain runs beside the others.
    progress.begin(stage: "city registers", total: plan.registerCalls)
    async let divisions: Void = services.connect(.grid) { client in
      try await loadDivisions(plan, client, progress)
    }
    async let committees = services.connect(.organisation) { client in
      try await loadCommittees(plan, client, progress)
    }
    async let registers = services.connect(.property) { client in
      try await loadProperty(plan, client, progress)
    }
    async let calendar = services.connect(.evaluation) { client in
      try await loadCalendar(plan, client, progress)
    }
    let (_, committeeIDs, propertyIDs, calendarIDs) = try await (divisions, committees, registers, calendar)
    progress.end()

    // Then grids and their workers, party branches and members, volunteers, panels and scores,
    // which point at those registers: again one chain per service. The archive of cases goes
    // in as soon as the grids are there, beside the workers and the other services' chains: it
    // keeps the grid service's writer busy while the others take their share of the cores.
    progress.begin(stage: "people, scores, cases", total: plan.peopleCalls + historicalCases)
    async let gridsAndWorkers: Int64 = services.connect(.grid) { client in
      try await loadGrids(plan, client, propertyIDs, progress)
      async let workers: Void = loadWorkers(plan, client, propertyIDs, progress)
      async let archived = CaseArchive.load(
        historicalCases, into: addresses[.grid]!, authority: authority, seed: seed, progress: progress)
      return try await (workers, archived).1
    }
    async let party: Void = services.connect(.organisation) { client in
      try await loadParty(plan, client, committeeIDs, propertyIDs, progress)
    }
    async let volunteering: Void = services.connect(.volunteers) { client in
      try await loadVolunteers(plan, client, propertyIDs, progress)
    }
    async let scoring: Void = services.connect(.evaluation) { client in
      try await loadScores(plan, client, propertyIDs, calendarIDs, progress)
    }
    let (archived, _, _, _) = try await (gridsAndWorkers, party, volunteering, scoring)
    progress.end()

    let loaded = [
      "\(plan.divisionCount) divisions with their party committees",
      "\(plan.branches.count) branches with \(plan.members.count) party members",
      "\(plan.compounds.count) compounds", "\(plan.companies.count) property companies",
      "\(plan.contracts.count) contracts", "\(plan.grids.count) grids with \(plan.workers.count) workers",
      "\(plan.teams.count) volunteer teams", "\(plan.volunteers.count) volunteers",
      "\(plan.panels.count) panels with \(plan.scores.count) scores", "\(archived) historical cases",
    ]
    return "Nanjing (seed \(seed)): " + loaded.joined(separator: ", ")
  }

  /// Makes `count` calls of one kind, at most `window` at a time, and returns their answers in
  /// index order; the first failure stops the rest and names the kind and index that failed.
  @discardableResult
  static func calls<Answer: Sendable>(
    _ count: Int, of kind: String, _ progress: some SeedProgress & Sendable,
    _ call: @escaping @Sendable (Int) async throws -> Answer
  ) async throws -> [Answer] {
    let attempt: @Sendable (Int) async throws -> (Int, Answer) = { index in
      do {
        return (index, try await call(index))
      } catch {
        throw SeedError(description: "\(kind) \(index) of \(count) failed: \(error)")
      }
    }
    return try await withThrowingTaskGroup(of: (Int, Answer).self) { group in
      var answers = [Answer?](repeating: nil, count: count)
      var next = 0
      while next < min(count, window) {
        let index = next
        group.addTask { try await attempt(index) }
        next += 1
      }
      while let finished = try await group.next() {
        answers[finished.0] = finished.1
        progress.advance(by: 1)
        if next < count {
          let index = next
          group.addTask { try await attempt(index) }
          next += 1
        }
      }
      return answers.map { $0! }
    }
  }

  // MARK: - Registers

  /// One level at a time: a street is refused until its district is registered, a community
  /// until its street is.
  static func loadDivisions(_ plan: CityPlan, _ client: Client, _ progress: some SeedProgress & Sendable) async throws {
    let grid = Governance_Grid_V1_GridService.Client(wrapping: client)
    for level in plan.divisionLevels {
      try await calls(level.count, of: "division", progress) { index in
        _ = try await grid.createDivision(.with {
          $0.requestID = plan.requestID("division", level[index].code)
          $0.division.divisionCode = level[index].code
          $0.division.name = level[index].name
        })
      }
    }
  }

  /// The ids of the party committees, by the index of their division in the plan.
  struct Committees: Sendable {
    let districts: [String]
    let streets: [String]
    let communities: [String]
  }

  static func loadCommittees(_ plan: CityPlan, _ client: Client, _ progress: some SeedProgress & Sendable)
    async throws -> Committees
  {
    let organisations = Governance_Organisation_V1_OrganisationService.Client(wrapping: client)
    let districts = try await calls(plan.districts.count, of: "district committee", progress) { index in
      let district = plan.districts[index]
      return try await organisations.createOrganisation(.with {
        $0.requestID = plan.requestID("committee", district.code)
        $0.organisation.name = "中共南京市\(district.name)委员会"
        $0.organisation.level = .districtCommittee
        $0.organisation.divisionCode = district.code
      }).id
    }
    let streets = try await calls(plan.streets.count, of: "street working committee", progress) { index in
      let street = plan.streets[index]
      return try await organisations.createOrganisation(.with {
        $0.requestID = plan.requestID("committee", street.code)
        $0.organisation.name = "\(street.name)党工委"
        $0.organisation.level = .streetWorkingCommittee
        $0.organisation.divisionCode = street.code
        $0.organisation.parentID = districts[street.district]
      }).id
    }
    let communities = try await calls(plan.communities.count, of: "community committee", progress) { index in
      let community = plan.communities[index]
      return try await organisations.createOrganisation(.with {
        $0.requestID = plan.requestID("committee", community.code)
        $0.organisation.name = "\(community.name)党委"
        $0.organisation.level = .communityCommittee
        $0.organisation.divisionCode = community.code
        $0.organisation.parentID = streets[community.street]
      }).id
    }
    return Committees(districts: districts, streets: streets, communities: communities)
  }

  /// The property service's ids of the compounds and companies, by their index in the plan.
  struct PropertyIDs: Sendable {
    let compounds: [String]
    let companies: [String]
  }

  /// Service centres first, since compounds in fallback management name their street's centre;
  /// contracts last, since they bind a compound to a company.
  static func loadProperty(_ plan: CityPlan, _ client: Client, _ progress: some SeedProgress & Sendable)
    async throws -> PropertyIDs
  {
    let property = Governance_Property_V1_PropertyService.Client(wrapping: client)
    let centres = try await calls(plan.streets.count, of: "service centre", progress) { index in
      let street = plan.streets[index]
      return try await property.createServiceCentre(.with {
        $0.requestID = plan.requestID("centre", street.code)
        $0.centre.divisionCode = street.code
        $0.centre.name = "\(street.name)物业服务中心"
        $0.centre.basicServices = CityPlan.basicServices
      }).id
    }
    let compounds = try await calls(plan.compounds.count, of: "compound", progress) { index in
      let compound = plan.compounds[index]
      let community = plan.communities[compound.community]
      let mode = compound.managementMode
      return try await property.createCompound(.with {
        $0.requestID = plan.requestID("compound", index)
        $0.compound.name = compound.name
        $0.compound.divisionCode = community.code
        $0.compound.gridCodes = compound.gridCodes
        $0.compound.area = compound.area
        $0.compound.address = compound.address
        $0.compound.householdCount = compound.households
        $0.compound.kind = compound.kind
        $0.compound.managementMode = mode
        $0.compound.fallbackCentreID = mode == .fallback ? centres[community.street] : ""
        $0.compound.threeNo.noManagingUnit = compound.noManagingUnit
        $0.compound.threeNo.noSecurity = compound.noSecurity
      }).id
    }
    let companies = try await calls(plan.companies.count, of: "property company", progress) { index in
      let company = plan.companies[index]
      return try await property.createCompany(.with {
        $0.requestID = plan.requestID("company", index)
        $0.company.name = company.name
        $0.company.unifiedSocialCreditCode = company.creditCode
        $0.company.divisionCode = plan.districts[company.district].code
        $0.company.legalRepresentative = company.legalRepresentative
        $0.company.address = company.address
        $0.company.staffCount = company.staff
        $0.company.partyStatus = company.partyStatus
        $0.company.partyMemberCount = company.partyMembers
        $0.company.partyBuildingInstructor = company.instructor
        $0.company.creditLevel = company.creditLevel
      }).id
    }
    try await calls(plan.contracts.count, of: "contract", progress) { index in
      let contract = plan.contracts[index]
      _ = try await property.createContract(.with {
        $0.requestID = plan.requestID("contract", index)
        $0.contract.compoundID = compounds[contract.compound]
        $0.contract.companyID = companies[contract.company]
        if let vote = contract.ownersVote {
          $0.contract.selectionMethod = .ownersAssemblyVote
          $0.contract.ownersVote = vote
        } else {
          $0.contract.selectionMethod = .streetAgreement
        }
        $0.contract.signedDate = contract.trialStart
        $0.contract.trialStartDate = contract.trialStart
        $0.contract.termEndDate = contract.termEnd
        $0.contract.fee.fenPerSquareMetreMonth = contract.fenPerSquareMetreMonth
        $0.contract.standards.sevenHaves = CityPlan.sevenHaves
        $0.contract.standards.serviceGrade = contract.serviceGrade
      })
    }
    return PropertyIDs(compounds: compounds, companies: companies)
  }

  /// The evaluation service's ids of the scoring items and monthly periods, in the order of
  /// `CityPlan.itemIndex` and `CityPlan.periodIndex`.
  struct ScoringCalendar: Sendable {
    let items: [String]
    let periods: [String]
  }

  /// Each district sets its own scoring items, as the demo city's district does, and runs its own
  /// monthly periods.
  static func loadCalendar(_ plan: CityPlan, _ client: Client, _ progress: some SeedProgress & Sendable)
    async throws -> ScoringCalendar
  {
    let evaluation = Governance_Evaluation_V1_EvaluationService.Client(wrapping: client)
    let itemCount = CityPlan.scoringItems.count
    let items = try await calls(plan.districts.count * itemCount, of: "scoring item", progress) { index in
      let district = plan.districts[index / itemCount]
      let item = CityPlan.scoringItems[index % itemCount]
      return try await evaluation.createScoringItem(.with {
        $0.requestID = plan.requestID("item", "\(district.code)-\(item.code)")
        $0.item.code = item.code
        $0.item.name = item.name
        $0.item.use = .monthlySatisfaction
        $0.item.weight = item.weight
        $0.item.fullMarks = CityPlan.fullMarks
        $0.item.sortOrder = Int32(index % itemCount + 1)
        $0.item.divisionCode = district.code
      }).id
    }
    let monthCount = CityPlan.scoringMonths.count
    let periods = try await calls(plan.districts.count * monthCount, of: "period", progress) { index in
      let district = plan.districts[index / monthCount]
      let month = CityPlan.scoringMonths.lowerBound + index % monthCount
      return try await evaluation.createPeriod(.with {
        $0.requestID = plan.requestID("period", "\(district.code)-\(CityPlan.scoringYear)-\(month)")
        $0.period.divisionCode = district.code
        $0.period.kind = .monthly
        $0.period.year = CityPlan.scoringYear
        $0.period.number = Int32(month)
      }).id
    }
    return ScoringCalendar(items: items, periods: periods)
  }

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
      _ = try await grid.createGrid(.with {
        $0.requestID = plan.requestID("grid", area.code)
        $0.grid.gridCode = area.code
        $0.grid.name = area.name
        $0.grid.kind = .basic
        $0.grid.compoundIds = compoundIDs
        $0.grid.households = area.households
      })
    }
  }

  static func loadWorkers(
    _ plan: CityPlan, _ client: Client, _ property: PropertyIDs, _ progress: some SeedProgress & Sendable
  ) async throws {
    let grid = Governance_Grid_V1_GridService.Client(wrapping: client)
    try await calls(plan.workers.count, of: "grid worker", progress) { index in
      let worker = plan.workers[index]
      let companyID = worker.company.map { property.companies[$0] } ?? ""
      _ = try await grid.createGridWorker(.with {
        $0.requestID = plan.requestID("worker", index)
        $0.worker.name = worker.name
        $0.worker.phone = worker.phone
        $0.worker.kind = worker.kind
        $0.worker.gridCodes = [plan.grids[worker.grid].code]
        $0.worker.propertyCompanyID = companyID
      })
    }
  }

  /// The founding members first, since a compound branch is refused until three formal members
  /// live in its compound; then the branches; then everyone else, most of them in a branch.
  static func loadParty(
    _ plan: CityPlan, _ client: Client, _ committees: Committees, _ property: PropertyIDs,
    _ progress: some SeedProgress & Sendable
  ) async throws {
    let organisations = Governance_Organisation_V1_OrganisationService.Client(wrapping: client)
    let createMember: @Sendable (Int, String) async throws -> Void = { index, organisationID in
      let member = plan.members[index]
      let homeID = member.homeCompound.map { property.compounds[$0] } ?? ""
      _ = try await organisations.createMember(.with {
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
      })
    }
    try await calls(plan.foundingMembers, of: "founding party member", progress) { index in
      try await createMember(index, committees.communities[plan.members[index].community])
    }
    let branchIDs = try await calls(plan.branches.count, of: "party branch", progress) { index in
      let branch = plan.branches[index]
      let compoundID = branch.compound.map { property.compounds[$0] } ?? ""
      let coveredIDs = branch.covered.map { property.compounds[$0] }
      let companyIDs = branch.company.map { [property.companies[$0]] } ?? []
      let gridCode = branch.grid.map { plan.grids[$0].code } ?? ""
      return try await organisations.createOrganisation(.with {
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
      }).id
    }
    try await calls(plan.members.count - plan.foundingMembers, of: "party member", progress) { offset in
      let index = plan.foundingMembers + offset
      let member = plan.members[index]
      try await createMember(index, member.branch.map { branchIDs[$0] } ?? committees.communities[member.community])
    }
  }

  /// Residents and "five elders" only, so that no volunteer needs a party member checked with the
  /// organisation service; volunteers join the team of their community where it has one.
  static func loadVolunteers(
    _ plan: CityPlan, _ client: Client, _ property: PropertyIDs, _ progress: some SeedProgress & Sendable
  ) async throws {
    let volunteering = Governance_Volunteers_V1_VolunteersService.Client(wrapping: client)
    let teamIDs = try await calls(plan.teams.count, of: "volunteer team", progress) { index in
      let team = plan.teams[index]
      let compoundIDs = team.compounds.map { property.compounds[$0] }
      return try await volunteering.createTeam(.with {
        $0.requestID = plan.requestID("team", index)
        $0.team.name = team.name
        $0.team.kind = team.kind
        $0.team.divisionCode = plan.communities[team.community].code
        $0.team.compoundIds = compoundIDs
      }).id
    }
    let volunteerIDs = try await calls(plan.volunteers.count, of: "volunteer", progress) { index in
      let volunteer = plan.volunteers[index]
      let compoundID = volunteer.compound.map { property.compounds[$0] } ?? ""
      return try await volunteering.createVolunteer(.with {
        $0.requestID = plan.requestID("volunteer", index)
        $0.volunteer.divisionCode = plan.communities[volunteer.community].code
        $0.volunteer.contact.name = volunteer.name
        $0.volunteer.contact.phone = volunteer.phone
        $0.volunteer.kind = volunteer.kind
        $0.volunteer.skills = volunteer.skills
        $0.volunteer.compoundID = compoundID
      }).id
    }
    try await calls(plan.teamMemberships.count, of: "team member", progress) { index in
      let membership = plan.teamMemberships[index]
      _ = try await volunteering.addTeamMember(.with {
        $0.requestID = plan.requestID("team-member", membership.volunteer)
        $0.teamID = teamIDs[membership.team]
        $0.volunteerID = volunteerIDs[membership.volunteer]
      })
    }
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
      return try await evaluation.createPanel(.with {
        $0.requestID = plan.requestID("panel", index)
        $0.panel.kind = .fourParty
        $0.panel.periodID = calendar.periods[CityPlan.periodIndex(district: community.district, month: panel.month)]
        $0.panel.divisionCode = community.code
        $0.panel.compoundID = property.compounds[contract.compound]
        $0.panel.companyID = property.companies[contract.company]
        $0.panel.members = plan.panelSeats(of: panel.contract)
      }).id
    }
    try await calls(plan.scores.count, of: "score", progress) { index in
      let score = plan.scores[index]
      let panel = plan.panels[score.panel]
      let contract = plan.contracts[panel.contract]
      let district = plan.communities[plan.compounds[contract.compound].community].district
      let evaluatorID = plan.panelSeats(of: panel.contract)[score.seat].evaluatorID
      _ = try await evaluation.submitScore(.with {
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

/// Where the services are and the key that signs the operator's calls to them.
struct SeedConnections: Sendable {
  let addresses: [ServiceIdentity: NetworkAddress]
  let authority: TokenAuthority

  func connect<Result: Sendable>(
    _ identity: ServiceIdentity, _ body: @Sendable (CitySeed.Client) async throws -> Result
  ) async throws -> Result {
    guard let address = addresses[identity] else {
      throw SeedError(description: "no address for the \(identity.rawValue) service")
    }
    return try await OperatorClient.connect(to: address, authority: authority, body)
  }
}

/// Why a seed stopped: a scale its codes or name lists cannot hold, or the call that failed.
struct SeedError: Error, CustomStringConvertible {
  let description: String
}

/// How big a seeded city is.
struct CityScale: Sendable {
  var districts: Int
  var streets: Int
  var communities: Int
  var compounds: Int
  var propertyCompanies: Int
  var contractedCompounds: Int
  var grids: Int
  var gridWorkers: Int
  var partyBranches: Int
  var partyMembers: Int
  var volunteerTeams: Int
  var volunteers: Int
  /// At most this many; the monthly panels share them equally.
  var scoreSubmissions: Int

  /// A city of Nanjing's order.
  static let city = CityScale(
    districts: 10, streets: 101, communities: 589, compounds: 3_800, propertyCompanies: 2_900,
    contractedCompounds: 754, grids: 18_100, gridWorkers: 39_300, partyBranches: 1_583, partyMembers: 57_200,
    volunteerTeams: 278, volunteers: 6_000, scoreSubmissions: 40_000)

  /// The same city in miniature: one district, for tests of the generator and quick trials.
  static let town = CityScale(
    districts: 1, streets: 3, communities: 10, compounds: 60, propertyCompanies: 40, contractedCompounds: 12,
    grids: 200, gridWorkers: 400, partyBranches: 30, partyMembers: 600, volunteerTeams: 6, volunteers: 100,
    scoreSubmissions: 400)
}

/// Everything about the city except the ids the services give: every code, name, size and link,
/// drawn from the seed before the first call, so that the calls may run in parallel and in any
/// order and the same seed always sends the same requests. Entities point at one another by
/// their index in these arrays.
struct CityPlan: Sendable {
  struct District: Sendable {
    let code: String
    let name: String
  }

  struct Street: Sendable {
    let code: String
    let name: String
    let district: Int
  }

  struct Community: Sendable {
    let code: String
    let name: String
    let street: Int
    let district: Int
    var compounds = 0..<0
    var grids = 0..<0
    var branches = 0..<0
    /// Who sits for the community party committee on the panels of its compounds.
    var committeeEvaluator = ""
  }

  struct Compound: Sendable {
    let community: Int
    let name: String
    let kind: Governance_Property_V1_CompoundKind
    let households: Int32
    let address: String
    let noManagingUnit: Bool
    let noSecurity: Bool
    var gridCodes: [String] = []
    /// Set for the compounds of a joint branch: the rule forms one over neighbours of an area.
    var area = ""
    var contract: Int?

    /// How the compound is run as the seed finds it: a contracted compound waits for its joint
    /// acceptance to become professionally managed; old compounds and urban villages fall back on
    /// the street's service centre; work-unit compounds and small ones govern themselves.
    var managementMode: Governance_Property_V1_ManagementMode {
      if contract != nil { return .none }
      switch kind {
      case .old, .urbanVillage: return .fallback
      case .workUnitFamily: return .selfGoverned
      default: return households < 800 ? .selfGoverned : .none
      }
    }
  }

  struct Grid: Sendable {
    let community: Int
    let code: String
    let name: String
    var compounds: [Int] = []
    var households: Int32 = 0
  }

  struct Company: Sendable {
    let district: Int
    let name: String
    let creditCode: String
    let legalRepresentative: String
    let address: String
    let staff: Int32
    let partyStatus: Governance_Property_V1_CompanyPartyStatus
    let partyMembers: Int32
    let instructor: String
    let creditLevel: Governance_Property_V1_CreditLevel
  }

  struct Contract: Sendable {
    let compound: Int
    let company: Int
    /// Nil when the street arranged the choice instead of an owners' assembly.
    let ownersVote: Governance_Property_V1_OwnersAssemblyVote?
    let trialStart: Governance_Common_V1_Date
    let termEnd: Governance_Common_V1_Date
    let fenPerSquareMetreMonth: Int64
    let serviceGrade: String
    /// How well the company serves the compound, 0 to 1: the centre of its monthly scores.
    let quality: Double
    /// Who sits for the grid branch, the owners' committee and the party-mass representatives.
    let evaluators: [String]
  }

  struct Worker: Sendable {
    let grid: Int
    let name: String
    let phone: String
    let kind: Governance_Grid_V1_GridWorkerKind
    let company: Int?
  }

  struct Branch: Sendable {
    let community: Int
    let kind: Governance_Organisation_V1_BranchKind
    let name: String
    var compound: Int?
    var covered: [Int] = []
    var grid: Int?
    var company: Int?
  }

  struct Member: Sendable {
    let community: Int
    /// Nil for a member of the community committee itself.
    let branch: Int?
    let homeCompound: Int?
    let name: String
    let phone: String
    let kind: Governance_Organisation_V1_MemberKind
    let standing: Governance_Organisation_V1_MemberStanding
    let workUnit: String
    let skills: [String]
    let joined: Governance_Common_V1_Date
  }

  struct Team: Sendable {
    let community: Int
    let name: String
    let kind: Governance_Volunteers_V1_TeamKind
    let compounds: [Int]
  }

  struct Volunteer: Sendable {
    let community: Int
    let name: String
    let phone: String
    let kind: Governance_Volunteers_V1_VolunteerKind
    let skills: [String]
    let compound: Int?
  }

  struct Panel: Sendable {
    let contract: Int
    let month: Int
  }

  struct Score: Sendable {
    let panel: Int
    /// Index into `panelRoles` and `panelSeats(of:)`.
    let seat: Int
    /// Index into `scoringItems`.
    let item: Int
    let value: Double
  }

  let seed: UInt64
  var districts: [District] = []
  var streets: [Street] = []
  var communities: [Community] = []
  var compounds: [Compound] = []
  var grids: [Grid] = []
  var companies: [Company] = []
  var contracts: [Contract] = []
  var workers: [Worker] = []
  var branches: [Branch] = []
  /// The founders of the compound branches first (`foundingMembers` of them), then the others.
  var members: [Member] = []
  var foundingMembers = 0
  var teams: [Team] = []
  var volunteers: [Volunteer] = []
  var teamMemberships: [(volunteer: Int, team: Int)] = []
  var panels: [Panel] = []
  var scores: [Score] = []

  /// Nanjing's districts in code order, without 栖霞区, which the demo city holds.
  static let nanjingDistricts: [(code: String, name: String)] = [
    ("320102", "玄武区"), ("320104", "秦淮区"), ("320105", "建邺区"), ("320106", "鼓楼区"), ("320111", "浦口区"),
    ("320114", "雨花台区"), ("320115", "江宁区"), ("320116", "六合区"), ("320117", "溧水区"), ("320118", "高淳区"),
  ]
  static let scoringItems: [(code: String, name: String, weight: Double)] = [
    ("ENV", "环境卫生", 25), ("ORD", "公共秩序", 25), ("FAC", "设施维护", 20), ("GRN", "绿化养护", 15),
    ("SVC", "服务态度", 15),
  ]
  static let fullMarks = 10.0
  static let scoringYear: Int32 = 2026
  static let scoringMonths = 1...12
  static let panelRoles: [Governance_Evaluation_V1_PanelRole] = [
    .communityPartyCommittee, .gridBranch, .ownersCommittee, .partyMassRepresentative,
  ]
  /// The ten basic services a street's centre provides to compounds in fallback management.
  static let basicServices = [
    "垃圾日清", "管道畅通", "秩序维护", "公共照明", "绿化养护", "设施维修", "楼道保洁", "消防巡查", "车辆停放", "应急处置",
  ]
  static let sevenHaves = Governance_Property_V1_SevenHavesChecklist.with {
    let present = Governance_Property_V1_ChecklistItem.with { $0.satisfied = true }
    $0.gateStaff = present
    $0.surveillance = present
    $0.cleaning = present
    $0.facilityRepair = present
    $0.greening = present
    $0.security = present
    $0.parkingManagement = present
  }
  /// The organisation service's branch formation rule: a compound branch of its own needs this
  /// many formal members living in the compound.
  static let foundersPerBranch = 3

  static let compoundKinds: [(Governance_Property_V1_CompoundKind, Int)] = [
    (.commercialHousing, 45), (.old, 25), (.resettlement, 14), (.workUnitFamily, 10), (.urbanVillage, 6),
  ]
  static let largeCompanyParty: [(Governance_Property_V1_CompanyPartyStatus, Int)] = [
    (.ownOrganisation, 40), (.attached, 25), (.joint, 15), (.instructor, 15), (.none, 5),
  ]
  static let smallCompanyParty: [(Governance_Property_V1_CompanyPartyStatus, Int)] = [
    (.attached, 30), (.joint, 20), (.instructor, 30), (.none, 20),
  ]
  static let creditLevels: [(Governance_Property_V1_CreditLevel, Int)] = [
    (.aaa, 10), (.aa, 25), (.a, 40), (.b, 20), (.c, 5),
  ]
  static let memberKinds: [(Governance_Organisation_V1_MemberKind, Int)] = [
    (.retired, 35), (.inService, 27), (.directManaged, 18), (.floating, 12), (.pairedUnit, 8),
  ]
  static let teamKinds: [((Governance_Volunteers_V1_TeamKind, String), Int)] = [
    ((.partyVanguard, "党员先锋队"), 35), ((.volunteerService, "志愿服务队"), 30), ((.redButlerSquad, "红管家先锋突击队"), 20),
    ((.women, "巾帼志愿服务队"), 10), ((.other, "邻里互助队"), 5),
  ]
  static let functionalGroups = ["在职党员", "离退休党员", "流动党员", "直管党员"]

  init(scale: CityScale, seed: UInt64) throws {
    self.seed = seed
    try drawDivisions(scale)
    try drawCompoundsAndGrids(scale)
    try drawCompanies(scale)
    try drawContracts(scale)
    drawWorkers(scale)
    drawBranches(scale)
    try drawMembers(scale)
    try drawVolunteers(scale)
    drawScoring(scale)
  }

  func requestID(_ kind: String, _ key: String) -> String { "seed-\(seed)-\(kind)-\(key)" }

  func requestID(_ kind: String, _ index: Int) -> String { requestID(kind, String(index)) }

  static func itemIndex(district: Int, item: Int) -> Int { district * scoringItems.count + item }

  static func periodIndex(district: Int, month: Int) -> Int {
    district * scoringMonths.count + month - scoringMonths.lowerBound
  }

  var divisionLevels: [[(code: String, name: String)]] {
    [
      districts.map { (code: $0.code, name: $0.name) }, streets.map { (code: $0.code, name: $0.name) },
      communities.map { (code: $0.code, name: $0.name) },
    ]
  }

  var divisionCount: Int { districts.count + streets.count + communities.count }

  /// The calls of the first stage: divisions and committees, centres, compounds, companies,
  /// contracts, scoring items and periods.
  var registerCalls: Int {
    2 * divisionCount + streets.count + compounds.count + companies.count + contracts.count
      + districts.count * (Self.scoringItems.count + Self.scoringMonths.count)
  }

  /// The calls of the second stage.
  var peopleCalls: Int {
    grids.count + workers.count + branches.count + members.count + teams.count + volunteers.count
      + teamMemberships.count + panels.count + scores.count
  }

  /// The four seats of a contracted compound's monthly panel. The community party committee's
  /// evaluator sits on the panels of every compound of the community; the others on one
  /// compound's.
  func panelSeats(of contract: Int) -> [Governance_Evaluation_V1_PanelMember] {
    let entry = contracts[contract]
    let compound = compounds[entry.compound]
    let community = communities[compound.community]
    let seats: [(id: String, name: String, represents: String)] = [
      ("user:evaluator-\(community.code)-committee", community.committeeEvaluator, "\(community.name)党委"),
      ("user:evaluator-compound-\(entry.compound)-grid-branch", entry.evaluators[0], "\(compound.name)所在网格党支部"),
      ("user:evaluator-compound-\(entry.compound)-owners", entry.evaluators[1], "\(compound.name)业主委员会"),
      ("user:evaluator-compound-\(entry.compound)-representative", entry.evaluators[2], "\(compound.name)党群代表"),
    ]
    return zip(Self.panelRoles, seats).map { role, seat in
      Governance_Evaluation_V1_PanelMember.with {
        $0.evaluatorID = seat.id
        $0.name = seat.name
        $0.role = role
        $0.represents = seat.represents
      }
    }
  }

  // MARK: - Drawing

  private mutating func drawDivisions(_ scale: CityScale) throws {
    try Self.require(
      (1...Self.nanjingDistricts.count).contains(scale.districts),
      "a seeded city has 1 to \(Self.nanjingDistricts.count) districts, not \(scale.districts)")
    try Self.require(
      scale.streets >= scale.districts && scale.communities >= scale.streets,
      "every district needs a street and every street a community")
    var rng = SplitMix64(seed: seed, stream: .divisions)
    districts = Self.nanjingDistricts.prefix(scale.districts).map { District(code: $0.code + "000000", name: $0.name) }
    let streetNames = try ChineseNames.unique(scale.streets, suffixes: ["街道"], using: &rng)
    let streetWeights = rng.weights(districts.count)
    let streetCounts = try Self.numbered(
      Self.apportion(scale.streets, weights: streetWeights, minimum: 1), "streets of a district")
    for (district, count) in streetCounts.enumerated() {
      let prefix = String(districts[district].code.prefix(6))
      for number in 1...count {
        let code = prefix + Self.digits(number, count: 3) + "000"
        streets.append(Street(code: code, name: streetNames[streets.count], district: district))
      }
    }
    let communityNames = try ChineseNames.unique(scale.communities, suffixes: ["社区"], using: &rng)
    let communityWeights = rng.weights(streets.count)
    let communityCounts = try Self.numbered(
      Self.apportion(scale.communities, weights: communityWeights, minimum: 1), "communities of a street")
    for (street, count) in communityCounts.enumerated() {
      let prefix = String(streets[street].code.prefix(9))
      for number in 1...count {
        communities.append(Community(
          code: prefix + Self.digits(number, count: 3), name: communityNames[communities.count], street: street,
          district: streets[street].district))
      }
    }
  }

  private mutating func drawCompoundsAndGrids(_ scale: CityScale) throws {
    try Self.require(
      scale.compounds >= communities.count && scale.grids >= communities.count,
      "every community needs a compound and a grid")
    var rng = SplitMix64(seed: seed, stream: .compounds)
    let compoundWeights = rng.weights(communities.count)
    for (community, count) in Self.apportion(scale.compounds, weights: compoundWeights, minimum: 1).enumerated() {
      let first = compounds.count
      let district = districts[communities[community].district].name
      for _ in 0..<count {
        compounds.append(Self.drawCompound(in: community, district: district, using: &rng))
      }
      communities[community].compounds = first..<compounds.count
    }
    // Grids are drawn in proportion to households, plus a share for shops and streets.
    let gridWeights = communities.map { community in
      community.compounds.reduce(300.0) { $0 + Double(compounds[$1].households) }
    }
    let gridCounts = try Self.numbered(
      Self.apportion(scale.grids, weights: gridWeights, minimum: 1), "grids of a community")
    for (community, count) in gridCounts.enumerated() {
      let place = communities[community]
      let first = grids.count
      for number in 1...count {
        let code = place.code + Self.digits(number, count: 3)
        grids.append(Grid(community: community, code: code, name: "\(place.name)第\(number)网格"))
      }
      communities[community].grids = first..<grids.count
      link(grids: first..<grids.count, compounds: place.compounds)
    }
  }

  /// Walks a community's grids and compounds in step, so that a big compound spans several whole
  /// grids and small ones share a grid; a grid counts the households of the compound parts it
  /// covers.
  private mutating func link(grids area: Range<Int>, compounds housing: Range<Int>) {
    let steps = max(area.count, housing.count)
    let links = (0..<steps).map { step in
      (grid: area.lowerBound + step * area.count / steps, compound: housing.lowerBound + step * housing.count / steps)
    }
    for link in links {
      let code = grids[link.grid].code
      grids[link.grid].compounds.append(link.compound)
      compounds[link.compound].gridCodes.append(code)
    }
    for link in links {
      let share = compounds[link.compound].households / Int32(compounds[link.compound].gridCodes.count)
      grids[link.grid].households += share
    }
  }

  private static func drawCompound(in community: Int, district: String, using rng: inout SplitMix64) -> Compound {
    let kind = rng.weighted(compoundKinds)
    let estate = ChineseNames.place(&rng, ChineseNames.compoundFirst, ChineseNames.compoundSecond)
    let place = ChineseNames.place(&rng, ChineseNames.placeFirst, ChineseNames.placeSecond)
    let drawn: (households: ClosedRange<Int>, name: String) =
      switch kind {
      case .old: (120...900, place + rng.pick(["新村", "小区", "里"]))
      case .resettlement: (400...2_400, estate + rng.pick(["安置小区", "新寓", "保障房小区"]))
      case .workUnitFamily:
        (60...480, place + rng.pick(ChineseNames.workUnitSites) + rng.pick(["宿舍", "家属院", "职工新村"]))
      case .urbanVillage: (150...1_200, place + "村")
      default: (300...2_800, estate + rng.pick(["花园", "雅苑", "名邸", "华府", "家园", "翠苑", "雅居", "公馆"]))
      }
    let road = ChineseNames.place(&rng, ChineseNames.placeFirst, ChineseNames.placeSecond)
    let number = rng.between(1...399)
    let runDown = kind == .old || kind == .urbanVillage
    let noManagingUnit = runDown && rng.chance(0.5)
    let noSecurity = runDown && rng.chance(0.35)
    return Compound(
      community: community, name: drawn.name, kind: kind, households: Int32(rng.between(drawn.households)),
      address: "\(district)\(road)路\(number)号", noManagingUnit: noManagingUnit, noSecurity: noSecurity)
  }

  private mutating func drawCompanies(_ scale: CityScale) throws {
    var rng = SplitMix64(seed: seed, stream: .companies)
    let names = try ChineseNames.unique(
      scale.propertyCompanies, prefix: "南京", first: ChineseNames.brandFirst, second: ChineseNames.brandSecond,
      suffixes: ChineseNames.companySuffixes, using: &rng)
    // Companies are registered where the compounds are.
    var housing = [Double](repeating: 1, count: districts.count)
    for compound in compounds { housing[communities[compound.community].district] += 1 }
    // The organisation serials step by a number coprime with 10^8, so no two companies share a
    // credit code.
    let offset = rng.below(100_000_000)
    for (district, count) in Self.apportion(scale.propertyCompanies, weights: housing, minimum: 0).enumerated() {
      for _ in 0..<count {
        let serial = (companies.count * 7_368_787 + offset) % 100_000_000
        companies.append(Self.drawCompany(
          name: names[companies.count], district: district, in: districts[district], serial: serial, using: &rng))
      }
    }
  }

  /// A company under the 25-staff rule: the large ones mostly have party members of their own,
  /// the small ones attach to, join or are guided by a party organisation.
  private static func drawCompany(
    name: String, district: Int, in place: District, serial: Int, using rng: inout SplitMix64
  ) -> Company {
    let large = rng.chance(0.45)
    let staff = Int32(large ? rng.between(25...320) : rng.between(3...24))
    let partyStatus = rng.weighted(large ? largeCompanyParty : smallCompanyParty)
    let partyMembers: Int32 =
      switch partyStatus {
      case .ownOrganisation: Int32(rng.between(3...max(3, Int(staff) / 6)))
      case .attached, .joint: Int32(rng.between(large ? 1...4 : 0...2))
      default: 0
      }
    let legalRepresentative = ChineseNames.person(&rng)
    let instructor = partyStatus == .instructor ? ChineseNames.person(&rng) : ""
    let road = ChineseNames.place(&rng, ChineseNames.placeFirst, ChineseNames.placeSecond)
    let number = rng.between(1...599)
    return Company(
      district: district, name: name, creditCode: creditCode(district: place.code, serial: serial),
      legalRepresentative: legalRepresentative, address: "\(place.name)\(road)路\(number)号", staff: staff,
      partyStatus: partyStatus, partyMembers: partyMembers, instructor: instructor,
      creditLevel: rng.weighted(creditLevels))
  }

  /// A unified social credit code (GB 32100) of a company registered in `district`: 9 (market
  /// regulation), 1 (enterprise), the district's six digits, a nine-character organisation code
  /// (GB 11714: eight digits and their check character), and the check character the property
  /// service verifies, by the property service's own function.
  static func creditCode(district: String, serial: Int) -> String {
    let organisation = digits(serial, count: 8)
    let weighted = zip(organisation, [3, 7, 9, 10, 5, 8, 4, 2]).reduce(0) { $0 + $1.0.wholeNumberValue! * $1.1 }
    let check = (11 - weighted % 11) % 11
    let body = "91\(district.prefix(6))\(organisation)\(check == 10 ? "X" : String(check))"
    return body + String(UnifiedSocialCreditCode.checkCharacter(for: body)!)
  }

  private mutating func drawContracts(_ scale: CityScale) throws {
    try Self.require(scale.contractedCompounds <= compounds.count, "more contracted compounds than compounds")
    try Self.require(scale.contractedCompounds == 0 || !companies.isEmpty, "contracts need property companies")
    var rng = SplitMix64(seed: seed, stream: .contracts)
    // Companies sign where professional management pays: commercial and resettlement housing first.
    let paying: Set<Governance_Property_V1_CompoundKind> = [.commercialHousing, .resettlement]
    let preferred = compounds.indices.filter { paying.contains(compounds[$0].kind) }
    let others = compounds.indices.filter { !paying.contains(compounds[$0].kind) }
    let fromPreferred = min(scale.contractedCompounds, preferred.count)
    var signed = rng.sample(fromPreferred, from: preferred)
    signed += rng.sample(scale.contractedCompounds - fromPreferred, from: others)
    var companiesOfDistrict = [[Int]](repeating: [], count: districts.count)
    for (index, company) in companies.enumerated() { companiesOfDistrict[company.district].append(index) }
    for compound in signed.sorted() {
      // A company mostly serves the district where it is registered.
      let local = companiesOfDistrict[communities[compounds[compound].community].district]
      let company = local.isEmpty ? rng.below(companies.count) : rng.pick(local)
      compounds[compound].contract = contracts.count
      contracts.append(Self.drawContract(of: compound, compounds[compound], with: company, using: &rng))
    }
  }

  private static func drawContract(
    of index: Int, _ compound: Compound, with company: Int, using rng: inout SplitMix64
  ) -> Contract {
    let month = rng.between(1...12)
    var ownersVote: Governance_Property_V1_OwnersAssemblyVote?
    // Most owners' assemblies choose by vote, with more than half of the owners and of the area
    // in favour as the regulation asks; the street arranges the rest.
    if rng.chance(0.6) {
      let owners = compound.households
      let inFavour = owners / 2 + 1 + Int32(rng.below(Int(owners) / 3 + 1))
      let area = Double(owners) * Double(rng.between(70...120))
      let share = Double(inFavour) / Double(owners)
      ownersVote = Governance_Property_V1_OwnersAssemblyVote.with {
        $0.voteDate = month == 1 ? date(2024, 12, 15) : date(2025, month - 1, 15)
        $0.ownersTotal = owners
        $0.ownersInFavour = inFavour
        $0.areaTotalSquareMetres = area
        $0.areaInFavourSquareMetres = (area * min(1, share + 0.01)).rounded()
      }
    }
    let fen = compound.kind == .commercialHousing ? rng.between(150...450) : rng.between(60...240)
    let serviceGrade = rng.pick(["一级", "二级", "三级"])
    let quality = 0.6 + 0.35 * rng.unit()
    let evaluators = (0..<3).map { _ in ChineseNames.person(&rng) }
    return Contract(
      compound: index, company: company, ownersVote: ownersVote, trialStart: date(2025, month, 1),
      termEnd: date(2028, month, 1), fenPerSquareMetreMonth: Int64(fen), serviceGrade: serviceGrade,
      quality: quality, evaluators: evaluators)
  }

  /// A full-time worker first in every grid, then part-time party members; where a compound of
  /// the grid is under contract, its company's staff serve as the third worker.
  private mutating func drawWorkers(_ scale: CityScale) {
    var rng = SplitMix64(seed: seed, stream: .workers)
    let weights = grids.map { Double($0.households) + 200 }
    let counts = Self.apportion(scale.gridWorkers, weights: weights, minimum: scale.gridWorkers >= grids.count ? 1 : 0)
    for (grid, count) in counts.enumerated() {
      let company = grids[grid].compounds.compactMap { compounds[$0].contract }.first.map { contracts[$0].company }
      for slot in 0..<count {
        let kind: Governance_Grid_V1_GridWorkerKind =
          switch slot {
          case 0: .fullTime
          case 2 where company != nil: .propertyStaff
          default: .partTimePartyMember
          }
        let name = ChineseNames.person(&rng)
        let phone = ChineseNames.mobile(&rng)
        workers.append(Worker(
          grid: grid, name: name, phone: phone, kind: kind, company: kind == .propertyStaff ? company : nil))
      }
    }
  }

  /// Bigger communities get more branches.
  private mutating func drawBranches(_ scale: CityScale) {
    let weights = communities.map { Double($0.compounds.count) + Double($0.grids.count) / 4 }
    for (community, count) in Self.apportion(scale.partyBranches, weights: weights, minimum: 0).enumerated() {
      let first = branches.count
      formBranches(count, of: community)
      communities[community].branches = first..<branches.count
    }
  }

  /// A community's branches after the formation rule: its biggest compound gets a branch of its
  /// own (一小区一支部), then a grid gets a grid branch; further branches are, varying from one
  /// community to the next, a joint branch of its smallest compounds over their area, the branch
  /// of a company's project in the community, a functional branch, or another compound branch.
  /// What cannot be formed becomes a grid branch, or else a functional one.
  private mutating func formBranches(_ count: Int, of community: Int) {
    let place = communities[community]
    // Biggest first: compound branches take from the front, joint branches gather the back.
    var unbranched = place.compounds.sorted { a, b in
      compounds[a].households != compounds[b].households ? compounds[a].households > compounds[b].households : a < b
    }
    var unbranchedCompanies: [Int] = []
    for compound in place.compounds {
      if let contract = compounds[compound].contract, !unbranchedCompanies.contains(contracts[contract].company) {
        unbranchedCompanies.append(contracts[contract].company)
      }
    }
    var nextGrid = place.grids.lowerBound
    var areas = 0
    var functional = 0
    let rotation: [Governance_Organisation_V1_BranchKind] = [.joint, .propertyCompany, .functional, .compound]
    for slot in 0..<count {
      let wanted: Governance_Organisation_V1_BranchKind =
        switch slot {
        case 0: .compound
        case 1: .grid
        default: rotation[(community + slot) % rotation.count]
        }
      choosing: for kind in [wanted, .grid, .functional] {
        switch kind {
        case .compound where !unbranched.isEmpty:
          let compound = unbranched.removeFirst()
          branches.append(Branch(
            community: community, kind: .compound, name: "\(compounds[compound].name)党支部", compound: compound))
        case .joint where unbranched.count >= 2:
          let covered = Array(unbranched.suffix(3))
          unbranched.removeLast(covered.count)
          areas += 1
          for compound in covered { compounds[compound].area = "\(place.name)第\(areas)片区" }
          branches.append(Branch(
            community: community, kind: .joint, name: "\(compounds[covered[0]].name)等\(covered.count)个小区联合党支部",
            covered: covered))
        case .propertyCompany where !unbranchedCompanies.isEmpty:
          let company = unbranchedCompanies.removeFirst()
          branches.append(Branch(
            community: community, kind: .propertyCompany, name: "\(companies[company].name)\(place.name)项目党支部",
            company: company))
        case .grid where nextGrid < place.grids.upperBound:
          branches.append(Branch(
            community: community, kind: .grid, name: "\(grids[nextGrid].name)党支部", grid: nextGrid))
          nextGrid += 1
        case .functional:
          let group = Self.functionalGroups[functional % Self.functionalGroups.count]
          functional += 1
          branches.append(Branch(community: community, kind: .functional, name: "\(place.name)\(group)功能型党支部"))
        default:
          continue choosing
        }
        break choosing
      }
    }
  }

  private mutating func drawMembers(_ scale: CityScale) throws {
    var rng = SplitMix64(seed: seed, stream: .members)
    // The founders of each compound branch live in its compound and belong to the community
    // committee, since the branch cannot exist before them; they stay there.
    for branch in branches where branch.kind == .compound {
      for _ in 0..<Self.foundersPerBranch {
        let kind: Governance_Organisation_V1_MemberKind = rng.chance(0.5) ? .retired : .directManaged
        members.append(Self.drawMember(
          community: branch.community, branch: nil, home: branch.compound, kind: kind, standing: .formal,
          using: &rng))
      }
    }
    foundingMembers = members.count
    try Self.require(
      scale.partyMembers >= foundingMembers,
      "\(scale.partyMembers) party members cannot found \(foundingMembers / Self.foundersPerBranch) compound branches")
    let weights = communities.map { community in
      community.compounds.reduce(100.0) { $0 + Double(compounds[$1].households) }
    }
    for (community, count) in Self.apportion(scale.partyMembers - foundingMembers, weights: weights, minimum: 0)
      .enumerated()
    {
      let place = communities[community]
      // The compounds of a joint branch keep fewer formal residents each than a branch of their
      // own needs, as the rule found them; everyone else lives in the community's other compounds.
      let open = place.compounds.filter { compounds[$0].area.isEmpty }
      var formalResidents: [Int: Int] = [:]
      for _ in 0..<count {
        let branchIndex: Int? =
          place.branches.isEmpty || rng.chance(0.12) ? nil : place.branches.lowerBound + rng.below(place.branches.count)
        let kind = rng.weighted(Self.memberKinds)
        let standing: Governance_Organisation_V1_MemberStanding = rng.chance(0.92) ? .formal : .probationary
        var home: Int?
        // Floating members live elsewhere.
        if kind != .floating {
          switch branchIndex.map({ branches[$0] }) {
          case let branch? where branch.kind == .compound:
            home = branch.compound
          case let branch? where branch.kind == .joint:
            home = branch.covered.first {
              standing == .probationary || formalResidents[$0, default: 0] < Self.foundersPerBranch - 1
            }
          case let branch? where branch.kind == .grid:
            let near = branch.grid.map { grids[$0].compounds.filter { open.contains($0) } } ?? []
            home = near.isEmpty ? rng.pickIfAny(open) : rng.pick(near)
          default:
            home = rng.chance(0.85) ? rng.pickIfAny(open) : nil
          }
        }
        if let home, standing == .formal { formalResidents[home, default: 0] += 1 }
        members.append(Self.drawMember(
          community: community, branch: branchIndex, home: home, kind: kind, standing: standing, using: &rng))
      }
    }
  }

  private static func drawMember(
    community: Int, branch: Int?, home: Int?, kind: Governance_Organisation_V1_MemberKind,
    standing: Governance_Organisation_V1_MemberStanding, using rng: inout SplitMix64
  ) -> Member {
    let name = ChineseNames.person(&rng)
    let phone = ChineseNames.mobile(&rng)
    let workUnit = kind == .inService || kind == .pairedUnit ? rng.pick(ChineseNames.workUnits) : ""
    let skills: [String] = rng.chance(0.25) ? [rng.pick(ChineseNames.memberSkills)] : []
    // A probationary member joined within the year before the seed; retired members long ago.
    let year =
      standing == .probationary ? 2025 : kind == .retired ? rng.between(1960...1999) : rng.between(1985...2024)
    let month = rng.between(1...12)
    let day = rng.between(1...28)
    return Member(
      community: community, branch: branch, homeCompound: home, name: name, phone: phone, kind: kind,
      standing: standing, workUnit: workUnit, skills: skills, joined: date(year, month, day))
  }

  private mutating func drawVolunteers(_ scale: CityScale) throws {
    try Self.require(scale.volunteerTeams <= communities.count, "at most one volunteer team per community")
    var rng = SplitMix64(seed: seed, stream: .volunteers)
    var teamOfCommunity = [Int?](repeating: nil, count: communities.count)
    for community in rng.sample(scale.volunteerTeams, from: Array(communities.indices)).sorted() {
      let place = communities[community]
      let (kind, suffix) = rng.weighted(Self.teamKinds)
      teamOfCommunity[community] = teams.count
      teams.append(Team(
        community: community, name: place.name + suffix, kind: kind, compounds: Array(place.compounds.prefix(3))))
    }
    for _ in 0..<scale.volunteers {
      let community = rng.below(communities.count)
      let housing = communities[community].compounds
      let kind: Governance_Volunteers_V1_VolunteerKind = rng.chance(0.2) ? .fiveElders : .resident
      var skills: [String] = []
      for _ in 0..<rng.below(3) {
        let tag = rng.pick(ChineseNames.volunteerSkills)
        if !skills.contains(tag) { skills.append(tag) }
      }
      let name = ChineseNames.person(&rng)
      let phone = ChineseNames.mobile(&rng)
      let home: Int? = rng.chance(0.8) ? housing.lowerBound + rng.below(housing.count) : nil
      if let team = teamOfCommunity[community] { teamMemberships.append((volunteer: volunteers.count, team: team)) }
      volunteers.append(Volunteer(
        community: community, name: name, phone: phone, kind: kind, skills: skills, compound: home))
    }
  }

  /// A panel per contracted compound and month; the score budget is shared equally by the panels.
  private mutating func drawScoring(_ scale: CityScale) {
    var rng = SplitMix64(seed: seed, stream: .scoring)
    for index in communities.indices { communities[index].committeeEvaluator = ChineseNames.person(&rng) }
    for contract in contracts.indices {
      for month in Self.scoringMonths { panels.append(Panel(contract: contract, month: month)) }
    }
    let seatCount = Self.panelRoles.count
    let pairs = seatCount * Self.scoringItems.count
    let perPanel = panels.isEmpty ? 0 : min(pairs, scale.scoreSubmissions / panels.count)
    for (index, panel) in panels.enumerated() {
      let quality = contracts[panel.contract].quality
      for slot in 0..<perPanel {
        // Consecutive pairs are different seats, each on its own item; from one month to the next
        // the items move on, so that over the year every seat scores every item.
        let pair = (index * perPanel + slot) % pairs
        let seat = pair % seatCount
        let item = (pair / seatCount + seat) % Self.scoringItems.count
        let marks = min(Self.fullMarks, max(0, Self.fullMarks * quality + (rng.unit() - 0.5) * 2))
        scores.append(Score(panel: index, seat: seat, item: item, value: (marks * 2).rounded() / 2))
      }
    }
  }

  // MARK: - Arithmetic

  /// Splits `total` into parts in proportion to `weights` (all positive), each at least
  /// `minimum`. A part is where the running share of the rest reaches, rounded, less where the
  /// part before it reached, and the last reaches the whole rest: the parts add up to `total`
  /// exactly, and none is negative.
  static func apportion(_ total: Int, weights: [Double], minimum: Int) -> [Int] {
    let rest = total - minimum * weights.count
    let sum = weights.reduce(0, +)
    var parts: [Int] = []
    var running = 0.0
    var reachedBefore = 0
    for (index, weight) in weights.enumerated() {
      running += weight
      let reached = index == weights.count - 1 ? rest : Int((Double(rest) * running / sum).rounded())
      parts.append(minimum + reached - reachedBefore)
      reachedBefore = reached
    }
    return parts
  }

  /// Division codes number streets, communities and grids with three digits.
  private static func numbered(_ counts: [Int], _ what: String) throws -> [Int] {
    try require(counts.allSatisfy { $0 <= 999 }, "at most 999 \(what), the codes have three digits")
    return counts
  }

  private static func require(_ condition: Bool, _ rule: String) throws {
    guard condition else { throw SeedError(description: "cannot seed this scale: \(rule)") }
  }

  static func digits(_ number: Int, count: Int) -> String {
    let text = String(number)
    return String(repeating: "0", count: max(0, count - text.count)) + text
  }

  static func date(_ year: Int, _ month: Int, _ day: Int) -> Governance_Common_V1_Date {
    .with {
      $0.year = Int32(year)
      $0.month = Int32(month)
      $0.day = Int32(day)
    }
  }
}

/// SplitMix64 (Steele, Lea and Flood, 2014): a small, fast generator whose every output follows
/// from its seed.
///
/// The draws are computed here rather than by the standard library's `random(in:using:)` or
/// `shuffled(using:)`, whose algorithms may change between Swift releases: that would change the
/// city a seed gives, and a rerun must send the very requests the first run sent.
struct SplitMix64: RandomNumberGenerator {
  /// Separate draws for each part of the plan, so that changing how one part is drawn leaves the
  /// others as they were.
  enum Stream: UInt64 {
    case divisions = 1, compounds, companies, contracts, workers, members, volunteers, scoring
  }

  private var state: UInt64

  init(seed: UInt64) {
    state = seed
  }

  init(seed: UInt64, stream: Stream) {
    self.init(seed: seed ^ (stream.rawValue &* 0xD1B5_4A32_D192_ED03))
  }

  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var mixed = state
    mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
    mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
    return mixed ^ (mixed >> 31)
  }

  /// A number in `0..<bound`; `bound` is positive.
  mutating func below(_ bound: Int) -> Int {
    Int(UInt64(bound).multipliedFullWidth(by: next()).high)
  }

  mutating func between(_ range: ClosedRange<Int>) -> Int {
    range.lowerBound + below(range.count)
  }

  /// A number in [0, 1).
  mutating func unit() -> Double {
    Double(next() >> 11) * 0x1p-53
  }

  mutating func chance(_ probability: Double) -> Bool {
    unit() < probability
  }

  mutating func pick<Element>(_ items: [Element]) -> Element {
    items[below(items.count)]
  }

  mutating func pickIfAny<Element>(_ items: [Element]) -> Element? {
    items.isEmpty ? nil : pick(items)
  }

  /// One of `choices`, each as likely as its weight.
  mutating func weighted<Choice>(_ choices: [(Choice, Int)]) -> Choice {
    var ticket = below(choices.reduce(0) { $0 + $1.1 })
    for (choice, weight) in choices {
      if ticket < weight { return choice }
      ticket -= weight
    }
    return choices[choices.count - 1].0
  }

  /// Weights from 0.5 to 1.5, for parts that differ in size without any reason the plan knows.
  mutating func weights(_ count: Int) -> [Double] {
    var weights: [Double] = []
    for _ in 0..<count { weights.append(0.5 + unit()) }
    return weights
  }

  /// `count` different elements of `pool` in the order drawn: a partial Fisher-Yates shuffle.
  mutating func sample(_ count: Int, from pool: [Int]) -> [Int] {
    var pool = pool
    for index in 0..<count { pool.swapAt(index, index + below(pool.count - index)) }
    return Array(pool.prefix(count))
  }
}

/// The fixed lists names are drawn from.
enum ChineseNames {
  /// The most common surnames first: `person` favours the front of the list, as a city's
  /// register does.
  static let surnames = Array(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
  static let givenCharacters = Array("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚英华建国志文斌海燕玉红梅晓东婷雪琳浩宇轩欣怡涵思远佳俊峰鹏辉飞鑫波桂秀凤春荣德亮成")
  /// Two-character place names of streets, communities, roads and older compounds.
  static let placeFirst = Array("梅玄锁金新红丹凤华龙月兴秀仙燕石雨紫清宁朝莫瑞光青长永安福春和明双桃翠白银铁汇")
  static let placeSecond = Array("园桥山湖港门营街塘林庄苑岗洲坊村湾圩坝口亭阁台河池泉")
  /// Estate names of newer compounds.
  static let compoundFirst = Array("金碧翠锦御景天逸和泰嘉怡康乐瑞祥朗润馨雅丽枫桂兰荷梧桐竹松柏")
  static let compoundSecond = Array("园湖城庭山水湾岸林府邸苑溪峰")
  /// Brand names of property companies.
  static let brandFirst = Array("鸿恒盛宏嘉华安泰永兴瑞祥德信诚达通聚汇源丰茂隆昌锦鑫润宁金中新百明东")
  static let brandSecond = Array("业邦城居家悦和景佳美合力天海博优峰宇航晟运")
  static let companySuffixes = ["物业服务有限公司", "物业管理有限公司", "物业服务集团有限公司", "物业管理服务有限公司", "物业发展有限公司"]
  static let workUnitSites = ["机床厂", "化纤厂", "电子管厂", "无线电厂", "钢铁厂", "汽车厂", "纺织厂", "电力局", "铁路分局", "制药厂"]
  static let workUnits = [
    "江苏省人民医院", "南京大学", "东南大学", "南京市公安局", "国网南京供电公司", "南京地铁集团", "中国银行南京分行",
    "南京市第一中学", "南京市鼓楼医院", "南京市规划和自然资源局", "中国石化金陵分公司", "南京市城市管理局",
  ]
  static let memberSkills = ["法律", "水电维修", "医疗", "心理咨询", "教育", "文艺", "驾驶", "计算机"]
  static let volunteerSkills = [
    "electrician", "plumbing", "first_aid", "legal_advice", "tutoring", "elderly_care", "hairdressing",
    "calligraphy", "photography", "counselling",
  ]
  static let mobilePrefixes = [
    "139", "138", "137", "136", "135", "158", "159", "150", "151", "187", "188", "186", "185", "133", "153", "180",
    "189", "177", "199",
  ]

  static func person(_ rng: inout SplitMix64) -> String {
    // The smaller of two draws favours the front of the list.
    let surname = surnames[min(rng.below(surnames.count), rng.below(surnames.count))]
    let given = givenCharacters[rng.below(givenCharacters.count)]
    guard rng.chance(0.7) else { return "\(surname)\(given)" }
    return "\(surname)\(given)\(givenCharacters[rng.below(givenCharacters.count)])"
  }

  /// A mainland mobile number.
  static func mobile(_ rng: inout SplitMix64) -> String {
    var number = rng.pick(mobilePrefixes)
    for _ in 0..<8 { number += String(rng.below(10)) }
    return number
  }

  static func place(_ rng: inout SplitMix64, _ first: [Character], _ second: [Character]) -> String {
    let head = rng.pick(first)
    let tail = rng.pick(second)
    return "\(head)\(tail)"
  }

  /// `count` different names, each `prefix`, a character of `first`, one of `second` and a suffix.
  static func unique(
    _ count: Int, prefix: String = "", first: [Character] = ChineseNames.placeFirst,
    second: [Character] = ChineseNames.placeSecond, suffixes: [String], using rng: inout SplitMix64
  ) throws -> [String] {
    let pairs = first.count * second.count
    guard count <= pairs * suffixes.count else {
      throw SeedError(description: "the name lists hold \(pairs * suffixes.count) different names, not \(count)")
    }
    return rng.sample(count, from: Array(0..<(pairs * suffixes.count))).map { drawn in
      "\(prefix)\(first[drawn % first.count])\(second[drawn / first.count % second.count])\(suffixes[drawn / pairs])"
    }
  }
}
