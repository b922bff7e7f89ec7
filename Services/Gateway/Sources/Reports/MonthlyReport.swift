import Foundation
import GRPCCore
import GovernanceAPI
import ServiceKit
import SwiftProtobuf

// MARK: - The period rule

/// A report's period in the city's calendar: a month (`2026-11`) or a quarter (`2026-Q4`), its
/// first and last day, and the period before it (the previous month or quarter), which the
/// report sets beside it.
struct ReportPeriod: Hashable, Sendable {
  enum Kind: String, Sendable, Encodable {
    case month
    case quarter
  }

  var kind: Kind
  var year: Int
  /// The month, 1 to 12, or the quarter, 1 to 4.
  var number: Int

  init(kind: Kind, year: Int, number: Int) {
    self.kind = kind
    self.year = year
    self.number = number
  }

  /// What the period parameter takes, in words, for the error that refuses it.
  static let rule = "is a month YYYY-MM (01 to 12) or a quarter YYYY-Qn (n 1 to 4) that has begun"

  /// The rule "a period is `YYYY-MM` (month 01 to 12) or `YYYY-Qn` (quarter 1 to 4), year 1000
  /// to 9999": the period `text` names, nil for anything else (`2026-13`, `2026-Q5`, `2026-1`,
  /// `26-11`, ` 2026-11`).
  static func parse(_ text: String) -> ReportPeriod? {
    let bytes = Array(text.utf8)
    let digit: (UInt8) -> Bool = { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    guard bytes.count == 7, bytes[0..<4].allSatisfy(digit), bytes[4] == UInt8(ascii: "-"),
      let year = Int(String(decoding: bytes[0..<4], as: UTF8.self)), year >= 1000
    else { return nil }
    if bytes[5] == UInt8(ascii: "Q") || bytes[5] == UInt8(ascii: "q") {
      guard digit(bytes[6]), let quarter = Int(String(UnicodeScalar(bytes[6]))), (1...4).contains(quarter) else {
        return nil
      }
      return ReportPeriod(kind: .quarter, year: year, number: quarter)
    }
    guard bytes[5...6].allSatisfy(digit), let month = Int(String(decoding: bytes[5...6], as: UTF8.self)),
      (1...12).contains(month)
    else { return nil }
    return ReportPeriod(kind: .month, year: year, number: month)
  }

  /// As the parameter writes it: `2026-11`, `2026-Q4`.
  var label: String {
    switch kind {
    case .month: String(format: "%04d-%02d", year, number)
    case .quarter: String(format: "%04d-Q%d", year, number)
    }
  }

  /// As a report's title says it: `2026年11月`, `2026年第4季度`.
  var title: String {
    switch kind {
    case .month: "\(year)年\(number)月"
    case .quarter: "\(year)年第\(number)季度"
    }
  }

  /// The months the period spans.
  var months: ClosedRange<Int> {
    kind == .month ? number...number : (number * 3 - 2)...(number * 3)
  }

  /// The period's first day.
  var firstDay: Governance_Common_V1_Date { Self.date(year, months.lowerBound, 1) }

  /// The period's last day: 28 to 31 for a month's, as the Gregorian calendar has it.
  var lastDay: Governance_Common_V1_Date {
    let month = months.upperBound
    return Self.date(year, month, Self.daysIn(month: month, of: year))
  }

  /// The period before: the previous month (January's is the December before) or quarter (Q1's
  /// is the Q4 before).
  var previous: ReportPeriod {
    let last = kind == .month ? 12 : 4
    return number == 1
      ? ReportPeriod(kind: kind, year: year - 1, number: last)
      : ReportPeriod(kind: kind, year: year, number: number - 1)
  }

  /// Whether the period has begun by `today` (a report of a period to come is refused).
  func hasBegun(by today: Governance_Common_V1_Date) -> Bool {
    Self.ordinal(firstDay) <= Self.ordinal(today)
  }

  /// Whether `today` falls within the period: its figures are still growing.
  func isUnderWay(on today: Governance_Common_V1_Date) -> Bool {
    hasBegun(by: today) && Self.ordinal(today) <= Self.ordinal(lastDay)
  }

  /// Whether `day` falls within the period.
  func contains(_ day: Governance_Common_V1_Date) -> Bool {
    Self.ordinal(firstDay) <= Self.ordinal(day) && Self.ordinal(day) <= Self.ordinal(lastDay)
  }

  static func daysIn(month: Int, of year: Int) -> Int {
    switch month {
    case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
    case 4, 6, 9, 11: 30
    default: 31
    }
  }

  static func date(_ year: Int, _ month: Int, _ day: Int) -> Governance_Common_V1_Date {
    .with {
      $0.year = Int32(year)
      $0.month = Int32(month)
      $0.day = Int32(day)
    }
  }

  /// A date as a number that sorts as the calendar does (20261130).
  static func ordinal(_ date: Governance_Common_V1_Date) -> Int {
    Int(date.year) * 10_000 + Int(date.month) * 100 + Int(date.day)
  }
}

// MARK: - The division rule

/// The division a report covers: a district or a street, by its code's significant digits.
struct ReportDivision: Sendable, Equatable {
  /// The division-code prefix: 6 digits for a district, 9 for a street.
  var prefix: String

