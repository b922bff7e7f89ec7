import ArgumentParser
import AsyncHTTPClient
import Foundation
import GRDB
import GRPCCore
import GRPCNIOTransportHTTP2
import Gateway
import GovernanceAPI
import Logging
import NIOCore
import ServiceKit
import SwiftProtobuf
import Synchronization

/// `governance load SCENARIO`: drives a running system (or a baseline) by rate or concurrency for
/// a while and prints latency percentiles from an HDR histogram, throughput and errors by status.
struct Load: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Drive a running system with a scenario and report latency, throughput and errors.",
    discussion: """
      Scenarios, direct gRPC: case-get (GetCase by id), case-list (a page of 50), case-create,
      city-stats (GetCaseStatistics for the whole city), city-coverage (GetCoverage for the whole
      city), both one call at a time,
      alarms (alarms to on-duty workers watching their streams, latency from raising to the
      stream; --reads adds GetCase calls per second beside them).
      Through the gateway (Connect JSON): gateway-case-get, mixed (reads and writes across the
      services), console (the dashboard's reads), intake (the city platform pushing cases).
      Baselines: echo (a bare gRPC echo server, `governance echo-server`), sqlite (single-row
      transactions on a WAL file with the services' settings).
      """)

  @Argument(help: "The scenario (see above).")
  var scenario: String

  @Option(help: "Calls per second (open loop); without it, --concurrency calls stay in flight.")
  var rate: Double?

  @Option(help: "Calls in flight (closed loop).")
  var concurrency = 32

  @Option(help: "Seconds to run.")
  var duration: Double = 10

  @Option(help: "The data directory of the running system (token key, gateway accounts).")
  var data = "./data"

  @OptionGroup var system: SystemAddresses

  @Option(help: "Port of `governance echo-server`, for the echo scenario.")
  var echoPort = 50100

  @Option(help: "Alarm scenario: GetCase calls per second beside the alarms.")
  var reads: Double = 0

  @Option(help: "Alarm scenario: grids with a watching worker on duty.")
  var grids = 200

  @Option(help: "Write the report as JSON to this file as well.")
  var json: String?

  func run() async throws {
    guard duration > 0 else { throw ValidationError("--duration must be more than 0 seconds") }
    if let rate, rate <= 0 { throw ValidationError("--rate must be more than 0 calls per second") }
    guard concurrency > 0 else { throw ValidationError("--concurrency must be at least 1") }
    let mode: LoadMode = rate.map { .rate($0) } ?? .concurrency(concurrency)
    let world = try LoadWorld(dataDirectory: data, system: system)
    let recorder = LoadRecorder()
    let clock = ContinuousClock()
    let started: ContinuousClock.Instant
    let seconds = Duration.milliseconds(Int64(duration * 1000))
    var reports: [LoadReport] = []

    switch scenario {
    case "echo":
      started = clock.now
      try await EchoServer.withClient(host: system.host, port: echoPort) { client in
        let payload =
          try Governance_Grid_V1_GetCaseRequest.with { $0.id = "case_01JCX0000000000000000000" }.serializedBytes()
          as [UInt8]
        await LoadDriver.run(mode: mode, duration: seconds, recorder: recorder) { _ in
          _ = try await EchoServer.call(client, payload)
        }
      }
    case "sqlite":
      let baseline = try SQLiteBaseline()
      defer { baseline.remove() }
      started = clock.now
      await LoadDriver.run(mode: mode, duration: seconds, recorder: recorder) { number in
        try await baseline.insertOne(number)
      }
    case "case-get", "case-list", "case-create", "city-stats", "city-coverage", "alarms":
      let authority = try TokenAuthority.load(dataDirectory: data, environment: ProcessInfo.processInfo.environment)
      let (measured, beside) = try await OperatorClient.connect(to: world.address(.grid), authority: authority) {
        client in
        let grid = Governance_Grid_V1_GridService.Client(wrapping: client)
        return try await Self.direct(
          scenario, grid: grid, world: world, authority: authority, mode: mode, duration: seconds, recorder: recorder,
          reads: reads, grids: grids)
      }
      started = measured
      if let beside {
        reports.append(
          beside.report(scenario: "alarms: reads beside", mode: "rate \(Int(reads))/s", elapsed: clock.now - measured))
      }
    case "gateway-case-get", "mixed", "console", "intake":
      let gateway = try await GatewayLoad(world: world, scenario: scenario)
      defer { gateway.shutdown() }
      started = clock.now
      await LoadDriver.run(mode: mode, duration: seconds, recorder: recorder) { number in
        try await gateway.call(number)
      }
    default:
      throw ValidationError("unknown scenario '\(scenario)': see `governance load --help`")
    }

    let label = scenario.hasPrefix("city-") ? "concurrency 1" : "\(mode)"
    reports.insert(recorder.report(scenario: scenario, mode: label, elapsed: clock.now - started), at: 0)
    print(LoadReport.header)
    for report in reports {
      print(report.row)
      for (code, sample) in report.sampleErrors.sorted(by: { $0.key < $1.key }) { print("  \(code): \(sample)") }
    }
    if let json {
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
      try encoder.encode(reports).write(to: URL(fileURLWithPath: json))
    }
  }
}

