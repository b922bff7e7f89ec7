import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import GovernanceAPI
import ServiceKit
import SwiftProtobuf

// Buildings with their leaders and a joint acceptance under way, through the property service;
// the grids' duty rosters, through the grid service.
extension DemoCity {
  /// The community whose compounds get buildings: where most party members live, so that most
  /// buildings find a leader.
  static func buildingCommunity(_ plan: CityPlan) -> Int {
    let residents = Dictionary(
      grouping: plan.members.compactMap { $0.homeCompound.map { plan.compounds[$0].community } }
    ) { $0 }
    return plan.communities.indices.max { (residents[$0]?.count ?? 0, -$0) < (residents[$1]?.count ?? 0, -$1) }!
  }

  /// One building of a compound: its number, its units (floors and households) and its leader,
  /// a party member living in the compound (index into `CityPlan.members`), or none.
  struct BuildingPlan: Sendable {
    let compound: Int
    let number: Int
    let units: [(floors: Int32, households: Int32)]
    let leader: Int?
  }

  /// Two to six buildings a compound, by its households, sharing them out over two or three units
  /// each; two buildings in three are led by a party member living there, while they last.
  static func drawBuildings(_ plan: CityPlan) -> [BuildingPlan] {
    var rng = SplitMix64(seed: seed, stream: .buildings)
    var buildings: [BuildingPlan] = []
    for compound in plan.communities[buildingCommunity(plan)].compounds {
      let place = plan.compounds[compound]
      let count = min(6, max(2, Int(place.households) / 250))
      let floors: Int32 =
        switch place.kind {
        case .old, .workUnitFamily: 6
        case .urbanVillage: 4
        default: Int32(rng.between(11...33))
        }
      let residents = plan.members.indices.filter { plan.members[$0].homeCompound == compound }
      let perBuilding = CityPlan.apportion(Int(place.households), weights: rng.weights(count), minimum: 0)
      for (number, households) in perBuilding.enumerated() {
        let unitCount = rng.between(2...3)
        let units = CityPlan.apportion(households, weights: Array(repeating: 1, count: unitCount), minimum: 0).map {
          (floors: floors, households: Int32($0))
        }
        let leader = number < residents.count && number % 3 != 2 ? residents[number] : nil
        buildings.append(BuildingPlan(compound: compound, number: number + 1, units: units, leader: leader))
      }
    }
    return buildings
  }

  /// The decisions of the joint acceptance under way: the company passes its self-review, the
  /// community sends it back over its fire lane and gate, the company passes again and so does
  /// the community; the street's sign-off is next.
  static let acceptanceDecisions:
    [(step: Governance_Property_V1_AcceptanceStep, passed: Bool, reasons: [String], notes: String)] = [
      (.companySelfReview, true, [], "七有标准逐项自查完毕"),
      (.communityReview, false, ["消防通道堆放杂物未清理", "门岗夜间无人值守"], "限期十日整改后重新申报"),
      (.companySelfReview, true, [], "已清理消防通道，门岗实行24小时值守"),
      (.communityReview, true, [], "整改到位，同意报街道审核"),
    ]

  /// The contract whose compound's acceptance is under way: the first whose company keeps its
  /// contracts, so that the compound also has an owners' committee (`drawBodies`).
  static func acceptanceContract(_ plan: CityPlan, worst: Int) -> Int? {
    plan.contracts.indices.first { plan.contracts[$0].company != worst }
  }

