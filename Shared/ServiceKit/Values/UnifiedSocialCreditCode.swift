import Foundation

/// The unified social credit code (统一社会信用代码, GB 32100-2015) that identifies a property
/// company: 18 characters from a 31-character alphabet (digits and capitals without I, O, Z, S,
/// V), the last a check character computed from the first 17.
public enum UnifiedSocialCreditCode {
  static let alphabet = Array("0123456789ABCDEFGHJKLMNPQRTUWXY")
  static let weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]

  /// The check character for the first 17 characters, or nil if one is outside the alphabet.
  public static func checkCharacter(for body: some StringProtocol) -> Character? {
    var sum = 0
    for (character, weight) in zip(body, weights) {
      guard let value = alphabet.firstIndex(of: character) else { return nil }
      sum += value * weight
    }
    return alphabet[(31 - sum % 31) % 31]
  }

  /// The rule "a credit code is 18 characters whose last is the GB 32100 check character":
  /// returns the code in capitals, or INVALID_ARGUMENT naming the field, the code and the fault.
  public static func validate(_ text: String, field: String) throws(DomainError) -> String {
    let code = text.trimmingCharacters(in: .whitespaces).uppercased()
    guard code.count == 18 else {
      throw DomainError.invalidArgument(
        field: field, rule: "unified social credit code '\(text)' must have 18 characters, has \(code.count)")
    }
    if let stranger = code.first(where: { !alphabet.contains($0) }) {
      throw DomainError.invalidArgument(
        field: field,
        rule: "unified social credit code '\(text)' contains '\(stranger)', outside 0-9 and A-Y without I, O, S, V, Z")
    }
    guard code.dropFirst(2).prefix(6).allSatisfy(\.isNumber) else {
      throw DomainError.invalidArgument(
        field: field,
        rule: "unified social credit code '\(text)' must carry a 6-digit division code in characters 3 to 8")
    }
    let expected = checkCharacter(for: code.prefix(17))!
    guard code.last == expected else {
      throw DomainError.invalidArgument(
        field: field,
        rule:
          "unified social credit code '\(text)' fails its check character: ends in '\(code.last!)', expected '\(expected)'"
      )
    }
    return code
  }
}
