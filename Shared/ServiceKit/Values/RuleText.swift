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
  /// The values in the order of their placeholders, as `String(describing:)` writes them.
  public let arguments: [String]

  /// The text with its values in place, in English, as the status message carries it.
  public var description: String {
    guard !arguments.isEmpty else { return template }
    var text = ""
    var rest = template[...]
    while let open = rest.firstIndex(of: "{") {
      text += rest[..<open]
      let afterOpen = rest.index(after: open)
      if let close = rest[afterOpen...].firstIndex(of: "}"), let index = Int(rest[afterOpen..<close]),
        arguments.indices.contains(index)
      {
        text += arguments[index]
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
  }

  public init(stringLiteral value: String) { self.init(verbatim: value) }

  /// Two texts are the same when they say the same, however they were written.
  public static func == (lhs: RuleText, rhs: RuleText) -> Bool { lhs.description == rhs.description }

  public func hash(into hasher: inout Hasher) { hasher.combine(description) }

  public init(stringInterpolation: Interpolation) {
    template = stringInterpolation.template
    arguments = stringInterpolation.arguments
  }

  /// Builds a template and its arguments from a string literal with interpolations.
  public struct Interpolation: StringInterpolationProtocol {
    var template = ""
    var arguments: [String] = []

    public init(literalCapacity: Int, interpolationCount: Int) {
      template.reserveCapacity(literalCapacity + 3 * interpolationCount)
      arguments.reserveCapacity(interpolationCount)
    }

    public mutating func appendLiteral(_ literal: String) { template += literal }

    public mutating func appendInterpolation(_ value: some Any) {
      template += "{\(arguments.count)}"
      arguments.append(String(describing: value))
    }
  }
}
