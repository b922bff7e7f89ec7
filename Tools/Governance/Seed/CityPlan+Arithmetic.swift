import GRPCCore
import GRPCNIOTransportHTTP2
import GovernanceAPI
import ServiceKit

// The arithmetic the drawing rests on: apportioning, numbering, codes and dates.
extension CityPlan {
  // MARK: - Arithmetic

  /// Splits `total` into parts in proportion to `weights` (all positive), each at least
  /// `minimum`. A part is where the running share of the rest reaches, rounded, less where the
  /// part before it reached, and the last reaches the whole rest: the parts add up to `total`
  /// exactly, and none is negative.
  static func apportion(_ total: Int, weights: [Double], minimum: Int) -> [Int] {
    let rest = total - minimum * weights.count
    let sum = weights.reduce(0, +)
    var parts: [Int] = []
    var running = 0.0
    var reachedBefore = 0
    for (index, weight) in weights.enumerated() {
      running += weight
      let reached = index == weights.count - 1 ? rest : Int((Double(rest) * running / sum).rounded())
      parts.append(minimum + reached - reachedBefore)
      reachedBefore = reached
    }
    return parts
  }

  /// Division codes number streets, communities and grids with three digits.
  static func numbered(_ counts: [Int], _ what: String) throws -> [Int] {
    try require(counts.allSatisfy { $0 <= 999 }, "at most 999 \(what), the codes have three digits")
    return counts
  }

  static func require(_ condition: Bool, _ rule: String) throws {
    guard condition else { throw SeedError(description: "cannot seed this scale: \(rule)") }
  }

  static func digits(_ number: Int, count: Int) -> String {
    let text = String(number)
    return String(repeating: "0", count: max(0, count - text.count)) + text
  }

  static func date(_ year: Int, _ month: Int, _ day: Int) -> Governance_Common_V1_Date {
    .with {
      $0.year = Int32(year)
      $0.month = Int32(month)
      $0.day = Int32(day)
    }
  }
}
