import Foundation
import GovernanceAPI
import ServiceKit

/// The composite score of a property company for a quarter and the outcome it proposes: star
/// rating (星级评比) and red/black list (红黑榜). The formula, as documented on RatingPolicy:
///
///     composite = Σ weight_k × component_k  (the four 0-100 components present, weights
///                                            renormalised to sum to 1)
///               − overdue_penalty × overdue rectification orders, floored at 0
///     stars     = the highest threshold reached, 1 at least
///     black     = (composite < black_list_max_score AND resident satisfaction
///                  < black_list_max_satisfaction) OR overdue orders ≥ black_list_overdue_orders (> 0)
///     red       = not black AND composite ≥ red_list_min_score
///
/// Satisfactions given 1 to 5 are put on 0-100 as (s − 1) / 4 × 100; scores as value / full
/// marks × 100, weighted by their items' weights.
public enum CompositeFormula {
  public typealias Policy = Governance_Evaluation_V1_RatingPolicy
  public typealias Component = Governance_Evaluation_V1_ScoreComponent

  /// The built-in policy, used where no division has set one.
  public static let defaultPolicy = Policy.with {
    $0.weights = [
      .with {
        $0.kind = .fourPartyMonthly
        $0.weight = 40
      },
      .with {
        $0.kind = .fivePartyQuarterly
        $0.weight = 30
      },
      .with {
        $0.kind = .residentSatisfaction
        $0.weight = 20
      },
      .with {
        $0.kind = .caseSatisfaction
        $0.weight = 10
      },
    ]
    $0.overduePenalty = 5
    $0.starThresholds = [(5, 90.0), (4, 80), (3, 70), (2, 60), (1, 0)].map { stars, score in
      .with {
        $0.stars = Int32(stars)
        $0.minScore = score
      }
    }
    $0.redListMinScore = 90
    $0.blackListMaxScore = 60
    $0.blackListMaxSatisfaction = 60
    $0.blackListOverdueOrders = 3
  }

  /// One scored value: what was given, out of what, with what weight.
  public struct Mark: Sendable, Equatable {
    public var value: Double
    public var fullMarks: Double
    public var weight: Double

    public init(value: Double, fullMarks: Double, weight: Double) {
      self.value = value
      self.fullMarks = fullMarks
      self.weight = weight
    }
  }

  /// What the formula is computed from, for one company.
  public struct Inputs: Sendable, Equatable {
    public var fourPartyMarks: [Mark] = []
    public var fivePartyMarks: [Mark] = []
    /// Residents' overall satisfaction, 1 to 5, one per survey response.
    public var residentSatisfaction: [Int32] = []
    /// Case satisfaction per compound: cases evaluated and their mean 1 to 5.
    public var caseSatisfaction: [(cases: Int64, mean: Double)] = []
    public var overdueOrders = 0

    public init() {}

    public static func == (lhs: Inputs, rhs: Inputs) -> Bool {
      lhs.fourPartyMarks == rhs.fourPartyMarks && lhs.fivePartyMarks == rhs.fivePartyMarks
        && lhs.residentSatisfaction == rhs.residentSatisfaction && lhs.overdueOrders == rhs.overdueOrders
        && lhs.caseSatisfaction.map(\.cases) == rhs.caseSatisfaction.map(\.cases)
        && lhs.caseSatisfaction.map(\.mean) == rhs.caseSatisfaction.map(\.mean)
    }
  }

  /// The outcome of the formula for one company.
  public struct Outcome: Sendable {
    public var components: [Component]
    public var total: Double
    public var stars: Int32
    public var listStatus: Governance_Evaluation_V1_ListStatus
    public var listReason: String
  }

  /// Scores on 0-100: the weighted mean of value / full marks.
  static func weightedPercent(_ marks: [Mark]) -> Double? {
    let weight = marks.reduce(0) { $0 + $1.weight }
    guard weight > 0 else { return nil }
    return marks.reduce(0) { $0 + $1.weight * $1.value / $1.fullMarks * 100 } / weight
  }

  /// A satisfaction of 1 to 5 on 0-100.
  public static func satisfactionPercent(_ satisfaction: Double) -> Double {
    max(0, min(100, (satisfaction - 1) / 4 * 100))
  }