  /// What the division parameter takes, in words, for the error that refuses it.
  static let rule =
    "is a district's code (6 digits, e.g. 320102) or a street's (9 digits, e.g. 320102001), or its 12-digit form"

  /// The rule "a report covers a district or a street, named by its significant digits (6 or 9)
  /// or its 12-digit code": the prefix, nil otherwise (a city, a community, a grid, not digits).
  /// A district's own two digits are not `00` (that is the city), nor a street's three `000`.
  static func parse(_ text: String) -> ReportDivision? {
    guard text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
    var digits = text
    if digits.utf8.count == 12 {
      guard digits.hasSuffix("000") else { return nil }
      digits = String(digits.prefix(9))
      if digits.hasSuffix("000") { digits = String(digits.prefix(6)) }
    }
    switch digits.utf8.count {
    case 6 where !digits.hasSuffix("00"): return ReportDivision(prefix: digits)
    case 9 where !digits.hasSuffix("000") && !digits.prefix(6).hasSuffix("00"): return ReportDivision(prefix: digits)
    default: return nil
    }
  }

  /// The division's own 12-digit code.
  var code: String { prefix.padding(toLength: 12, withPad: "0", startingAt: 0) }

  var level: String { prefix.utf8.count == 6 ? "district" : "street" }

  /// The rule "a report covers only a division the caller's jurisdiction holds".
  func isHeld(by principal: Principal) -> Bool {
    Jurisdiction.contains(scope: principal.scope, code: prefix)
  }
}

// MARK: - The report

/// What a figure counts, so it is shown and compared as what it is.
enum FigureUnit: String, Sendable, Encodable {
  /// A number of cases, members, companies…
  case count
  /// A share from 0 to 1 (shown as a percentage; its change in percentage points).
  case share
  /// A mean score (satisfaction 1 to 5, composite 0 to 100).
  case score
  /// Hours.
  case hours
}

/// One line of a report: a figure for the period and the period before, and where it comes from.
struct ReportFigure: Sendable, Encodable {
  var key: String
  /// The figure's name in Chinese, as the workbook writes it.
  var name: String
  var unit: FigureUnit
  /// Nil when there is no such figure for the period (nothing resolved, nothing published).
  var current: Double?
  var previous: Double?
  /// True for a figure the services keep only as it is now (coverage, registered volunteers, a
  /// company's current stars): `current` is its value when the report was made, `previous` nil.
  var snapshot: Bool
  /// The RPC and field it comes from.
  var source: String

  /// `current` less `previous`; nil when either is missing.
  var change: Double? {
    guard let current, let previous else { return nil }
    return current - previous
  }

  enum CodingKeys: String, CodingKey {
    case key, name, unit, current, previous, change, snapshot, source
  }

  /// Every key is written, nulls included, so a reader finds each one.
  func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(key, forKey: .key)
    try container.encode(name, forKey: .name)
    try container.encode(unit, forKey: .unit)
    try container.encode(current, forKey: .current)
    try container.encode(previous, forKey: .previous)
    try container.encode(change, forKey: .change)
    try container.encode(snapshot, forKey: .snapshot)
    try container.encode(source, forKey: .source)
  }
}

/// One topic of a report: one sheet of the workbook, one table of the page.
struct ReportTopic: Sendable, Encodable {
  /// `cases`, `party`, `volunteers`, `property`.
  var key: String
  /// 事件办理, 党建覆盖, 志愿服务, 物业考评: the sheet's name.
  var title: String
  var figures: [ReportFigure]
  /// What a reader should know of the figures' basis, in Chinese.
  var notes: [String]
}

