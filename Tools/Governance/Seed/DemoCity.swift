import GRPCCore
import GRPCNIOTransportHTTP2
import GovernanceAPI
import ServiceKit

/// The demo city `governance up --demo` and `governance seed --scale small` load through the
/// public APIs, big enough that every console screen has something to show, in seconds:
///
/// - `CitySeed`'s town of seed 1: the district 玄武区 with 3 streets, 10 communities, 60 compounds,
///   12 contracts, 200 grids with 400 workers, party branches and members, volunteers and a year
///   of monthly four-party scores; and its archive of 2,000 finished cases, imported only while
///   the district holds no case, since the archive carries no request ids;
/// - live cases at every step of the workflow and every handling level (`liveCases`);
/// - cases that go overdue by themselves: the last community's deadline policy gives LOW-priority
///   cases 60 seconds at every level, and three LOW-priority cases are reported there, so the
///   grid service's own deadline sweep (every 30 s) escalates them to the community, then to the
///   street, and marks them overdue there, each step at the first sweep after a minute: within
///   4.5 minutes of the load;
/// - the district's quarter 2026 Q3 assessed by a five-party panel, with residents' surveys,
///   closed, its composite scores computed and its red and black lists published; and 2026 Q4,
///   the quarter under way, assessed but for one seat and left open (`DemoCity+Quarter.swift`);
/// - community life (`DemoCity+CommunityLife.swift`): owners' and self-management committees and
///   party-mass councils with party members among their members, in-service members registered
///   at their communities, joint conferences in most communities this quarter, micro-wishes in
///   every state, service posts in the coming weeks with claims, confirmed service hours,
///   buildings with building leaders in one community, a joint acceptance under way, and every
///   grid's duty roster from the day of the load.
///
/// Every request carries a fixed `request_id`, so loading it again changes nothing while the
/// services remember those ids (`IdempotencyLedger.retention`, 7 days).
enum DemoCity {
  /// The town's seed: the same town, with the same request ids, on every load.
  static let seed: UInt64 = 1
  /// Finished cases in the town's archive: a year of history for the statistics.
  static let historicalCases = 2000

  /// What a live case is about: a title and its category, the category one of
  /// `CaseArchive.categories`, so that live and archived cases count together in the statistics.
  static let topics: [(title: String, category: String)] = [
    ("楼道堆放杂物", "消防隐患"), ("路灯不亮", "市政设施"), ("垃圾清运不及时", "环境卫生"), ("电梯故障", "物业服务"),
    ("夜间施工噪音扰民", "噪音扰民"), ("井盖缺失", "市政设施"), ("私拉电线充电", "消防隐患"), ("小区车辆乱停放", "停车管理"),
    ("绿化带破损", "绿化养护"), ("漏水影响楼下", "邻里纠纷"), ("违章搭建阳光房", "违章搭建"), ("单元门禁损坏", "治安防范"),
  ]

  /// A step taken on a live case after its report, by the operator on the handlers' behalf.
  enum Step: Sendable, Equatable {
    case accept, assign, start, resolve, close, reject, escalate, transfer
    /// The reporter's satisfaction, 1 to 5.
    case evaluate(Int32)
    /// The street escalates to the district department it names (吹哨报到).
    case summon(String)
  }

  /// One live case: its topic (an index into `topics`), where it came from, whether a resident
  /// left a name and phone, its priority, and the steps taken on it in order.
  struct LiveCase: Sendable {
    let topic: Int
    let source: Governance_Grid_V1_CaseSource
    let reporter: Bool
    let priority: Governance_Grid_V1_CasePriority
    let steps: [Step]

    init(
      _ topic: Int, _ source: Governance_Grid_V1_CaseSource, reporter: Bool = false,
      priority: Governance_Grid_V1_CasePriority = .normal, _ steps: [Step]
    ) {
      self.topic = topic
      self.source = source
      self.reporter = reporter
      self.priority = priority
      self.steps = steps
    }
  }

  /// The steps that put a case in a worker's hands and under way.
  static let handled: [Step] = [.accept, .assign, .start]

