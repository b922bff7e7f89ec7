import GovernanceAPI
import ServiceKit

/// Party-organisation coverage (党组织覆盖) of a jurisdiction: compounds with a party
/// organisation, property companies under the 25-staff rule, grids with a grid branch, building
/// groups and red butlers.
public enum Coverage {
  /// What the organisation service knows of a jurisdiction, read in a few queries.
  public struct PartyFacts: Sendable {
    /// Active branches serving each compound, by compound id.
    public var branchesByCompound: [String: Governance_Organisation_V1_Organisation] = [:]
    /// Grid codes with an active grid branch.
    public var gridsWithBranch: Set<String> = []
    public var buildingsWithGroup = 0
    public var formalMembers = 0
    public var probationaryMembers = 0
    public var inServiceRegistered = 0

    public init() {}
  }

  /// The rule "a company of 25 or more staff is covered by party members of its own; a smaller
  /// one by attaching, joining or a party-building instructor" (DOMAIN §1).
  public static func isCovered(_ company: Governance_Property_V1_PropertyCompany) -> Bool {
    if company.partyStatus == .ownOrganisation { return true }
    if company.staffCount >= 25 { return company.partyMemberCount > 0 }
    return [.attached, .joint, .instructor].contains(company.partyStatus)
  }

  public static func figures(
    compounds: [Governance_Property_V1_Compound], companies: [Governance_Property_V1_PropertyCompany],
    grids: [Governance_Grid_V1_Grid], property: Governance_Property_V1_GetPropertyStatisticsResponse, party: PartyFacts
  ) -> Governance_Organisation_V1_CoverageFigures {
    func share(_ part: Int32, _ whole: Int32) -> Double { whole == 0 ? 0 : Double(part) / Double(whole) }
    return .with { figures in
      figures.compoundsTotal = Int32(compounds.count)
      for compound in compounds {
        guard let branch = party.branchesByCompound[compound.id] else { continue }
        figures.compoundsWithPartyOrganisation += 1
        switch branch.branchKind {
        case .compound: figures.compoundsWithStandaloneBranch += 1
        case .joint: figures.compoundsWithJointBranch += 1
        default: figures.compoundsWithFunctionalBranch += 1
        }
      }
      figures.compoundCoverage = share(figures.compoundsWithPartyOrganisation, figures.compoundsTotal)

      figures.companiesTotal = Int32(companies.count)
      for company in companies {
        let large = company.staffCount >= 25
        if company.partyStatus == .ownOrganisation { figures.companiesWithOwnOrganisation += 1 }
        if large {
          figures.companiesLarge += 1
          if company.partyMemberCount > 0 { figures.companiesLargeWithPartyMembers += 1 }
        } else {
          figures.companiesSmall += 1
          if company.partyStatus == .attached { figures.companiesSmallAttached += 1 }
          if company.partyStatus == .joint { figures.companiesSmallJoined += 1 }
        }
        if company.partyStatus == .instructor { figures.companiesWithInstructor += 1 }
        if isCovered(company) { figures.companiesCovered += 1 }
      }
      figures.companyCoverage = share(figures.companiesCovered, figures.companiesTotal)

      figures.gridsTotal = Int32(grids.count)
      figures.gridsWithBranch = Int32(grids.filter { party.gridsWithBranch.contains($0.gridCode) }.count)
      figures.gridCoverage = share(figures.gridsWithBranch, figures.gridsTotal)

      figures.buildingsTotal = property.buildingsTotal
      figures.buildingsWithGroup = Int32(party.buildingsWithGroup)
      figures.redButlers = property.buildingsWithLeader
      figures.formalMembers = Int32(party.formalMembers)
      figures.probationaryMembers = Int32(party.probationaryMembers)
      figures.inServiceRegistered = Int32(party.inServiceRegistered)
    }
  }
}

extension Coverage {
  /// The length of the next level's prefix below a prefix of `length` digits (district 6 →
  /// street 9 → community 12 → grid 15); nil below grids.
  public static func childPrefixLength(after length: Int) -> Int? {
    let levels = [2, 4, 6, 9, 12, 15]
    return levels.first { $0 > length }
  }
}