/// The monthly (or quarterly) report of a district or street: per topic, each figure for the
/// period and the period before.
struct MonthlyReport: Sendable, Encodable {
  struct Division: Sendable, Encodable {
    var code: String
    var prefix: String
    var name: String
    var level: String
  }

  struct Period: Sendable, Encodable {
    var label: String
    var kind: ReportPeriod.Kind
    var title: String
    var from: String
    var to: String
    /// True while the period runs: its figures are still growing.
    var underWay: Bool

    init(_ period: ReportPeriod, today: Governance_Common_V1_Date) {
      label = period.label
      kind = period.kind
      title = period.title
      from = CalendarDate.iso(period.firstDay)
      to = CalendarDate.iso(period.lastDay)
      underWay = period.isUnderWay(on: today)
    }

    enum CodingKeys: String, CodingKey {
      case label, kind, title, from, to
      case underWay = "under_way"
    }
  }

  /// `仙街街道2026年11月月度报表`, `玄武区2026年第4季度报表`: the workbook's name.
  var title: String
  var division: Division
  var period: Period
  var previous: Period
  var generatedTime: String
  var generatedBy: String
  var topics: [ReportTopic]

  enum CodingKeys: String, CodingKey {
    case title, division, period, previous, topics
    case generatedTime = "generated_time"
    case generatedBy = "generated_by"
  }

  /// A report's title: the division, the period, and what kind of report it is.
  static func title(division: String, period: ReportPeriod) -> String {
    "\(division)\(period.title)\(period.kind == .month ? "月度报表" : "报表")"
  }
}

// MARK: - Gathering the figures

/// Gathers a report's figures from the services, as the caller: each service holds the caller
/// to their jurisdiction, as it does for the console's dashboard, whose RPCs and definitions
/// these are.
///
/// - 事件办理: GetCaseStatistics of the grid service for the division and each period (by report
///   date, both ends inclusive); the shares resolved within the grid, community and street are
///   the dashboard's KPI (the shares of `resolved_by_level` summed upwards); escalated cases are
///   those of the period's ListCases with `escalation_count > 0`, which the statistics do not
///   count.
/// - 党建覆盖: GetCoverage of the organisation service, which knows coverage only as it is now; the
///   dual registration (在职党员社区报到) per period from ListCommunityRegistrations: registrations
///   active on the period's last day (today for a period under way: then it is GetCoverage's
///   `in_service_registered`), and those made within the period.
/// - 志愿服务: GetServiceTotals of the volunteers service for each period; its registered volunteers
///   and teams are those registered now.
/// - 物业考评: GetPropertyStatistics of the property service (companies registered in the division
///   by their stars and lists, as they are now); and per period the evaluation service's star
///   ratings and red/black lists in force at the period's end: the latest quarterly publication
///   published by then (ListPeriods, GetPublication), its companies held to those evaluated on
///   compounds of the division (GetCompositeScore's compounds, ListCompounds).
struct MonthlyReportGatherer: Sendable {
  let peers: PeerClients

  /// Records a page asks for: the services' largest page.
  static let pageSize: Int32 = 500

  /// The RPCs a report calls: the caller's role must be allowed every one.
  static let methods: [(service: String, method: String)] = [
    ("governance.grid.v1.GridService", "GetDivision"), ("governance.grid.v1.GridService", "GetCaseStatistics"),
    ("governance.grid.v1.GridService", "ListCases"), ("governance.organisation.v1.OrganisationService", "GetCoverage"),
    ("governance.organisation.v1.OrganisationService", "ListCommunityRegistrations"),
    ("governance.volunteers.v1.VolunteersService", "GetServiceTotals"),
    ("governance.property.v1.PropertyService", "GetPropertyStatistics"),
    ("governance.property.v1.PropertyService", "ListCompounds"),
    ("governance.evaluation.v1.EvaluationService", "ListPeriods"),
    ("governance.evaluation.v1.EvaluationService", "GetPublication"),
    ("governance.evaluation.v1.EvaluationService", "GetCompositeScore"),
  ]