  /// Cases at every status (REPORTED to CLOSED, and REJECTED), at the grid, the community, the
  /// street and a district department, one transferred to a neighbouring grid.
  static let liveCases: [LiveCase] = [
    LiveCase(0, .resident, reporter: true, []), LiveCase(1, .patrol, []), LiveCase(2, .resident, []),
    LiveCase(5, .resident, reporter: true, priority: .high, []),
    LiveCase(3, .resident, reporter: true, priority: .high, [.accept]), LiveCase(6, .patrol, [.accept]),
    LiveCase(7, .resident, [.accept]),
    LiveCase(4, .resident, reporter: true, [.accept, .assign]), LiveCase(8, .patrol, [.accept, .assign]),
    LiveCase(9, .resident, [.accept, .assign]),
    LiveCase(10, .patrol, handled), LiveCase(11, .resident, reporter: true, handled), LiveCase(2, .resident, handled),
    LiveCase(0, .patrol, handled + [.resolve]), LiveCase(1, .resident, reporter: true, handled + [.resolve]),
    LiveCase(8, .resident, handled + [.resolve]),
    LiveCase(3, .resident, reporter: true, handled + [.resolve, .evaluate(5)]),
    LiveCase(9, .resident, reporter: true, handled + [.resolve, .evaluate(4)]),
    LiveCase(4, .resident, handled + [.resolve, .evaluate(3)]),
    LiveCase(2, .resident, reporter: true, handled + [.resolve, .evaluate(5), .close]),
    LiveCase(7, .resident, handled + [.resolve, .evaluate(4), .close]),
    LiveCase(5, .patrol, handled + [.resolve, .close]),
    LiveCase(4, .resident, reporter: true, [.reject]), LiveCase(10, .resident, [.reject]),
    LiveCase(9, .resident, reporter: true, [.accept, .escalate]),
    LiveCase(6, .patrol, priority: .high, [.accept, .escalate] + handled.dropFirst()),
    LiveCase(0, .resident, reporter: true, [.accept, .escalate] + handled.dropFirst() + [.resolve, .evaluate(4)]),
    LiveCase(10, .patrol, [.accept, .escalate, .escalate]),
    LiveCase(
      7, .resident, reporter: true,
      [.accept, .escalate, .escalate] + handled.dropFirst() + [.resolve, .evaluate(3), .close]
    ),
    LiveCase(5, .resident, [.accept, .escalate, .escalate, .summon("区城市管理局")]),
    LiveCase(1, .resident, reporter: true, [.accept, .transfer, .assign]),
  ]

  /// The cases the deadline sweep makes overdue: one accepted, one assigned, one being handled.
  /// None is left REPORTED, so that whoever takes up a reported case in the demo does not race
  /// the sweep.
  static let lowPriorityCases: [LiveCase] = [
    LiveCase(8, .resident, reporter: true, priority: .low, [.accept]),
    LiveCase(11, .patrol, priority: .low, [.accept, .assign]), LiveCase(2, .resident, priority: .low, handled),
  ]

  /// Loads the demo city into the services at `addresses`, as the operator holding the system's
  /// token key; returns a one-line summary of what was loaded.
  static func load(addresses: [ServiceIdentity: NetworkAddress], authority: TokenAuthority) async throws -> String {
    let services = SeedConnections(addresses: addresses, authority: authority)
    let plan = try CityPlan(scale: .town, seed: seed)
    // The archive has no request ids, so it goes in only while the town's district has no case:
    // not again on a rerun, yet also into a data directory that holds an earlier release's demo
    // city, whose cases are in another district.
    let hasCases = try await services.connect(.grid) { client in
      try await !Governance_Grid_V1_GridService.Client(wrapping: client).listCases(
        .with {
          $0.pageSize = 1
          $0.divisionPrefix = String(plan.districts[0].code.prefix(6))
        }
      ).cases.isEmpty
    }
    // Progress lines on a terminal only: `governance up`'s standard error carries the logs.
    let progress = SeedProgress(intoFiles: false)
    let city = try await CitySeed.loadCity(
      plan, addresses: addresses, authority: authority, historicalCases: hasCases ? 0 : historicalCases,
      progress: progress)
    // The community life goes in beside the live cases and the quarters, whose stages the
    // progress shows; its own calls are counted out of sight.
    async let life = loadCommunityLife(city, services, SeedProgress(shown: false))
    let live = try await services.connect(.grid) { client in
      try await loadLiveCases(city, client, progress)
    }
    let (publication, open) = try await services.connect(.evaluation) { client in
      try await loadQuarters(city, client, progress)
    }
    let archive = city.archived > 0 ? "\(city.archived) historical cases" : "the historical cases loaded before"
    let escalated = liveCases.filter { $0.steps.contains(.escalate) }.count
    let transferred = liveCases.filter { $0.steps.contains(.transfer) }.count
    return "demo city \(plan.districts[0].name) (the town of seed \(seed)): "
      + (city.registers + [archive]).joined(separator: ", ")
      + "; \(live) live cases at every step (\(escalated) escalated, \(transferred) transferred), "
      + "\(lowPriorityCases.count) of them LOW priority in \(plan.communities[overdueCommunity(of: plan)].name), "
      + "overdue within minutes; \(label(publishedQuarter)) published: \(publication.companyCount) companies rated, "
      + "\(publication.redCount) on the red list, \(publication.blackCount) on the black list; "
      + (open.state == .open
        ? "\(open.label) open, one seat's scores to enter" : "\(open.label) taken further since: \(open.state)")
      + "; " + (try await life)
  }