  /// The rule "composite, stars and lists follow the policy's formula".
  public static func evaluate(_ inputs: Inputs, policy: Policy) -> Outcome {
    let weights = Dictionary(policy.weights.map { ($0.kind, $0.weight) }, uniquingKeysWith: { $1 })
    var measured: [(Governance_Evaluation_V1_ComponentKind, raw: Double, normalised: Double, sample: Int64)?] = []
    let four = weightedPercent(inputs.fourPartyMarks)
    measured.append(four.map { (.fourPartyMonthly, $0, $0, Int64(inputs.fourPartyMarks.count)) })
    let five = weightedPercent(inputs.fivePartyMarks)
    measured.append(five.map { (.fivePartyQuarterly, $0, $0, Int64(inputs.fivePartyMarks.count)) })
    var residentPercent: Double?
    if !inputs.residentSatisfaction.isEmpty {
      let mean = Double(inputs.residentSatisfaction.reduce(0, +)) / Double(inputs.residentSatisfaction.count)
      residentPercent = satisfactionPercent(mean)
      measured.append((.residentSatisfaction, mean, residentPercent!, Int64(inputs.residentSatisfaction.count)))
    } else {
      measured.append(nil)
    }
    let cases = inputs.caseSatisfaction.reduce(Int64(0)) { $0 + $1.cases }
    if cases > 0 {
      let mean = inputs.caseSatisfaction.reduce(0.0) { $0 + Double($1.cases) * $1.mean } / Double(cases)
      measured.append((.caseSatisfaction, mean, satisfactionPercent(mean), cases))
    } else {
      measured.append(nil)
    }
    let kinds: [Governance_Evaluation_V1_ComponentKind] = [
      .fourPartyMonthly, .fivePartyQuarterly, .residentSatisfaction, .caseSatisfaction,
    ]
    let presentWeight = measured.compactMap { $0 }.reduce(0.0) { $0 + max(0, weights[$1.0] ?? 0) }
    var components: [Component] = []
    var total = 0.0
    for (index, kind) in kinds.enumerated() {
      guard let measure = measured[index] else {
        components.append(
          .with {
            $0.kind = kind
            $0.present = false
          })
        continue
      }
      let weight = presentWeight > 0 ? max(0, weights[kind] ?? 0) / presentWeight : 0
      let contribution = weight * measure.normalised
      total += contribution
      components.append(
        .with {
          $0.kind = kind
          $0.rawValue = measure.raw
          $0.normalised = measure.normalised
          $0.weight = weight
          $0.contribution = contribution
          $0.sampleSize = measure.sample
          $0.present = true
        })
    }
    let penalty = Double(inputs.overdueOrders) * policy.overduePenalty
    components.append(
      .with {
        $0.kind = .overdueRectification
        $0.rawValue = Double(inputs.overdueOrders)
        $0.normalised = penalty
        $0.contribution = -penalty
        $0.sampleSize = Int64(inputs.overdueOrders)
        $0.present = true
      })
    total = max(0, min(100, total - penalty))
    total = (total * 100).rounded() / 100
    let stars = policy.starThresholds.filter { total >= $0.minScore }.map(\.stars).max() ?? 1
    var list = Governance_Evaluation_V1_ListStatus.none
    var reason = ""
    if policy.blackListOverdueOrders > 0, inputs.overdueOrders >= Int(policy.blackListOverdueOrders) {
      list = .black
      reason = "逾期未整改 \(inputs.overdueOrders) 项（达到 \(policy.blackListOverdueOrders) 项）"
    } else if total < policy.blackListMaxScore, let residentPercent, residentPercent < policy.blackListMaxSatisfaction {
      list = .black
      reason = String(
        format: "服务质量差（综合 %.1f 分，低于 %.0f）且居民满意度低（%.1f，低于 %.0f）", total, policy.blackListMaxScore,
        residentPercent, policy.blackListMaxSatisfaction)
    } else if total >= policy.redListMinScore {
      list = .red
      reason = String(format: "综合 %.1f 分，达到红榜 %.0f 分", total, policy.redListMinScore)
    }
    return Outcome(components: components, total: total, stars: max(1, stars), listStatus: list, listReason: reason)
  }

  /// The rule "a policy weighs its components with non-negative weights, some positive; stars
  /// 1-5 each once; scores on 0-100": validates a policy to set.
  public static func validate(_ policy: Policy) throws(DomainError) -> Policy {
    var validated = policy
    _ = try DivisionCode(policy.divisionCode, field: "policy.division_code")
    let weighable: Set<Governance_Evaluation_V1_ComponentKind> = [
      .fourPartyMonthly, .fivePartyQuarterly, .residentSatisfaction, .caseSatisfaction,
    ]
    var seen: Set<Governance_Evaluation_V1_ComponentKind> = []
    for (index, weight) in policy.weights.enumerated() {
      guard weighable.contains(weight.kind), seen.insert(weight.kind).inserted else {
        throw DomainError.invalidArgument(
          field: "policy.weights[\(index)].kind", rule: "one of the four scored components, each once")
      }
      guard weight.weight.isFinite, weight.weight >= 0, weight.weight <= 100 else {
        throw DomainError.invalidArgument(
          field: "policy.weights[\(index)].weight", rule: "from 0 to 100, got \(weight.weight)")
      }
    }
    guard policy.weights.contains(where: { $0.weight > 0 }) else {
      throw DomainError.invalidArgument(field: "policy.weights", rule: "at least one component weighs more than 0")
    }
    var stars: Set<Int32> = []
    for (index, threshold) in policy.starThresholds.enumerated() {
      guard (1...5).contains(threshold.stars), stars.insert(threshold.stars).inserted else {
        throw DomainError.invalidArgument(field: "policy.star_thresholds[\(index)].stars", rule: "1 to 5, each once")
      }
      guard (0...100).contains(threshold.minScore) else {
        throw DomainError.invalidArgument(field: "policy.star_thresholds[\(index)].min_score", rule: "from 0 to 100")
      }
    }
    let ordered = policy.starThresholds.sorted { $0.stars < $1.stars }
    for (lower, higher) in zip(ordered, ordered.dropFirst()) where higher.minScore < lower.minScore {
      throw DomainError.invalidArgument(
        field: "policy.star_thresholds", rule: "more stars need at least as high a score")
    }
    for (field, value) in [
      ("policy.overdue_penalty", policy.overduePenalty), ("policy.red_list_min_score", policy.redListMinScore),
      ("policy.black_list_max_score", policy.blackListMaxScore),
      ("policy.black_list_max_satisfaction", policy.blackListMaxSatisfaction),
    ] where !(value.isFinite && (0...100).contains(value)) {
      throw DomainError.invalidArgument(field: field, rule: "from 0 to 100, got \(value)")
    }
    guard policy.blackListOverdueOrders >= 0 else {
      throw DomainError.invalidArgument(field: "policy.black_list_overdue_orders", rule: "0 (off) or more")
    }
    if validated.starThresholds.isEmpty { validated.starThresholds = defaultPolicy.starThresholds }
    validated.inherited = false
    return validated
  }
}