  /// The report of `division` for `period` and the period before, read as the current principal.
  func gather(division asked: ReportDivision, period: ReportPeriod, principal: Principal, now: Date = Date())
    async throws -> MonthlyReport
  {
    let today = CalendarDate.today(at: now)
    let grid = Governance_Grid_V1_GridService.Client(wrapping: peers.client(for: .grid))
    let found = try await grid.getDivision(.with { $0.divisionCode = asked.code })
    let before = period.previous
    async let cases = caseTopic(asked.prefix, period, before)
    async let party = partyTopic(asked.prefix, period, before, today: today)
    async let volunteers = volunteerTopic(asked.prefix, period, before)
    async let property = propertyTopic(asked.prefix, period, before, today: today, now: now)
    let topics = try await [cases, party, volunteers, property]
    return MonthlyReport(
      title: MonthlyReport.title(division: found.name, period: period),
      division: .init(code: asked.code, prefix: asked.prefix, name: found.name, level: asked.level),
      period: .init(period, today: today), previous: .init(before, today: today),
      generatedTime: Self.cityTime(now), generatedBy: principal.subject, topics: topics)
  }

  /// An instant as ISO 8601 in the city's time: `2026-12-01T15:42:18+08:00`.
  static func cityTime(_ time: Date) -> String {
    let formatter = ISO8601DateFormatter()
    formatter.timeZone = CalendarDate.timeZone
    return formatter.string(from: time)
  }

  // MARK: 事件办理

  /// The case sources, in the contract's order, with the console's names for them.
  static let sources: [(source: Governance_Grid_V1_CaseSource, key: String, name: String)] = [
    (.resident, "resident", "居民上报"), (.patrol, "patrol", "网格巡查"), (.cityPlatform, "city_platform", "市域平台"),
    (.sensorAlarm, "sensor_alarm", "物联感知告警"), (.opinionCollection, "opinion_collection", "民意收集"),
    (.consultationMeeting, "consultation_meeting", "协商议事"),
  ]

  /// A period's case figures from its statistics and its escalated cases, by figure key. A share
  /// of nothing (no case resolved, none evaluated) is left out rather than written as 0.
  static func caseFigures(_ totals: Governance_Grid_V1_CaseStatistics, escalated: Int64) -> [String: Double] {
    var figures: [String: Double] = ["cases.total": Double(totals.total)]
    for (source, key, _) in sources {
      figures["cases.source.\(key)"] = Double(
        totals.bySource.filter { $0.source == source }.reduce(0) { $0 + $1.count })
    }
    let resolved = totals.resolvedByLevel.reduce(Int64(0)) { $0 + $1.resolved }
    figures["cases.resolved"] = Double(resolved)
    if resolved > 0 {
      let share: (Governance_Grid_V1_CaseLevel) -> Double = { level in
        totals.resolvedByLevel.first { $0.level == level }?.share ?? 0
      }
      // Kept within a level: resolved there or below (the dashboard's KPI).
      figures["cases.kept_grid"] = share(.grid)
      figures["cases.kept_community"] = share(.grid) + share(.community)
      figures["cases.kept_street"] = share(.grid) + share(.community) + share(.street)
      figures["cases.on_time_rate"] = totals.onTimeRate
    }
    figures["cases.evaluated"] = Double(totals.evaluated)
    if totals.evaluated > 0 {
      figures["cases.satisfied_rate"] = totals.satisfiedRate
      figures["cases.mean_satisfaction"] = totals.meanSatisfaction
    }
    figures["cases.overdue"] = Double(totals.overdue)
    figures["cases.escalated"] = Double(escalated)
    return figures
  }

  /// The lines of the 事件办理 sheet: key, name, unit, source.
  static let caseLines: [(key: String, name: String, unit: FigureUnit, source: String)] =
    [("cases.total", "事件总数", .count, "GetCaseStatistics totals.total")]
    + sources.map {
      ("cases.source.\($0.key)", "其中：\($0.name)", .count, "GetCaseStatistics totals.by_source")
    } + [
      ("cases.resolved", "已解决事件", .count, "GetCaseStatistics totals.resolved_by_level[].resolved, summed"),
      ("cases.kept_grid", "网格内解决率（微事不出格）", .share, "GetCaseStatistics totals.resolved_by_level GRID share"),
      (
        "cases.kept_community", "社区内解决率（小事不出社区）", .share,
        "GetCaseStatistics totals.resolved_by_level GRID + COMMUNITY shares"
      ),
      (
        "cases.kept_street", "街道内解决率（大事不出街道）", .share,
        "GetCaseStatistics totals.resolved_by_level GRID + COMMUNITY + STREET shares"
      ),
      ("cases.on_time_rate", "按期办结率", .share, "GetCaseStatistics totals.on_time_rate"),
      ("cases.evaluated", "参与评价事件", .count, "GetCaseStatistics totals.evaluated"),
      ("cases.satisfied_rate", "满意率（4、5 分）", .share, "GetCaseStatistics totals.satisfied_rate"),
      ("cases.mean_satisfaction", "平均满意度（5 分制）", .score, "GetCaseStatistics totals.mean_satisfaction"),
      ("cases.overdue", "超期事件", .count, "GetCaseStatistics totals.overdue"),
      ("cases.escalated", "升级上报事件", .count, "ListCases: cases reported in the period with escalation_count > 0"),
    ]

