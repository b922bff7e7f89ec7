import GovernanceAPI
import ServiceKit

/// What a scoring item of the "4+5" evaluation must be: a coded, named item for one use, with a
/// positive weight and full marks.
public enum ScoringItemRules {
  public typealias ScoringItem = Governance_Evaluation_V1_ScoringItem

  /// Weights are percentages of the item's part of the composite score.
  public static let maximumWeight = 100.0
  /// Full marks of one item; the seeds' forms score items out of 5, 10 or 100.
  public static let maximumFullMarks = 1000.0

  /// The rule "an item has a code, a use, a weight in (0, 100] and full marks in (0, 1000]":
  /// validates a new item, which a city or district defines for the divisions below it.
  public static func validateNew(_ item: ScoringItem) throws(DomainError) -> ScoringItem {
    var validated = item
    validated.code = try FieldValidation.requiredName(item.code, field: "item.code", maximumLength: 32)
    validated.name = try FieldValidation.requiredName(item.name, field: "item.name")
    validated.details = try FieldValidation.optionalText(item.details, field: "item.details")
    let division = try DivisionCode(item.divisionCode, field: "item.division_code")
    guard division.level <= .district else {
      throw DomainError.invalidArgument(
        field: "item.division_code", rule: "scoring items are set by a city or district, got a \(division.level)")
    }
    validated.use = try FieldValidation.requiredCase(
      item.use, field: "item.use", unspecified: .unspecified,
      known: Governance_Evaluation_V1_ItemUse.allCases.filter { $0 != .unspecified })
    guard item.weight > 0, item.weight <= maximumWeight else {
      throw DomainError.invalidArgument(
        field: "item.weight", rule: "greater than 0 and at most 100, got \(item.weight)")
    }
    guard item.fullMarks > 0, item.fullMarks <= maximumFullMarks else {
      throw DomainError.invalidArgument(
        field: "item.full_marks", rule: "greater than 0 and at most \(Int(maximumFullMarks)), got \(item.fullMarks)")
    }
    validated.active = true
    return validated
  }
}
