import Foundation
import GRPCCore
import GovernanceAPI
import ServiceKit
import ServiceKitTesting
import Testing

@testable import Evaluation

@Suite("Panels: roles, the period window, one score per evaluator")
struct PanelScoringTests {
  @Test("a score is taken from a seated member, for an item of the panel's kind, while open, once")
  func scoringRules() async throws {
    try await withEvaluationService { evaluation, property, _ in
      let setup = try await Quarter.make(evaluation, property)
      let panel = try await setup.fourPartyPanel(evaluation, month: 0, company: setup.good)
      #expect(panel.members.count == 4)
      @Sendable func score(_ evaluator: String, item: String, value: Double, company: String? = nil) async throws
        -> Governance_Evaluation_V1_Score
      {
        try await evaluation.submitScore(
          .with {
            $0.panelID = panel.id
            $0.itemID = item
            $0.evaluatorID = evaluator
            $0.companyID = company ?? setup.good.company
            $0.compoundID = setup.good.compound
            $0.value = value
          })
      }
      let given = try await score("ev-owners", item: setup.monthlyItem, value: 8.5)
      #expect(given.role == .ownersCommittee && given.fullMarks == 10 && given.weight == 10)
      await expectRPCError(.alreadyExists, mentioning: "ev-owners", "not replaced") {
        _ = try await score("ev-owners", item: setup.monthlyItem, value: 2)
      }
      let kept = try await evaluation.listScores(.with { $0.evaluatorID = "ev-owners" }).scores
      #expect(kept.map(\.value) == [8.5])
      await expectRPCError(.permissionDenied, mentioning: "ev-stranger") {
        _ = try await score("ev-stranger", item: setup.monthlyItem, value: 8)
      }
      await expectRPCError(.failedPrecondition, mentioning: "quarterlyAssessment") {
        _ = try await score("ev-grid", item: setup.quarterlyItem, value: 8)
      }
      await expectRPCError(.invalidArgument, mentioning: "value", "full marks") {
        _ = try await score("ev-grid", item: setup.monthlyItem, value: 10.5)
      }
      await expectRPCError(.invalidArgument, mentioning: "company_id") {
        _ = try await score("ev-grid", item: setup.monthlyItem, value: 8, company: setup.poor.company)
      }
      await expectRPCError(.invalidArgument, mentioning: "member.role") {
        _ = try await evaluation.addPanelMember(
          .with {
            $0.panelID = panel.id
            $0.member = .with {
              $0.evaluatorID = "ev-agency"
              $0.name = "第三方"
              $0.role = .thirdPartyAgency
            }
          })
      }
      await expectRPCError(.alreadyExists, mentioning: "panel") {
        _ = try await setup.fourPartyPanel(evaluation, month: 0, company: setup.good)
      }
      let copied = try await evaluation.createPanel(
        .with {
          $0.panel.kind = .fourParty
          $0.panel.periodID = setup.months[1]
          $0.panel.divisionCode = Quarter.community
          $0.panel.companyID = setup.good.company
          $0.panel.compoundID = setup.good.compound
          $0.copyMembersFromPanelID = panel.id
        })
      #expect(copied.members.map(\.evaluatorID).sorted() == panel.members.map(\.evaluatorID).sorted())
      #expect(try await evaluation.listPanels(.with { $0.evaluatorID = "ev-mass" }).panels.count == 2)

      // A removed member's scores stay; they give no more.
      _ = try await evaluation.removePanelMember(
        .with {
          $0.panelID = panel.id
          $0.evaluatorID = "ev-owners"
        })
      await expectRPCError(.permissionDenied, mentioning: "ev-owners") {
        _ = try await score("ev-owners", item: setup.monthlyItem, value: 8)
      }
      #expect(try await evaluation.listScores(.with { $0.panelID = panel.id }).scores.count == 1)

      _ = try await evaluation.closePeriod(.with { $0.periodID = setup.months[0] })
      await expectRPCError(.failedPrecondition, mentioning: "period", "closed") {
        _ = try await score("ev-grid", item: setup.monthlyItem, value: 8)
      }
      await expectRPCError(.failedPrecondition, mentioning: "quarterly") {
        _ = try await evaluation.createPanel(
          .with {
            $0.panel.kind = .fiveParty
            $0.panel.periodID = setup.months[2]
            $0.panel.divisionCode = Quarter.district
          })
      }
    }
  }

