import GovernanceAPI
import ServiceKit

/// The branch formation rule (001, 004): "one compound one branch" (一小区一支部) where a compound
/// has 3 or more formal party members; below that a joint branch with neighbouring compounds of
/// the same grid or area; where no neighbour can join, a functional branch.
public enum BranchFormation {
  /// Formal members a compound needs for a standalone branch of its own (党章: a branch needs 3).
  public static let standaloneThreshold = 3

  /// What the rule asks for one compound.
  public struct CompoundMembers: Sendable {
    public var compound: Governance_Property_V1_Compound
    public var formal: Int
    public var probationary: Int

    public init(compound: Governance_Property_V1_Compound, formal: Int, probationary: Int) {
      self.compound = compound
      self.formal = formal
      self.probationary = probationary
    }
  }

  /// The rule "a standalone compound branch needs 3 formal members": FAILED_PRECONDITION with the
  /// rule and the count.
  public static func checkStandalone(compound: String, formalMembers: Int) throws(DomainError) {
    guard formalMembers >= standaloneThreshold else {
      throw DomainError.failedPrecondition(
        rule: "a compound branch of its own needs at least \(standaloneThreshold) formal party members (一小区一支部)",
        detail: "compound \(compound) has \(formalMembers); propose a joint or functional branch instead")
    }
  }

  /// The rule applied to every compound of a community or street: standalone at 3 or more formal
  /// members; otherwise joint with the other small compounds of the same grid (or else area) when
  /// together they reach 3; otherwise functional.
  public static func propose(_ compounds: [CompoundMembers]) -> [Governance_Organisation_V1_CompoundBranchProposal] {
    let small = compounds.filter { $0.formal < standaloneThreshold }
    func neighbours(of entry: CompoundMembers) -> (
      basis: Governance_Organisation_V1_JointBasis, group: [CompoundMembers]
    )? {
      let sameGrid = small.filter { other in
        other.compound.id != entry.compound.id
          && !Set(other.compound.gridCodes).isDisjoint(with: entry.compound.gridCodes)
      }
      if !sameGrid.isEmpty, entry.formal + sameGrid.reduce(0, { $0 + $1.formal }) >= standaloneThreshold {
        return (.grid, sameGrid)
      }
      let sameArea = small.filter { other in
        other.compound.id != entry.compound.id && !entry.compound.area.isEmpty
          && other.compound.area == entry.compound.area
      }
      if !sameArea.isEmpty, entry.formal + sameArea.reduce(0, { $0 + $1.formal }) >= standaloneThreshold {
        return (.area, sameArea)
      }
      return nil
    }
    return compounds.map { entry in
      var proposal = Governance_Organisation_V1_CompoundBranchProposal.with {
        $0.compoundID = entry.compound.id
        $0.compoundName = entry.compound.name
        $0.divisionCode = entry.compound.divisionCode
        $0.gridCodes = entry.compound.gridCodes
        $0.area = entry.compound.area
        $0.formalMemberCount = Int32(entry.formal)
        $0.probationaryMemberCount = Int32(entry.probationary)
      }
      if entry.formal >= standaloneThreshold {
        proposal.proposedKind = .standalone
        proposal.explanation = "\(entry.formal) formal members: a branch of its own"
      } else if let (basis, group) = neighbours(of: entry) {
        let total = entry.formal + group.reduce(0) { $0 + $1.formal }
        proposal.proposedKind = .joint
        proposal.jointBasis = basis
        proposal.jointWithCompoundIds = group.map(\.compound.id).sorted()
        proposal.jointFormalMemberCount = Int32(total)
        proposal.explanation =
          "\(entry.formal) formal members: a joint branch with \(group.count) neighbouring compound(s), \(total) together"
      } else {
        proposal.proposedKind = .functional
        proposal.explanation =
          "\(entry.formal) formal members and no neighbours to join: a functional branch of direct-managed, "
          + "in-service, retired and floating members"
      }
      return proposal
    }
  }
}
