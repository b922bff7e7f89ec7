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
      city-stats (GetCaseStatistics for the whole city), city-street-stats (the same by street),
      city-coverage (GetCoverage for the whole city with its districts, as an administrator's
      dashboard asks), all three one call at a time,
      alarms (alarms to on-duty workers watching their streams, latency from raising to the
      stream; --reads adds GetCase calls per second beside them).
      Through the gateway (Connect JSON): gateway-case-get, mixed (reads and writes across the
      services), console (the dashboard's reads), intake (the city platform pushing cases).
      Delivery: webhooks (cases created directly in the grid service, their case.reported events
      delivered by the gateway to a receiver of the tool's own; reports events per second and the
      delay from commit to receiver; the gateway needs GOVERNANCE_WEBHOOK_ALLOW_PRIVATE=1).
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

  @Option(help: "Webhook scenario: the port of the load tool's own receiver on 127.0.0.1.")
  var receiverPort = 18600

  @Option(help: "Write the report as JSON to this file as well.")
  var json: String?

  @Option(
    help: ArgumentHelp(
      "Write the scenario's request for an outside load tool (h2load) into this directory and exit.",
      discussion: "Files url, headers, body and metrics; scenarios \(OutsideRequest.scenarios.joined(separator: ", "))."
    ))
  var writeRequest: String?

  func run() async throws {
    guard duration > 0 else { throw ValidationError("--duration must be more than 0 seconds") }
    if let rate, rate <= 0 { throw ValidationError("--rate must be more than 0 calls per second") }
    guard concurrency > 0 else { throw ValidationError("--concurrency must be at least 1") }
    let mode: LoadMode = rate.map { .rate($0) } ?? .concurrency(concurrency)
    let world = try LoadWorld(dataDirectory: data, system: system)
    if let writeRequest {
      let request = try await OutsideRequest.make(scenario: scenario, world: world, echoPort: echoPort, system: system)
      try request.write(to: URL(fileURLWithPath: writeRequest))
      print(request.url)
      return
    }
    let recorder = LoadRecorder()
    let clock = ContinuousClock()
    let started: ContinuousClock.Instant
    let seconds = Duration.milliseconds(Int64(duration * 1000))
    var reports: [LoadReport] = []
    var recorderReport: LoadReport?

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
    case "case-get", "case-list", "case-create", "city-stats", "city-street-stats", "city-coverage", "alarms":
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
    case "webhooks":
      started = clock.now
      let measured = try await WebhookBench.run(
        world: world, mode: mode, duration: seconds, receiverPort: receiverPort)
      reports += measured.dropFirst()
      recorderReport = measured.first
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
    reports.insert(
      recorderReport ?? recorder.report(scenario: scenario, mode: label, elapsed: clock.now - started), at: 0)
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
    case "city-street-stats":
      let started = clock.now
      await LoadDriver.run(mode: .concurrency(1), duration: duration, recorder: recorder) { _ in
        _ = try await grid.getCaseStatistics(LoadWorld.streetStatistics)
      }
      return (started, nil)
    case "city-coverage":
      return try await OperatorClient.connect(to: world.address(.organisation), authority: authority) {
        organisationClient in
        let organisation = Governance_Organisation_V1_OrganisationService.Client(wrapping: organisationClient)
        let started = clock.now
        await LoadDriver.run(mode: .concurrency(1), duration: duration, recorder: recorder) { _ in
          // With the districts' breakdown, as the dashboard asks and as `--write-request` writes it.
          _ = try await organisation.getCoverage(
            .with {
              $0.divisionPrefix = "3201"
              $0.includeChildren = true
            })
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

  /// The whole city's case statistics with a row per street, a page of up to 200 streets (the
  /// city has about 100), as the console's street table asks.
  static let streetStatistics = Governance_Grid_V1_GetCaseStatisticsRequest.with {
    $0.divisionPrefix = "3201"
    $0.groupBy = .street
    $0.pageSize = 200
  }

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
