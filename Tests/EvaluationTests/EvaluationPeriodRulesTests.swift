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

@Suite("Request rules of the evaluation service")
struct EvaluationRequestRulesTests {
  @Test("a panel copies members from a panel of the same kind; a score is given in its panel's period")
  func panelsCopyTheirKindAndScoresTheirPeriod() throws {
    let panel = Governance_Evaluation_V1_Panel.with {
      $0.kind = .fourParty
      $0.periodID = "per_1"
    }
    try Panels.checkCopiedFrom(panel, into: panel)
    #expect(throws: DomainError.self) { try Panels.checkCopiedFrom(.with { $0.kind = .fiveParty }, into: panel) }
    try Panels.checkScorePeriod("", of: panel)
    #expect(throws: DomainError.self) { try Panels.checkScorePeriod("per_2", of: panel) }
  }

  @Test("a survey response rates 1 to 5 in a community, each answer a resident-survey item within its full marks")
  func surveyResponsesAreBounded() throws {
    let response = Governance_Evaluation_V1_SurveyResponse.with {
      $0.divisionCode = "320113005001"
      $0.compoundID = "cmp_1"
      $0.companyID = "co_1"
      $0.overallSatisfaction = 5
    }
    #expect(try Surveys.validateNew(response).overallSatisfaction == 5)
    var six = response
    six.overallSatisfaction = 6
    #expect(throws: DomainError.self) { try Surveys.validateNew(six) }
    let item = Governance_Evaluation_V1_ScoringItem.with {
      $0.use = .residentSurvey
      $0.fullMarks = 10
    }
    try Surveys.checkAnswer(.with { $0.value = 10 }, item: item, field: "response.answers[0]")
    #expect(throws: DomainError.self) { try Surveys.checkAnswer(.with { $0.value = 11 }, item: item, field: "a") }
    #expect(throws: DomainError.self) { try Surveys.checkAnswer(.with { $0.value = 1 }, item: nil, field: "a") }
  }
}
