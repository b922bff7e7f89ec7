import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import GovernanceAPI
import ServiceKit
import SwiftProtobuf

// The town's self-governance through the organisation service: owners' and self-management
// committees and party-mass councils with their members, in-service members registered at their
// communities (双报到), and the joint conferences of the quarter.
extension DemoCity {
  typealias OrganisationClient = Governance_Organisation_V1_OrganisationService.Client<HTTP2ClientTransport.Posix>

  /// Owners' committees, one per contracted compound in contract order, the blacklisted company's
  /// compounds left out: their company exits when the published quarter's lists come out, and an
  /// owners' committee is refused for a compound without one, on a rerun too (the service asks
  /// the property service before its request ledger).
  static let ownersCommittees = 6
  /// Self-management committees, in the self-governed compounds where most party members live,
  /// one a community.
  static let selfManagementCommittees = 2
  /// Party-mass councils, in the first community of the first streets.
  static let partyMassCouncils = 2
  /// The share of in-service members registered at their community.
  static let registeredShare = 0.6

  /// A self-governance body and its seats, in the order they are filled: the chair first, an
  /// alternate (not counted in the party share) last.
  struct Body: Sendable {
    let kind: Governance_Organisation_V1_GovernanceBodyKind
    let name: String
    let community: Int
    let compound: Int?
    /// The branch that leads it (index into `CityPlan.branches`); nil for the community committee.
    let branch: Int?
    let elected: Governance_Common_V1_Date
    let termEnd: Governance_Common_V1_Date
    let seats: [Seat]
  }

  /// A seat on a body; `member` (index into `CityPlan.members`) is set for a party member's.
  struct Seat: Sendable {
    let post: Governance_Organisation_V1_BodyPost
    let name: String
    let phone: String
    let member: Int?
  }

  /// The bodies, drawn from the seed: owners' committees alternately with party members in the
  /// majority (3 of 5) and few (1 of 5), self-management committees with 4 and 2 of 5, councils
  /// with 6 and 3 of 9; fewer where fewer members live there.
  static func drawBodies(_ plan: CityPlan, worst: Int) -> [Body] {
    var rng = SplitMix64(seed: seed, stream: .selfGovernance)
    var bodies: [Body] = []
    let contracted = plan.contracts.filter { $0.company != worst }.prefix(ownersCommittees).map(\.compound)
    for (rank, compound) in contracted.enumerated() {
      bodies.append(
        compoundBody(
          .ownersCommittee, "\(plan.compounds[compound].name)业主委员会", compound, party: rank.isMultiple(of: 2) ? 3 : 1,
          termYears: 5, plan, &rng))
    }
    let residents = Dictionary(grouping: plan.members.indices.compactMap { plan.members[$0].homeCompound }) { $0 }
      .mapValues(\.count)
    var selfGoverned: [Int] = []
    for compound in plan.compounds.indices.filter({ plan.compounds[$0].managementMode == .selfGoverned }).sorted(by: {
      (residents[$0, default: 0], -$0) > (residents[$1, default: 0], -$1)
    }) {
      let community = plan.compounds[compound].community
      if selfGoverned.count < selfManagementCommittees,
        !selfGoverned.contains(where: { plan.compounds[$0].community == community })
      {
        selfGoverned.append(compound)
      }
    }
    for (rank, compound) in selfGoverned.enumerated() {
      bodies.append(
        compoundBody(
          .selfManagementCommittee, "\(plan.compounds[compound].name)自管会", compound, party: rank == 0 ? 4 : 2,
          termYears: 3, plan, &rng))
    }
    let councilCommunities = plan.streets.indices.prefix(partyMassCouncils).compactMap { street in
      plan.communities.firstIndex { $0.street == street }
    }
    for (rank, community) in councilCommunities.enumerated() {
      let candidates = plan.members.indices.filter {
        plan.members[$0].community == community && plan.members[$0].kind != .floating
      }
      bodies.append(
        Body(
          kind: .partyMassCouncil, name: "\(plan.communities[community].name)党群议事会", community: community,
          compound: nil, branch: nil,
          seats: seats(counted: 9, party: rank == 0 ? 6 : 3, from: candidates, plan, &rng),
          termYears: 5, &rng))
    }
    return bodies
  }

  /// A committee of one compound, led by the compound's own or joint branch where it has one.
  static func compoundBody(
    _ kind: Governance_Organisation_V1_GovernanceBodyKind, _ name: String, _ compound: Int, party: Int,
    termYears: Int, _ plan: CityPlan, _ rng: inout SplitMix64
  ) -> Body {
    let residents = plan.members.indices.filter { plan.members[$0].homeCompound == compound }
    let branch = plan.branches.indices.first {
      plan.branches[$0].compound == compound || plan.branches[$0].covered.contains(compound)
    }
    return Body(
      kind: kind, name: name, community: plan.compounds[compound].community, compound: compound, branch: branch,
      seats: seats(counted: 5, party: party, from: residents, plan, &rng), termYears: termYears, &rng)
  }

