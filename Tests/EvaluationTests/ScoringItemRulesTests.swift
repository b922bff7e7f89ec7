import GRPCCore
import GovernanceAPI
import ServiceKit
import ServiceKitTesting
import Testing

@testable import Evaluation

@Suite("Scoring items: a coded item for one use with a positive weight and full marks")
struct ScoringItemRulesTests {
  static let hygiene = Governance_Evaluation_V1_ScoringItem.with {
    $0.code = "ENV-01"
    $0.name = "环境卫生"
    $0.use = .monthlySatisfaction
    $0.weight = 20
    $0.fullMarks = 10
    $0.divisionCode = "320113000000"
  }

  @Test(
    "an item's weight and full marks are positive and bounded",
    arguments: [
      (0.0, 10.0, "item.weight"), (120.0, 10.0, "item.weight"), (20.0, 0.0, "item.full_marks"),
      (20.0, 5000.0, "item.full_marks"),
    ])
  func itemWeightAndFullMarksArePositiveAndBounded(weight: Double, fullMarks: Double, field: String) {
    var item = Self.hygiene
    item.weight = weight
    item.fullMarks = fullMarks
    do {
      _ = try ScoringItemRules.validateNew(item)
      Issue.record("accepted weight \(weight), full marks \(fullMarks)")
    } catch {
      guard case .invalidArgument(let named, _) = error else {
        Issue.record("unexpected \(error)")
        return
      }
      #expect(named == field)
    }
  }

  @Test("create then get over gRPC; a code is unique within its division")
  func createAndGet() async throws {
    try await withEvaluationService { evaluation, _, _ in
      let created = try await evaluation.createScoringItem(.with { $0.item = Self.hygiene })
      let fetched = try await evaluation.getScoringItem(.with { $0.id = created.id })
      #expect(fetched.name == "环境卫生")
      #expect(fetched.weight == 20)
      await expectRPCError(.alreadyExists, mentioning: "ENV-01", "320113000000") {
        _ = try await evaluation.createScoringItem(.with { $0.item = Self.hygiene })
      }
      await expectRPCError(.invalidArgument, mentioning: "item.division_code", "city or district") {
        var communityItem = Self.hygiene
        communityItem.divisionCode = "320113005001"
        _ = try await evaluation.createScoringItem(.with { $0.item = communityItem })
      }
    }
  }
}
