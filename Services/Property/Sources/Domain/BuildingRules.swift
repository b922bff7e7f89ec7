import GovernanceAPI
import ServiceKit

/// Buildings (楼栋) of a compound, each with units and, where there is one, a building leader
/// ("red butler" 红色管家, a party member of the organisation service).
public enum BuildingRules {
  /// The rule "a building belongs to one compound and counts its households": validates a
  /// building, which takes its compound's division.
  public static func validateNew(
    _ building: Governance_Property_V1_Building, in compound: Governance_Property_V1_Compound
  ) throws(DomainError) -> Governance_Property_V1_Building {
    var validated = building
    validated.name = try FieldValidation.requiredName(building.name, field: "building.name", maximumLength: 50)
    validated.compoundID = compound.id
    validated.divisionCode = compound.divisionCode
    for (index, unit) in building.units.enumerated() {
      _ = try FieldValidation.requiredName(unit.name, field: "building.units[\(index)].name", maximumLength: 20)
      guard (1...200).contains(unit.floors), (0...2000).contains(unit.householdCount) else {
        throw DomainError.invalidArgument(
          field: "building.units[\(index)]", rule: "floors from 1 to 200 and households from 0 to 2000")
      }
    }
    let unitHouseholds = building.units.reduce(Int32(0)) { $0 + $1.householdCount }
    validated.householdCount = building.units.isEmpty ? building.householdCount : unitHouseholds
    guard (0...10_000).contains(validated.householdCount) else {
      throw DomainError.invalidArgument(
        field: "building.household_count", rule: "from 0 to 10000, got \(validated.householdCount)")
    }
    if !building.leaderMemberID.isEmpty {
      validated.leaderMemberID = try FieldValidation.requiredID(
        building.leaderMemberID, field: "building.leader_member_id")
    }
    validated.leaderName = try FieldValidation.optionalText(
      building.leaderName, field: "building.leader_name", maximumLength: 50)
    if building.hasPoint { validated.point = try GeoValidation.point(building.point, field: "building.point") }
    return validated
  }
}

/// The street property service centre (街道物业服务中心) that runs fallback management.
public enum ServiceCentreRules {
  /// The rule "one centre per street": validates a centre, which must name a street.
  public static func validateNew(_ centre: Governance_Property_V1_ServiceCentre) throws(DomainError)
    -> Governance_Property_V1_ServiceCentre
  {
    var validated = centre
    validated.name = try FieldValidation.requiredName(centre.name, field: "centre.name")
    validated.address = try FieldValidation.optionalText(centre.address, field: "centre.address", maximumLength: 200)
    let street = try DivisionCode(centre.divisionCode, field: "centre.division_code")
    guard street.level == .street else {
      throw DomainError.invalidArgument(
        field: "centre.division_code", rule: "a service centre belongs to a street, got a \(street.level)")
    }
    return validated
  }
}
