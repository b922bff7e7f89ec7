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
  /// one by attaching, joining or a party-building instructor" (DOMAIN §1). The property service
  /// says which companies are large, as it counts them.
  public static func isCovered(
    partyStatus: Governance_Property_V1_CompanyPartyStatus, large: Bool, hasPartyMembers: Bool
  ) -> Bool {
    if partyStatus == .ownOrganisation { return true }
    if large { return hasPartyMembers }
    return [.attached, .joint, .instructor].contains(partyStatus)
  }

  /// Covered companies of one group of the property service's counts (one party status and size).
  static func covered(in group: Governance_Property_V1_CompanyPartyCount) -> Int32 {
    let withMembers = isCovered(partyStatus: group.partyStatus, large: group.large, hasPartyMembers: true)
    let withoutMembers = isCovered(partyStatus: group.partyStatus, large: group.large, hasPartyMembers: false)
    return (withMembers ? group.withPartyMembers : 0) + (withoutMembers ? group.count - group.withPartyMembers : 0)
  }

  /// The figures of a jurisdiction from its compounds and basic grid codes, the property
  /// service's counts (companies by party status and size, buildings) and the party's facts.
  public static func figures(
    compounds: [Governance_Property_V1_CompoundDivision], gridCodes: [String],
    property: Governance_Property_V1_GetPropertyStatisticsResponse, party: PartyFacts
  ) -> Governance_Organisation_V1_CoverageFigures {
    func share(_ part: Int32, _ whole: Int32) -> Double { whole == 0 ? 0 : Double(part) / Double(whole) }
    return .with { figures in
      figures.compoundsTotal = Int32(compounds.count)
      for compound in compounds {
        guard let branch = party.branchesByCompound[compound.compoundID] else { continue }
        figures.compoundsWithPartyOrganisation += 1
        switch branch.branchKind {
        case .compound: figures.compoundsWithStandaloneBranch += 1
        case .joint: figures.compoundsWithJointBranch += 1
        default: figures.compoundsWithFunctionalBranch += 1
        }
      }
      figures.compoundCoverage = share(figures.compoundsWithPartyOrganisation, figures.compoundsTotal)

      for group in property.companiesByPartyStatus {
        figures.companiesTotal += group.count
        switch group.partyStatus {
        case .ownOrganisation: figures.companiesWithOwnOrganisation += group.count
        case .instructor: figures.companiesWithInstructor += group.count
        default: break
        }
        if group.large {
          figures.companiesLarge += group.count
          figures.companiesLargeWithPartyMembers += group.withPartyMembers
        } else {
          figures.companiesSmall += group.count
          if group.partyStatus == .attached { figures.companiesSmallAttached += group.count }
          if group.partyStatus == .joint { figures.companiesSmallJoined += group.count }
        }
        figures.companiesCovered += covered(in: group)
      }
      figures.companyCoverage = share(figures.companiesCovered, figures.companiesTotal)

      figures.gridsTotal = Int32(gridCodes.count)
      figures.gridsWithBranch = Int32(gridCodes.filter { party.gridsWithBranch.contains($0) }.count)
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