  func caseTopic(_ prefix: String, _ period: ReportPeriod, _ before: ReportPeriod) async throws -> ReportTopic {
    async let now = cases(prefix, period)
    async let then = cases(prefix, before)
    let (current, previous) = try await (now, then)
    return ReportTopic(
      key: "cases", title: "事件办理",
      figures: Self.caseLines.map { line in
        ReportFigure(
          key: line.key, name: line.name, unit: line.unit, current: current[line.key], previous: previous[line.key],
          snapshot: false, source: line.source)
      },
      notes: [
        "事件按上报日期计入期间；解决率、按期办结率以已解决事件为分母，满意率、平均满意度以参与评价事件为分母，分母为零时记“—”。",
        "网格内、社区内、街道内解决率为在该层级及以下解决的事件占已解决事件的比例，与总览页一致。",
        "升级上报事件为期间上报、曾经升级（手动或超时自动）的事件。",
      ])
  }

  /// One period's case figures: its statistics and its escalated cases.
  func cases(_ prefix: String, _ period: ReportPeriod) async throws -> [String: Double] {
    let grid = Governance_Grid_V1_GridService.Client(wrapping: peers.client(for: .grid))
    let statistics = try await grid.getCaseStatistics(
      .with {
        $0.divisionPrefix = prefix
        $0.fromDate = period.firstDay
        $0.toDate = period.lastDay
      })
    var escalated: Int64 = 0
    var token = ""
    repeat {
      let page = try await grid.listCases(
        .with {
          $0.divisionPrefix = prefix
          $0.fromDate = period.firstDay
          $0.toDate = period.lastDay
          $0.pageSize = Self.pageSize
          $0.pageToken = token
        })
      escalated += Int64(page.cases.filter { $0.escalationCount > 0 }.count)
      token = page.nextPageToken
    } while !token.isEmpty
    return Self.caseFigures(statistics.totals, escalated: escalated)
  }

  // MARK: 党建覆盖

  func partyTopic(_ prefix: String, _ period: ReportPeriod, _ before: ReportPeriod, today: Governance_Common_V1_Date)
    async throws -> ReportTopic
  {
    let organisation = Governance_Organisation_V1_OrganisationService.Client(wrapping: peers.client(for: .organisation))
    async let coverage = organisation.getCoverage(.with { $0.divisionPrefix = prefix })
    var registrations: [Governance_Organisation_V1_CommunityRegistration] = []
    var token = ""
    repeat {
      let page = try await organisation.listCommunityRegistrations(
        .with {
          $0.divisionPrefix = prefix
          $0.includeEnded = true
          $0.pageSize = Self.pageSize
          $0.pageToken = token
        })
      registrations += page.registrations
      token = page.nextPageToken
    } while !token.isEmpty
    let figures = try await coverage.figures
    let snapshot: [(String, String, FigureUnit, Double, String)] = [
      ("party.compound_coverage", "小区党组织覆盖率", .share, figures.compoundCoverage, "GetCoverage compound_coverage"),
      ("party.compounds_total", "小区总数", .count, Double(figures.compoundsTotal), "GetCoverage compounds_total"),
      (
        "party.compounds_covered", "已建党组织的小区", .count, Double(figures.compoundsWithPartyOrganisation),
        "GetCoverage compounds_with_party_organisation"
      ),
      ("party.company_coverage", "物业企业党建覆盖率", .share, figures.companyCoverage, "GetCoverage company_coverage"),
      ("party.companies_total", "物业企业", .count, Double(figures.companiesTotal), "GetCoverage companies_total"),
      (
        "party.companies_covered", "党建覆盖的物业企业", .count, Double(figures.companiesCovered),
        "GetCoverage companies_covered"
      ),
      ("party.grid_coverage", "网格党支部覆盖率", .share, figures.gridCoverage, "GetCoverage grid_coverage"),
      ("party.grids_total", "网格总数", .count, Double(figures.gridsTotal), "GetCoverage grids_total"),
      ("party.grids_with_branch", "建有党支部的网格", .count, Double(figures.gridsWithBranch), "GetCoverage grids_with_branch"),
      (
        "party.buildings_with_group", "建有党小组的楼栋", .count, Double(figures.buildingsWithGroup),
        "GetCoverage buildings_with_group"
      ),
      ("party.red_butlers", "红色管家（党员楼栋长）", .count, Double(figures.redButlers), "GetCoverage red_butlers"),
      ("party.formal_members", "正式党员", .count, Double(figures.formalMembers), "GetCoverage formal_members"),
      (
        "party.probationary_members", "预备党员", .count, Double(figures.probationaryMembers),
        "GetCoverage probationary_members"
      ),
    ]
    let active: (ReportPeriod) -> Double = { period in
      Double(Self.registeredAtEnd(registrations, of: period, today: today))
    }
    let made: (ReportPeriod) -> Double = { period in
      Double(registrations.filter { period.contains($0.registeredDate) }.count)
    }
    return ReportTopic(
      key: "party", title: "党建覆盖",
      figures: snapshot.map {
        ReportFigure(key: $0.0, name: $0.1, unit: $0.2, current: $0.3, previous: nil, snapshot: true, source: $0.4)
      } + [
        ReportFigure(
          key: "party.registered", name: "在职党员社区报到（期末在册）", unit: .count, current: active(period),
          previous: active(before), snapshot: false,
          source: "ListCommunityRegistrations: active on the period's last day (today while it runs)"),
        ReportFigure(
          key: "party.registered_new", name: "在职党员社区报到（本期新报到）", unit: .count, current: made(period),
          previous: made(before), snapshot: false,
          source: "ListCommunityRegistrations: registered_date within the period"),
      ],
      notes: [
        "覆盖率及小区、企业、网格、楼栋、党员数为生成报表时的现状（组织服务不保存历史），上期记“—”。",
        "在职党员社区报到（期末在册）为期末当日有效的报到（本期尚未结束的，为今日有效的报到，与总览页一致）。",
      ])
  }

