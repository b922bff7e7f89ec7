import GovernanceAPI

/// Rankings of volunteers, teams, communities and streets (the seeds count hours, residents
/// served and posts claimed).
public enum Leaderboards {
  /// The rule "higher ranks first; equal values share a rank and the next rank skips" (1, 1, 3):
  /// the rank of each value of `values`, in the order given, which must be descending.
  public static func ranks(ofDescending values: [Double]) -> [Int32] {
    var ranks: [Int32] = []
    for (index, value) in values.enumerated() {
      if index > 0, value == values[index - 1] {
        ranks.append(ranks[index - 1])
      } else {
        ranks.append(Int32(index + 1))
      }
    }
    return ranks
  }
}