  // MARK: - Live cases

  /// The community whose LOW-priority cases run out of time within minutes: the town's last.
  static func overdueCommunity(of plan: CityPlan) -> Int { plan.communities.count - 1 }

  /// Sets the overdue community's deadline policy, then reports every live case in its grid and
  /// takes its steps, the cases side by side; returns how many cases there are.
  static func loadLiveCases(
    _ city: CitySeed.LoadedCity, _ client: CitySeed.Client, _ progress: SeedProgress
  ) async throws -> Int {
    let plan = city.plan
    let grid = Governance_Grid_V1_GridService.Client(wrapping: client)
    let overdueCommunity = overdueCommunity(of: plan)
    _ = try await grid.setDeadlinePolicy(
      .with {
        $0.requestID = "demo-town-policy-\(plan.communities[overdueCommunity].code)"
        $0.policy.divisionCode = plan.communities[overdueCommunity].code
        $0.policy.deadlines = [Governance_Grid_V1_CaseLevel.grid, .community, .street, .districtDepartment].map {
          level in
          .with {
            $0.level = level
            $0.priority = .low
            $0.limit = .init(seconds: 60)
          }
        }
        $0.policy.reopenWindowDays = 7
        $0.policy.evaluationWindowDays = 7
        $0.policy.alarmAckTimeout = .init(seconds: 60)
      })

    // The regular cases go round the other communities, a street at a time, so that every
    // street has cases at every step; one grid further on each round. The overdue community
    // keeps only the LOW-priority ones.
    let round = plan.streets.indices.map { street in
      plan.communities.indices.filter { $0 != overdueCommunity && plan.communities[$0].street == street }
    }
    let order = (0..<(round.map(\.count).max() ?? 0)).flatMap { rank in
      round.compactMap { rank < $0.count ? $0[rank] : nil }
    }
    let placed: [(live: LiveCase, grid: Int)] =
      liveCases.enumerated().map { index, live in
        let community = plan.communities[order[index % order.count]]
        return (live, community.grids.lowerBound + (index / order.count) % community.grids.count)
      }
      + lowPriorityCases.enumerated().map { index, live in
        let community = plan.communities[overdueCommunity]
        return (live, community.grids.lowerBound + index % community.grids.count)
      }
    let transfers = placed.filter { $0.live.steps.contains(.transfer) }.map { transferTarget(of: $0.grid, in: plan) }
    let gridsUsed = Set(placed.map(\.grid) + transfers).sorted()
    let workers = try await workerIDs(of: gridsUsed.map { plan.grids[$0].code }, grid)

    progress.begin(stage: "live cases", total: placed.count)
    try await CitySeed.calls(placed.count, of: "live case", progress) { index in
      let (live, gridIndex) = placed[index]
      var rng = SplitMix64(seed: seed &+ UInt64(index), stream: .liveCases)
      try await runLiveCase(
        index, live, in: gridIndex, plan: plan, property: city.property,
        workers: workers, reporter: live.reporter ? (ChineseNames.person(&rng), ChineseNames.mobile(&rng)) : nil,
        grid)
    }
    progress.end()
    return placed.count
  }

  /// The grid a case of `grid` is transferred to: the next grid of its community.
  static func transferTarget(of grid: Int, in plan: CityPlan) -> Int {
    let grids = plan.communities[plan.grids[grid].community].grids
    return grids.lowerBound + (grid - grids.lowerBound + 1) % grids.count
  }

  /// The worker each grid's cases are assigned to, by grid code: its full-time worker, else its
  /// first. At the community and the street too, the case goes to the worker of its grid, whom
  /// the higher level sends with its own means.
  static func workerIDs(
    of gridCodes: [String], _ grid: Governance_Grid_V1_GridService.Client<HTTP2ClientTransport.Posix>
  ) async throws -> [String: String] {
    try await withThrowingTaskGroup(of: (String, String).self) { group in
      for code in gridCodes {
        group.addTask {
          let workers = try await grid.listGridWorkers(
            .with {
              $0.gridCode = code
              $0.pageSize = 50
            }
          ).workers
          guard let worker = workers.first(where: { $0.kind == .fullTime }) ?? workers.first else {
            throw SeedError(description: "grid \(code) has no worker to assign its cases to")
          }
          return (code, worker.id)
        }
      }
      return try await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
    }
  }

