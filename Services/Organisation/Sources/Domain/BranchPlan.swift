import GovernanceAPI
import ServiceKit

extension BranchFormation {
  /// The rule "a plan is asked for a community or a street": the division whose compounds the
  /// plan covers.
  public static func planDivision(_ code: String) throws(DomainError) -> DivisionCode {
    let division = try DivisionCode(code, field: "division_code")
    guard division.level == .community || division.level == .street else {
      throw DomainError.invalidArgument(
        field: "division_code", rule: "a branch plan covers a community or a street, got a \(division.level)")
    }
    return division
  }

  /// Marks each proposal with the compound branch that exists for it, and whether its kind is
  /// what the rule asks.
  public static func compare(
    _ proposals: [Governance_Organisation_V1_CompoundBranchProposal],
    with existing: [String: Governance_Organisation_V1_Organisation]
  ) -> [Governance_Organisation_V1_CompoundBranchProposal] {
    proposals.map { proposal in
      var compared = proposal
      guard let organisation = existing[proposal.compoundID] else { return compared }
      compared.existingOrganisationID = organisation.id
      compared.existingBranchKind = organisation.branchKind
      switch proposal.proposedKind {
      case .standalone: compared.existingConforms = organisation.branchKind == .compound
      case .joint: compared.existingConforms = organisation.branchKind == .joint
      default: compared.existingConforms = organisation.branchKind == .functional
      }
      return compared
    }
  }
}
