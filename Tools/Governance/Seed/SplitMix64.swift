/// SplitMix64 (Steele, Lea and Flood, 2014): a small, fast generator whose every output follows
/// from its seed.
///
/// The draws are computed here rather than by the standard library's `random(in:using:)` or
/// `shuffled(using:)`, whose algorithms may change between Swift releases: that would change the
/// city a seed gives, and a rerun must send the very requests the first run sent.
struct SplitMix64: RandomNumberGenerator {
  /// Separate draws for each part of the plan, so that changing how one part is drawn leaves the
  /// others as they were.
  enum Stream: UInt64 {
    case divisions = 1
    case compounds, companies, contracts, workers, members, volunteers, scoring
    /// The demo city's live cases and assessed quarter, on top of the town.
    case liveCases, quarter
    /// The demo city's community life: self-governance, volunteering, buildings.
    case selfGovernance, volunteering, buildings
  }

  private var state: UInt64

  init(seed: UInt64) {
    state = seed
  }

  init(seed: UInt64, stream: Stream) {
    self.init(seed: seed ^ (stream.rawValue &* 0xD1B5_4A32_D192_ED03))
  }

  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var mixed = state
    mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
    mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
    return mixed ^ (mixed >> 31)
  }

  /// A number in `0..<bound`; `bound` is positive.
  mutating func below(_ bound: Int) -> Int {
    Int(UInt64(bound).multipliedFullWidth(by: next()).high)
  }

  mutating func between(_ range: ClosedRange<Int>) -> Int {
    range.lowerBound + below(range.count)
  }

  /// A number in [0, 1).
  mutating func unit() -> Double {
    Double(next() >> 11) * 0x1p-53
  }

  mutating func chance(_ probability: Double) -> Bool {
    unit() < probability
  }

  mutating func pick<Element>(_ items: [Element]) -> Element {
    items[below(items.count)]
  }

  mutating func pickIfAny<Element>(_ items: [Element]) -> Element? {
    items.isEmpty ? nil : pick(items)
  }

  /// One of `choices`, each as likely as its weight.
  mutating func weighted<Choice>(_ choices: [(Choice, Int)]) -> Choice {
    var ticket = below(choices.reduce(0) { $0 + $1.1 })
    for (choice, weight) in choices {
      if ticket < weight { return choice }
      ticket -= weight
    }
    return choices[choices.count - 1].0
  }

  /// Weights from 0.5 to 1.5, for parts that differ in size without any reason the plan knows.
  mutating func weights(_ count: Int) -> [Double] {
    var weights: [Double] = []
    for _ in 0..<count { weights.append(0.5 + unit()) }
    return weights
  }

  /// `count` different elements of `pool` in the order drawn: a partial Fisher-Yates shuffle.
  mutating func sample(_ count: Int, from pool: [Int]) -> [Int] {
    var pool = pool
    for index in 0..<count { pool.swapAt(index, index + below(pool.count - index)) }
    return Array(pool.prefix(count))
  }
}
