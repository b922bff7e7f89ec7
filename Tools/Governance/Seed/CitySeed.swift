import GRPCCore
import GRPCNIOTransportHTTP2
import GovernanceAPI
import ServiceKit

/// A whole city loaded through the public APIs, the same city every time for one seed: Nanjing's
/// districts with their streets and communities, the party organisation from the district
/// committees down to branches and members, compounds, property companies and their contracts,
/// grids and their workers, volunteer teams, and a year of monthly four-party scoring.
///
/// The districts are Nanjing's without 栖霞区 (320113), which the hand-written demo city of earlier
/// releases left in their data directories, so that a seed fits beside it. The demo city
/// (`DemoCity`) is this loader's own town of seed 1: a whole city seeded into a system holding it
/// meets the town's district 玄武区 and fails there with ALREADY_EXISTS. The city's case history
/// goes in through the grid service's ImportCases.
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

  /// What a load leaves to a caller that builds on the city: the plan, the ids the services gave
  /// its registers, and how many archived cases went in.
  struct LoadedCity: Sendable {
    let plan: CityPlan
    let property: PropertyIDs
    /// The grid service's ids of the grid workers, by their index in the plan.
    let workers: [String]
    let party: PartyIDs
    let volunteering: VolunteeringIDs
    let archived: Int64

    /// The registers loaded, one phrase each, the archive left out.
    var registers: [String] {
      [
        "\(plan.divisionCount) divisions with their party committees",
        "\(plan.branches.count) branches with \(plan.members.count) party members",
        "\(plan.compounds.count) compounds", "\(plan.companies.count) property companies",
        "\(plan.contracts.count) contracts", "\(plan.grids.count) grids with \(plan.workers.count) workers",
        "\(plan.teams.count) volunteer teams", "\(plan.volunteers.count) volunteers",
        "\(plan.panels.count) panels with \(plan.scores.count) scores",
      ]
    }
  }

  /// Loads the city of `scale` drawn from `seed` into the services at `addresses`, as the
  /// operator holding the system's token key; returns a one-line summary.
  static func load(
    addresses: [ServiceIdentity: NetworkAddress], authority: TokenAuthority, scale: CityScale, seed: UInt64,
    historicalCases: Int, progress: SeedProgress
  ) async throws -> String {
    let city = try await loadCity(
      try CityPlan(scale: scale, seed: seed), addresses: addresses, authority: authority,
      historicalCases: historicalCases, progress: progress)
    return "Nanjing (seed \(seed)): " + (city.registers + ["\(city.archived) historical cases"]).joined(separator: ", ")
  }

  /// Loads the city of `plan` as `load` does; returns what was loaded.
  static func loadCity(
    _ plan: CityPlan, addresses: [ServiceIdentity: NetworkAddress], authority: TokenAuthority, historicalCases: Int,
    progress: SeedProgress
  ) async throws -> LoadedCity {
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
    // in as soon as the grids are there, beside their boundaries, the workers and the other
    // services' chains: it keeps the grid service's writer busy while the others take their
    // share of the cores.
    progress.begin(stage: "people, scores, cases", total: plan.peopleCalls + historicalCases)
    async let gridsAndWorkers = services.connect(.grid) { client in
      try await loadGrids(plan, client, propertyIDs, progress)
      async let archived = CaseArchive.load(
        historicalCases, into: addresses[.grid]!, authority: authority, seed: plan.seed, progress: progress)
      try await loadBoundaries(plan, client, progress)
      async let workers = loadWorkers(plan, client, propertyIDs, progress)
      return try await (workers: workers, archived: archived)
    }
    async let party = services.connect(.organisation) { client in
      try await loadParty(plan, client, committeeIDs, propertyIDs, progress)
    }
    async let volunteering = services.connect(.volunteers) { client in
      try await loadVolunteers(plan, client, propertyIDs, progress)
    }
    async let scoring: Void = services.connect(.evaluation) { client in
      try await loadScores(plan, client, propertyIDs, calendarIDs, progress)
    }
    let (grid, partyIDs, volunteeringIDs, _) = try await (gridsAndWorkers, party, volunteering, scoring)
    progress.end()
    return LoadedCity(
      plan: plan, property: propertyIDs, workers: grid.workers, party: partyIDs, volunteering: volunteeringIDs,
      archived: grid.archived)
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
        _ = try await grid.createDivision(
          .with {
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
      return try await organisations.createOrganisation(
        .with {
          $0.requestID = plan.requestID("committee", district.code)
          $0.organisation.name = "中共南京市\(district.name)委员会"
          $0.organisation.level = .districtCommittee
          $0.organisation.divisionCode = district.code
        }
      ).id
    }
    let streets = try await calls(plan.streets.count, of: "street working committee", progress) { index in
      let street = plan.streets[index]
      return try await organisations.createOrganisation(
        .with {
          $0.requestID = plan.requestID("committee", street.code)
          $0.organisation.name = "\(street.name)党工委"
          $0.organisation.level = .streetWorkingCommittee
          $0.organisation.divisionCode = street.code
          $0.organisation.parentID = districts[street.district]
        }
      ).id
    }
    let communities = try await calls(plan.communities.count, of: "community committee", progress) { index in
      let community = plan.communities[index]
      return try await organisations.createOrganisation(
        .with {
          $0.requestID = plan.requestID("committee", community.code)
          $0.organisation.name = "\(community.name)党委"
          $0.organisation.level = .communityCommittee
          $0.organisation.divisionCode = community.code
          $0.organisation.parentID = streets[community.street]
        }
      ).id
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
      return try await property.createServiceCentre(
        .with {
          $0.requestID = plan.requestID("centre", street.code)
          $0.centre.divisionCode = street.code
          $0.centre.name = "\(street.name)物业服务中心"
          $0.centre.basicServices = CityPlan.basicServices
        }
      ).id
    }
    let layout = CityLayout(plan)
    let gridIndex = Dictionary(uniqueKeysWithValues: plan.grids.enumerated().map { ($1.code, $0) })
    let compounds = try await calls(plan.compounds.count, of: "compound", progress) { index in
      let compound = plan.compounds[index]
      let community = plan.communities[compound.community]
      let mode = compound.managementMode
      return try await property.createCompound(
        .with {
          $0.requestID = plan.requestID("compound", index)
          $0.compound.name = compound.name
          $0.compound.divisionCode = community.code
          $0.compound.gridCodes = compound.gridCodes
          $0.compound.area = compound.area
          $0.compound.address = compound.address
          // The gate lies inside the compound's first grid, a little off its centre.
          if let first = compound.gridCodes.first, let grid = gridIndex[first] {
            $0.compound.point = layout.grids[grid].point(0.3 + 0.4 * Double(index % 5) / 5, 0.35)
          }
          $0.compound.householdCount = compound.households
          $0.compound.kind = compound.kind
          $0.compound.managementMode = mode
          $0.compound.fallbackCentreID = mode == .fallback ? centres[community.street] : ""
          $0.compound.threeNo.noManagingUnit = compound.noManagingUnit
          $0.compound.threeNo.noSecurity = compound.noSecurity
        }
      ).id
    }
    let companies = try await calls(plan.companies.count, of: "property company", progress) { index in
      let company = plan.companies[index]
      return try await property.createCompany(
        .with {
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
        }
      ).id
    }
    try await calls(plan.contracts.count, of: "contract", progress) { index in
      let contract = plan.contracts[index]
      _ = try await property.createContract(
        .with {
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
      return try await evaluation.createScoringItem(
        .with {
          $0.requestID = plan.requestID("item", "\(district.code)-\(item.code)")
          $0.item.code = item.code
          $0.item.name = item.name
          $0.item.use = .monthlySatisfaction
          $0.item.weight = item.weight
          $0.item.fullMarks = CityPlan.fullMarks
          $0.item.sortOrder = Int32(index % itemCount + 1)
          $0.item.divisionCode = district.code
        }
      ).id
    }
    let monthCount = CityPlan.scoringMonths.count
    let periods = try await calls(plan.districts.count * monthCount, of: "period", progress) { index in
      let district = plan.districts[index / monthCount]
      let month = CityPlan.scoringMonths.lowerBound + index % monthCount
      return try await evaluation.createPeriod(
        .with {
          $0.requestID = plan.requestID("period", "\(district.code)-\(CityPlan.scoringYear)-\(month)")
          $0.period.divisionCode = district.code
          $0.period.kind = .monthly
          $0.period.year = CityPlan.scoringYear
          $0.period.number = Int32(month)
        }
      ).id
    }
    return ScoringCalendar(items: items, periods: periods)
  }
}
