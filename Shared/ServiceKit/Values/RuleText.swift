import SwiftProtobuf

/// A rule, detail or reason of a `DomainError`, kept as the template the code wrote and the values
/// put in it, so a client can put the same rule in another language.
///
/// Written as a string literal: `"a case is reopened within \(days) days of its resolution"` has
/// the template `a case is reopened within {0} days of its resolution` and the arguments `["7"]`.
/// Interpolations are numbered `{0}`, `{1}`, … in the order written. The services send both in
/// the status's google.rpc.ErrorInfo (`DomainError.errorInfo`); the console's dictionary is keyed
/// by the template.
public struct RuleText: Sendable, Hashable, ExpressibleByStringInterpolation, CustomStringConvertible {
  /// The text with its values replaced by `{0}`, `{1}`, …
  public let template: String
  /// The values in the order of their placeholders, as a client looks them up: a contract's enum
  /// value by its proto name (`CASE_STATUS_IN_PROGRESS`), anything else as `String(describing:)`
  /// writes it.
  public let arguments: [String]
  /// The values as the English text shows them (`inProgress`).
  let shown: [String]

  /// The text with its values in place, in English, as the status message carries it.
  public var description: String {
    guard !shown.isEmpty else { return template }
    var text = ""
    var rest = template[...]
    while let open = rest.firstIndex(of: "{") {
      text += rest[..<open]
      let afterOpen = rest.index(after: open)
      if let close = rest[afterOpen...].firstIndex(of: "}"), let index = Int(rest[afterOpen..<close]),
        shown.indices.contains(index)
      {
        text += shown[index]
        rest = rest[rest.index(after: close)...]
      } else {
        text += "{"
        rest = rest[afterOpen...]
      }
    }
    return text + rest
  }

  /// A text that arrived whole, e.g. a peer's message: its own template, no arguments.
  public init(verbatim text: String) {
    template = text
    arguments = []
    shown = []
  }

  public init(stringLiteral value: String) { self.init(verbatim: value) }

  /// Two texts are the same when they say the same, however they were written.
  public static func == (lhs: RuleText, rhs: RuleText) -> Bool { lhs.description == rhs.description }

  public func hash(into hasher: inout Hasher) { hasher.combine(description) }

  public init(stringInterpolation: Interpolation) {
    template = stringInterpolation.template
    arguments = stringInterpolation.arguments
    shown = stringInterpolation.shown
  }

  /// Builds a template and its arguments from a string literal with interpolations.
  public struct Interpolation: StringInterpolationProtocol {
    var template = ""
    var arguments: [String] = []
    var shown: [String] = []

    public init(literalCapacity: Int, interpolationCount: Int) {
      template.reserveCapacity(literalCapacity + 3 * interpolationCount)
      arguments.reserveCapacity(interpolationCount)
      shown.reserveCapacity(interpolationCount)
    }

    public mutating func appendLiteral(_ literal: String) { template += literal }

    public mutating func appendInterpolation(_ value: some Any) {
      append(sent: String(describing: value), shown: String(describing: value))
    }

    /// A contract's enum value: sent by its proto name, shown by its Swift case name.
    public mutating func appendInterpolation<Value: SwiftProtobuf.Enum>(_ value: Value) {
      let shown = String(describing: value)
      append(sent: RuleText.protoName(of: value) ?? shown, shown: shown)
    }

    /// An optional would read `Optional("…")`: unwrap it first, as plain string interpolation
    /// warns.
    @available(*, unavailable, message: "unwrap the optional: a refusal never says Optional(…)")
    public mutating func appendInterpolation<Wrapped>(_ value: Wrapped?) {}

    mutating func append(sent: String, shown text: String) {
      template += "{\(arguments.count)}"
      arguments.append(sent)
      shown.append(text)
    }
  }

  /// The proto name of a generated enum's value, rebuilt from the names swift-protobuf gives:
  /// the type `Governance_Grid_V1_CaseStatus` and the case `inProgress` are `CASE_STATUS_IN_PROGRESS`.
  /// Nil for the unrecognised values a newer peer may send.
  public static func protoName<Value: SwiftProtobuf.Enum>(of value: Value) -> String? {
    let shown = String(describing: value)
    guard let typeName = String(describing: Value.self).split(separator: ".").last?.split(separator: "_").last,
      shown.first?.isLetter == true, shown.allSatisfy({ $0.isLetter || $0.isNumber })
    else { return nil }
    func upperSnake(_ name: some StringProtocol) -> String {
      var words = ""
      for character in name {
        if character.isUppercase, !words.isEmpty { words += "_" }
        words += character.uppercased()
      }
      return words
    }
    return upperSnake(typeName) + "_" + upperSnake(shown)
  }
}
