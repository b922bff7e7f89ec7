import GRPCCore
import GRPCNIOTransportHTTP2
import GovernanceAPI
import ServiceKit

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

  /// Nanjing's districts in code order, without 栖霞区, which earlier releases' demo city holds.
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
    grids.count + districts.count + streets.count + workers.count + branches.count + members.count + teams.count + volunteers.count
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
}
