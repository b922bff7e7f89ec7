import GovernanceAPI
import ServiceKit

/// The registers (台账) of compounds, buildings and property companies that ImportCompounds,
/// ImportBuildings and ImportCompanies take: what a row's key is, what a row gives, and what a
/// row creates. Every row is then checked by the rules of CreateCompound, UpdateCompound and
/// the others (`CompoundRegistration`, `BuildingRules`, `CompanyRegistration`).
public enum PropertyRegisters {
  public typealias Compound = Governance_Property_V1_Compound
  public typealias Building = Governance_Property_V1_Building
  public typealias Company = Governance_Property_V1_PropertyCompany

  /// The rule "a register's row changes only the fields it gives": of the fields UpdateCompound
  /// changes, those the row holds at other than their default (a three-no message or a point
  /// when present). The name and community are the row's key and are never changed.
  public static func givenPaths(of compound: Compound) -> [String] {
    var paths: [String] = []
    if !compound.address.isEmpty { paths.append("address") }
    if !compound.area.isEmpty { paths.append("area") }
    if compound.householdCount != 0 { paths.append("household_count") }
    if !compound.gridCodes.isEmpty { paths.append("grid_codes") }
    if compound.kind != .unspecified { paths.append("kind") }
    if compound.hasThreeNo { paths.append("three_no") }
    if compound.hasPoint { paths.append("point") }
    return paths
  }

  /// The fields UpdateCompound changes that differ between `stored` and `updated`, as its
  /// history names them.
  public static func changedPaths(from stored: Compound, to updated: Compound) -> [String] {
    var paths: [String] = []
    if updated.name != stored.name { paths.append("name") }
    if updated.address != stored.address { paths.append("address") }
    if updated.area != stored.area { paths.append("area") }
    if updated.householdCount != stored.householdCount { paths.append("household_count") }
    if updated.gridCodes != stored.gridCodes { paths.append("grid_codes") }
    if updated.kind != stored.kind { paths.append("kind") }
    if updated.threeNo != stored.threeNo { paths.append("three_no") }
    if updated.hasPoint != stored.hasPoint || updated.point != stored.point { paths.append("point") }
    return paths
  }

  /// The rule "a register's row changes only the fields it gives", of the fields UpdateBuilding
  /// changes; the compound and name are the row's key and are never changed.
  public static func givenPaths(of building: Building) -> [String] {
    var paths: [String] = []
    if !building.units.isEmpty { paths.append("units") }
    if building.householdCount != 0 { paths.append("household_count") }
    if !building.leaderMemberID.isEmpty { paths.append("leader_member_id") }
    if !building.leaderName.isEmpty { paths.append("leader_name") }
    if building.hasPoint { paths.append("point") }
    return paths
  }

  /// The rule "a register's row changes only the fields it gives", of the fields UpdateCompany
  /// changes; the credit code is the row's key, and the division where a company is registered,
  /// its rating, list status and counts are never changed by a register.
  public static func givenPaths(of company: Company) -> [String] {
    var paths: [String] = []
    if !company.name.isEmpty { paths.append("name") }
    if !company.legalRepresentative.isEmpty { paths.append("legal_representative") }
    if !company.address.isEmpty { paths.append("address") }
    if company.staffCount != 0 { paths.append("staff_count") }
    if company.partyStatus != .unspecified { paths.append("party_status") }
    if company.partyMemberCount != 0 { paths.append("party_member_count") }
    if !company.partyOrganisationID.isEmpty { paths.append("party_organisation_id") }
    if !company.partyBuildingInstructor.isEmpty { paths.append("party_building_instructor") }
    if company.creditLevel != .unspecified { paths.append("credit_level") }
    return paths
  }

  /// The rule "a register holds a compound's own facts": what a row of the compounds' register
  /// creates, without the id, audit, contract, company, service centre and acceptance it may
  /// carry (those are not a register's).
  public static func newCompound(_ compound: Compound) -> Compound {
    var new = compound
    new.id = ""
    new.clearAudit()
    new.currentContractID = ""
    new.currentCompanyID = ""
    new.fallbackCentreID = ""
    new.latestAcceptanceID = ""
    return new
  }

  /// The rule "a community has one compound of a name": `ids`, the compounds called `name` in
  /// `community`, hold at most one, else the row's key chooses none.
  public static func checkOneCompound(_ ids: [String], named name: String, in community: String) throws(DomainError) {
    guard ids.count <= 1 else {
      throw DomainError.failedPrecondition(
        rule: "a register's compound is one compound of its name in its community",
        detail: "\(ids[0]) and \(ids[1]) are both called \(name) in community \(community)")
    }
  }

  /// The rule "a compound has one building of a name": `ids`, the buildings called `name` in
  /// `compound`, hold at most one, else the row's key chooses none.
  public static func checkOneBuilding(_ ids: [String], named name: String, in compound: String) throws(DomainError) {
    guard ids.count <= 1 else {
      throw DomainError.failedPrecondition(
        rule: "a register's building is one building of its name in its compound",
        detail: "\(ids[0]) and \(ids[1]) are both called \(name) in compound \(compound)")
    }
  }
}
