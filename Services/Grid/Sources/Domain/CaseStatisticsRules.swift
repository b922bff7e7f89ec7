import Foundation
import GovernanceAPI
import ServiceKit

/// The KPI the seeds name: "small matters stay in the grid, minor ones in the community, major
/// ones in the street" (微事不出格、小事不出社区、大事不出街道) — where cases are resolved, how many
/// on time, and how satisfied reporters are.
public enum CaseStatisticsRules {
  /// The rule of the on-time rate (按期办结率 = cases resolved on time / cases resolved): a
  /// resolved case is on time when no deadline ever ran out while it was open (`missed_deadline`,
  /// kept once set: the sweep escalated it past one, or marked it overdue at the top level; and
  /// the archive's overdue flag) and it was resolved by the deadline of the level that resolved
  /// it. A case counted overdue is never counted on time, so on time + late = resolved.
  public static func resolvedOnTime(_ gridCase: Governance_Grid_V1_Case) -> Bool {
    !gridCase.missedDeadline && !gridCase.overdue
      && (!gridCase.hasDeadline || gridCase.resolveTime.date <= gridCase.deadline.date)
  }

  /// The rule "a reporter is satisfied at 4 or 5".
  public static let satisfiedFrom: Int32 = 4

  /// The SQL expression that names a case's group.
  public static func groupKey(_ grouping: Governance_Grid_V1_StatisticsGrouping) -> String {
    switch grouping {
    case .grid: "grid_code"
    case .compound: "compound_id"
    case .street: "substr(division_code, 1, 9) || '000'"
    default: "division_code"
    }
  }

  /// Shares of the resolved cases by the level that resolved them.
  public static func shares(_ resolved: [(level: Int, count: Int64)]) -> [Governance_Grid_V1_LevelShare] {
    let total = resolved.reduce(0) { $0 + $1.count }
    return resolved.map { entry in
      .with {
        $0.level = .init(rawValue: entry.level) ?? .unspecified
        $0.resolved = entry.count
        $0.share = total == 0 ? 0 : Double(entry.count) / Double(total)
      }
    }
  }
}
