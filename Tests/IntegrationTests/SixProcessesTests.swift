import Foundation
import GRPCCore
import GovernanceAPI
import ServiceKit
import Testing

/// The whole system as separate processes over real HTTP/2 and real SQLite files.
@Suite("Six processes: health, one write and read each, clean SIGTERM, data kept across restart", .serialized)
struct SixProcessesTests {
  struct Written: Sendable {
    var organisationID = ""
    var compoundID = ""
    var divisionID = ""
    var teamID = ""
    var scoringItemID = ""
  }

  @Test("the system starts, serves, stops cleanly and finds its data again")
  func lifecycle() async throws {
    let system = try SystemHarness()
    try system.startAll()
    try await system.waitUntilHealthy()

    // Gateway health reports every service.
    let health = try await system.httpGet("/healthz")
    #expect(health.status == 200)
    for identity in ServiceIdentity.domainServices {
      #expect(health.body.contains("\"\(identity.rawValue)\":\"SERVING\""), "\(health.body)")
    }

    let written = try await writeOneRecordPerService(system)
    try await readBack(written, from: system)

    // A cross-service read over real HTTP/2: the organisation service plans branches from the
    // compounds the property service holds.
    let plan = try await system.withClient(.organisation) { client in
      try await Governance_Organisation_V1_OrganisationService.Client(wrapping: client).proposeBranchPlan(
        .with {
          $0.divisionCode = "320113005001"
        })
    }
    #expect(plan.proposals.map(\.compoundID) == [written.compoundID])
    #expect(plan.proposals.first?.proposedKind == .functional)

    // Each call is counted in Prometheus metrics; a failed one is logged with method and status
    // too (a successful one only when slow, or at debug).
    await #expect(throws: RPCError.self) {
      try await system.withClient(.grid) { client in
        try await Governance_Grid_V1_GridService.Client(wrapping: client).getCase(
          .with { $0.id = "case_01JCX0000000000000000000" })
      }
    }
    let metrics = try await system.httpGet("/metrics", port: system.metricsPorts[.grid]!)
    #expect(metrics.status == 200)
    #expect(metrics.body.contains("grpc_server_handled_total"))
    #expect(metrics.body.contains("governance.grid.v1.GridService/CreateDivision"))
    let failed = system.log(of: .grid).split(separator: "\n").filter {
      $0.contains("\"method\":\"governance.grid.v1.GridService\\/GetCase\"")
    }
    #expect(
      failed.count == 1 && failed[0].contains("\"status\":\"notFound\"")
        && failed[0].contains("\"severity\":\"NOTICE\""))

    // With one service down, the gateway says so.
    #expect(try await system.stop(.volunteers) == 0)
    let degraded = try await system.httpGet("/healthz")
    #expect(degraded.status == 503)
    #expect(degraded.body.contains("\"volunteers\":\"UNREACHABLE"), "\(degraded.body)")

    // SIGTERM stops every process with a clean exit.
    for identity in ServiceIdentity.allCases where identity != .volunteers {
      let status = try await system.stop(identity)
      #expect(status == 0, "\(identity.executableName) exited \(status):\n\(system.log(of: identity))")
    }
    for identity in ServiceIdentity.domainServices {
      let file = system.dataDirectory.appendingPathComponent(identity.databaseFileName).path
      #expect(FileManager.default.fileExists(atPath: file))
    }

    // Restarted on the same files, every record is still there.
    try system.startAll()
    try await system.waitUntilHealthy()
    try await readBack(written, from: system)
    for identity in ServiceIdentity.allCases {
      #expect(try await system.stop(identity) == 0)
    }
  }

  @Test("a service missing a peer address refuses to start and names the variable")
  func missingPeerStopsStartUp() async throws {
    let process = Process()
    process.executableURL = SystemHarness.binDirectory.appendingPathComponent("grid-service")
    var environment = ProcessInfo.processInfo.environment
    environment.removeValue(forKey: "PROPERTY_SERVICE_ADDR")
    environment["ORGANISATION_SERVICE_ADDR"] = "127.0.0.1:1"
    process.environment = environment
    let errors = Pipe()
    process.standardError = errors
    try process.run()
    process.waitUntilExit()
    let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    #expect(process.terminationStatus == 78)
    #expect(message.contains("PROPERTY_SERVICE_ADDR"))
  }

  func writeOneRecordPerService(_ system: SystemHarness) async throws -> Written {
    var written = Written()
    written.divisionID = try await system.withClient(.grid) { client in
      let grid = Governance_Grid_V1_GridService.Client(wrapping: client)
      for (code, name) in [("320113000000", "栖霞区"), ("320113005000", "尧化街道")] {
        _ = try await grid.createDivision(
          .with {
            $0.requestID = "division-\(code)"
            $0.division.divisionCode = code
            $0.division.name = name
          })
      }
      return try await grid.createDivision(
        .with {
          $0.requestID = "division-320113005001"
          $0.division.divisionCode = "320113005001"
          $0.division.name = "仙林社区"
        }
      ).id
    }
    written.organisationID = try await system.withClient(.organisation) { client in
      try await Governance_Organisation_V1_OrganisationService.Client(wrapping: client).createOrganisation(
        .with {
          $0.requestID = "org-1"
          $0.organisation.name = "栖霞区委"
          $0.organisation.level = .districtCommittee
          $0.organisation.divisionCode = "320113000000"
        }
      ).id
    }
    written.compoundID = try await system.withClient(.property) { client in
      try await Governance_Property_V1_PropertyService.Client(wrapping: client).createCompound(
        .with {
          $0.requestID = "compound-1"
          $0.compound.name = "仙林翠谷"
          $0.compound.divisionCode = "320113005001"
          $0.compound.kind = .commercialHousing
          $0.compound.householdCount = 1280
        }
      ).id
    }
    written.teamID = try await system.withClient(.volunteers) { client in
      try await Governance_Volunteers_V1_VolunteersService.Client(wrapping: client).createTeam(
        .with {
          $0.requestID = "team-1"
          $0.team.name = "党员先锋队"
          $0.team.kind = .partyVanguard
          $0.team.divisionCode = "320113005001"
        }
      ).id
    }
    written.scoringItemID = try await system.withClient(.evaluation) { client in
      try await Governance_Evaluation_V1_EvaluationService.Client(wrapping: client).createScoringItem(
        .with {
          $0.requestID = "item-1"
          $0.item.code = "ENV-01"
          $0.item.name = "环境卫生"
          $0.item.use = .monthlySatisfaction
          $0.item.weight = 20
          $0.item.fullMarks = 10
          $0.item.divisionCode = "320113000000"
        }
      ).id
    }
    return written
  }

  func readBack(_ written: Written, from system: SystemHarness) async throws {
    let division = try await system.withClient(.grid) { client in
      try await Governance_Grid_V1_GridService.Client(wrapping: client).getDivision(
        .with { $0.id = written.divisionID })
    }
    #expect(division.name == "仙林社区")
    let organisation = try await system.withClient(.organisation) { client in
      try await Governance_Organisation_V1_OrganisationService.Client(wrapping: client).getOrganisation(
        .with {
          $0.id = written.organisationID
        })
    }
    #expect(organisation.name == "栖霞区委")
    let compound = try await system.withClient(.property) { client in
      try await Governance_Property_V1_PropertyService.Client(wrapping: client).getCompound(
        .with {
          $0.id = written.compoundID
        })
    }
    #expect(compound.householdCount == 1280)
    let team = try await system.withClient(.volunteers) { client in
      try await Governance_Volunteers_V1_VolunteersService.Client(wrapping: client).getTeam(
        .with {
          $0.id = written.teamID
        })
    }
    #expect(team.kind == .partyVanguard)
    let item = try await system.withClient(.evaluation) { client in
      try await Governance_Evaluation_V1_EvaluationService.Client(wrapping: client).getScoringItem(
        .with {
          $0.id = written.scoringItemID
        })
    }
    #expect(item.name == "环境卫生")
  }
}