  /// `counted` seats with `party` of them (or as many as `candidates` hold) for party members
  /// drawn from `candidates`, and an alternate. A party majority has a party member in the chair,
  /// a minority a resident.
  static func seats(
    counted: Int, party: Int, from candidates: [Int], _ plan: CityPlan, _ rng: inout SplitMix64
  ) -> [Seat] {
    let partySeats = rng.sample(min(party, candidates.count), from: candidates).map {
      (name: plan.members[$0].name, phone: plan.members[$0].phone, member: Optional($0))
    }
    let residentSeats = (0..<(counted - partySeats.count + 1)).map { _ in
      (name: ChineseNames.person(&rng), phone: ChineseNames.mobile(&rng), member: Int?.none)
    }
    let people =
      partySeats.count * 2 > counted
      ? partySeats + residentSeats : Array(residentSeats.prefix(1)) + partySeats + residentSeats.dropFirst()
    let posts: [Governance_Organisation_V1_BodyPost] =
      [.chair, .deputyChair] + Array(repeating: .member, count: counted - 2) + [.alternate]
    return zip(posts, people).map { Seat(post: $0, name: $1.name, phone: $1.phone, member: $1.member) }
  }

  /// The in-service members registered at their community, a share of them drawn from the seed,
  /// each on a day of 2025 or of 2026 before the quarter under way.
  static func drawRegistrations(_ plan: CityPlan) -> [(member: Int, date: Governance_Common_V1_Date)] {
    var rng = SplitMix64(seed: seed &+ 1, stream: .selfGovernance)
    return plan.members.indices.filter { plan.members[$0].kind == .inService }.compactMap { member in
      guard rng.chance(registeredShare) else { return nil }
      let year = 2025 + rng.below(2)
      return (member, CityPlan.date(year, rng.between(1...(year == 2025 ? 12 : 9)), rng.between(1...28)))
    }
  }

  /// Creates the bodies and fills their seats in order, the bodies side by side; then registers
  /// the in-service members and records the quarter's joint conferences.
  static func loadSelfGovernance(
    _ city: CitySeed.LoadedCity, bodies: [Body], registrations: [(member: Int, date: Governance_Common_V1_Date)],
    worst: Int, clock: DemoClock, _ client: CitySeed.Client, _ progress: SeedProgress
  ) async throws {
    let plan = city.plan
    let organisations = OrganisationClient(wrapping: client)
    let bodyIDs = try await CitySeed.calls(bodies.count, of: "self-governance body", progress) { index in
      try await loadBody(index, bodies[index], city, organisations)
    }
    try await CitySeed.calls(registrations.count, of: "community registration", progress) { index in
      let (member, date) = registrations[index]
      _ = try await organisations.registerAtCommunity(
        .with {
          $0.requestID = "demo-town-registration-\(member)"
          $0.memberID = city.party.members[member]
          $0.communityDivisionCode = plan.communities[plan.members[member].community].code
          $0.registeredDate = date
        })
    }
    let holding = conferenceCommunities(plan)
    try await CitySeed.calls(holding.count, of: "joint conference", progress) { index in
      _ = try await organisations.createConference(
        conference(
          holding[index], rank: index, bodies: bodies, bodyIDs: bodyIDs, worst: worst, clock: clock, city))
    }
  }

  /// Creates body `index` and adds its seats one after another, so that the chair is the first.
  static func loadBody(
    _ index: Int, _ body: Body, _ city: CitySeed.LoadedCity, _ organisations: OrganisationClient
  ) async throws -> String {
    let plan = city.plan
    let created = try await organisations.createGovernanceBody(
      .with {
        $0.requestID = "demo-town-body-\(index)"
        $0.body.kind = body.kind
        $0.body.name = body.name
        $0.body.divisionCode = plan.communities[body.community].code
        if let compound = body.compound { $0.body.compoundIds = [city.property.compounds[compound]] }
        $0.body.leadingOrganisationID =
          body.branch.map { city.party.branches[$0] } ?? city.party.committees.communities[body.community]
        if body.kind != .partyMassCouncil { $0.body.electedDate = body.elected }
        $0.body.termStartDate = body.elected
        $0.body.termEndDate = body.termEnd
      })
    for (number, seat) in body.seats.enumerated() {
      _ = try await organisations.addBodyMember(
        .with {
          $0.requestID = "demo-town-body-\(index)-seat-\(number)"
          $0.member.bodyID = created.id
          $0.member.contact.name = seat.name
          $0.member.contact.phone = seat.phone
          if let member = seat.member { $0.member.partyMemberID = city.party.members[member] }
          $0.member.post = seat.post
          $0.member.termStartDate = body.elected
          $0.member.termEndDate = body.termEnd
        })
    }
    return created.id
  }

  /// The communities holding a joint conference in the demo's quarter: all but the last of each
  /// street, so that the gap list names one community per street.
  static func conferenceCommunities(_ plan: CityPlan) -> [Int] {
    plan.communities.indices.filter { community in
      plan.communities.indices.last { plan.communities[$0].street == plan.communities[community].street } != community
    }
  }

