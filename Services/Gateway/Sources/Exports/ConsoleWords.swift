import Foundation

/// The console's dictionary, read by the gateway for what it writes itself in Chinese
/// (spreadsheets' headers and labels, import reports): `labels.json` (each contract enum value
/// and skill, `{"zh": …, "en": …}`) and `errors.json` (each rule template, field and record kind
/// the services name in a refusal). Loaded once from the console's resources.
struct ConsoleWords: Sendable {
  /// Enum value (e.g. `CASE_STATUS_CLOSED`) → Chinese label.
  let enums: [String: String]
  /// Skill key (e.g. `electrician`) → Chinese label.
  let skills: [String: String]
  /// Rule template with `{0}` placeholders → Chinese template.
  let rules: [String: String]
  /// Field name (snake_case, the last part of a path) → Chinese name.
  let fields: [String: String]
  /// Record kind (e.g. `compound`) → Chinese name.
  let resources: [String: String]

  /// The dictionary shipped with the console; empty tables when a file is missing (labels then
  /// fall back to the values themselves).
  static let shipped = ConsoleWords(
    labels: resource("labels"), errors: resource("errors"))

  init(labels: [String: Any], errors: [String: Any]) {
    func chinese(_ table: Any?) -> [String: String] {
      (table as? [String: Any] ?? [:]).compactMapValues { ($0 as? [String: Any])?["zh"] as? String }
    }
    enums = chinese(labels["enums"])
    skills = chinese(labels["skills"])
    rules = errors["rules"] as? [String: String] ?? [:]
    fields = errors["fields"] as? [String: String] ?? [:]
    resources = errors["resources"] as? [String: String] ?? [:]
  }

  private static func resource(_ name: String) -> [String: Any] {
    guard let url = Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Console"),
      let data = try? Data(contentsOf: url),
      let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
    else { return [:] }
    return object
  }

  /// An enum value's label, or the value itself when the dictionary has none.
  func label(_ value: String) -> String { enums[value] ?? value }

  /// A field path's name in Chinese (`compound.household_count` → 户数), by its last part; the
  /// path itself when the dictionary has none.
  func field(_ path: String) -> String {
    let last = path.split(separator: ".").last.map(String.init) ?? path
    let bare = last.split(separator: "[").first.map(String.init) ?? last
    return fields[bare] ?? fields[Self.snakeCase(bare)] ?? path
  }

  /// A refusal's rule in Chinese: the template's translation with its arguments put in (enum
  /// values by their labels); the English text when the dictionary lacks the template.
  func rule(_ template: String, arguments: [String], english: String) -> String {
    guard let words = rules[template] ?? resources[template] else { return english }
    var text = words
    for (index, argument) in arguments.enumerated() {
      text = text.replacingOccurrences(of: "{\(index)}", with: enums[argument] ?? argument)
    }
    return text
  }

  /// `householdCount` → `household_count`.
  static func snakeCase(_ name: String) -> String {
    var out = ""
    for character in name {
      if character.isUppercase {
        out += "_" + character.lowercased()
      } else {
        out.append(character)
      }
    }
    return out
  }

  /// `household_count` → `householdCount`, as proto3 JSON names a field.
  static func camelCase(_ name: String) -> String {
    var out = ""
    var upper = false
    for character in name {
      if character == "_" {
        upper = true
      } else {
        out += upper ? character.uppercased() : String(character)
        upper = false
      }
    }
    return out
  }
}
