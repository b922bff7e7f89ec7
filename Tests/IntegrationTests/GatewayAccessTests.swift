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
      ("governance.organisation.v1.OrganisationService/CreateOrganisation",
        #"{"organisation":{"name":"测试党支部","level":"ORGANISATION_LEVEL_BRANCH","divisionCode":"\#(community)"}}"#),
      ("governance.property.v1.PropertyService/CreateCompound",
        #"{"compound":{"name":"测试小区","divisionCode":"\#(community)","kind":"COMPOUND_KIND_OLD"}}"#),
      ("governance.grid.v1.GridService/CreateCase",
        #"{"gridCase":{"source":"CASE_SOURCE_RESIDENT","category":"测试","title":"测试事件","divisionCode":"\#(community)"}}"#),
      ("governance.volunteers.v1.VolunteersService/CreateTeam",
        #"{"team":{"name":"测试队","kind":"TEAM_KIND_OTHER","divisionCode":"\#(community)"}}"#),
      ("governance.evaluation.v1.EvaluationService/CreateRectificationOrder",
        #"{"order":{"divisionCode":"\#(community)","companyId":"co_x","compoundId":"cmp_x","problem":"测试","requirement":"测试","deadline":{"year":2099,"month":1,"day":1}}}"#),
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
    .gridWorker: ["grid", "volunteers"],
    .propertyStaff: ["property"],
    .evaluator: [],
    .auditor: [],
    .cityPlatform: [],
  ]

  static func post(_ system: SystemHarness, _ method: String, _ body: String, key: String?, contentType: String = "application/json")
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
    process.arguments = ["apikey", "create", "--data", system.dataDirectory.path, "--name", name, "--role", role, "--scope", scope]
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
    defer { for identity in ServiceIdentity.allCases { _ = try? kill(system.processes[identity]!.processIdentifier, SIGTERM) } }

    // Records in both streets, written by an administrator of the district.
    let admin = try Self.apiKey(system, name: "district-admin", role: "city_admin", scope: "320113")
    for code in ["320113000000", "320113005000", "320113005001", "320113006000", "320113006001"] {
      _ = try await Self.post(system, "governance.grid.v1.GridService/CreateDivision",
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
          #expect(answer.status == 403 && answer.body.contains("permission_denied"), "\(role) wrote \(method): \(answer.body)")
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

  @Test("Connect errors: no key, a revoked key, bad JSON, an unknown method, a wrong content type")
  func connectErrors() async throws {
    let system = try SystemHarness()
    try system.startAll()
    try await system.waitUntilHealthy()
    defer { for identity in ServiceIdentity.allCases { _ = try? kill(system.processes[identity]!.processIdentifier, SIGTERM) } }
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
    #expect(unknown.status == 404 && unknown.body.contains("\"unimplemented\""))
    let text = try await Self.post(system, list, "{}", key: key, contentType: "text/plain")
    #expect(text.status == 400)
    let ok = try await Self.post(system, list, "{}", key: key)
    #expect(ok.status == 200)

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
