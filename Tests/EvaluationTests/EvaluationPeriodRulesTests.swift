import GovernanceAPI
import ServiceKit
import Testing

@testable import Evaluation

/// The period rules a store checks inside its transactions, as plain functions.
@Suite("Evaluation period rules")
struct EvaluationPeriodRulesTests {
  func period(_ kind: Governance_Evaluation_V1_PeriodKind, _ state: Governance_Evaluation_V1_PeriodState)
    -> Governance_Evaluation_V1_EvaluationPeriod
  {
    .with {
      $0.kind = kind
      $0.state = state
    }
  }

  @Test("composites are computed for a closed, unpublished quarter, and published once computed")
  func compositesAreComputedForAClosedQuarter() throws {
    try EvaluationPeriods.checkComputable(period(.quarterly, .closed))
    #expect(throws: DomainError.self) { try EvaluationPeriods.checkComputable(period(.monthly, .closed)) }
    #expect(throws: DomainError.self) { try EvaluationPeriods.checkComputable(period(.quarterly, .open)) }
    try EvaluationPeriods.checkPublishable(period(.quarterly, .closed), composites: 3)
    #expect(throws: DomainError.self) {
      try EvaluationPeriods.checkPublishable(period(.quarterly, .closed), composites: 0)
    }
  }

  @Test("a period is closed once, while open, and a published period never changes")
  func aPeriodClosesOnceAndPublishedNeverChanges() throws {
    try EvaluationPeriods.checkClose(period(.monthly, .open))
    #expect(throws: DomainError.self) { try EvaluationPeriods.checkClose(period(.monthly, .closed)) }
    try EvaluationPeriods.checkUnpublished(period(.quarterly, .closed))
    #expect(throws: DomainError.self) { try EvaluationPeriods.checkUnpublished(period(.quarterly, .published)) }
  }

  @Test("the five helps are evaluated each quarter")
  func theFiveHelpsAreEvaluatedEachQuarter() throws {
    try FiveHelps.checkQuarter(period(.quarterly, .open))
    #expect(throws: DomainError.self) { try FiveHelps.checkQuarter(period(.monthly, .open)) }
  }
}

@Suite("Rectification rules")
struct RectificationRulesTests {
  @Test("an order counts against the company when its deadline passed undone, or it was done late")
  func anOrderCountsWhenOverdueOrLate() {
    #expect(Set(Rectification.overdueStates) == [.overdue, .completedLate])
    #expect(!Rectification.overdueStates.contains(.completed) && !Rectification.overdueStates.contains(.open))
  }
}
