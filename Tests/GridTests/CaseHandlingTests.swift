import GovernanceAPI
import ServiceKit
import Testing

@testable import Grid

@Suite("Handling levels: each level works the cases held at it or below (街社吹哨、部门报到)")
struct CaseHandlingTests {
  static func held(at level: Governance_Grid_V1_CaseLevel) -> CaseWorkflow.GridCase {
    .with {
      $0.id = "case_1"
      $0.handler.level = level
    }
  }

  static func person(_ role: Role) -> Principal {
    Principal(subject: "user:\(role.rawValue)", role: role, scope: "320102")
  }

  @Test("a level handles the cases held at it or below")
  func aLevelHandlesTheCasesHeldAtItOrBelow() throws {
    let levels: [Governance_Grid_V1_CaseLevel] = [.grid, .community, .street, .districtDepartment]
    let roles: [Role] = [.gridWorker, .community, .street, .district]
    for (held, level) in levels.enumerated() {
      for (works, role) in roles.enumerated() {
        if works >= held {
          try CaseHandling.check(Self.held(at: level), by: Self.person(role))
        } else {
          #expect(throws: DomainError.self, "\(role) on a case held at \(level)") {
            try CaseHandling.check(Self.held(at: level), by: Self.person(role))
          }
        }
      }
      // Bound by no level: the city administrator, the city platform, services and jobs.
      try CaseHandling.check(Self.held(at: level), by: Self.person(.cityAdministrator))
      try CaseHandling.check(Self.held(at: level), by: Self.person(.cityPlatform))
      try CaseHandling.check(Self.held(at: level), by: Principal(service: .grid))
      try CaseHandling.check(Self.held(at: level), by: .system)
    }
  }

  @Test("a community cannot escalate a case the street holds; the street can")
  func aCommunityCannotEscalateACaseTheStreetHolds() async throws {
    let store = try await GridFixture.store()
    let admin = Principal(subject: "user:admin", role: .cityAdministrator, scope: "")
    let created = try await store.createCase(
      .with {
        $0.gridCase.source = .resident
        $0.gridCase.category = "环境卫生"
        $0.gridCase.title = "楼道堆放杂物"
        $0.gridCase.location.gridCode = GridFixture.grid1
      }, by: admin)
    for _ in 0..<2 {
      _ = try await store.moveCase(
        requestID: "", request: Governance_Grid_V1_EscalateCaseRequest(), caseID: created.id, note: "", by: admin
      ) {
        try CaseEscalation.nextUnit(above: $0.handler, department: "")
      }
    }
    let community = Principal(subject: "user:shequ", role: .community, scope: GridFixture.community)
    await #expect(throws: DomainError.self) {
      _ = try await store.moveCase(
        requestID: "", request: Governance_Grid_V1_EscalateCaseRequest(), caseID: created.id, note: "", by: community
      ) { try CaseEscalation.nextUnit(above: $0.handler, department: "区城管局") }
    }
    let street = Principal(subject: "user:jiedao", role: .street, scope: "320113005")
    let summoned = try await store.moveCase(
      requestID: "", request: Governance_Grid_V1_EscalateCaseRequest(), caseID: created.id, note: "", by: street
    ) { try CaseEscalation.nextUnit(above: $0.handler, department: "区城管局") }
    #expect(summoned.handler.level == .districtDepartment && summoned.handler.department == "区城管局")
  }
}