  @Test("an evaluator scores only in their own seat; staff entering a paper form are recorded beside the evaluator")
  func anEvaluatorScoresOnlyInTheirOwnSeat() async throws {
    #expect(throws: DomainError.self) {
      try Panels.enteredBy(evaluatorID: "user:B", caller: Principal(subject: "user:A", role: .evaluator, scope: ""))
    }
    #expect(
      try Panels.enteredBy(evaluatorID: "user:A", caller: Principal(subject: "user:A", role: .evaluator, scope: ""))
        == "")
    #expect(try Panels.enteredBy(evaluatorID: "user:A", caller: .staff(.community, name: "clerk")) == "user:clerk")
    try await withEvaluationService { evaluation, property, world in
      let setup = try await Quarter.make(evaluation, property)
      let panel = try await setup.fourPartyPanel(evaluation, month: 0, company: setup.good)
      func request(_ evaluator: String) -> Governance_Evaluation_V1_SubmitScoreRequest {
        .with {
          $0.panelID = panel.id
          $0.itemID = setup.monthlyItem
          $0.evaluatorID = evaluator
          $0.companyID = setup.good.company
          $0.compoundID = setup.good.compound
          $0.value = 7
        }
      }
      let ownersSeat = Principal(subject: "ev-owners", role: .evaluator, scope: "")
      await #expect(throws: DomainError.self) {
        _ = try await world.store.submitScore(request("ev-grid"), by: ownersSeat)
      }
      #expect(try await world.store.listScores(.with { $0.evaluatorID = "ev-grid" }).scores.isEmpty)
      let own = try await world.store.submitScore(request("ev-owners"), by: ownersSeat)
      #expect(own.evaluatorID == "ev-owners" && own.enteredBy.isEmpty)
      let paper = try await evaluation.submitScore(request("ev-grid"))
      #expect(paper.evaluatorID == "ev-grid" && paper.enteredBy == Principal.testAdministrator.subject)
    }
  }

  @Test("a street lists its district's periods, as it may read them; another district's street none")
  func aStreetListsItsDistrictsPeriods() async throws {
    try await withEvaluationService { evaluation, property, world in
      let setup = try await Quarter.make(evaluation, property)
      let street = Principal(subject: "user:clerk", role: .street, scope: "320113005")
      let seen = try await Principal.$current.withValue(street) {
        try await world.store.listPeriods(.init()).periods.map(\.id)
      }
      #expect(Set(seen) == Set([setup.quarter] + setup.months))
      let elsewhere = Principal(subject: "user:other", role: .street, scope: "320114001")
      let none = try await Principal.$current.withValue(elsewhere) {
        try await world.store.listPeriods(.init()).periods
      }
      #expect(none.isEmpty)
    }
  }

  @Test("bad period, item and survey input is INVALID_ARGUMENT naming the field")
  func badInput() async throws {
    try await withEvaluationService { evaluation, property, _ in
      for (field, year, number) in [("period.number", Int32(2026), Int32(13)), ("period.year", 1999, 1)] {
        await expectRPCError(.invalidArgument, mentioning: field) {
          _ = try await evaluation.createPeriod(
            .with {
              $0.period.divisionCode = Quarter.district
              $0.period.kind = .monthly
              $0.period.year = year
              $0.period.number = number
            })
        }
      }
      let setup = try await Quarter.make(evaluation, property)
      await expectRPCError(.alreadyExists, mentioning: "2026Q4") {
        _ = try await evaluation.createPeriod(
          .with {
            $0.period.divisionCode = Quarter.district
            $0.period.kind = .quarterly
            $0.period.year = 2026
            $0.period.number = 4
          })
      }
      for (field, satisfaction) in [("response.overall_satisfaction", Int32(0)), ("response.overall_satisfaction", 6)] {
        await expectRPCError(.invalidArgument, mentioning: field) {
          _ = try await evaluation.submitSurveyResponse(
            .with {
              $0.response.periodID = setup.quarter
              $0.response.divisionCode = Quarter.community
              $0.response.compoundID = setup.good.compound
              $0.response.companyID = setup.good.company
              $0.response.overallSatisfaction = satisfaction
            })
        }
      }
      await expectRPCError(.invalidArgument, mentioning: "response.answers[0].item_id") {
        _ = try await evaluation.submitSurveyResponse(
          .with {
            $0.response.periodID = setup.quarter
            $0.response.divisionCode = Quarter.community
            $0.response.compoundID = setup.good.compound
            $0.response.companyID = setup.good.company
            $0.response.overallSatisfaction = 4
            $0.response.answers = [
              .with {
                $0.itemID = setup.monthlyItem
                $0.value = 5
              }
            ]
          })
      }
      let masked = try await evaluation.submitSurveyResponse(
        .with {
          $0.response.periodID = setup.quarter
          $0.response.divisionCode = Quarter.community
          $0.response.compoundID = setup.good.compound
          $0.response.companyID = setup.good.company
          $0.response.overallSatisfaction = 4
          $0.response.respondent = .with {
            $0.name = "周大爷"
            $0.phone = "13322223333"
          }
        })
      #expect(masked.respondent.masked && masked.respondent.name == "周**")
      await expectRPCError(.invalidArgument, mentioning: "order.deadline", "not before today") {
        _ = try await evaluation.createRectificationOrder(
          .with {
            $0.order.divisionCode = Quarter.community
            $0.order.companyID = setup.good.company
            $0.order.compoundID = setup.good.compound
            $0.order.problem = "垃圾清运不及时"
            $0.order.requirement = "每日清运"
            $0.order.deadline = .with {
              $0.year = 2020
              $0.month = 1
              $0.day = 1
            }
          })
      }
    }
  }

  @Test("an order past its deadline turns overdue and counts against its company in the quarter")
  func overdueOrdersCount() async throws {
    try await withEvaluationService { evaluation, property, world in
      let setup = try await Quarter.make(evaluation, property)
      let today = CalendarDate.today(at: Date())
      let order = try await evaluation.createRectificationOrder(
        .with {
          $0.order.divisionCode = Quarter.community
          $0.order.companyID = setup.poor.company
          $0.order.compoundID = setup.poor.compound
          $0.order.periodID = setup.quarter
          $0.order.problem = "消防通道堵塞"
          $0.order.requirement = "三日内清理"
          $0.order.deadline = today
        })
      #expect(order.state == .open)
      let later = Date().addingTimeInterval(86_400)
      #expect(try await world.store.markOverdueOrders(at: later) == 1)
      #expect(try await evaluation.getRectificationOrder(.with { $0.id = order.id }).state == .overdue)
      let late = try await world.store.completeOrder(
        .with {
          $0.orderID = order.id
          $0.completionNote = "已清理"
        }, by: Principal(service: .gateway), at: later)
      #expect(late.state == .completedLate)
      _ = try await evaluation.closePeriod(.with { $0.periodID = setup.quarter })
      let inputs = try await world.store.quarterInputs(periodID: setup.quarter, at: later)
      #expect(inputs.companies[setup.poor.company]?.inputs.overdueOrders == 1)
      let history = try await evaluation.getCompanyHistory(.with { $0.companyID = setup.poor.company })
      #expect(history.periods.map(\.period.label) == ["2026Q4"] && history.periods[0].ordersOverdue == 1)
    }
  }
}

