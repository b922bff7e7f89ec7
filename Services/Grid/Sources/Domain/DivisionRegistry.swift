import GovernanceAPI
import ServiceKit

/// The administrative divisions the grid service keeps: districts, streets and communities,
/// identified by their statistical division codes.
public enum DivisionRegistry {
  public typealias Division = Governance_Grid_V1_Division
  public typealias Level = Governance_Common_V1_DivisionLevel

  /// The levels registered as divisions; grids and micro-grids are grids, not divisions.
  static let registeredLevels: [DivisionCode.Level: Level] = [
    .province: .province, .city: .city, .district: .district, .street: .street, .community: .community,
  ]

  /// Whether a division at `level` needs its parent registered first. A district may be the top
  /// of a city's tree (the city itself need not be registered); streets and communities hang
  /// under a registered district and street.
  public static func requiresRegisteredParent(_ level: DivisionCode.Level) -> Bool {
    level == .street || level == .community
  }

  /// The rule "a division's code names its level and its parent exists": validates a new
  /// division. `parentExists` tells whether the code's parent division is registered.
  public static func validateNew(_ division: Division, parentExists: (DivisionCode) throws -> Bool) throws
    -> Division
  {
    var validated = division
    validated.name = try FieldValidation.requiredName(division.name, field: "division.name")
    let code = try DivisionCode(division.divisionCode, field: "division.division_code")
    guard let level = registeredLevels[code.level] else {
      throw DomainError.invalidArgument(
        field: "division.division_code", rule: "\(code.code) is a \(code.level) code; register grids with CreateGrid")
    }
    if division.level != .unspecified, division.level != level {
      throw DomainError.invalidArgument(
        field: "division.level", rule: "code \(code.code) is a \(level), not a \(division.level)")
    }
    validated.level = level
    validated.parentCode = code.parent?.code ?? ""
    if requiresRegisteredParent(code.level), let parent = code.parent, try !parentExists(parent) {
      throw DomainError.failedPrecondition(
        rule: "a \(code.level) is registered under its parent division",
        detail: "parent \(parent.code) of \(code.code) is not registered")
    }
    return validated
  }
}

extension DivisionRegistry {
  /// The rule "a division is renamed; its code and level are its identity and never change":
  /// `division` called `name`; INVALID_ARGUMENT naming `division.name` for a name it cannot have.
  public static func renamed(_ division: Division, to name: String) throws(DomainError) -> Division {
    var renamed = division
    renamed.name = try FieldValidation.requiredName(name, field: "division.name")
    return renamed
  }
}

extension DivisionRegistry {
  /// The rule "a division code given in a request names a registered division".
  public static func checkRegistered(_ code: String, field: String, registered: Bool) throws(DomainError) {
    guard registered else {
      throw DomainError.invalidArgument(field: field, rule: "names a registered division; \(code) is not registered")
    }
  }
}
