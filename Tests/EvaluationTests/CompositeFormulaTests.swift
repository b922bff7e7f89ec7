import GovernanceAPI
import ServiceKit
import Testing

@testable import Evaluation

@Suite("The composite formula on hand-computed fixtures")
struct CompositeFormulaTests {
  typealias Mark = CompositeFormula.Mark

  static func inputs(
    four: [Mark] = [], five: [Mark] = [], residents: [Int32] = [], cases: [(Int64, Double)] = [], overdue: Int = 0
  ) -> CompositeFormula.Inputs {
    var inputs = CompositeFormula.Inputs()
    inputs.fourPartyMarks = four
    inputs.fivePartyMarks = five
    inputs.residentSatisfaction = residents
    inputs.caseSatisfaction = cases.map { (cases: $0.0, mean: $0.1) }
    inputs.overdueOrders = overdue
    return inputs
  }

  @Test("all components: 0.4×85 + 0.3×76.67 + 0.2×75 + 0.1×75 − 5 = 74.5, three stars, no list")
  func allComponents() {
    let outcome = CompositeFormula.evaluate(
      Self.inputs(
        four: [Mark(value: 8, fullMarks: 10, weight: 1), Mark(value: 9, fullMarks: 10, weight: 1)],
        five: [Mark(value: 70, fullMarks: 100, weight: 2), Mark(value: 90, fullMarks: 100, weight: 1)],
        residents: [4, 5, 3], cases: [(2, 5), (2, 3)], overdue: 1),
      policy: CompositeFormula.defaultPolicy)
    #expect(outcome.total == 74.5)
    #expect(outcome.stars == 3)
    #expect(outcome.listStatus == .none)
    let byKind = Dictionary(uniqueKeysWithValues: outcome.components.map { ($0.kind, $0) })
    #expect(byKind[.fourPartyMonthly]?.normalised == 85)
    #expect(abs((byKind[.fivePartyQuarterly]?.normalised ?? 0) - 230.0 / 3) < 1e-9)
    #expect(byKind[.residentSatisfaction]?.rawValue == 4 && byKind[.residentSatisfaction]?.normalised == 75)
    #expect(byKind[.caseSatisfaction]?.sampleSize == 4 && byKind[.caseSatisfaction]?.normalised == 75)
    #expect(byKind[.overdueRectification]?.contribution == -5)
  }

  @Test("a missing component is left out and the other weights renormalised")
  func missingComponentsRenormalise() {
    let outcome = CompositeFormula.evaluate(
      Self.inputs(four: [Mark(value: 85, fullMarks: 100, weight: 1)], residents: [4]),
      policy: CompositeFormula.defaultPolicy)
    // 0.4 / 0.6 × 85 + 0.2 / 0.6 × 75 = 81.67
    #expect(outcome.total == 81.67)
    #expect(outcome.stars == 4)
    #expect(outcome.components.filter { !$0.present }.map(\.kind) == [.fivePartyQuarterly, .caseSatisfaction])
  }

  @Test("poor quality and low satisfaction is the black list; so are too many overdue orders; high scores the red")
  func lists() {
    let policy = CompositeFormula.defaultPolicy
    let poor = CompositeFormula.evaluate(
      Self.inputs(four: [Mark(value: 5, fullMarks: 10, weight: 1)], residents: [2, 2]), policy: policy)
    #expect(poor.total == 41.67 && poor.listStatus == .black && poor.stars == 1)
    #expect(poor.listReason.contains("居民满意度低"))
    // Low score but satisfied residents: not blacklisted on that rule.
    let lowButLiked = CompositeFormula.evaluate(
      Self.inputs(four: [Mark(value: 2, fullMarks: 10, weight: 1)], residents: [5, 5]), policy: policy)
    #expect(lowButLiked.listStatus == .none)
    let overdue = CompositeFormula.evaluate(
      Self.inputs(four: [Mark(value: 10, fullMarks: 10, weight: 1)], overdue: 3), policy: policy)
    #expect(overdue.total == 85 && overdue.listStatus == .black && overdue.listReason.contains("逾期"))
    let excellent = CompositeFormula.evaluate(
      Self.inputs(four: [Mark(value: 10, fullMarks: 10, weight: 1)], residents: [5]), policy: policy)
    #expect(excellent.total == 100 && excellent.stars == 5 && excellent.listStatus == .red)
    let floored = CompositeFormula.evaluate(
      Self.inputs(four: [Mark(value: 0, fullMarks: 10, weight: 1)], overdue: 2), policy: policy)
    #expect(floored.total == 0)
  }

  @Test("a policy's weights, thresholds and limits are checked")
  func policyIsValidated() {
    var policy = CompositeFormula.defaultPolicy
    policy.divisionCode = "320113000000"
    #expect(throws: Never.self) { try CompositeFormula.validate(policy) }
    var unweighted = policy
    unweighted.weights = unweighted.weights.map {
      var weight = $0
      weight.weight = 0
      return weight
    }
    #expect(
      throws: DomainError.invalidArgument(field: "policy.weights", rule: "at least one component weighs more than 0")
    ) {
      try CompositeFormula.validate(unweighted)
    }
    var inverted = policy
    inverted.starThresholds[0].minScore = 50
    #expect(throws: DomainError.self) { try CompositeFormula.validate(inverted) }
  }

  @Test("the five helps are graded on the mean of the applicable ones")
  func fiveHelpsGrade() throws {
    let evaluation = try FiveHelps.validateNew(
      .with {
        $0.divisionCode = "320113005000"
        $0.pairedUnitID = "pu_1"
        $0.compoundID = "cmp_1"
        $0.helps = [
          .with {
            $0.help = .partyOrganisation
            $0.notApplicable = true
          },
          .with {
            $0.help = .propertyService
            $0.score = 80
          },
          .with {
            $0.help = .disputeResolution
            $0.score = 70
          },
        ]
      })
    #expect(evaluation.total == 75 && evaluation.grade == .good)
    #expect(FiveHelps.grade(90) == .excellent && FiveHelps.grade(59.99) == .fail && FiveHelps.grade(60) == .pass)
  }
}