@Suite("Paired units' five helps, evaluated by the street each quarter")
struct PairedUnitEvaluationTests {
  @Test("once per unit, compound and quarter; the unit must be known to the organisation service")
  func fiveHelpsOncePerQuarter() async throws {
    try await withEvaluationService { evaluation, property, world in
      let setup = try await Quarter.make(evaluation, property)
      let unit = try await asTestAdministrator {
        try await world.organisation.createPairedUnit(
          .with {
            $0.unit.name = "区住建局"
            $0.unit.kind = .agency
            $0.unit.divisionCode = Quarter.district
          })
      }
      let request = Governance_Evaluation_V1_SubmitPairedUnitEvaluationRequest.with {
        $0.evaluation = .with {
          $0.divisionCode = "320113005000"
          $0.periodID = setup.quarter
          $0.pairedUnitID = unit.id
          $0.compoundID = setup.poor.compound
          $0.helps = [
            .with {
              $0.help = .propertyService
              $0.score = 95
            },
            .with {
              $0.help = .disputeResolution
              $0.score = 88
            },
          ]
        }
      }
      let given = try await evaluation.submitPairedUnitEvaluation(request)
      #expect(given.total == 91.5 && given.grade == .excellent && given.pairedUnitName == "区住建局")
      await expectRPCError(.alreadyExists, mentioning: "once per unit") {
        _ = try await evaluation.submitPairedUnitEvaluation(request)
      }
      await expectRPCError(.failedPrecondition, mentioning: "pu_unknown") {
        var unknown = request
        unknown.evaluation.pairedUnitID = "pu_unknown"
        _ = try await evaluation.submitPairedUnitEvaluation(unknown)
      }
      await expectRPCError(.invalidArgument, mentioning: "evaluation.helps[1].help") {
        var twice = request
        twice.evaluation.helps[1].help = .propertyService
        _ = try await evaluation.submitPairedUnitEvaluation(twice)
      }
      let listed = try await evaluation.listPairedUnitEvaluations(.with { $0.grade = .excellent })
      #expect(listed.evaluations.map(\.id) == [given.id])
    }
  }
}
