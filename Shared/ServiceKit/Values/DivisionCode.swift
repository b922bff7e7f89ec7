/// A division's code: the 12-digit national statistical division code (统计用区划代码) of a
/// province, city, district, street or community, or a grid code that extends its community's code
/// with 3 digits (and a micro-grid with 3 more).
///
/// Every record carries one, so that a user's jurisdiction is a code prefix and "may this user
/// see this record" is a prefix test on the significant digits.
public struct DivisionCode: Sendable, Hashable, Comparable, CustomStringConvertible {
  public enum Level: Int, Sendable, Comparable, CaseIterable {
    case province = 1
    case city, district, street, community, grid, microGrid

    public static func < (lhs: Level, rhs: Level) -> Bool { lhs.rawValue < rhs.rawValue }

    /// How many leading digits of the code are significant at this level.
    public var significantDigits: Int {
      switch self {
      case .province: 2
      case .city: 4
      case .district: 6
      case .street: 9
      case .community: 12
      case .grid: 15
      case .microGrid: 18
      }
    }
  }

  public let code: String

  /// Validates `text` as a division code; `field` names the request field in the error.
  public init(_ text: String, field: String) throws(DomainError) {
    guard !text.isEmpty else {
      throw DomainError.invalidArgument(field: field, rule: "a division code is required")
    }
    guard text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
      throw DomainError.invalidArgument(field: field, rule: "a division code has digits only, got '\(text)'")
    }
    guard [12, 15, 18].contains(text.utf8.count) else {
      throw DomainError.invalidArgument(
        field: field,
        rule: "a division code has 12 digits (15 for a grid, 18 for a micro-grid), got \(text.utf8.count)")
    }
    guard !text.hasPrefix("00") else {
      throw DomainError.invalidArgument(field: field, rule: "a division code starts with a province, not 00")
    }
    if text.utf8.count > 12, text.utf8.dropFirst(9).prefix(3).allSatisfy({ $0 == UInt8(ascii: "0") }) {
      throw DomainError.invalidArgument(
        field: field, rule: "a grid code extends a community code, not '\(text.prefix(12))'")
    }
    self.code = text
  }

  /// The most specific level the code names: trailing zero groups mean a higher division.
  public var level: Level {
    switch code.utf8.count {
    case 18: return .microGrid
    case 15: return .grid
    default:
      let digits = Array(code.utf8)
      func zero(_ range: Range<Int>) -> Bool { digits[range].allSatisfy { $0 == UInt8(ascii: "0") } }
      if zero(2..<12) { return .province }
      if zero(4..<12) { return .city }
      if zero(6..<12) { return .district }
      if zero(9..<12) { return .street }
      return .community
    }
  }

  /// The significant digits: the prefix every code inside this division starts with.
  public var prefix: String { String(code.prefix(level.significantDigits)) }

  /// The division directly above, or nil for a province.
  public var parent: DivisionCode? {
    guard let parentLevel = Level(rawValue: level.rawValue - 1) else { return nil }
    let kept = String(code.prefix(parentLevel.significantDigits))
    let padded = kept.utf8.count >= 12 ? kept : kept + String(repeating: "0", count: 12 - kept.utf8.count)
    return try? DivisionCode(padded, field: "parent")
  }

  /// Whether `other` lies inside this division (a division contains itself).
  public func contains(_ other: DivisionCode) -> Bool { other.code.hasPrefix(prefix) }

  public static func < (lhs: DivisionCode, rhs: DivisionCode) -> Bool { lhs.code < rhs.code }

  public var description: String { code }
}

extension DivisionCode {
  /// Whether the division `outer` contains `inner`, both given as text; false if either is not a
  /// valid code.
  public static func code(_ outer: String, contains inner: String) -> Bool {
    guard let outer = try? DivisionCode(outer, field: "outer"), let inner = try? DivisionCode(inner, field: "inner")
    else {
      return false
    }
    return outer.contains(inner)
  }
}
