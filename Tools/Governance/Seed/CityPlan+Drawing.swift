import GRPCCore
import GRPCNIOTransportHTTP2
import GovernanceAPI
import ServiceKit

// How each register of the plan is drawn from the seed, in a fixed order of streams.
extension CityPlan {
  // MARK: - Drawing

  mutating func drawDivisions(_ scale: CityScale) throws {
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
        communities.append(
          Community(
            code: prefix + Self.digits(number, count: 3), name: communityNames[communities.count], street: street,
            district: streets[street].district))
      }
    }
  }

  mutating func drawCompoundsAndGrids(_ scale: CityScale) throws {
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
  mutating func link(grids area: Range<Int>, compounds housing: Range<Int>) {
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

  static func drawCompound(in community: Int, district: String, using rng: inout SplitMix64) -> Compound {
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

  mutating func drawCompanies(_ scale: CityScale) throws {
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
        companies.append(
          Self.drawCompany(
            name: names[companies.count], district: district, in: districts[district], serial: serial, using: &rng))
      }
    }
  }

  /// A company under the 25-staff rule: the large ones mostly have party members of their own,
  /// the small ones attach to, join or are guided by a party organisation.
  static func drawCompany(
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

  mutating func drawContracts(_ scale: CityScale) throws {
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

  static func drawContract(
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
  mutating func drawWorkers(_ scale: CityScale) {
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
        workers.append(
          Worker(
            grid: grid, name: name, phone: phone, kind: kind, company: kind == .propertyStaff ? company : nil))
      }
    }
  }

  /// Bigger communities get more branches.
  mutating func drawBranches(_ scale: CityScale) {
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
  mutating func formBranches(_ count: Int, of community: Int) {
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
          branches.append(
            Branch(
              community: community, kind: .compound, name: "\(compounds[compound].name)党支部", compound: compound))
        case .joint where unbranched.count >= 2:
          let covered = Array(unbranched.suffix(3))
          unbranched.removeLast(covered.count)
          areas += 1
          for compound in covered { compounds[compound].area = "\(place.name)第\(areas)片区" }
          branches.append(
            Branch(
              community: community, kind: .joint, name: "\(compounds[covered[0]].name)等\(covered.count)个小区联合党支部",
              covered: covered))
        case .propertyCompany where !unbranchedCompanies.isEmpty:
          let company = unbranchedCompanies.removeFirst()
          branches.append(
            Branch(
              community: community, kind: .propertyCompany, name: "\(companies[company].name)\(place.name)项目党支部",
              company: company))
        case .grid where nextGrid < place.grids.upperBound:
          branches.append(
            Branch(
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

  mutating func drawMembers(_ scale: CityScale) throws {
    var rng = SplitMix64(seed: seed, stream: .members)
    // The founders of each compound branch live in its compound and belong to the community
    // committee, since the branch cannot exist before them; they stay there.
    for branch in branches where branch.kind == .compound {
      for _ in 0..<Self.foundersPerBranch {
        let kind: Governance_Organisation_V1_MemberKind = rng.chance(0.5) ? .retired : .directManaged
        members.append(
          Self.drawMember(
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
        members.append(
          Self.drawMember(
            community: community, branch: branchIndex, home: home, kind: kind, standing: standing, using: &rng))
      }
    }
  }

  static func drawMember(
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

  mutating func drawVolunteers(_ scale: CityScale) throws {
    try Self.require(scale.volunteerTeams <= communities.count, "at most one volunteer team per community")
    var rng = SplitMix64(seed: seed, stream: .volunteers)
    var teamOfCommunity = [Int?](repeating: nil, count: communities.count)
    for community in rng.sample(scale.volunteerTeams, from: Array(communities.indices)).sorted() {
      let place = communities[community]
      let (kind, suffix) = rng.weighted(Self.teamKinds)
      teamOfCommunity[community] = teams.count
      teams.append(
        Team(
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
      volunteers.append(
        Volunteer(
          community: community, name: name, phone: phone, kind: kind, skills: skills, compound: home))
    }
  }

  /// A panel per contracted compound and month; the score budget is shared equally by the panels.
  mutating func drawScoring(_ scale: CityScale) {
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
}