  /// What a joint conference takes up: a title, a description, the list it feeds and the outcome.
  static let agendaItems:
    [(
      title: String, description: String, list: Governance_Organisation_V1_FourListKind,
      outcome: String
    )] = [
      ("物业服务季度通报", "通报本季度物业服务投诉、维修及满意度情况", .information, "各物业项目对照问题清单限期整改"),
      ("小区停车难问题协商", "居民反映夜间车位紧张，消防通道被占用", .needs, "挖潜增设临时车位，物业加强夜间巡查"),
      ("共建单位资源对接", "结对单位提供场地、志愿服务和资金支持", .resources, "签订共建协议，建立资源清单"),
      ("冬季消防安全隐患排查", "楼道堆物、电动车违规充电等隐患", .risks, "网格员会同物业逐楼排查，建立整改台账"),
      ("老旧小区加装电梯意见征集", "部分高层住户希望加装电梯，低层住户有顾虑", .needs, "分楼栋召开协商会，形成征求意见稿"),
      ("独居老人关爱服务安排", "摸排独居、高龄老人，落实结对关爱", .resources, "党员与独居老人一对一结对，每周探访"),
    ]

  /// The conference of `community`, the `rank`-th to hold one: the community party committee with
  /// its compound branches, the owners' committees of its compounds, a company serving it and the
  /// community police office. Held at 14:30 some days before the demo's day, but not before its
  /// quarter began.
  static func conference(
    _ community: Int, rank: Int, bodies: [Body], bodyIDs: [String], worst: Int, clock: DemoClock,
    _ city: CitySeed.LoadedCity
  ) -> Governance_Organisation_V1_CreateConferenceRequest {
    let plan = city.plan
    let place = plan.communities[community]
    let quarter = clock.quarter
    let held = max(clock.day(-(2 + 3 * rank % 20), hour: 14, minute: 30), quarter.start)
    var participants: [Governance_Organisation_V1_ConferenceParticipant] = [
      .with {
        $0.kind = .communityPartyCommittee
        $0.referenceID = city.party.committees.communities[community]
        $0.name = "\(place.name)党委"
        $0.attendees = [place.committeeEvaluator]
      }
    ]
    for branch in place.branches where plan.branches[branch].kind == .compound {
      participants.append(
        .with {
          $0.kind = .compoundBranch
          $0.referenceID = city.party.branches[branch]
          $0.name = plan.branches[branch].name
        })
    }
    for (index, body) in bodies.enumerated() where body.community == community && body.kind == .ownersCommittee {
      participants.append(
        .with {
          $0.kind = .ownersCommittee
          $0.referenceID = bodyIDs[index]
          $0.name = body.name
          $0.attendees = [body.seats[0].name]
        })
    }
    let company = place.compounds.lazy.compactMap { plan.compounds[$0].contract }.map { plan.contracts[$0].company }
      .first { $0 != worst }
    if let company {
      participants.append(
        .with {
          $0.kind = .propertyCompany
          $0.referenceID = city.property.companies[company]
          $0.name = plan.companies[company].name
          $0.attendees = [plan.companies[company].legalRepresentative]
        })
    }
    participants.append(
      .with {
        $0.kind = .other
        $0.name = "\(plan.streets[place.street].name)派出所\(place.name)警务室"
      })
    let agenda = (0..<3).map { agendaItems[(rank + 2 * $0) % agendaItems.count] }
    return .with {
      $0.requestID = "demo-town-conference-\(place.code)-\(quarter.year)Q\(quarter.number)"
      $0.conference.organisationID = city.party.committees.communities[community]
      $0.conference.title = "\(place.name)\(quarter.year)年第\(["一", "二", "三", "四"][Int(quarter.number) - 1])季度党建联席会议"
      $0.conference.heldTime = Google_Protobuf_Timestamp(date: held)
      $0.conference.location = "\(place.name)党群服务中心"
      $0.conference.participants = participants
      $0.conference.agenda = agenda.map { item in
        .with {
          $0.title = item.title
          $0.description_p = item.description
          $0.listKind = item.list
          $0.owner = "\(place.name)党委"
          $0.outcome = item.outcome
        }
      }
      $0.conference.minutes =
        "会议由\(place.name)党委书记\(place.committeeEvaluator)主持，"
        + agenda.map { "就\($0.title)进行协商，\($0.outcome)" }.joined(separator: "；") + "。"
    }
  }
}

extension DemoCity.Body {
  /// Elected on a day drawn from the two years before the quarter under way, for `termYears`.
  init(
    kind: Governance_Organisation_V1_GovernanceBodyKind, name: String, community: Int, compound: Int?, branch: Int?,
    seats: [DemoCity.Seat], termYears: Int, _ rng: inout SplitMix64
  ) {
    let year = 2024 + rng.below(2)
    let month = rng.between(1...12)
    let day = rng.between(1...28)
    self.init(
      kind: kind, name: name, community: community, compound: compound, branch: branch,
      elected: CityPlan.date(year, month, day), termEnd: CityPlan.date(year + termYears, month, day), seats: seats)
  }
}
