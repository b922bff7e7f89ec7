import Foundation
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

@Suite("Request rules of the organisation service")
struct OrganisationRequestRulesTests {
  @Test("a paired unit has a name, a kind and a division, an 18-character credit code when given, its contact masked")
  func aPairedUnitIsValidated() throws {
    let unit = Governance_Organisation_V1_PairedUnit.with {
      $0.name = "区住建局"
      $0.kind = .agency
      $0.divisionCode = "320113000000"
    }
    #expect(try Pairings.validateNewUnit(unit).name == "区住建局")
    var bad = unit
    bad.unifiedSocialCreditCode = "91320113"
    #expect(throws: DomainError.self) { try Pairings.validateNewUnit(bad) }
  }

  @Test("a unit pairs with a compound or a community; members register at a community")
  func pairingsAndRegistrationsNameACommunity() throws {
    #expect(try Pairings.community("320113005001").code == "320113005001")
    #expect(throws: DomainError.self) { try Pairings.community("320113005000") }
    #expect(try MemberRules.registrationCommunity("320113005001").level == .community)
    #expect(throws: DomainError.self) { try MemberRules.registrationCommunity("320113000000") }
  }

  @Test("a pairing evaluation scores 0 to 100 in a quarter with a grade")
  func aPairingEvaluationScoresZeroToHundred() throws {
    var evaluation = Governance_Organisation_V1_PairingEvaluation.with {
      $0.pairingID = "pair_1"
      $0.evaluatorOrganisationID = "org_1"
      $0.year = 2026
      $0.quarter = 3
      $0.grade = .good
      $0.score = 88
    }
    #expect(try Pairings.validateEvaluation(evaluation, at: Date()).hasEvaluatedDate)
    evaluation.score = 101
    #expect(throws: DomainError.self) { try Pairings.validateEvaluation(evaluation, at: Date()) }
  }

  @Test("a negative-list entry names its person; only party members' contacts are revealed here")
  func entriesNameTheirPersonAndRevealsNameMembers() throws {
    try SelfGovernance.checkNamesPerson(.init(), partyMemberID: "mbr_1")
    #expect(throws: DomainError.self) { try SelfGovernance.checkNamesPerson(.init(), partyMemberID: "") }
    try MemberRules.checkRevealSubject(.partyMember)
    #expect(throws: DomainError.self) { try MemberRules.checkRevealSubject(.unspecified) }
  }
}