  /// The rule "a registration counts at a period's end while it is active that day": registered
  /// on or before the period's last day (today, for a period under way) and not ended by then.
  static func registeredAtEnd(
    _ registrations: [Governance_Organisation_V1_CommunityRegistration], of period: ReportPeriod,
    today: Governance_Common_V1_Date
  ) -> Int {
    let end = ReportPeriod.ordinal(period.isUnderWay(on: today) ? today : period.lastDay)
    return registrations.filter { registration in
      ReportPeriod.ordinal(registration.registeredDate) <= end
        && (!registration.hasEndedDate || ReportPeriod.ordinal(registration.endedDate) > end)
    }.count
  }

  // MARK: 志愿服务

  func volunteerTopic(_ prefix: String, _ period: ReportPeriod, _ before: ReportPeriod) async throws -> ReportTopic {
    async let now = serviceTotals(prefix, period)
    async let then = serviceTotals(prefix, before)
    let (current, previous) = try await (now, then)
    let lines: [(String, String, FigureUnit, (Governance_Volunteers_V1_ServiceTotals) -> Double, String)] = [
      ("volunteers.hours", "志愿服务时长（小时）", .hours, { $0.hours }, "GetServiceTotals hours"),
      ("volunteers.records", "服务记录", .count, { Double($0.recordCount) }, "GetServiceTotals record_count"),
      ("volunteers.active", "参与服务的志愿者", .count, { Double($0.volunteerCount) }, "GetServiceTotals volunteer_count"),
      (
        "volunteers.residents_served", "服务居民（人次）", .count, { Double($0.residentsServed) },
        "GetServiceTotals residents_served"
      ),
      ("volunteers.posts_claimed", "认领服务岗位", .count, { Double($0.postsClaimed) }, "GetServiceTotals posts_claimed"),
      (
        "volunteers.wishes_confirmed", "实现微心愿", .count, { Double($0.microWishesConfirmed) },
        "GetServiceTotals micro_wishes_confirmed"
      ),
      (
        "volunteers.mobilisations_answered", "响应应急动员", .count, { Double($0.mobilisationsAnswered) },
        "GetServiceTotals mobilisations_answered"
      ),
    ]
    return ReportTopic(
      key: "volunteers", title: "志愿服务",
      figures: lines.map {
        ReportFigure(
          key: $0.0, name: $0.1, unit: $0.2, current: $0.3(current), previous: $0.3(previous), snapshot: false,
          source: $0.4)
      } + [
        ReportFigure(
          key: "volunteers.registered", name: "注册志愿者", unit: .count, current: Double(current.registeredVolunteers),
          previous: nil, snapshot: true, source: "GetServiceTotals registered_volunteers"),
        ReportFigure(
          key: "volunteers.teams", name: "志愿队伍", unit: .count, current: Double(current.teams), previous: nil,
          snapshot: true, source: "GetServiceTotals teams"),
      ],
      notes: [
        "服务时长、记录与人次为期间内开始并已确认的服务；微心愿按确认实现日期、岗位按认领日期计入期间。",
        "注册志愿者、志愿队伍为生成报表时在册的数，上期记“—”。",
      ])
  }

