import GovernanceAPI
import ServiceKit
import Testing

@testable import Organisation

/// The organisation rules a store checks inside its transactions, as plain functions.
@Suite("Organisation, member, body and joint-work rules")
struct OrganisationRulesTests {
  let active = Governance_Organisation_V1_Organisation.with {
    $0.id = "org_1"
    $0.status = .active
    $0.level = .streetWorkingCommittee
    $0.divisionCode = "320113005000"
  }
  var dissolved: Governance_Organisation_V1_Organisation {
    var copy = active
    copy.status = .dissolved
    return copy
  }

  @Test("a position and a cross-appointment end once")
  func positionsAndCrossAppointmentsEndOnce() throws {
    try Positions.checkEnd(.with { $0.id = "pos_1" })
    #expect(throws: DomainError.self) { try Positions.checkEnd(.with { $0.endReason = "换届" }) }
    try CrossAppointments.checkEnd(.with { $0.id = "xa_1" })
    #expect(throws: DomainError.self) { try CrossAppointments.checkEnd(.with { $0.endReason = "调离" }) }
  }

  @Test("members join an active body, a membership ends once, nobody on the negative list is appointed")
  func bodyMembershipRules() throws {
    try SelfGovernance.checkJoin(.with { $0.status = .active })
    #expect(throws: DomainError.self) { try SelfGovernance.checkJoin(.with { $0.status = .termEnded }) }
    try SelfGovernance.checkEndMembership(.with { $0.id = "bm_1" })
    #expect(throws: DomainError.self) { try SelfGovernance.checkEndMembership(.with { $0.endedDate = .init() }) }
    try SelfGovernance.checkNotBarred("张*", by: nil)
    #expect(throws: DomainError.self) { try SelfGovernance.checkNotBarred("张*", by: .with { $0.id = "neg_1" }) }
  }

  @Test("dual registration is for active in-service members")
  func dualRegistrationIsForActiveInServiceMembers() throws {
    try MemberRules.checkRegistersAtCommunity(
      .with {
        $0.kind = .inService
        $0.status = .active
      })
    #expect(throws: DomainError.self) {
      try MemberRules.checkRegistersAtCommunity(
        .with {
          $0.kind = .directManaged
          $0.status = .active
        })
    }
  }

  @Test("members transfer to another, active organisation")
  func membersTransferToAnotherActiveOrganisation() throws {
    try MemberRules.checkTransferTarget(active)
    #expect(throws: DomainError.self) { try MemberRules.checkTransferTarget(dissolved) }
    try MemberRules.checkTransfer(.with { $0.organisationID = "org_2" }, to: active)
    #expect(throws: DomainError.self) {
      try MemberRules.checkTransfer(.with { $0.organisationID = "org_1" }, to: active)
    }
  }

  @Test("only an active organisation without active sub-organisations is dissolved, its members to another active one")
  func dissolutionRules() throws {
    try OrganisationTree.checkDissolve(active, activeChildren: 0)
    #expect(throws: DomainError.self) { try OrganisationTree.checkDissolve(dissolved) }
    #expect(throws: DomainError.self) { try OrganisationTree.checkDissolve(active, activeChildren: 2) }
    try OrganisationTree.checkSuccessorNamed("", of: active, members: 0)
    #expect(throws: DomainError.self) { try OrganisationTree.checkSuccessorNamed("", of: active, members: 3) }
    try OrganisationTree.checkSuccessor(
      .with {
        $0.id = "org_2"
        $0.status = .active
      }, of: active)
    #expect(throws: DomainError.self) { try OrganisationTree.checkSuccessor(active, of: active) }
  }

  @Test("pairings are evaluated by the street working committee of their street")
  func pairingsAreEvaluatedByTheirStreetsCommittee() throws {
    try Pairings.checkEvaluator(active, of: .with { $0.divisionCode = "320113005001" })
    #expect(throws: DomainError.self) {
      try Pairings.checkEvaluator(active, of: .with { $0.divisionCode = "320113006001" })
    }
  }
}
