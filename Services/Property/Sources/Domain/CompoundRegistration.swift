import GovernanceAPI
import ServiceKit

/// What a compound (小区) must be to be registered: a named place in a community, with its grids
/// inside that community, a kind, and a household count a city could have.
public enum CompoundRegistration {
  public typealias Compound = Governance_Property_V1_Compound

  /// The largest household count accepted; the biggest compounds in the seeds hold a few
  /// thousand households, so anything beyond this is a typing error.
  public static let maximumHouseholds: Int32 = 50_000

  /// The rule "a compound sits in one community and its grids": validates a new compound and
  /// returns it ready to store, management mode NONE unless the caller loads a known mode.
  public static func validateNew(_ compound: Compound) throws(DomainError) -> Compound {
    var validated = compound
    validated.name = try FieldValidation.requiredName(compound.name, field: "compound.name")
    validated.address = try FieldValidation.optionalText(
      compound.address, field: "compound.address", maximumLength: 200)
    validated.area = try FieldValidation.optionalText(compound.area, field: "compound.area", maximumLength: 100)
    if compound.hasPoint { validated.point = try GeoValidation.point(compound.point, field: "compound.point") }
    let community = try DivisionCode(compound.divisionCode, field: "compound.division_code")
    guard community.level == .community else {
      throw DomainError.invalidArgument(
        field: "compound.division_code",
        rule: "a compound belongs to a community (12 digits, last 3 not 000), got a \(community.level)")
    }
    for (index, code) in compound.gridCodes.enumerated() {
      let field = "compound.grid_codes[\(index)]"
      let grid = try DivisionCode(code, field: field)
      guard grid.level == .grid || grid.level == .microGrid, community.contains(grid) else {
        throw DomainError.invalidArgument(field: field, rule: "\(code) is not a grid of community \(community.code)")
      }
    }
    guard (0...maximumHouseholds).contains(compound.householdCount) else {
      throw DomainError.invalidArgument(
        field: "compound.household_count", rule: "from 0 to \(maximumHouseholds), got \(compound.householdCount)")
    }
    validated.kind = try FieldValidation.requiredCase(
      compound.kind, field: "compound.kind", unspecified: .unspecified,
      known: Governance_Property_V1_CompoundKind.allCases.filter { $0 != .unspecified })
    if compound.managementMode == .unspecified {
      validated.managementMode = .none
    }
    // Derived from contracts and buildings, never taken from the caller.
    validated.buildingCount = 0
    validated.currentContractID = ""
    validated.currentCompanyID = ""
    validated.latestAcceptanceID = ""
    validated.threeNo.noPropertyCompany = true
    return validated
  }
}