  /// One period's volunteer totals.
  func serviceTotals(_ prefix: String, _ period: ReportPeriod) async throws -> Governance_Volunteers_V1_ServiceTotals {
    let volunteers = Governance_Volunteers_V1_VolunteersService.Client(wrapping: peers.client(for: .volunteers))
    return try await volunteers.getServiceTotals(
      .with {
        $0.divisionPrefix = prefix
        $0.fromDate = period.firstDay
        $0.toDate = period.lastDay
      })
  }

  // MARK: 物业考评

  /// The star ratings and lists of one quarterly publication, for the companies evaluated on the
  /// division's compounds.
  struct Outcome: Sendable {
    var label: String
    var published: Date
    var companies: Int
    var stars: [Int: Int]
    var red: Int
    var black: Int
    var meanTotal: Double?
  }

  func propertyTopic(
    _ prefix: String, _ period: ReportPeriod, _ before: ReportPeriod, today: Governance_Common_V1_Date, now: Date
  ) async throws -> ReportTopic {
    let property = Governance_Property_V1_PropertyService.Client(wrapping: peers.client(for: .property))
    let evaluation = Governance_Evaluation_V1_EvaluationService.Client(wrapping: peers.client(for: .evaluation))
    async let statistics = property.getPropertyStatistics(.with { $0.divisionPrefix = prefix })
    // The published quarters visible from the division (a district's, for its streets too).
    var periods: [Governance_Evaluation_V1_EvaluationPeriod] = []
    var token = ""
    repeat {
      let page = try await evaluation.listPeriods(
        .with {
          $0.divisionPrefix = prefix
          $0.kind = .quarterly
          $0.state = .published
          $0.pageSize = Self.pageSize
          $0.pageToken = token
        })
      periods += page.periods.filter(\.hasPublishTime)
      token = page.nextPageToken
    } while !token.isEmpty
    // The publication in force at a period's end: the latest published by then.
    let inForce: (ReportPeriod) -> Governance_Evaluation_V1_EvaluationPeriod? = { period in
      let end = Self.endInstant(of: period)
      return periods.filter { $0.publishTime.date < end }.max { $0.publishTime.date < $1.publishTime.date }
    }
    let chosen = [inForce(period), inForce(before)]
    var outcomes: [String: Outcome] = [:]
    let wanted = Set(chosen.compactMap { $0?.id })
    if !wanted.isEmpty {
      var compounds = Set<String>()
      token = ""
      repeat {
        let page = try await property.listCompounds(
          .with {
            $0.divisionPrefix = prefix
            $0.pageSize = Self.pageSize
            $0.pageToken = token
          })
        compounds.formUnion(page.compounds.map(\.id))
        token = page.nextPageToken
      } while !token.isEmpty
      for quarter in periods where wanted.contains(quarter.id) {
        outcomes[quarter.id] = try await outcome(of: quarter, compounds: compounds)
      }
    }
    let current = chosen[0].flatMap { outcomes[$0.id] }
    let previous = chosen[1].flatMap { outcomes[$0.id] }
    let stats = try await statistics
    let starCount: (Int32) -> Double = { star in
      Double(stats.companiesByStar.filter { $0.starRating == star }.reduce(0) { $0 + $1.count })
    }
    let listCount: (Governance_Property_V1_ListStatus) -> Double = { status in
      Double(stats.companiesByList.filter { $0.listStatus == status }.reduce(0) { $0 + $1.count })
    }
    let names = [5: "五星", 4: "四星", 3: "三星", 2: "二星", 1: "一星"]
    var figures: [ReportFigure] = [
      ReportFigure(
        key: "property.companies", name: "登记在辖区的物业企业", unit: .count, current: Double(stats.companiesTotal),
        previous: nil, snapshot: true, source: "GetPropertyStatistics companies_total")
    ]
    for star in [5, 4, 3, 2, 1] {
      figures.append(
        ReportFigure(
          key: "property.stars\(star)", name: "其中：\(names[star]!)企业", unit: .count, current: starCount(Int32(star)),
          previous: nil, snapshot: true, source: "GetPropertyStatistics companies_by_star"))
    }
    figures += [
      ReportFigure(
        key: "property.unrated", name: "其中：未评星企业", unit: .count, current: starCount(0), previous: nil,
        snapshot: true, source: "GetPropertyStatistics companies_by_star (0)"),
      ReportFigure(
        key: "property.red", name: "红榜企业", unit: .count, current: listCount(.red), previous: nil, snapshot: true,
        source: "GetPropertyStatistics companies_by_list RED"),
      ReportFigure(
        key: "property.black", name: "黑榜企业", unit: .count, current: listCount(.black), previous: nil, snapshot: true,
        source: "GetPropertyStatistics companies_by_list BLACK"),
    ]
    let evaluated: (String, String, FigureUnit, (Outcome) -> Double?, String) -> ReportFigure = {
      key, name, unit, value, source in
      ReportFigure(
        key: key, name: name, unit: unit, current: current.flatMap(value), previous: previous.flatMap(value),
        snapshot: false, source: source)
    }
    figures.append(
      evaluated(
        "evaluation.companies", "期末生效考评结果：参评企业", .count, { Double($0.companies) },
        "GetPublication entries (companies evaluated on the division's compounds)"))
    for star in [5, 4, 3, 2, 1] {
      figures.append(
        evaluated(
          "evaluation.stars\(star)", "其中：评为\(names[star]!)", .count, { Double($0.stars[star] ?? 0) },
          "GetPublication entries[].stars"))
    }
    figures += [
      evaluated("evaluation.red", "列入红榜", .count, { Double($0.red) }, "GetPublication entries[].list_status RED"),
      evaluated(
        "evaluation.black", "列入黑榜", .count, { Double($0.black) }, "GetPublication entries[].list_status BLACK"),
      evaluated("evaluation.mean_total", "平均综合得分", .score, { $0.meanTotal }, "GetPublication entries[].total, mean"),
    ]
    let basis: (String, Outcome?) -> String = { which, outcome in
      guard let outcome else { return "\(which)期末无已发布的季度考评结果，记“—”。" }
      let day = CalendarDate.iso(CalendarDate.today(at: outcome.published))
      return "\(which)期末生效的是 \(outcome.label) 季度考评结果（\(day) 发布）。"
    }
    return ReportTopic(
      key: "property", title: "物业考评", figures: figures,
      notes: [
        "企业星级与红黑榜为生成报表时物业服务登记的现状（只计登记在本辖区的企业），上期记“—”。",
        "“期末生效考评结果”为期末前最近一次发布的季度星级评定与红黑榜，只计在本辖区小区参评的企业。",
        basis("本", current), basis("上", previous),
      ])
  }

