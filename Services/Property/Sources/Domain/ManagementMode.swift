import GovernanceAPI
import ServiceKit

/// How a compound is managed: by a professional company (专业化), by its residents (自治型),
/// by the street's property service centre on public subsidy (兜底型), or not at all.
public enum ManagementModeRules {
  public typealias Mode = Governance_Property_V1_ManagementMode

  /// The street whose property service centre takes a compound into fallback management.
  public static func street(of compound: Governance_Property_V1_Compound) throws(DomainError) -> DivisionCode {
    let community = try DivisionCode(compound.divisionCode, field: "compound.division_code")
    guard let street = community.parent else {
      throw DomainError.failedPrecondition(rule: "a compound lies in a street", detail: "\(community) has no street")
    }
    return street
  }

  /// The rule "professional management comes only from a passed district joint acceptance, and
  /// fallback needs the street's service centre": checks a manual ChangeManagementMode.
  public static func checkManualChange(
    of compound: Governance_Property_V1_Compound, to mode: Mode, centre: Governance_Property_V1_ServiceCentre?
  ) throws(DomainError) {
    let mode = try FieldValidation.requiredCase(
      mode, field: "mode", unspecified: .unspecified, known: [.professional, .selfGoverned, .fallback, .none])
    guard mode != .professional else {
      throw DomainError.failedPrecondition(
        rule: "only a passed district joint acceptance sets professional management",
        detail: "open an acceptance for compound \(compound.id) instead")
    }
    guard compound.currentContractID.isEmpty else {
      throw DomainError.failedPrecondition(
        rule: "a compound under a service contract keeps professional management until the contract ends",
        detail: "compound \(compound.id) is under contract \(compound.currentContractID)")
    }
    if mode == .fallback, centre == nil {
      throw DomainError.failedPrecondition(
        rule: "fallback management is run by the street's property service centre",
        detail: "street \(try street(of: compound)) has no service centre; create one first")
    }
  }
}

/// A company's exit (退出) after blacklisting: every live contract ends, and each of its compounds
/// falls back to its street's property service centre until a new company is selected.
public enum CompanyExit {
  /// The rule "an exit leaves no compound without management": plans the fallback of every
  /// compound under `contracts`, failing before anything changes if a street has no centre.
  public static func plan(
    contracts: [Governance_Property_V1_ServiceContract],
    compounds: [String: Governance_Property_V1_Compound],
    centresByStreet: [String: Governance_Property_V1_ServiceCentre]
  ) throws(DomainError) -> [Governance_Property_V1_CompoundFallback] {
    var plan: [Governance_Property_V1_CompoundFallback] = []
    for contract in contracts {
      guard let compound = compounds[contract.compoundID] else {
        throw DomainError.notFound(resource: "compound", id: contract.compoundID)
      }
      let street = try ManagementModeRules.street(of: compound)
      guard let centre = centresByStreet[street.code] else {
        throw DomainError.failedPrecondition(
          rule: "an exit leaves no compound without management",
          detail: "street \(street.code) of compound \(compound.id) \(compound.name) has no property service centre")
      }
      plan.append(
        .with {
          $0.compoundID = compound.id
          $0.contractID = contract.id
          $0.fallbackCentreID = centre.id
        })
    }
    return plan
  }
}
