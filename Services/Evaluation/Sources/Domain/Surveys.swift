import GovernanceAPI
import ServiceKit

/// Residents' satisfaction surveys (满意度测评) of a compound's property service.
public enum Surveys {
  public typealias Response = Governance_Evaluation_V1_SurveyResponse

  /// The rule "a survey response names the compound's community, the compound and its company,
  /// and rates overall satisfaction 1 to 5": validates a new response's own fields.
  public static func validateNew(_ response: Response) throws(DomainError) -> Response {
    var validated = response
    let community = try DivisionCode(response.divisionCode, field: "response.division_code")
    guard community.level == .community else {
      throw DomainError.invalidArgument(
        field: "response.division_code", rule: "the compound's community, got a \(community.level)")
    }
    validated.compoundID = try FieldValidation.requiredID(response.compoundID, field: "response.compound_id")
    validated.companyID = try FieldValidation.requiredID(response.companyID, field: "response.company_id")
    guard (1...5).contains(response.overallSatisfaction) else {
      throw DomainError.invalidArgument(
        field: "response.overall_satisfaction", rule: "from 1 to 5, got \(response.overallSatisfaction)")
    }
    validated.comment = try FieldValidation.optionalText(
      response.comment, field: "response.comment", maximumLength: 500)
    validated.channel = try FieldValidation.optionalText(response.channel, field: "response.channel", maximumLength: 30)
    return validated
  }

  /// The rule "each answer scores a resident-survey item from 0 to its full marks": `item` as
  /// found for the answer (nil when there is none), `field` the answer's place in the request.
  public static func checkAnswer(
    _ answer: Governance_Evaluation_V1_SurveyAnswer, item: Governance_Evaluation_V1_ScoringItem?, field: String
  ) throws(DomainError) {
    guard let item, item.use == .residentSurvey else {
      throw DomainError.invalidArgument(field: "\(field).item_id", rule: "names a resident-survey item")
    }
    guard answer.value.isFinite, answer.value >= 0, answer.value <= item.fullMarks else {
      throw DomainError.invalidArgument(
        field: "\(field).value", rule: "from 0 to \(item.fullMarks), got \(answer.value)")
    }
  }
}