  /// One publication's outcome for the companies evaluated on `compounds`.
  func outcome(of quarter: Governance_Evaluation_V1_EvaluationPeriod, compounds: Set<String>) async throws -> Outcome {
    let evaluation = Governance_Evaluation_V1_EvaluationService.Client(wrapping: peers.client(for: .evaluation))
    let publication = try await evaluation.getPublication(.with { $0.periodID = quarter.id })
    var entries: [Governance_Evaluation_V1_PublishedEntry] = []
    for entry in publication.entries {
      let composite = try await evaluation.getCompositeScore(.with { $0.id = entry.compositeScoreID })
      if composite.compoundIds.contains(where: compounds.contains) { entries.append(entry) }
    }
    var stars: [Int: Int] = [:]
    for entry in entries { stars[Int(entry.stars), default: 0] += 1 }
    return Outcome(
      label: quarter.label, published: quarter.publishTime.date, companies: entries.count, stars: stars,
      red: entries.filter { $0.listStatus == .red }.count, black: entries.filter { $0.listStatus == .black }.count,
      meanTotal: entries.isEmpty ? nil : entries.map(\.total).reduce(0, +) / Double(entries.count))
  }

  /// The instant a period ends: midnight after its last day in the city's calendar.
  static func endInstant(of period: ReportPeriod) -> Date {
    let last = period.lastDay
    let days = CalendarDate.daysSinceEpoch(year: Int64(last.year), month: Int64(last.month), day: Int64(last.day)) + 1
    return Date(timeIntervalSince1970: Double(days * 86_400 - 8 * 3_600))
  }
}
