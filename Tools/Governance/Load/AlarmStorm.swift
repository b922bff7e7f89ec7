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
