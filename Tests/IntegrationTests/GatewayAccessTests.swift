import Foundation
import ServiceKit
import Testing

#if canImport(FoundationNetworking)
  import FoundationNetworking
#endif

/// The gateway in front of the five real services: Connect calls as each role, in and out of its
/// jurisdiction, for reads and writes of every service.
@Suite("Gateway: Connect over HTTP, roles and jurisdiction at every service", .serialized)
struct GatewayAccessTests {
  static let streetA = "320113005"
  static let streetB = "320113006"

  /// A write of each service, placed in `community`.
  static func writes(in community: String) -> [(String, String)] {
    [
      (
        "governance.organisation.v1.OrganisationService/CreateOrganisation",
        #"{"organisation":{"name":"测试党支部","level":"ORGANISATION_LEVEL_BRANCH","divisionCode":"\#(community)"}}"#
      ),
      (
        "governance.property.v1.PropertyService/CreateCompound",
        #"{"compound":{"name":"测试小区","divisionCode":"\#(community)","kind":"COMPOUND_KIND_OLD"}}"#
      ),
      (
        "governance.grid.v1.GridService/CreateCase",
        #"{"gridCase":{"source":"CASE_SOURCE_RESIDENT","category":"测试","title":"测试事件","divisionCode":"\#(community)"}}"#
      ),
      (
        "governance.volunteers.v1.VolunteersService/CreateTeam",
        #"{"team":{"name":"测试队","kind":"TEAM_KIND_OTHER","divisionCode":"\#(community)"}}"#
      ),
      (
        "governance.evaluation.v1.EvaluationService/CreateRectificationOrder",
        #"{"order":{"divisionCode":"\#(community)","companyId":"co_x","compoundId":"cmp_x","problem":"测试","requirement":"测试","deadline":{"year":2099,"month":1,"day":1}}}"#
      ),
    ]
  }

  /// A jurisdiction-wide read of each service.
  static func reads(prefix: String) -> [String: String] {
    [
      "governance.organisation.v1.OrganisationService/ListOrganisations": #"{"divisionPrefix":"\#(prefix)"}"#,
      "governance.property.v1.PropertyService/ListCompounds": #"{"divisionPrefix":"\#(prefix)"}"#,
      "governance.grid.v1.GridService/ListCases": #"{"divisionPrefix":"\#(prefix)"}"#,
      "governance.volunteers.v1.VolunteersService/ListTeams": #"{"divisionPrefix":"\#(prefix)"}"#,
      "governance.evaluation.v1.EvaluationService/ListRectificationOrders": #"{"divisionPrefix":"\#(prefix)"}"#,
    ]
  }

  /// Which services each role writes to, by hand from the role table the product documents.
  static let writesAllowed: [Role: Set<String>] = [
    .district: ["organisation", "property", "grid", "volunteers", "evaluation"],
    .street: ["organisation", "property", "grid", "volunteers", "evaluation"],
    .community: ["organisation", "property", "grid", "volunteers", "evaluation"],
    .gridWorker: ["grid", "volunteers"],
    .propertyStaff: ["property"],
    .evaluator: [],
    .auditor: [],
    .cityPlatform: [],
  ]