extension Load {
  typealias GridClient = Governance_Grid_V1_GridService.Client<HTTP2ClientTransport.Posix>

  /// Runs a scenario that calls the services directly; answers when the measured part began, and
  /// the recorder of the load run beside it, if any.
  static func direct(
    _ scenario: String, grid: GridClient, world: LoadWorld, authority: TokenAuthority, mode: LoadMode,
    duration: Duration, recorder: LoadRecorder, reads: Double, grids: Int
  ) async throws -> (ContinuousClock.Instant, LoadRecorder?) {
    let clock = ContinuousClock()
    switch scenario {
    case "case-get":
      let ids = try await LoadWorld.caseIDs(grid)
      let started = clock.now
      await LoadDriver.run(mode: mode, duration: duration, recorder: recorder) { number in
        _ = try await grid.getCase(.with { $0.id = ids[number % ids.count] })
      }
      return (started, nil)
    case "case-list":
      let started = clock.now
      await LoadDriver.run(mode: mode, duration: duration, recorder: recorder) { number in
        let page = try await grid.listCases(
          .with {
            $0.pageSize = 50
            $0.divisionPrefix = LoadWorld.districts[number % LoadWorld.districts.count]
          })
        guard !page.cases.isEmpty else { throw LoadFailure(code: "empty page", description: "no cases listed") }
      }
      return (started, nil)
    case "case-create":
      let places = try await LoadWorld.communities(grid)
      let started = clock.now
      await LoadDriver.run(mode: mode, duration: duration, recorder: recorder) { number in
        _ = try await grid.createCase(
          .with {
            $0.gridCase.source = .resident
            $0.gridCase.category = "环境卫生"
            $0.gridCase.title = "压测上报\(number)"
            $0.gridCase.divisionCode = places[number % places.count]
          })
      }
      return (started, nil)
    case "city-stats":
      let started = clock.now
      // One call at a time: the figure is how long one whole-city answer takes.
      await LoadDriver.run(mode: .concurrency(1), duration: duration, recorder: recorder) { _ in
        _ = try await grid.getCaseStatistics(.with { $0.divisionPrefix = "3201" })
      }
      return (started, nil)
    case "city-coverage":
      return try await OperatorClient.connect(to: world.address(.organisation), authority: authority) {
        organisationClient in
        let organisation = Governance_Organisation_V1_OrganisationService.Client(wrapping: organisationClient)
        let started = clock.now
        await LoadDriver.run(mode: .concurrency(1), duration: duration, recorder: recorder) { _ in
          _ = try await organisation.getCoverage(.with { $0.divisionPrefix = "3201" })
        }
        return (started, nil)
      }
    default:
      let storm = try await AlarmStorm.prepare(grid, grids: grids, address: world.address(.grid), authority: authority)
      let ids = reads > 0 ? try await LoadWorld.caseIDs(grid) : []
      let started = clock.now
      let beside = try await storm.run(grid, mode: mode, duration: duration, recorder: recorder) {
        () -> LoadRecorder? in
        guard reads > 0 else { return nil }
        let readRecorder = LoadRecorder()
        await LoadDriver.run(mode: .rate(reads), duration: duration, recorder: readRecorder) { number in
          _ = try await grid.getCase(.with { $0.id = ids[number % ids.count] })
        }
        return readRecorder
      }
      return (started, beside)
    }
  }
}

/// Where the system under load is, and what it holds.
struct LoadWorld: Sendable {
  let dataDirectory: String
  let addresses: [ServiceIdentity: NetworkAddress]

  init(dataDirectory: String, system: SystemAddresses) throws {
    self.dataDirectory = dataDirectory
    addresses = try system.addresses(of: ServiceIdentity.allCases)
  }

