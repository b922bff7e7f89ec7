import Foundation
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

  static let admin = Principal(subject: "user:admin", role: .cityAdministrator, scope: "")

  /// A store whose worker 王网格 serves grid 1 and signs in as `user:wang`.
  static func storeWithWang() async throws -> GridStore {
    let store = try await GridFixture.store()
    _ = try await store.createWorker(
      .with {
        $0.worker = .with {
          $0.divisionCode = GridFixture.community
          $0.name = "王网格"
          $0.kind = .fullTime
          $0.gridCodes = [GridFixture.grid1]
          $0.principalID = "user:wang"
        }
      }, by: admin)
    return store
  }

  static func report(_ store: GridStore, in grid: String) async throws -> CaseWorkflow.GridCase {
    try await store.createCase(
      .with {
        $0.gridCase.source = .resident
        $0.gridCase.category = "环境卫生"
        $0.gridCase.title = "楼道堆放杂物"
        $0.gridCase.location.gridCode = grid
      }, by: admin)
  }

  @Test("a grid worker handles the cases of the grids they serve")
  func aGridWorkerHandlesTheCasesOfTheGridsTheyServe() async throws {
    let store = try await Self.storeWithWang()
    func report(in grid: String) async throws -> CaseWorkflow.GridCase { try await Self.report(store, in: grid) }
    func accept(_ gridCase: CaseWorkflow.GridCase, by principal: Principal) async throws -> CaseWorkflow.GridCase {
      try await store.transition(
        try CaseWorkflow.accept(note: "", at: Date()), caseID: gridCase.id, requestID: "",
        request: Governance_Grid_V1_AcceptCaseRequest(), by: principal, at: Date())
    }
    let wang = Principal(subject: "user:wang", role: .gridWorker, scope: GridFixture.community)
    let own = try await accept(try await report(in: GridFixture.grid1), by: wang)
    #expect(own.status == .accepted)
    let next = try await report(in: GridFixture.grid2)
    await #expect(throws: DomainError.self) { _ = try await accept(next, by: wang) }
    // A sign-in bound to no worker handles nothing; staff of the community handle both grids.
    let unbound = Principal(subject: "user:li", role: .gridWorker, scope: GridFixture.community)
    await #expect(throws: DomainError.self) {
      _ = try await accept(try await report(in: GridFixture.grid1), by: unbound)
    }
    let community = Principal(subject: "user:shequ", role: .community, scope: GridFixture.community)
    #expect(try await accept(next, by: community).status == .accepted)
  }

  @Test("a note joins a case's history once, its state unchanged, from the case's own handlers")
  func aNoteJoinsTheHistoryOnce() async throws {
    let store = try await Self.storeWithWang()
    func report(in grid: String) async throws -> CaseWorkflow.GridCase { try await Self.report(store, in: grid) }
    let wang = Principal(subject: "user:wang", role: .gridWorker, scope: GridFixture.community)
    let own = try await report(in: GridFixture.grid1)
    let note = Governance_Grid_V1_AddCaseNoteRequest.with {
      $0.requestID = "note-1"
      $0.caseID = own.id
      $0.note = "已联系物业，明早清运"
    }
    let first = try await store.addCaseNote(note, by: wang)
    let again = try await store.addCaseNote(note, by: wang)
    #expect(first.id == again.id && first.kind == .noted && first.note == note.note)
    #expect(first.fromStatus == .reported && first.toStatus == .reported)
    let events = try await store.listCaseEvents(.with { $0.caseID = own.id }).events
    #expect(events.map(\.kind) == [.reported, .noted])
    #expect(try await store.gridCase(id: own.id)?.status == .reported)
    let other = try await report(in: GridFixture.grid2)
    await #expect(throws: DomainError.self) {
      _ = try await store.addCaseNote(
        .with {
          $0.caseID = other.id
          $0.note = "路过看到"
        }, by: wang)
    }
    await #expect(throws: DomainError.self) {
      _ = try await store.addCaseNote(.with { $0.caseID = own.id }, by: wang)
    }
  }

  @Test("a sign-in stands for one active worker")
  func aSignInStandsForOneActiveWorker() async throws {
    let store = try await Self.storeWithWang()
    var li = Governance_Grid_V1_GridWorker.with {
      $0.divisionCode = GridFixture.community
      $0.name = "李网格"
      $0.kind = .fullTime
      $0.gridCodes = [GridFixture.grid2]
      $0.principalID = "user:wang"
    }
    await #expect(throws: DomainError.self) {
      _ = try await store.createWorker(.with { $0.worker = li }, by: Self.admin)
    }
    li.principalID = ""
    let created = try await store.createWorker(.with { $0.worker = li }, by: Self.admin)
    await #expect(throws: DomainError.self) {
      _ = try await store.updateWorker(
        .with {
          $0.worker = .with {
            $0.id = created.id
            $0.principalID = "user:wang"
          }
          $0.updateMask = .with { $0.paths = ["principal_id"] }
        }, by: Self.admin)
    }
    let rebound = try await store.updateWorker(
      .with {
        $0.worker = .with {
          $0.id = created.id
          $0.principalID = "user:li"
        }
        $0.updateMask = .with { $0.paths = ["principal_id"] }
      }, by: Self.admin)
    #expect(rebound.principalID == "user:li")
  }
}
