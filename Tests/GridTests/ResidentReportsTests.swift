import Foundation
import GRPCCore
import GovernanceAPI
import ServiceKit
import ServiceKitTesting
import Testing

@testable import Grid

@Suite("Residents' reports: their own, evaluated, reopened and photographed only by them")
struct ResidentReportsTests {
  static let zhang = Principal(subject: "resident:0123456789abcdef0123", role: .resident, scope: "")
  static let li = Principal(subject: "resident:fedcba9876543210fedc", role: .resident, scope: "")
  static let community = Principal(subject: "user:chen", role: .community, scope: GridFixture.community)

  static func report(_ store: GridStore, by principal: Principal, requestID: String = "") async throws
    -> Governance_Grid_V1_Case
  {
    try await store.createCase(
      .with {
        $0.requestID = requestID
        $0.gridCase.source = .resident
        $0.gridCase.category = "环境卫生"
        $0.gridCase.title = "楼道堆物"
        $0.gridCase.location.gridCode = GridFixture.grid1
        $0.gridCase.reporter = .with {
          $0.name = "张三"
          $0.phone = "13812345678"
        }
        // What a client might claim; the service sets it.
        $0.gridCase.reporterPrincipalID = "resident:someone-else"
      }, by: principal)
  }

  @Test("a resident's report is their own")
  func aResidentsReportIsTheirOwn() async throws {
    let stamped = try ResidentReports.stamp(.with { $0.reporterPrincipalID = "resident:x" }, by: Self.zhang)
    #expect(stamped.source == .resident && stamped.reporterPrincipalID == Self.zhang.subject)
    let staff = try ResidentReports.stamp(
      .with {
        $0.source = .patrol
        $0.reporterPrincipalID = "resident:x"
      }, by: Self.community)
    #expect(staff.source == .patrol && staff.reporterPrincipalID.isEmpty)
    #expect(throws: DomainError.self) {
      try ResidentReports.stamp(.with { $0.source = .cityPlatform }, by: Self.zhang)
    }

    let store = try await GridFixture.store()
    let mine = try await Self.report(store, by: Self.zhang)
    #expect(mine.reporterPrincipalID == Self.zhang.subject && mine.source == .resident)
    #expect(mine.reporter.masked && mine.reporter.phone == "138****5678")
    _ = try await Self.report(store, by: Self.li)
    var staffCase = try await Self.report(store, by: Self.community)
    #expect(staffCase.reporterPrincipalID.isEmpty)
    staffCase = try await store.gridCase(id: staffCase.id) ?? staffCase
    #expect(staffCase.reporterPrincipalID.isEmpty)

    // "My reports" reads the reporter's own and nobody else's.
    let listed = try await store.listCases(.with { $0.reporterPrincipalID = Self.zhang.subject })
    #expect(listed.cases.map(\.id) == [mine.id])
  }

  @Test("a resident acts only on the case they reported")
  func aResidentActsOnlyOnTheCaseTheyReported() async throws {
    let store = try await GridFixture.store()
    let mine = try await Self.report(store, by: Self.zhang)
    let theirs = try await Self.report(store, by: Self.li)
    let staffCase = try await Self.report(store, by: Self.community)
    for other in [theirs, staffCase] {
      await #expect(throws: DomainError.self) {
        _ = try await store.transition(
          try CaseWorkflow.evaluate(satisfaction: 1, comment: "", at: Date()), caseID: other.id, requestID: "",
          request: Governance_Grid_V1_EvaluateCaseRequest(), by: Self.zhang, at: Date())
      }
      await #expect(throws: DomainError.self) {
        _ = try await store.transition(
          try CaseWorkflow.reopen(reason: "还没修好", at: Date()), caseID: other.id, requestID: "",
          request: Governance_Grid_V1_ReopenCaseRequest(), by: Self.zhang, at: Date())
      }
    }
    do {
      _ = try await store.transition(
        try CaseWorkflow.evaluate(satisfaction: 5, comment: "", at: Date()), caseID: mine.id, requestID: "",
        request: Governance_Grid_V1_EvaluateCaseRequest(), by: Self.zhang, at: Date())
      Issue.record("a case not yet resolved was evaluated")
    } catch DomainError.failedPrecondition {
      // Their own case gets past the reporter's rule to the transition table.
    }
    #expect(throws: Never.self) { try ResidentReports.checkReporter(theirs, by: Self.community) }
  }

  @Test("a resident's photos come with the report")
  func aResidentsPhotosComeWithTheReport() async throws {
    let store = try await GridFixture.store()
    let mine = try await Self.report(store, by: Self.zhang)
    let theirs = try await Self.report(store, by: Self.li)
    // A JPEG's structure, as a phone's camera writes one: start, a scan, end.
    let jpeg = Data([0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02, 0x12, 0x34, 0xFF, 0xD9])
    let attached = try await store.createAttachment(
      .with {
        $0.parent = "cases/\(mine.id)"
        $0.content = jpeg
      }, by: Self.zhang)
    #expect(attached.parent == "cases/\(mine.id)")
    await #expect(throws: DomainError.self) {
      _ = try await store.createAttachment(
        .with {
          $0.parent = "cases/\(theirs.id)"
          $0.content = jpeg
        }, by: Self.zhang)
    }
    _ = try await store.transition(
      try CaseWorkflow.accept(note: "", at: Date()), caseID: mine.id, requestID: "",
      request: Governance_Grid_V1_AcceptCaseRequest(), by: Self.community, at: Date())
    do {
      _ = try await store.createAttachment(
        .with {
          $0.parent = "cases/\(mine.id)"
          $0.content = jpeg
        }, by: Self.zhang)
      Issue.record("a photo was added to a case already taken up")
    } catch DomainError.failedPrecondition {
      // Once accepted, the report's photos are closed.
    }
  }

  @Test("residents are refused what only staff may do")
  func residentsAreRefusedStaffWrites() {
    for method in ["AcceptCase", "ResolveCase", "CloseCase", "UpdateCase", "RaiseAlarm", "CreatePatrol"] {
      #expect(throws: DomainError.self) {
        try Authorization.check(service: "governance.grid.v1.GridService", method: method, principal: Self.zhang)
      }
    }
    for method in ["CreateCase", "EvaluateCase", "ReopenCase", "CreateAttachment"] {
      #expect(throws: Never.self) {
        try Authorization.check(service: "governance.grid.v1.GridService", method: method, principal: Self.zhang)
      }
    }
  }
}