  /// The city's districts, as the seed makes them (Nanjing's, without the demo city's 栖霞区).
  static let districts = [
    "320102", "320104", "320105", "320106", "320111", "320114", "320115", "320116", "320117", "320118",
  ]

  func address(_ identity: ServiceIdentity) -> NetworkAddress {
    addresses[identity]!
  }

  /// Up to 10,000 case ids to read, from the first pages of each district.
  static func caseIDs(_ grid: Governance_Grid_V1_GridService.Client<HTTP2ClientTransport.Posix>) async throws
    -> [String]
  {
    var ids: [String] = []
    for district in [""] + districts where ids.count < 10_000 {
      ids += try await grid.listCases(
        .with {
          $0.pageSize = Int32(PageRequest.maximumSize)
          $0.divisionPrefix = district
        }
      ).cases.map(\.id)
    }
    guard !ids.isEmpty else { throw ValidationError("the system holds no cases: seed it first (`governance seed`)") }
    return ids
  }

  /// The communities registered in the grid service, where new cases are reported.
  static func communities(_ grid: Governance_Grid_V1_GridService.Client<HTTP2ClientTransport.Posix>) async throws
    -> [String]
  {
    let codes = try await grid.listDivisions(.with { $0.pageSize = 1000 }).divisions.map(\.divisionCode)
      .filter { (try? DivisionCode($0, field: "division_code").level) == .community }
    guard !codes.isEmpty else {
      throw ValidationError("the system holds no communities: seed it first (`governance seed`)")
    }
    return codes
  }
}

/// Single-row transactions on a fresh WAL file with the services' own SQLite settings: what the
/// storage alone costs a write.
struct SQLiteBaseline: Sendable {
  let directory: URL
  let pool: DatabasePool

  init() throws {
    directory = FileManager.default.temporaryDirectory.appendingPathComponent("sqlite-baseline-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    var migrator = DatabaseMigrator()
    migrator.registerMigration("baseline") { db in
      try db.create(table: "row") { table in
        table.primaryKey("id", .text)
        table.column("division_code", .text).notNull().indexed()
        table.column("record", .blob).notNull()
      }
    }
    pool = try GovernanceDatabase.openPool(
      path: directory.appendingPathComponent("baseline.sqlite").path, migrator: migrator, logger: Logger(label: "load"))
  }

  func insertOne(_ number: Int) async throws {
    let record = Data(repeating: UInt8(number & 0xFF), count: 200)
    try await pool.write { db in
      try db.cachedStatement(sql: "INSERT INTO row (id, division_code, record) VALUES (?, ?, ?)")
        .execute(arguments: [RecordID.make(prefix: "row", at: Date()), "320113005001", record])
    }
  }

  func remove() {
    try? FileManager.default.removeItem(at: directory)
  }
}

/// Workers on duty in many grids, each watching their assignment stream; alarms raised in those
/// grids, the latency measured from raising an alarm to its assignment arriving on the stream.
struct AlarmStorm: Sendable {
  typealias GridClient = Governance_Grid_V1_GridService.Client<HTTP2ClientTransport.Posix>
  /// (grid code, worker id)
  let posts: [(grid: String, worker: String)]
  let address: NetworkAddress
  let authority: TokenAuthority

  /// Watchers per connection: a server takes 100 streams at once on one HTTP/2 connection, and
  /// the alarms themselves need room beside the streams.
  static let watchersPerConnection = 50

  static func prepare(
    _ grid: GridClient, grids count: Int, address: NetworkAddress, authority: TokenAuthority
  ) async throws -> AlarmStorm {
    let grids = try await grid.listGrids(.with { $0.pageSize = Int32(min(count, 1000)) }).grids.map(\.gridCode)
    guard !grids.isEmpty else { throw ValidationError("the system holds no grids: seed it first (`governance seed`)") }
    let now = Date()
    var posts: [(grid: String, worker: String)] = []
    for code in grids {
      let worker = try await grid.createGridWorker(
        .with {
          $0.requestID = "load-alarm-worker-\(code)"
          $0.worker.name = "值班网格员\(code.suffix(4))"
          $0.worker.phone = "139\(String(format: "%08d", Int(code.suffix(8)) ?? 0))"
          $0.worker.kind = .fullTime
          $0.worker.gridCodes = [code]
        }
      ).id
      _ = try await grid.setDutyRoster(
        .with {
          $0.gridCode = code
          $0.windowStart = Google_Protobuf_Timestamp(date: now.addingTimeInterval(-60))
          $0.windowEnd = Google_Protobuf_Timestamp(date: now.addingTimeInterval(6 * 3600))
          $0.shifts = [
            .with {
              $0.workerID = worker
              $0.startTime = Google_Protobuf_Timestamp(date: now.addingTimeInterval(-60))
              $0.endTime = Google_Protobuf_Timestamp(date: now.addingTimeInterval(6 * 3600))
            }
          ]
        })
      posts.append((code, worker))
    }
    return AlarmStorm(posts: posts, address: address, authority: authority)
  }

