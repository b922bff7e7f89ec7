import Foundation
import GovernanceAPI
import ServiceKit

/// The life of a service contract between a company and a compound, "experience first, pay
/// later" (先体验、后付费): signed into a 3-month trial, then active, and ended by termination or
/// by the company's exit.
public enum ContractLifecycle {
  public typealias State = Governance_Property_V1_ContractState
  public typealias Contract = Governance_Property_V1_ServiceContract

  /// The trial before owners pay, in months.
  public static let trialMonths = 3

  /// The states a contract holds the compound in: at most one per compound.
  public static let liveStates: [State] = [.trial, .active]

  /// Every allowed transition, in one place: trial → active, trial or active → terminated or
  /// exited. Terminated and exited are final.
  public static let transitions: [State: Set<State>] = [
    .trial: [.active, .terminated, .exited],
    .active: [.terminated, .exited],
  ]

  /// The rule "a contract moves only along the table": FAILED_PRECONDITION naming both states.
  public static func checkTransition(_ contract: Contract, to next: State) throws(DomainError) {
    guard transitions[contract.state]?.contains(next) == true else {
      throw DomainError.failedPrecondition(
        rule: "a contract moves trial → active, or trial/active → terminated/exited",
        detail: "contract \(contract.id) is \(contract.state), cannot become \(next)")
    }
  }

  /// The rule "a blacklisted company cannot sign, and a contract names who chose the company":
  /// validates a new contract for `compound` with `company` and starts its trial on `start`.
  public static func validateNew(
    _ contract: Contract,
    compound: Governance_Property_V1_Compound,
    company: Governance_Property_V1_PropertyCompany,
    start: Governance_Common_V1_Date
  ) throws(DomainError) -> Contract {
    guard company.listStatus != .black else {
      throw DomainError.failedPrecondition(
        rule: "a blacklisted company cannot sign a service contract",
        detail: "company \(company.id) \(company.name) is on the black list")
    }
    var validated = contract
    validated.selectionMethod = try FieldValidation.requiredCase(
      contract.selectionMethod, field: "contract.selection_method", unspecified: .unspecified,
      known: [.ownersAssemblyVote, .streetAgreement])
    if contract.selectionMethod == .ownersAssemblyVote {
      let vote = contract.ownersVote
      guard vote.ownersTotal > 0, (0...vote.ownersTotal).contains(vote.ownersInFavour) else {
        throw DomainError.invalidArgument(
          field: "contract.owners_vote", rule: "owners in favour from 0 to a positive owners total")
      }
      // 物业管理条例 art. 12: selecting a company takes the owners holding more than half of both the
      // area and the number of owners; a vote short of that selects nobody.
      guard vote.ownersInFavour * 2 > vote.ownersTotal,
        vote.areaTotalSquareMetres <= 0 || vote.areaInFavourSquareMetres * 2 > vote.areaTotalSquareMetres
      else {
        throw DomainError.failedPrecondition(
          rule: "an owners' assembly selects a company with more than half of owners and of area",
          detail: "\(vote.ownersInFavour) of \(vote.ownersTotal) owners in favour")
      }
    }
    guard contract.fee.fenPerSquareMetreMonth >= 0 else {
      throw DomainError.invalidArgument(field: "contract.fee.fen_per_square_metre_month", rule: "must not be negative")
    }
    validated.divisionCode = compound.divisionCode
    validated.state = .trial
    validated.trialStartDate = start
    validated.trialEndDate = addingMonths(trialMonths, to: start)
    validated.clearActivatedDate()
    validated.clearEndedDate()
    validated.endReason = ""
    return validated
  }

  /// `date` plus `months`, clamped to the end of a shorter month (31 Nov → 30 Nov).
  public static func addingMonths(_ months: Int, to date: Governance_Common_V1_Date) -> Governance_Common_V1_Date {
    let total = Int(date.year) * 12 + Int(date.month) - 1 + months
    let year = total / 12
    let month = total % 12 + 1
    let days = [
      31, (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31,
    ]
    return .with {
      $0.year = Int32(year)
      $0.month = Int32(month)
      $0.day = min(date.day, Int32(days[month - 1]))
    }
  }
}