  /// Creates the buildings side by side, then opens the acceptance of `contract`'s compound and
  /// records its decisions in order.
  static func loadPlaces(
    _ city: CitySeed.LoadedCity, buildings: [BuildingPlan], acceptance contract: Int?, _ client: CitySeed.Client,
    _ progress: SeedProgress
  ) async throws {
    let plan = city.plan
    let property = Governance_Property_V1_PropertyService.Client(wrapping: client)
    try await CitySeed.calls(buildings.count, of: "building", progress) { index in
      let building = buildings[index]
      _ = try await property.createBuilding(
        .with {
          $0.requestID = "demo-town-building-\(building.compound)-\(building.number)"
          $0.building.compoundID = city.property.compounds[building.compound]
          $0.building.name = "\(building.number)栋"
          $0.building.units = building.units.enumerated().map { number, unit in
            .with {
              $0.name = "\(number + 1)单元"
              $0.floors = unit.floors
              $0.householdCount = unit.households
            }
          }
          if let leader = building.leader {
            $0.building.leaderMemberID = city.party.members[leader]
            $0.building.leaderName = plan.members[leader].name
          }
        })
    }
    guard let contract else { return }
    let compound = plan.contracts[contract].compound
    let community = plan.communities[plan.compounds[compound].community]
    let company = plan.companies[plan.contracts[contract].company]
    let compoundID = city.property.compounds[compound]
    let contracts = try await property.listContracts(
      .with {
        $0.compoundID = compoundID
        $0.pageSize = 10
      })
    guard let contractID = contracts.contracts.first(where: { $0.state == .trial || $0.state == .active })?.id else {
      throw SeedError(description: "the contract of \(plan.compounds[compound].name) is not live")
    }
    let opened = try await property.createAcceptance(
      .with {
        $0.requestID = "demo-town-acceptance-\(compound)"
        $0.compoundID = compoundID
        $0.contractID = contractID
      })
    for (number, decision) in acceptanceDecisions.enumerated() {
      let byCompany = decision.step == .companySelfReview
      _ = try await property.recordAcceptanceStep(
        .with {
          $0.requestID = "demo-town-acceptance-\(compound)-\(number)"
          $0.acceptanceID = opened.id
          $0.step = decision.step
          $0.outcome = decision.passed ? .passed : .failed
          $0.checklist = CityPlan.sevenHaves
          if !decision.passed {
            $0.checklist.gateStaff = .with { $0.note = "夜间无人值守" }
            $0.checklist.security = .with { $0.note = "消防通道堵塞" }
          }
          $0.decidedBy = byCompany ? company.legalRepresentative : community.committeeEvaluator
          $0.decidingBody = byCompany ? company.name : "\(community.name)党委"
          $0.reasons = decision.reasons
          $0.notes = decision.notes
        })
    }
  }

  // MARK: - Duty rosters

  /// Days the duty roster runs, from the day it is set.
  static let rosterDays = 8

  /// Sets the roster of each grid in `grids` for `rosterDays` days from `today`'s (the city's
  /// day), replacing the shifts of those days: the grid's first worker, its full-time one, on the
  /// day shift from 08:00 to 20:00, backed up by a third worker where there is one, and the second
  /// on the night shift from 20:00 to 08:00, split at midnight so that every shift lies in its
  /// day; a grid with one worker has them on both. The request ids name the day, so that a rerun
  /// that day changes nothing and a rerun on a later day sets the days from then on again.
  /// Returns the last day on the roster.
  static func loadDutyRosters(
    _ city: CitySeed.LoadedCity, grids: [Int], today: DemoClock, _ client: CitySeed.Client,
    _ progress: SeedProgress
  ) async throws -> Governance_Common_V1_Date {
    let plan = city.plan
    let grid = Governance_Grid_V1_GridService.Client(wrapping: client)
    let day = CalendarDate.iso(CalendarDate.today(at: today.now))
    let workersOf = Dictionary(grouping: plan.workers.indices) { plan.workers[$0].grid }
    try await CitySeed.calls(grids.count, of: "duty roster", progress) { index in
      let code = plan.grids[grids[index]].code
      let workers = (workersOf[grids[index]] ?? []).map { city.workers[$0] }
      guard let dayWorker = workers.first else {
        throw SeedError(description: "grid \(code) has no worker for its roster")
      }
      let nightWorker = workers.count > 1 ? workers[1] : dayWorker
      var shifts: [Governance_Grid_V1_DutyShift] = []
      func shift(_ worker: String, day offset: Int, from hour: Int, hours: Int, order: Int32) {
        let start = today.day(offset, hour: hour)
        shifts.append(
          .with {
            $0.workerID = worker
            $0.startTime = Google_Protobuf_Timestamp(date: start)
            $0.endTime = Google_Protobuf_Timestamp(date: start.addingTimeInterval(Double(hours) * 3600))
            $0.rosterOrder = order
          })
      }
      for offset in 0..<rosterDays {
        shift(nightWorker, day: offset, from: 0, hours: 8, order: 1)
        shift(dayWorker, day: offset, from: 8, hours: 12, order: 1)
        if workers.count > 2 { shift(workers[2], day: offset, from: 8, hours: 12, order: 2) }
        shift(nightWorker, day: offset, from: 20, hours: 4, order: 1)
      }
      _ = try await grid.setDutyRoster(
        .with {
          $0.requestID = "demo-town-roster-\(code)-\(day)"
          $0.gridCode = code
          $0.windowStart = Google_Protobuf_Timestamp(date: today.day(0, hour: 0))
          $0.windowEnd = Google_Protobuf_Timestamp(date: today.day(rosterDays, hour: 0))
          $0.shifts = shifts
        })
    }
    return CalendarDate.today(at: today.day(rosterDays - 1, hour: 12))
  }
}