  static func post(
    _ system: SystemHarness, _ method: String, _ body: String, key: String?, contentType: String = "application/json"
  )
    async throws -> (status: Int, body: String)
  {
    var request = URLRequest(url: URL(string: "http://127.0.0.1:\(system.ports[.gateway]!)/\(method)")!)
    request.httpMethod = "POST"
    request.setValue(contentType, forHTTPHeaderField: "Content-Type")
    if let key { request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization") }
    request.httpBody = Data(body.utf8)
    request.timeoutInterval = 10
    let (data, response) = try await URLSession.shared.data(for: request)
    return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
  }

  static func apiKey(_ system: SystemHarness, name: String, role: String, scope: String) throws -> String {
    let process = Process()
    process.executableURL = SystemHarness.binDirectory.appendingPathComponent("governance")
    process.arguments = [
      "apikey", "create", "--data", system.dataDirectory.path, "--name", name, "--role", role, "--scope", scope,
    ]
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    return try #require(text.split(separator: "\n").map(String.init).first { $0.hasPrefix("gk_") })
  }

  @Test("each role in and out of its jurisdiction, reads and writes of every service: zero leaks")
  func roleMatrix() async throws {
    let system = try SystemHarness()
    try system.startAll()
    try await system.waitUntilHealthy()
    defer {
      for identity in ServiceIdentity.allCases { _ = try? kill(system.processes[identity]!.processIdentifier, SIGTERM) }
    }

    // Records in both streets, written by an administrator of the district.
    let admin = try Self.apiKey(system, name: "district-admin", role: "city_admin", scope: "320113")
    for code in ["320113000000", "320113005000", "320113005001", "320113006000", "320113006001"] {
      _ = try await Self.post(
        system, "governance.grid.v1.GridService/CreateDivision",
        #"{"division":{"divisionCode":"\#(code)","name":"区划\#(code)"}}"#, key: admin)
    }
    for community in ["320113005001", "320113006001"] {
      for (method, body) in Self.writes(in: community) {
        let answer = try await Self.post(system, method, body, key: admin)
        #expect(answer.status != 403 && answer.status != 401, "\(method): \(answer.body)")
      }
    }

    for (role, allowed) in Self.writesAllowed {
      let key = try Self.apiKey(system, name: "key-\(role.rawValue)", role: role.rawValue, scope: Self.streetA)
      for (method, body) in Self.writes(in: "320113005001") {
        let service = String(method.split(separator: ".")[1])
        let answer = try await Self.post(system, method, body, key: key)
        if allowed.contains(service) {
          #expect(answer.status != 403, "\(role) may write \(method) in its street: \(answer.body)")
        } else {
          #expect(
            answer.status == 403 && answer.body.contains("permission_denied"), "\(role) wrote \(method): \(answer.body)"
          )
        }
      }
      for (method, body) in Self.writes(in: "320113006001") {
        let answer = try await Self.post(system, method, body, key: key)
        #expect(answer.status == 403, "\(role) wrote \(method) in another street: \(answer.body)")
      }
      for (method, body) in Self.reads(prefix: "") {
        let answer = try await Self.post(system, method, body, key: key)
        #expect(answer.status == 200, "\(role) read \(method): \(answer.body)")
        #expect(!answer.body.contains("\"\(Self.streetB)"), "\(role) saw another street in \(method): \(answer.body)")
      }
      for (method, body) in Self.reads(prefix: Self.streetB) {
        let answer = try await Self.post(system, method, body, key: key)
        #expect(answer.status == 403, "\(role) read another street through \(method): \(answer.body)")
      }
    }
  }

  @Test("Connect errors: no key, a revoked key, bad JSON, an unknown method, a wrong content type, a bad timeout")
  func connectErrors() async throws {
    let system = try SystemHarness()
    try system.startAll()
    try await system.waitUntilHealthy()
    defer {
      for identity in ServiceIdentity.allCases { _ = try? kill(system.processes[identity]!.processIdentifier, SIGTERM) }
    }
    let key = try Self.apiKey(system, name: "city-platform", role: "city", scope: "3201")
    let list = "governance.grid.v1.GridService/ListCases"

    let anonymous = try await Self.post(system, list, "{}", key: nil)
    #expect(anonymous.status == 401 && anonymous.body.contains("\"unauthenticated\""))
    let forged = try await Self.post(system, list, "{}", key: "gk_forged")
    #expect(forged.status == 401)
    let badJSON = try await Self.post(system, list, "{\"divisionPrefix\":", key: key)
    #expect(badJSON.status == 400 && badJSON.body.contains("\"invalid_argument\"") && badJSON.body.contains("JSON"))
    let wrongType = try await Self.post(system, list, "{\"divisionPrefix\": 7}", key: key)
    #expect(wrongType.status == 400)
    let unknown = try await Self.post(system, "governance.grid.v1.GridService/DropEverything", "{}", key: key)
    #expect(unknown.status == 501 && unknown.body.contains("\"unimplemented\""))
    let text = try await Self.post(system, list, "{}", key: key, contentType: "text/plain")
    #expect(text.status == 415 && text.body.contains("Content-Type"))
    let ok = try await Self.post(system, list, "{}", key: key)
    #expect(ok.status == 200)
    for (timeout, status) in [("soon", 400), ("-5", 400), ("60000", 200)] {
      let timed = try await GatewayDoorTests.request(
        system, "/\(list)", method: "POST", body: "{}",
        headers: ["Authorization": "Bearer \(key)", "Connect-Timeout-Ms": timeout])
      #expect(timed.status == status, "Connect-Timeout-Ms: \(timeout) → \(timed.status) \(timed.body)")
      if status == 400 { #expect(timed.body.contains("Connect-Timeout-Ms")) }
    }

    let process = Process()
    process.executableURL = SystemHarness.binDirectory.appendingPathComponent("governance")
    process.arguments = ["apikey", "revoke", "--data", system.dataDirectory.path, "--name", "city-platform"]
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    let revoked = try await Self.post(system, list, "{}", key: key)
    #expect(revoked.status == 401 && revoked.body.contains("revoked"))
  }
}

/// The gateway's sessions, change feed, audit trail and server-sent events, against the real
/// processes.
@Suite("Gateway: sessions with CSRF, the change feed, the audit trail, streams", .serialized)
struct GatewayDoorTests {
  typealias Access = GatewayAccessTests

  static func request(
    _ system: SystemHarness, _ path: String, method: String = "GET", body: String? = nil,
    headers: [String: String] = [:]
  ) async throws -> (status: Int, body: String, headers: [AnyHashable: Any]) {
    var request = URLRequest(url: URL(string: "http://127.0.0.1:\(system.ports[.gateway]!)\(path)")!)
    request.httpMethod = method
    request.httpShouldHandleCookies = false
    for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
    if let body {
      request.httpBody = Data(body.utf8)
      if headers["Content-Type"] == nil { request.setValue("application/json", forHTTPHeaderField: "Content-Type") }
    }
    request.timeoutInterval = 10
    let (data, response) = try await URLSession.shared.data(for: request)
    let http = response as? HTTPURLResponse
    return (http?.statusCode ?? 0, String(decoding: data, as: UTF8.self), http?.allHeaderFields ?? [:])
  }

  static func operatorTool(_ system: SystemHarness, _ arguments: [String], environment: [String: String] = [:]) throws {
    let process = Process()
    process.executableURL = SystemHarness.binDirectory.appendingPathComponent("governance")
    process.arguments = arguments + ["--data", system.dataDirectory.path]
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    #expect(process.terminationStatus == 0, "governance \(arguments)")
  }

  @Test("a console session: HttpOnly SameSite cookie, CSRF required for changes, sign-out ends it")
  func sessionAndCSRF() async throws {
    let system = try SystemHarness()
    try system.startAll()
    try await system.waitUntilHealthy()
    defer {
      for identity in ServiceIdentity.allCases { _ = try? kill(system.processes[identity]!.processIdentifier, SIGTERM) }
    }
    try Self.operatorTool(
      system, ["user", "create", "--username", "clerk", "--role", "street", "--scope", "320113005"],
      environment: ["GOVERNANCE_PASSWORD": "Street-clerk-2026"])

    let wrong = try await Self.request(
      system, "/auth/login", method: "POST", body: #"{"username":"clerk","password":"nope-nope-2026"}"#)
    #expect(wrong.status == 401)
    let login = try await Self.request(
      system, "/auth/login", method: "POST", body: #"{"username":"clerk","password":"Street-clerk-2026"}"#)
    #expect(login.status == 200)
    let setCookie = try #require(login.headers["Set-Cookie"] as? String)
    #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Strict"))
    let cookie = String(setCookie.split(separator: ";")[0])
    let csrf = try #require(
      (try JSONSerialization.jsonObject(with: Data(login.body.utf8)) as? [String: Any])?["csrfToken"] as? String)
    let write = #"{"division":{"divisionCode":"320113005000","name":"尧化街道"}}"#
    let forged = try await Self.request(
      system, "/governance.grid.v1.GridService/CreateDivision", method: "POST", body: write, headers: ["Cookie": cookie]
    )
    #expect(forged.status == 403 && forged.body.contains("CSRF"))
    let made = try await Self.request(
      system, "/governance.grid.v1.GridService/CreateDivision", method: "POST", body: write,
      headers: ["Cookie": cookie, "X-CSRF-Token": csrf])
    #expect(made.status == 400 || made.status == 200, "\(made.body)")
    let out = try await Self.request(
      system, "/auth/logout", method: "POST", headers: ["Cookie": cookie, "X-CSRF-Token": csrf])
    #expect(out.status == 200)
    let after = try await Self.request(system, "/auth/me", headers: ["Cookie": cookie])
    #expect(after.status == 401)
  }

  @Test(
    "the city platform reads its cases' changes from a cursor, losing nothing across a restart; auditors see every write"
  )
  func feedAndAudit() async throws {
    let system = try SystemHarness()
    try system.startAll()
    try await system.waitUntilHealthy()
    defer {
      for identity in ServiceIdentity.allCases { _ = try? kill(system.processes[identity]!.processIdentifier, SIGTERM) }
    }
    let admin = try Access.apiKey(system, name: "admin", role: "city_admin", scope: "3201")
    let platform = try Access.apiKey(system, name: "city-platform", role: "city", scope: "3201")
    let auditor = try Access.apiKey(system, name: "auditor", role: "auditor", scope: "3201")
    for code in ["320113000000", "320113005000", "320113005001"] {
      _ = try await Access.post(
        system, "governance.grid.v1.GridService/CreateDivision",
        #"{"division":{"divisionCode":"\#(code)","name":"区划"}}"#, key: admin)
    }
    let intake = try await Access.post(
      system, "governance.grid.v1.GridService/IntakeCityCase",
      #"{"externalId":"12345-9","gridCase":{"category":"市政设施","title":"路灯不亮","divisionCode":"320113005001"}}"#,
      key: platform)
    #expect(intake.status == 200, "\(intake.body)")
    // A case the platform did not push stays out of its feed.
    _ = try await Access.post(
      system, "governance.grid.v1.GridService/CreateCase",
      #"{"gridCase":{"source":"CASE_SOURCE_RESIDENT","category":"环境","title":"垃圾","divisionCode":"320113005001"}}"#,
      key: admin)

    func feed(_ cursor: String) async throws -> (events: [[String: Any]], cursor: String) {
      let answer = try await Self.request(
        system, "/feed?cursor=\(cursor)", headers: ["Authorization": "Bearer \(platform)"])
      #expect(answer.status == 200, "\(answer.body)")
      let object = try #require(try JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any])
      let changes = object["changes"] as? [String: Any]
      return ((changes?["events"] as? [[String: Any]]) ?? [], object["cursor"] as? String ?? "")
    }
    let first = try await feed("")
    #expect(first.events.map { $0["kind"] as? String } == ["CASE_EVENT_KIND_REPORTED"])
    let caseID = try #require(first.events.first?["caseId"] as? String)
    _ = try await Access.post(
      system, "governance.grid.v1.GridService/AcceptCase", #"{"caseId":"\#(caseID)"}"#, key: admin)

    // Both sides restart; reading on from the cursor gives the acceptance, once.
    #expect(try await system.stop(.grid) == 0)
    #expect(try await system.stop(.gateway) == 0)
    try system.start(.grid)
    try system.start(.gateway)
    try await system.waitUntilHealthy()
    let next = try await feed(first.cursor)
    #expect(next.events.map { $0["kind"] as? String } == ["CASE_EVENT_KIND_ACCEPTED"])
    #expect(try await feed(next.cursor).events.isEmpty)

    // The auditor finds the writes; nobody else may search.
    let trail = try await Self.request(
      system, "/audit?action=AcceptCase", headers: ["Authorization": "Bearer \(auditor)"])
    #expect(trail.status == 200 && trail.body.contains(caseID) && trail.body.contains("apikey:admin"), "\(trail.body)")
    // A plain read is not in the trail; a read that reveals the reporter is.
    _ = try await Access.post(system, "governance.grid.v1.GridService/GetCase", #"{"id":"\#(caseID)"}"#, key: admin)
    let revealed = try await Access.post(
      system, "governance.grid.v1.GridService/GetCase", #"{"id":"\#(caseID)","revealReporter":true}"#, key: admin)
    #expect(revealed.status == 200, "\(revealed.body)")
    let reads = try await Self.request(system, "/audit?action=GetCase", headers: ["Authorization": "Bearer \(auditor)"])
    #expect(reads.body.components(separatedBy: "GetCase\"").count - 1 == 1, "\(reads.body)")
    let refused = try await Self.request(system, "/audit", headers: ["Authorization": "Bearer \(platform)"])
    #expect(refused.status == 403)
  }

  @Test("a worker's assignments arrive as server-sent events")
  func assignmentsAsServerSentEvents() async throws {
    let system = try SystemHarness()
    try system.startAll()
    try await system.waitUntilHealthy()
    defer {
      for identity in ServiceIdentity.allCases { _ = try? kill(system.processes[identity]!.processIdentifier, SIGTERM) }
    }
    let admin = try Access.apiKey(system, name: "admin", role: "city_admin", scope: "3201")
    for code in ["320113000000", "320113005000", "320113005001"] {
      _ = try await Access.post(
        system, "governance.grid.v1.GridService/CreateDivision",
        #"{"division":{"divisionCode":"\#(code)","name":"区划"}}"#, key: admin)
    }
    _ = try await Access.post(
      system, "governance.grid.v1.GridService/CreateGrid",
      #"{"grid":{"gridCode":"320113005001001","name":"一网格","kind":"GRID_KIND_BASIC"}}"#, key: admin)
    let worker = try await Access.post(
      system, "governance.grid.v1.GridService/CreateGridWorker",
      #"{"worker":{"name":"周值班","kind":"GRID_WORKER_KIND_FULL_TIME","gridCodes":["320113005001001"],"phone":"13600004444"}}"#,
      key: admin)
    let workerID = try #require(
      (try JSONSerialization.jsonObject(with: Data(worker.body.utf8)) as? [String: Any])?["id"] as? String)
    let now = ISO8601DateFormatter().string(from: Date().addingTimeInterval(-60))
    let later = ISO8601DateFormatter().string(from: Date().addingTimeInterval(3600))
    _ = try await Access.post(
      system, "governance.grid.v1.GridService/SetDutyRoster",
      #"{"gridCode":"320113005001001","windowStart":"\#(now)","windowEnd":"\#(later)","shifts":[{"workerId":"\#(workerID)","startTime":"\#(now)","endTime":"\#(later)"}]}"#,
      key: admin)

    let curl = Process()
    curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
    let query = #"{"workerId":"\#(workerID)"}"#.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
    curl.arguments = [
      "-sN", "--max-time", "4", "-H", "Authorization: Bearer \(admin)",
      "http://127.0.0.1:\(system.ports[.gateway]!)/stream/governance.grid.v1.GridService/WatchAssignments?request=\(query)",
    ]
    let output = Pipe()
    curl.standardOutput = output
    try curl.run()
    try await Task.sleep(for: .milliseconds(800))
    let alarm = try await Access.post(
      system, "governance.grid.v1.GridService/RaiseAlarm",
      #"{"deviceId":"smoke-1","kind":"ALARM_KIND_SMOKE","gridCode":"320113005001001"}"#, key: admin)
    #expect(alarm.status == 200, "\(alarm.body)")
    curl.waitUntilExit()
    // Comment lines (the opening one, heartbeats) are for the connection, not events.
    let events = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
      .split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.hasPrefix(":") }
      .joined(separator: "\n").trimmingCharacters(in: .newlines)
    #expect(
      events.hasPrefix("data: {") && events.contains(workerID) && events.contains("ASSIGNMENT_STATE_PENDING"),
      "\(events)")
  }
}
