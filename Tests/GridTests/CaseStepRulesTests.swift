import Foundation
import GovernanceAPI
import ServiceKit
import Testing

@testable import Grid

/// The case workflow's steps and the duty and patrol rules, as plain functions.
@Suite("Case steps, acknowledgements and patrol walkers")
struct CaseStepRulesTests {
  let now = Date(timeIntervalSince1970: 1_790_000_000)

  func reported() -> Governance_Grid_V1_Case {
    .with {
      $0.id = "case_1"
      $0.status = .reported
      $0.handler.level = .grid
      $0.priority = .normal
    }
  }

  @Test("a step is taken only where the transition table allows it")
  func aStepIsTakenOnlyWhereTheTableAllowsIt() throws {
    let accepted = try CaseWorkflow.take(try CaseWorkflow.accept(note: "", at: now), on: reported(), policy: .init())
    #expect(accepted.status == .accepted && accepted.acceptTime.date == now)
    #expect(throws: DomainError.self) {
      try CaseWorkflow.take(try CaseWorkflow.resolve(resolution: "清理完毕", at: now), on: reported(), policy: .init())
    }
  }

  @Test("resolving keeps what was done, when, and the level that handled it")
  func resolvingKeepsTheResolutionAndLevel() throws {
    var started = reported()
    started.status = .inProgress
    started.handler.level = .community
    let resolved = try CaseWorkflow.take(
      try CaseWorkflow.resolve(resolution: "清理完毕", at: now), on: started, policy: .init())
    #expect(resolved.resolution == "清理完毕" && resolved.resolvedLevel == .community && resolved.resolveTime.date == now)
    #expect(throws: DomainError.invalidArgument(field: "resolution", rule: "is required")) {
      try CaseWorkflow.resolve(resolution: " ", at: now)
    }
  }

  @Test("a case is reopened within the window after its resolution, with a fresh deadline")
  func aCaseIsReopenedWithinTheWindow() throws {
    var closed = reported()
    closed.status = .closed
    closed.assigneeID = "wkr_1"
    closed.resolveTime = .init(date: now.addingTimeInterval(-3 * 86_400))
    let policy = Governance_Grid_V1_DeadlinePolicy.with { $0.reopenWindowDays = 7 }
    let reopened = try CaseWorkflow.take(try CaseWorkflow.reopen(reason: "又堆上了", at: now), on: closed, policy: policy)
    #expect(reopened.status == .reopened && reopened.reopenCount == 1 && reopened.assigneeID.isEmpty)
    #expect(reopened.deadline.date > now)
    closed.resolveTime = .init(date: now.addingTimeInterval(-8 * 86_400))
    #expect(throws: DomainError.self) {
      try CaseWorkflow.take(try CaseWorkflow.reopen(reason: "又堆上了", at: now), on: closed, policy: policy)
    }
  }

  @Test("a reporter rates 1 to 5 when evaluating")
  func evaluatingRatesOneToFive() throws {
    #expect(throws: DomainError.self) { try CaseWorkflow.evaluate(satisfaction: 6, comment: "", at: now) }
    var resolved = reported()
    resolved.status = .resolved
    let evaluated = try CaseWorkflow.take(
      try CaseWorkflow.evaluate(satisfaction: 4, comment: "及时", at: now), on: resolved, policy: .init())
    #expect(evaluated.evaluation.satisfaction == 4 && evaluated.evaluation.comment == "及时")
  }

  @Test("an assignment is acknowledged once, while pending")
  func anAssignmentIsAcknowledgedOnceWhilePending() throws {
    let pending = Governance_Grid_V1_Assignment.with {
      $0.id = "asg_1"
      $0.state = .pending
    }
    let acknowledged = try DutyRoster.acknowledge(pending, at: now)
    #expect(acknowledged.state == .acknowledged && acknowledged.acknowledgeTime.date == now)
    #expect(throws: DomainError.self) { try DutyRoster.acknowledge(acknowledged, at: now) }
  }

  @Test("a patrol is walked by a worker of the grid")
  func aPatrolIsWalkedByAWorkerOfTheGrid() throws {
    let patrol = Governance_Grid_V1_Patrol.with {
      $0.workerID = "wkr_1"
      $0.gridCode = "320113005001001"
    }
    try PatrolLog.checkWalker(of: patrol, servesGrid: true)
    #expect(throws: DomainError.self) { try PatrolLog.checkWalker(of: patrol, servesGrid: false) }
  }
}

@Suite("Request rules of the grid service")
struct GridRequestRulesTests {
  @Test("an archive arrives in messages of at most the import batch limit")
  func anArchiveArrivesInBoundedMessages() throws {
    try CaseWorkflow.checkImportBatch(CaseWorkflow.importBatchLimit)
    #expect(throws: DomainError.self) { try CaseWorkflow.checkImportBatch(CaseWorkflow.importBatchLimit + 1) }
  }

  @Test("an alarm names its device's grid or its compound, and goes to the most specific covering grid")
  func anAlarmNamesItsPlace() throws {
    try DutyRoster.checkAlarmPlace(gridCode: "", compoundID: "cmp_1")
    try DutyRoster.checkAlarmPlace(gridCode: "320113005001001", compoundID: "")
    #expect(throws: DomainError.self) { try DutyRoster.checkAlarmPlace(gridCode: "", compoundID: "") }
    #expect(throws: DomainError.self) { try DutyRoster.checkAlarmPlace(gridCode: "32011300500X", compoundID: "") }
    #expect(
      try DutyRoster.mostSpecificGrid(covering: ["320113005001001001", "320113005001001"], compoundID: "c")
        == "320113005001001001")
    #expect(throws: DomainError.self) { try DutyRoster.mostSpecificGrid(covering: [], compoundID: "cmp_1") }
  }

  @Test("a grid or division code given in a request names a registered one")
  func codesNameRegisteredGridsAndDivisions() throws {
    try GridRegistry.checkRegistered("320113005001001", field: "grid_code", registered: true)
    #expect(throws: DomainError.self) {
      try GridRegistry.checkRegistered("320113005001001", field: "grid_code", registered: false)
    }
    #expect(throws: DomainError.self) {
      try DivisionRegistry.checkRegistered("320113005001", field: "division_code", registered: false)
    }
  }
}
