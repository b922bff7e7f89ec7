import ArgumentParser
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import Gateway
import GovernanceAPI
import Logging
import ServiceKit
import SwiftProtobuf

/// The one request of a scenario, written out for a load tool that is not this one (h2load), so
/// that the server is measured by a client that does not share its runtime: `governance load
/// SCENARIO --write-request DIR`. The tool sends the same request every time: GetCase reads one
/// case, ListCases one district's first page, CreateCase reports a new case each time (no request
/// id, so no replay).
///
/// Files written in DIR:
/// - `url`: the full URL (`http://127.0.0.1:PORT/<service>/<method>`);
/// - `body`: a gRPC length-prefixed message (gRPC over HTTP/2, PROTOCOL-HTTP2.md "Length-Prefixed
///   Message"), or the Connect JSON body for the gateway;
/// - `headers`: one `name: value` per line (content type, `te: trailers` for gRPC, and the
///   credentials: an access token good for two hours, or a new API key for the gateway);
/// - `metrics`: the Prometheus endpoint of the service that answers (the grid service behind the
///   gateway), whose `grpc_server_handled_total` tells how many calls it answered OK: h2load sees
///   only HTTP 200, and a gRPC error comes in the trailers of a 200. Empty for the echo server.
struct OutsideRequest {
  let url: String
  let headers: [String]
  let body: [UInt8]
  let metrics: String

  /// Scenarios an outside tool can send.
  static let scenarios = [
    "echo", "case-get", "case-list", "case-create", "city-stats", "city-street-stats", "city-coverage",
    "gateway-case-get",
  ]

  /// The request of `scenario` against the running system of `world`.
  /// - Throws: `ValidationError` for a scenario outside `scenarios`, or when the system holds no
  ///   cases; the gRPC error of the call that looks them up.
  static func make(scenario: String, world: LoadWorld, echoPort: Int, system: SystemAddresses) async throws
    -> OutsideRequest
  {
    guard scenarios.contains(scenario) else {
      throw ValidationError(
        "--write-request knows the scenarios \(scenarios.joined(separator: ", ")), not '\(scenario)'")
    }
    if scenario == "echo" {
      let message =
        try Governance_Grid_V1_GetCaseRequest.with { $0.id = "case_01JCX0000000000000000000" }
        .serializedBytes() as [UInt8]
      return OutsideRequest(
        url: "http://\(system.host):\(echoPort)/\(EchoServer.method.fullyQualifiedMethod)",
        headers: grpcHeaders(token: nil), body: framed(message), metrics: "")
    }
    let authority = try TokenAuthority.load(
      dataDirectory: world.dataDirectory, environment: ProcessInfo.processInfo.environment)
    let caseID = try await OperatorClient.connect(to: world.address(.grid), authority: authority) { client in
      let ids = try await LoadWorld.caseIDs(Governance_Grid_V1_GridService.Client(wrapping: client))
      return ids[ids.count / 2]
    }
    if scenario == "gateway-case-get" {
      var quiet = Logger(label: "load")
      quiet.logLevel = .warning
      let store = try GatewayStore.open(dataDirectory: world.dataDirectory, logger: quiet)
      let key = try await store.createAPIKey(
        name: "h2load-\(UUID().uuidString.prefix(8))", role: .cityAdministrator, scope: "")
      return OutsideRequest(
        url: "http://\(world.address(.gateway))/governance.grid.v1.GridService/GetCase",
        headers: ["content-type: application/json", "authorization: Bearer \(key)"],
        body: Array(#"{"id":"\#(caseID)"}"#.utf8), metrics: metricsURL(.grid, system: system))
    }
    let token = try await authority.mint(for: OperatorClient.principal, lifetime: 7200)
    let service: ServiceIdentity
    let method: String
    let message: any SwiftProtobuf.Message
    switch scenario {
    case "case-get":
      (service, method) = (.grid, "governance.grid.v1.GridService/GetCase")
      message = Governance_Grid_V1_GetCaseRequest.with { $0.id = caseID }
    case "case-list":
      (service, method) = (.grid, "governance.grid.v1.GridService/ListCases")
      message = Governance_Grid_V1_ListCasesRequest.with {
        $0.pageSize = 50
        $0.divisionPrefix = LoadWorld.districts[0]
      }
    case "case-create":
      let community = try await OperatorClient.connect(to: world.address(.grid), authority: authority) { client in
        try await LoadWorld.communities(Governance_Grid_V1_GridService.Client(wrapping: client))[0]
      }
      (service, method) = (.grid, "governance.grid.v1.GridService/CreateCase")
      message = Governance_Grid_V1_CreateCaseRequest.with {
        $0.gridCase.source = .resident
        $0.gridCase.category = "环境卫生"
        $0.gridCase.title = "压测上报"
        $0.gridCase.divisionCode = community
      }
    case "city-stats":
      (service, method) = (.grid, "governance.grid.v1.GridService/GetCaseStatistics")
      message = Governance_Grid_V1_GetCaseStatisticsRequest.with { $0.divisionPrefix = "3201" }
    case "city-street-stats":
      (service, method) = (.grid, "governance.grid.v1.GridService/GetCaseStatistics")
      message = LoadWorld.streetStatistics
    default:
      (service, method) = (.organisation, "governance.organisation.v1.OrganisationService/GetCoverage")
      message = Governance_Organisation_V1_GetCoverageRequest.with {
        $0.divisionPrefix = "3201"
        $0.includeChildren = true
      }
    }
    return OutsideRequest(
      url: "http://\(world.address(service))/\(method)", headers: grpcHeaders(token: token),
      body: framed(try message.serializedBytes()), metrics: metricsURL(service, system: system))
  }

  /// gRPC's request headers (PROTOCOL-HTTP2.md "Requests"); h2load adds the method and path.
  static func grpcHeaders(token: String?) -> [String] {
    ["content-type: application/grpc", "te: trailers"] + (token.map { ["authorization: Bearer \($0)"] } ?? [])
  }

  /// A message with gRPC's 5-byte prefix: uncompressed (0), then its length as 4 bytes big-endian.
  static func framed(_ message: [UInt8]) -> [UInt8] {
    let length = UInt32(message.count)
    return [0, UInt8(length >> 24), UInt8((length >> 16) & 0xFF), UInt8((length >> 8) & 0xFF), UInt8(length & 0xFF)]
      + message
  }

  static func metricsURL(_ identity: ServiceIdentity, system: SystemAddresses) -> String {
    "http://\(system.host):\(identity.defaultMetricsPort + system.portOffset)/metrics"
  }

  /// Writes `url`, `headers`, `body` and `metrics` into `directory`, creating it.
  func write(to directory: URL) throws {
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    try Data(url.utf8).write(to: directory.appendingPathComponent("url"))
    try Data(headers.map { $0 + "\n" }.joined().utf8).write(to: directory.appendingPathComponent("headers"))
    try Data(body).write(to: directory.appendingPathComponent("body"))
    try Data(metrics.utf8).write(to: directory.appendingPathComponent("metrics"))
  }
}