  /// Raises alarms in `mode` for `duration` while every worker watches; `beside` runs alongside
  /// (other load) and its answer is returned.
  func run(
    _ grid: GridClient, mode: LoadMode, duration: Duration, recorder: LoadRecorder,
    beside: @escaping @Sendable () async throws -> LoadRecorder?
  ) async throws -> LoadRecorder? {
    let raised = RaisedAlarms()
    let clock = ContinuousClock()
    let watching = SharedCounter()
    return try await withThrowingTaskGroup(of: LoadRecorder?.self) { group in
      var watchers: [GRPCClient<HTTP2ClientTransport.Posix>] = []
      for _ in stride(from: 0, to: posts.count, by: Self.watchersPerConnection) {
        let client = try OperatorClient.client(to: address, authority: authority)
        watchers.append(client)
        group.addTask {
          try await client.runConnections()
          return nil
        }
      }
      for (index, post) in posts.enumerated() {
        let watcher = GridClient(wrapping: watchers[index / Self.watchersPerConnection])
        group.addTask {
          do {
            try await watcher.watchAssignments(.with { $0.workerID = post.worker }) { response in
              watching.value.add(1, ordering: .relaxed)
              for try await assignment in response.messages {
                let device = assignment.gridCase.alarm.deviceID
                if let sent = raised.sent.withLock({ $0.removeValue(forKey: device) }) {
                  recorder.record(clock.now - sent)
                }
              }
            }
          } catch {
            // A watcher ends when the storm is over and its connection closes; only an end
            // before that is a failure.
            if !Task.isCancelled { throw error }
          }
          return nil
        }
      }
      while watching.value.load(ordering: .relaxed) < posts.count { try await Task.sleep(for: .milliseconds(20)) }
      group.addTask { try await beside() }
      let run = UUID().uuidString.prefix(8)
      await LoadDriver.run(mode: mode, duration: duration, recorder: LoadRecorder()) { number in
        let post = posts[number % posts.count]
        let device = "load-\(run)-\(number)"
        raised.sent.withLock { $0[device] = clock.now }
        do {
          _ = try await grid.raiseAlarm(
            .with {
              $0.requestID = device
              $0.deviceID = device
              $0.kind = .smoke
              $0.gridCode = post.grid
              $0.address = "压测楼栋"
            })
        } catch {
          raised.sent.withLock { _ = $0.removeValue(forKey: device) }
          recorder.fail(error)
        }
      }
      // Give the last assignments a moment to arrive, then count the ones that never did.
      try await Task.sleep(for: .seconds(1))
      let missing = raised.sent.withLock { pending in
        defer { pending.removeAll() }
        return pending.count
      }
      for _ in 0..<missing {
        recorder.fail(LoadFailure(code: "not delivered", description: "no assignment on the stream"))
      }
      // The watchers run until cancelled and their connections until shut down; the load beside
      // ends by itself.
      var besideRecorder: LoadRecorder?
      var finished = 0
      while let next = try await group.next() {
        finished += 1
        if let next { besideRecorder = next }
        if finished == 1 {
          group.cancelAll()
          for client in watchers { client.beginGracefulShutdown() }
        }
      }
      return besideRecorder
    }
  }
}

/// When each alarm of a storm was raised, by device id, until its assignment arrives.
final class RaisedAlarms: Sendable {
  let sent = Mutex<[String: ContinuousClock.Instant]>([:])
}

/// Calls through the gateway's Connect JSON door with an API key made for the run.
final class GatewayLoad: Sendable {
  let http: HTTPClient
  let base: String
  let key: String
  let scenario: String
  let caseIDs: [String]
  let communities: [String]

