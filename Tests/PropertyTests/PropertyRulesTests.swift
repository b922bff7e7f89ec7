import GovernanceAPI
import ServiceKit
import SwiftProtobuf
import Testing

@testable import Property

@Suite("Property rules: credit codes, contract transitions, the four-level acceptance")
struct PropertyRulesTests {
  @Test(
    "a credit code ends in its GB 32100 check character",
    arguments: [
      "91350100M000100Y43", "9144030071526726XG", "914403001922038216", "91330100799655058B", "91110000100006485K",
      "91310000607216596u",
    ])
  func creditCodeEndsInItsCheckCharacter(code: String) throws {
    #expect(try UnifiedSocialCreditCode.validate(code, field: "c") == code.uppercased())
  }

  @Test(
    "a wrong credit code is INVALID_ARGUMENT naming the code and the fault",
    arguments: [
      ("91350100M000100Y44", "expected '3'"),
      ("911100001011115225", "expected '6'"),
      ("91350100M000100Y4", "18 characters"),
      ("91350100M000100I43", "contains 'I'"),
      ("9135A100M000100Y43", "6-digit division code"),
    ])
  func wrongCreditCode(code: String, fault: String) {
    do {
      _ = try UnifiedSocialCreditCode.validate(code, field: "company.unified_social_credit_code")
      Issue.record("accepted \(code)")
    } catch {
      guard case .invalidArgument(let field, let rule) = error else {
        Issue.record("unexpected \(error)")
        return
      }
      #expect(field == "company.unified_social_credit_code")
      #expect(rule.description.contains(code) && rule.description.contains(fault), "\(rule)")
    }
  }

  @Test("a contract moves only along the transition table")
  func contractMovesOnlyAlongTheTable() {
    let states: [ContractLifecycle.State] = [.trial, .active, .terminated, .exited]
    let allowed: Set<[ContractLifecycle.State]> = [
      [.trial, .active], [.trial, .terminated], [.trial, .exited], [.active, .terminated], [.active, .exited],
    ]
    for from in states {
      for to in states {
        let contract = ContractLifecycle.Contract.with {
          $0.id = "ctr_1"
          $0.state = from
        }
        let moved = (try? ContractLifecycle.checkTransition(contract, to: to)) != nil
        #expect(moved == allowed.contains([from, to]), "\(from) → \(to)")
      }
    }
  }

