import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import GovernanceAPI
import ServiceKit
import SwiftProtobuf

/// A moment in the city (China Standard Time) to date the demo's requests from, to the minute.
///
/// Posts, service records and joint conferences are dated from the demo's clock: when its first
/// micro-wish went in, as the volunteers service answers that wish's request id. On a rerun the
/// ledger gives the first load's answer, so those requests are sent again unchanged and change
/// nothing. The duty rosters are dated from the day of the load instead (`loadDutyRosters`).
struct DemoClock: Sendable {
  let now: Date

  init(now: Date) {
    self.now = Date(timeIntervalSince1970: (now.timeIntervalSince1970 / 60).rounded(.down) * 60)
  }

  init(now stamp: Google_Protobuf_Timestamp) {
    self.init(now: Date(timeIntervalSince1970: TimeInterval(stamp.seconds)))
  }

  static var calendar: Calendar {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = CalendarDate.timeZone
    return calendar
  }

  /// `hour`:`minute` in the city on the day `offset` days after now's (before it when negative).
  func day(_ offset: Int, hour: Int, minute: Int = 0) -> Date {
    let calendar = Self.calendar
    return calendar.date(
      byAdding: DateComponents(day: offset, hour: hour, minute: minute), to: calendar.startOfDay(for: now))!
  }

  /// The quarter of now's day: its year, its number (1 to 4) and the moment it began.
  var quarter: (year: Int32, number: Int32, start: Date) {
    let today = CalendarDate.today(at: now)
    let number = (today.month - 1) / 3 + 1
    let start = Self.calendar.date(from: DateComponents(year: Int(today.year), month: Int(number * 3 - 2), day: 1))!
    return (today.year, number, start)
  }
}

// The town's community life, on top of its registers, live cases and quarters: self-governance
// bodies, dual registration and joint conferences (`DemoCity+SelfGovernance.swift`), micro-wishes,
// service posts and records (`DemoCity+Volunteering.swift`), buildings, a joint acceptance and
// duty rosters (`DemoCity+Places.swift`).
extension DemoCity {
  /// Draws the community life from the seed, reads the demo's clock, then loads each service's
  /// part beside the others; returns a phrase for the summary.
  static func loadCommunityLife(
    _ city: CitySeed.LoadedCity, _ services: SeedConnections, _ progress: SeedProgress
  ) async throws -> String {
    let plan = city.plan
    let worst = companiesByQuality(of: plan).last!.company
    let bodies = drawBodies(plan, worst: worst)
    let registrations = drawRegistrations(plan)
    let holding = conferenceCommunities(plan)
    let (wishPlans, posts, records) = drawVolunteering(city)
    let buildings = drawBuildings(plan)
    let acceptance = acceptanceContract(plan, worst: worst)
    let grids = Array(plan.grids.indices)

    let clock = try await services.connect(.volunteers) { client in
      try await demoClock(wishPlans[0], city, client)
    }
    async let selfGovernance: Void = services.connect(.organisation) { client in
      try await loadSelfGovernance(
        city, bodies: bodies, registrations: registrations, worst: worst, clock: clock, client, progress)
    }
    async let volunteering: Void = services.connect(.volunteers) { client in
      try await loadVolunteering(
        city, wishes: wishPlans, posts: posts, records: records, clock: clock, client, progress)
    }
    async let places: Void = services.connect(.property) { client in
      try await loadPlaces(city, buildings: buildings, acceptance: acceptance, client, progress)
    }
    async let rostered = services.connect(.grid) { client in
      try await loadDutyRosters(city, grids: grids, today: DemoClock(now: Date()), client, progress)
    }
    let (_, _, _, lastRostered) = try await (selfGovernance, volunteering, places, rostered)

    let seats = bodies.flatMap(\.seats).filter { $0.post != .alternate }
    let kinds: [(Governance_Organisation_V1_GovernanceBodyKind, String)] = [
      (.ownersCommittee, "owners' committees"), (.selfManagementCommittee, "self-management committees"),
      (.partyMassCouncil, "party-mass councils"),
    ]
    let ends: [(WishEnd, String)] = [
      (.open, "open"), (.claimed, "claimed"), (.fulfilled, "fulfilled"), (.confirmed, "confirmed"),
    ]
    let cancelled = wishes.filter { $0.end == .cancelledOpen || $0.end == .cancelledClaimed }.count
    let confirmed = records.filter(\.confirmed)
    let quarter = clock.quarter
    let acceptancePhrase = acceptance.map {
      "; the joint acceptance of \(plan.compounds[plan.contracts[$0].compound].name) waiting for the street's sign-off"
    }
    return "\(bodies.count) self-governance bodies ("
      + kinds.map { kind, name in "\(bodies.filter { $0.kind == kind }.count) \(name)" }.joined(separator: ", ")
      + ") with \(seats.count) members besides alternates, \(seats.filter { $0.member != nil }.count) of them party members; "
      + "\(registrations.count) in-service members registered at their communities; "
      + "joint conferences in \(holding.count) of \(plan.communities.count) communities in \(quarter.year)Q\(quarter.number); "
      + "\(posts.count) service posts (\(posts.filter { Int($0.capacity) == $0.claimants.count }.count) full) with "
      + "\(posts.map(\.claimants.count).reduce(0, +)) claims and \(posts.filter { $0.waitlisted != nil }.count) waiting; "
      + "\(wishPlans.count) micro-wishes ("
      + (ends.map { end, name in "\(wishes.filter { $0.end == end }.count) \(name)" } + ["\(cancelled) cancelled"])
      .joined(separator: ", ")
      + "); \(records.count) service records, \(confirmed.count) confirmed with "
      + "\(String(format: "%.1f", confirmed.map(\.hours).reduce(0, +))) hours; "
      + "duty rosters of \(grids.count) grids to \(CalendarDate.iso(lastRostered)); "
      + "\(buildings.count) buildings in \(plan.communities[buildingCommunity(plan)].name), "
      + "\(buildings.filter { $0.leader != nil }.count) with a building leader" + (acceptancePhrase ?? "")
  }
}