  init(world: LoadWorld, scenario: String) async throws {
    var quiet = Logger(label: "load")
    quiet.logLevel = .warning
    let store = try GatewayStore.open(dataDirectory: world.dataDirectory, logger: quiet)
    let name = "load-\(UUID().uuidString.prefix(8))"
    key =
      scenario == "intake"
      ? try await store.createAPIKey(name: name, role: .cityPlatform, scope: "3201")
      : try await store.createAPIKey(name: name, role: .cityAdministrator, scope: "")
    self.scenario = scenario
    base = "http://\(world.address(.gateway))"
    var configuration = HTTPClient.Configuration()
    configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 256)
    http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    let authority = try TokenAuthority.load(
      dataDirectory: world.dataDirectory, environment: ProcessInfo.processInfo.environment)
    (caseIDs, communities) = try await OperatorClient.connect(to: world.address(.grid), authority: authority) {
      client in
      let grid = Governance_Grid_V1_GridService.Client(wrapping: client)
      return (try await LoadWorld.caseIDs(grid), try await LoadWorld.communities(grid))
    }
  }

  func shutdown() {
    try? http.syncShutdown()
  }

  func post(_ method: String, _ body: String) async throws {
    var request = HTTPClientRequest(url: "\(base)/\(method)")
    request.method = .POST
    request.headers.add(name: "Content-Type", value: "application/json")
    request.headers.add(name: "Authorization", value: "Bearer \(key)")
    request.body = .bytes(ByteBuffer(string: body))
    let response = try await http.execute(request, timeout: .seconds(30))
    let answer = try await response.body.collect(upTo: 16 * 1024 * 1024)
    guard response.status == .ok else {
      throw LoadFailure(code: "http \(response.status.code)", description: String(buffer: answer))
    }
  }

  func call(_ number: Int) async throws {
    let caseID = caseIDs[number % caseIDs.count]
    let community = communities[number % communities.count]
    let district = LoadWorld.districts[number % LoadWorld.districts.count]
    switch scenario {
    case "gateway-case-get":
      try await post("governance.grid.v1.GridService/GetCase", #"{"id":"\#(caseID)"}"#)
    case "intake":
      try await post(
        "governance.grid.v1.GridService/IntakeCityCase",
        #"{"externalId":"load-\#(UUID().uuidString)","channel":"12345热线","gridCase":{"category":"市政设施","title":"井盖缺失","divisionCode":"\#(community)"}}"#
      )
    case "console":
      switch number % 4 {
      case 0: try await post("governance.grid.v1.GridService/GetCaseStatistics", #"{"divisionPrefix":"\#(district)"}"#)
      case 1:
        try await post("governance.grid.v1.GridService/ListCases", #"{"divisionPrefix":"\#(district)","pageSize":20}"#)
      case 2:
        try await post(
          "governance.property.v1.PropertyService/ListCompounds", #"{"divisionPrefix":"\#(district)","pageSize":20}"#)
      default:
        try await post(
          "governance.volunteers.v1.VolunteersService/ListTeams", #"{"divisionPrefix":"\#(district)","pageSize":20}"#)
      }
    default:
      // Mixed city workload: eight reads across the services for every two writes.
      switch number % 10 {
      case 0, 1, 2: try await post("governance.grid.v1.GridService/GetCase", #"{"id":"\#(caseID)"}"#)
      case 3:
        try await post("governance.grid.v1.GridService/ListCases", #"{"divisionPrefix":"\#(district)","pageSize":50}"#)
      case 4:
        try await post(
          "governance.property.v1.PropertyService/ListCompounds", #"{"divisionPrefix":"\#(district)","pageSize":50}"#)
      case 5:
        try await post(
          "governance.organisation.v1.OrganisationService/ListOrganisations",
          #"{"divisionPrefix":"\#(district)","pageSize":50}"#)
      case 6:
        try await post(
          "governance.volunteers.v1.VolunteersService/ListTeams", #"{"divisionPrefix":"\#(district)","pageSize":50}"#)
      case 7: try await post("governance.evaluation.v1.EvaluationService/ListScoringItems", #"{"pageSize":50}"#)
      case 8:
        try await post(
          "governance.grid.v1.GridService/CreateCase",
          #"{"gridCase":{"source":"CASE_SOURCE_RESIDENT","category":"环境卫生","title":"压测上报\#(number)","divisionCode":"\#(community)"}}"#
        )
      default:
        try await post(
          "governance.volunteers.v1.VolunteersService/CreateVolunteer",
          #"{"volunteer":{"divisionCode":"\#(community)","kind":"VOLUNTEER_KIND_RESIDENT","contact":{"name":"志愿者\#(number % 1000)","phone":"138\#(String(format: "%08d", number % 100_000_000))"}}}"#
        )
      }
    }
  }
}