  @Test("a blacklisted company cannot sign, and an owners' vote needs a majority")
  func blacklistedCompanyCannotSign() throws {
    let compound = Governance_Property_V1_Compound.with {
      $0.id = "cmp_1"
      $0.divisionCode = "320113005001"
    }
    let start = Governance_Common_V1_Date.with {
      $0.year = 2026
      $0.month = 11
      $0.day = 30
    }
    var contract = ContractLifecycle.Contract.with { $0.selectionMethod = .streetAgreement }
    let trial = try ContractLifecycle.validateNew(
      contract, compound: compound, company: .with { $0.listStatus = .red }, start: start)
    #expect(trial.state == .trial)
    #expect(
      trial.trialEndDate
        == .with {
          $0.year = 2027
          $0.month = 2
          $0.day = 28
        })
    #expect(throws: DomainError.self) {
      try ContractLifecycle.validateNew(
        contract, compound: compound, company: .with { $0.listStatus = .black }, start: start)
    }
    contract.selectionMethod = .ownersAssemblyVote
    contract.ownersVote = .with {
      $0.ownersTotal = 100
      $0.ownersInFavour = 50
    }
    #expect(throws: DomainError.self) {
      try ContractLifecycle.validateNew(contract, compound: compound, company: .init(), start: start)
    }
    contract.ownersVote.ownersInFavour = 51
    #expect(
      try ContractLifecycle.validateNew(contract, compound: compound, company: .init(), start: start).state == .trial)
  }

  static let allSevenHaves = Governance_Property_V1_SevenHavesChecklist.with {
    for item in [
      \Governance_Property_V1_SevenHavesChecklist.gateStaff, \.surveillance, \.cleaning, \.facilityRepair,
      \.greening, \.security, \.parkingManagement,
    ] {
      $0[keyPath: item].satisfied = true
    }
  }

  @Test("each level decides its own step; a city administrator or the system any")
  func eachLevelDecidesItsOwnStep() throws {
    let expected: [(JointAcceptance.Step, Role)] = [
      (.companySelfReview, .community), (.communityReview, .community), (.streetSignOff, .street),
      (.districtJointAcceptance, .district),
    ]
    for (step, level) in expected {
      for role in [Role.community, .street, .district] {
        let person = Principal(subject: "user:clerk", role: role, scope: "")
        if role == level {
          try JointAcceptance.checkDecider(person, for: step)
        } else {
          #expect(
            throws: DomainError.permissionDenied(reason: "the \(step) step is decided at the \(level.rawValue) level")
          ) { try JointAcceptance.checkDecider(person, for: step) }
        }
      }
      try JointAcceptance.checkDecider(Principal(subject: "user:admin", role: .cityAdministrator, scope: ""), for: step)
      try JointAcceptance.checkDecider(.system, for: step)
    }
  }

  @Test("a step passes only when the seven haves are met")
  func aStepPassesOnlyWhenTheSevenHavesAreMet() throws {
    #expect(JointAcceptance.sevenHavesMet(Self.allSevenHaves))
    var missingOne = Self.allSevenHaves
    missingOne.parkingManagement.satisfied = false
    #expect(!JointAcceptance.sevenHavesMet(missingOne))
    let acceptance = Governance_Property_V1_Acceptance.with {
      $0.state = .inProgress
      $0.currentStep = .companySelfReview
      $0.round = 1
    }
    var passing = Self.decision(.companySelfReview, .passed)
    passing.checklist = missingOne
    #expect(
      throws: DomainError.invalidArgument(
        field: "checklist", rule: "a step passes only when all seven haves are met; otherwise it fails with its reasons"
      )
    ) { try JointAcceptance.record(passing, on: acceptance, decidedBy: .system, at: .init()) }
    var failing = Self.decision(.companySelfReview, .failed, reasons: ["无停车管理"])
    failing.checklist = missingOne
    #expect(try JointAcceptance.record(failing, on: acceptance, decidedBy: .system, at: .init()).round == 2)
  }

  static func decision(
    _ step: JointAcceptance.Step, _ outcome: Governance_Property_V1_StepOutcome, reasons: [String] = []
  )
    -> Governance_Property_V1_RecordAcceptanceStepRequest
  {
    .with {
      $0.step = step
      $0.outcome = outcome
      $0.checklist = Self.allSevenHaves
      $0.decidedBy = "王书记"
      $0.reasons = reasons
    }
  }

  @Test("the four levels decide in order; a failure starts a new round at the company self-review")
  func fourLevelsDecideInOrder() throws {
    let now = Google_Protobuf_Timestamp(seconds: 1_800_000_000)
    var acceptance = JointAcceptance.Acceptance.with {
      $0.id = "acc_1"
      $0.state = .inProgress
      $0.currentStep = .companySelfReview
      $0.round = 1
    }
    // Out of order is refused.
    #expect(throws: DomainError.self) {
      try JointAcceptance.record(Self.decision(.streetSignOff, .passed), on: acceptance, decidedBy: .system, at: now)
    }
    acceptance = try JointAcceptance.record(
      Self.decision(.companySelfReview, .passed), on: acceptance, decidedBy: .system, at: now)
    #expect(acceptance.currentStep == .communityReview)
    // A failure without reasons is refused; with reasons it goes back.
    #expect(throws: DomainError.invalidArgument(field: "reasons", rule: "a failed step gives its reasons")) {
      try JointAcceptance.record(Self.decision(.communityReview, .failed), on: acceptance, decidedBy: .system, at: now)
    }
    acceptance = try JointAcceptance.record(
      Self.decision(.communityReview, .failed, reasons: ["监控未覆盖"]), on: acceptance, decidedBy: .system, at: now)
    #expect(acceptance.currentStep == .companySelfReview)
    #expect(acceptance.round == 2)
    for step in JointAcceptance.order {
      acceptance = try JointAcceptance.record(Self.decision(step, .passed), on: acceptance, decidedBy: .system, at: now)
    }
    #expect(acceptance.state == .passed)
    #expect(acceptance.steps.count == 6)
    #expect(throws: DomainError.self) {
      try JointAcceptance.record(
        Self.decision(.companySelfReview, .passed), on: acceptance, decidedBy: .system, at: now)
    }
  }
}

@Suite("Joint acceptance contract rule")
struct JointAcceptanceContractTests {
  @Test("an acceptance reviews a compound under its trial or active contract")
  func anAcceptanceReviewsACompoundUnderItsLiveContract() throws {
    let contract = Governance_Property_V1_ServiceContract.with {
      $0.id = "ctr_1"
      $0.compoundID = "cmp_1"
      $0.state = .active
    }
    try JointAcceptance.checkContract(contract, of: "cmp_1")
    #expect(throws: DomainError.self) { try JointAcceptance.checkContract(contract, of: "cmp_2") }
    var ended = contract
    ended.state = .terminated
    #expect(throws: DomainError.self) { try JointAcceptance.checkContract(ended, of: "cmp_1") }
  }
}