  /// Reports live case `index` in `gridIndex` and takes its steps, each under a request id of
  /// the case and the step's place in its list.
  static func runLiveCase(
    _ index: Int, _ live: LiveCase, in gridIndex: Int, plan: CityPlan,
    property: CitySeed.PropertyIDs, workers: [String: String], reporter: (name: String, phone: String)?,
    _ grid: Governance_Grid_V1_GridService.Client<HTTP2ClientTransport.Posix>
  ) async throws {
    let topic = topics[live.topic]
    let place = plan.grids[gridIndex]
    let compound = place.compounds.first
    let reported = try await grid.createCase(
      .with {
        $0.requestID = "demo-town-case-\(index)"
        $0.gridCase.source = live.source
        $0.gridCase.category = topic.category
        $0.gridCase.title = topic.title
        $0.gridCase.priority = live.priority
        $0.gridCase.location.gridCode = place.code
        // Spread over the grid, the same place for the same case.
        $0.gridCase.location.point = CityLayout(plan).grids[gridIndex].point(
          0.15 + 0.7 * Double(index * 37 % 100) / 100, 0.15 + 0.7 * Double(index * 61 % 100) / 100)
        if let compound {
          $0.gridCase.location.compoundID = property.compounds[compound]
          $0.gridCase.location.address = plan.compounds[compound].address
        }
        $0.gridCase.details =
          live.source == .patrol
          ? "网格员巡查发现：\(topic.title)"
          : "居民反映\(compound.map { plan.compounds[$0].name } ?? place.name)\(topic.title)，请尽快处理"
        if let reporter {
          $0.gridCase.reporter.name = reporter.name
          $0.gridCase.reporter.phone = reporter.phone
        }
      })
    var gridCode = place.code
    var escalations = 0
    for (number, step) in live.steps.enumerated() {
      let requestID = "demo-town-case-\(index)-\(number)"
      let caseID = reported.id
      switch step {
      case .accept:
        _ = try await grid.acceptCase(
          .with {
            $0.requestID = requestID
            $0.caseID = caseID
          })
      case .assign:
        _ = try await grid.assignCase(
          .with {
            $0.requestID = requestID
            $0.caseID = caseID
            $0.assigneeID = workers[gridCode]!
          })
      case .start:
        _ = try await grid.startCase(
          .with {
            $0.requestID = requestID
            $0.caseID = caseID
          })
      case .resolve:
        _ = try await grid.resolveCase(
          .with {
            $0.requestID = requestID
            $0.caseID = caseID
            $0.resolution = ["网格员现场核实并处理完毕", "社区协调物业和相关单位处理完毕", "街道组织联合处置完毕"][escalations]
          })
      case .evaluate(let satisfaction):
        _ = try await grid.evaluateCase(
          .with {
            $0.requestID = requestID
            $0.caseID = caseID
            $0.satisfaction = satisfaction
            $0.comment = [3: "基本解决，处理偏慢", 4: "处理及时，比较满意", 5: "处理及时，非常满意"][satisfaction] ?? ""
          })
      case .close:
        _ = try await grid.closeCase(
          .with {
            $0.requestID = requestID
            $0.caseID = caseID
          })
      case .reject:
        _ = try await grid.rejectCase(
          .with {
            $0.requestID = requestID
            $0.caseID = caseID
            $0.reason = "重复上报，已并入同一事件办理"
          })
      case .escalate:
        escalations += 1
        _ = try await grid.escalateCase(
          .with {
            $0.requestID = requestID
            $0.caseID = caseID
            $0.note = escalations == 1 ? "网格内无法解决，上报社区" : "社区协调未果，上报街道"
          })
      case .summon(let department):
        _ = try await grid.escalateCase(
          .with {
            $0.requestID = requestID
            $0.caseID = caseID
            $0.department = department
            $0.note = "街道吹哨，\(department)报到"
          })
      case .transfer:
        gridCode = plan.grids[transferTarget(of: gridIndex, in: plan)].code
        _ = try await grid.transferCase(
          .with {
            $0.requestID = requestID
            $0.caseID = caseID
            $0.to.level = .grid
            $0.to.unitCode = gridCode
            $0.note = "事发地属相邻网格，转交办理"
          })
      }
    }
  }
}
