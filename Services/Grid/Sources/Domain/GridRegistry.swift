import GovernanceAPI
import ServiceKit

/// Grids (网格) of a community and the micro-grids (微网格) inside them. A grid's code extends its
/// community's code by 3 digits, a micro-grid's extends its grid's by 3 more.
public enum GridRegistry {
  public typealias Grid = Governance_Grid_V1_Grid

  /// The rule "a grid's code extends its community's, a micro-grid's its grid's": validates a
  /// new grid. `communityExists` and `gridExists` say what is registered.
  public static func validateNew(
    _ grid: Grid, communityExists: (String) throws -> Bool, gridExists: (String) throws -> Bool
  ) throws -> Grid {
    var validated = grid
    validated.name = try FieldValidation.requiredName(grid.name, field: "grid.name")
    let code = try DivisionCode(grid.gridCode, field: "grid.grid_code")
    let kind = try FieldValidation.requiredCase(
      grid.kind, field: "grid.kind", unspecified: .unspecified, known: [.basic, .micro, .special])
    switch (kind, code.level) {
    case (.micro, .microGrid):
      let parent = String(code.code.prefix(15))
      guard try gridExists(parent) else {
        throw DomainError.failedPrecondition(
          rule: "a micro-grid lies in a registered grid", detail: "grid \(parent) of \(code.code) is not registered")
      }
      validated.parentGridCode = parent
    case (.basic, .grid), (.special, .grid):
      validated.parentGridCode = ""
    default:
      throw DomainError.invalidArgument(
        field: "grid.grid_code",
        rule:
          "a basic or special grid has a 15-digit code, a micro-grid 18 digits; got \(code.code.utf8.count) for \(kind)"
      )
    }
    let community = String(code.code.prefix(12))
    guard try communityExists(community) else {
      throw DomainError.failedPrecondition(
        rule: "a grid lies in a registered community",
        detail: "community \(community) of \(code.code) is not registered")
    }
    validated.divisionCode = community
    guard (0...100_000).contains(grid.households) else {
      throw DomainError.invalidArgument(field: "grid.households", rule: "from 0 to 100000, got \(grid.households)")
    }
    validated.active = true
    return validated
  }
}

extension GridRegistry {
  /// The rule "a grid code given in a request names a registered grid".
  public static func checkRegistered(_ code: String, field: String, registered: Bool) throws(DomainError) {
    guard registered else {
      throw DomainError.invalidArgument(field: field, rule: "names a registered grid; \(code) is not registered")
    }
  }
}
