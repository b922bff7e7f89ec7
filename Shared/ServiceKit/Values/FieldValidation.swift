import Foundation

/// Checks on request fields shared by every service, each failing with INVALID_ARGUMENT that
/// names the field and the rule.
public enum FieldValidation {
  /// The longest name of a record (an organisation, compound, team...), in characters.
  public static let maximumNameLength = 100
  /// The longest free text (details, notes, findings), in characters.
  public static let maximumTextLength = 2000

  /// A required single-line text: trimmed, not empty, at most `maximumLength` characters, no
  /// control characters (which would corrupt logs, exports and the console).
  public static func requiredName(_ value: String, field: String, maximumLength: Int = maximumNameLength)
    throws(DomainError) -> String
  {
    let trimmed = Self.trimmed(value)
    guard !trimmed.isEmpty else {
      throw DomainError.invalidArgument(field: field, rule: "is required")
    }
    try checkText(trimmed, field: field, maximumLength: maximumLength, allowNewlines: false)
    return trimmed
  }

  /// An optional free text: may be empty, at most `maximumLength` characters, newlines allowed
  /// but no other control characters.
  public static func optionalText(_ value: String, field: String, maximumLength: Int = maximumTextLength)
    throws(DomainError) -> String
  {
    let trimmed = Self.trimmed(value)
    try checkText(trimmed, field: field, maximumLength: maximumLength, allowNewlines: true)
    return trimmed
  }

  /// `value` without white space and newlines at its ends, as Foundation's
  /// `trimmingCharacters(in: .whitespacesAndNewlines)` trims it. A value whose two end characters
  /// are outside that set, as nearly every one is, is returned as it is: the string bridging of
  /// Foundation's trim was a twentieth of an archive import's time.
  static func trimmed(_ value: String) -> String {
    let spaces = CharacterSet.whitespacesAndNewlines
    guard let first = value.unicodeScalars.first, let last = value.unicodeScalars.last,
      !spaces.contains(first), !spaces.contains(last)
    else { return value.trimmingCharacters(in: spaces) }
    return value
  }

  /// A record id given by the caller: not empty, at most 64 characters.
  public static func requiredID(_ value: String, field: String) throws(DomainError) -> String {
    guard !value.isEmpty else {
      throw DomainError.invalidArgument(field: field, rule: "is required")
    }
    guard value.count <= 64, value.unicodeScalars.allSatisfy({ $0.isASCII && !$0.properties.isWhitespace }) else {
      throw DomainError.invalidArgument(field: field, rule: "is not a record id (at most 64 ASCII characters)")
    }
    return value
  }

  /// An enum field that must be set to a known value.
  public static func requiredCase<Value: Equatable>(
    _ value: Value, field: String, unspecified: Value, known: [Value]
  ) throws(DomainError) -> Value {
    guard value != unspecified else {
      throw DomainError.invalidArgument(field: field, rule: "is required")
    }
    guard known.contains(value) else {
      throw DomainError.invalidArgument(field: field, rule: "has an unknown value \(value)")
    }
    return value
  }

  /// UTF-8 bytes a text may take per character of its limit: a character of one scalar takes at
  /// most four (𠀀 and the other rare characters beyond the BMP take four, Chinese three).
  public static let bytesPerCharacter = 4
  /// Combining marks one character may carry (Vietnamese uses two, Tibetan stacks a few);
  /// thousands on one character ("Zalgo" text) would make a short name megabytes long.
  public static let maximumMarksPerCharacter = 4

  /// The rule "a text limit is a limit in characters and in bytes, and a character carries at most
  /// a few combining marks": INVALID_ARGUMENT naming `field` otherwise.
  static func checkSize(_ value: String, field: String, maximumLength: Int) throws(DomainError) {
    let bytes = value.utf8.count
    guard bytes <= maximumLength * bytesPerCharacter else {
      throw DomainError.invalidArgument(
        field: field,
        rule:
          "at most \(maximumLength) characters and \(maximumLength * bytesPerCharacter) UTF-8 bytes, got \(bytes) bytes"
      )
    }
    guard value.count <= maximumLength else {
      throw DomainError.invalidArgument(
        field: field, rule: "at most \(maximumLength) characters, got \(value.count)")
    }
    for (index, character) in value.enumerated() {
      let marks = character.unicodeScalars.count { scalar in
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark: true
        default: false
        }
      }
      guard marks <= maximumMarksPerCharacter else {
        throw DomainError.invalidArgument(
          field: field,
          rule:
            "at most \(maximumMarksPerCharacter) combining marks on a character, got \(marks) on character \(index + 1)"
        )
      }
    }
  }

  private static func checkText(_ value: String, field: String, maximumLength: Int, allowNewlines: Bool)
    throws(DomainError)
  {
    try checkSize(value, field: field, maximumLength: maximumLength)
    let forbidden = value.unicodeScalars.first { scalar in
      guard scalar.properties.generalCategory == .control else { return false }
      return !(allowNewlines && (scalar == "\n" || scalar == "\t" || scalar == "\r"))
    }
    if let forbidden {
      throw DomainError.invalidArgument(
        field: field,
        rule: "must not contain control characters (found U+\(String(forbidden.value, radix: 16, uppercase: true)))")
    }
  }
}
