import GovernanceAPI
import ServiceKit

/// The street's quarterly evaluation of a paired unit's "five helps" (一包五帮) to a compound.
public enum FiveHelps {
  public typealias Evaluation = Governance_Evaluation_V1_PairedUnitEvaluation

  /// The rule "the grade follows the mean of the applicable helps: 90 excellent, 75 good, 60
  /// pass, below fails".
  public static func grade(_ total: Double) -> Governance_Evaluation_V1_PairedUnitGrade {
    switch total {
    case 90...: .excellent
    case 75..<90: .good
    case 60..<75: .pass
    default: .fail
    }
  }

  /// The rule "each help scored once, 0 to 100, at least one applicable": validates an
  /// evaluation and fills its mean and grade.
  public static func validateNew(_ evaluation: Evaluation) throws(DomainError) -> Evaluation {
    var validated = evaluation
    let street = try DivisionCode(evaluation.divisionCode, field: "evaluation.division_code")
    guard street.level == .street else {
      throw DomainError.invalidArgument(
        field: "evaluation.division_code", rule: "the evaluating street, got a \(street.level)")
    }
    validated.pairedUnitID = try FieldValidation.requiredID(evaluation.pairedUnitID, field: "evaluation.paired_unit_id")
    validated.compoundID = try FieldValidation.requiredID(evaluation.compoundID, field: "evaluation.compound_id")
    validated.comment = try FieldValidation.optionalText(
      evaluation.comment, field: "evaluation.comment", maximumLength: 500)
    var seen: Set<Governance_Evaluation_V1_FiveHelp> = []
    var applicable: [Double] = []
    for (index, help) in evaluation.helps.enumerated() {
      guard help.help != .unspecified, seen.insert(help.help).inserted else {
        throw DomainError.invalidArgument(
          field: "evaluation.helps[\(index)].help", rule: "one of the five helps, each once")
      }
      if help.notApplicable { continue }
      guard help.score.isFinite, (0...100).contains(help.score) else {
        throw DomainError.invalidArgument(
          field: "evaluation.helps[\(index)].score", rule: "from 0 to 100, got \(help.score)")
      }
      applicable.append(help.score)
    }
    guard !applicable.isEmpty else {
      throw DomainError.invalidArgument(field: "evaluation.helps", rule: "at least one help is scored")
    }
    validated.total = ((applicable.reduce(0, +) / Double(applicable.count)) * 100).rounded() / 100
    validated.grade = grade(validated.total)
    return validated
  }
}

extension FiveHelps {
  /// The rule "the five helps are evaluated each quarter": FAILED_PRECONDITION for a monthly period.
  public static func checkQuarter(_ period: Governance_Evaluation_V1_EvaluationPeriod) throws(DomainError) {
    guard period.kind == .quarterly else {
      throw DomainError.failedPrecondition(
        rule: "the five helps are evaluated each quarter", detail: "\(period.label) is monthly")
    }
  }
}
