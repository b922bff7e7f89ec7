import GovernanceAPI
import ServiceKit

/// What a property company (物业企业) must be to be registered, and who may set its outcomes.
public enum CompanyRegistration {
  public typealias Company = Governance_Property_V1_PropertyCompany

  /// Companies with this many staff or more must have party members of their own; smaller ones
  /// attach to or join another organisation, or get a party-building instructor (DOMAIN §1).
  public static let largeCompanyStaff: Int32 = 25

  /// The rule "a company is registered by a valid credit code in a division": validates a new
  /// company; star rating and list status start empty and are set by the evaluation service only.
  public static func validateNew(_ company: Company) throws(DomainError) -> Company {
    var validated = company
    validated.name = try FieldValidation.requiredName(company.name, field: "company.name")
    validated.unifiedSocialCreditCode = try UnifiedSocialCreditCode.validate(
      company.unifiedSocialCreditCode, field: "company.unified_social_credit_code")
    _ = try DivisionCode(company.divisionCode, field: "company.division_code")
    validated.legalRepresentative = try FieldValidation.optionalText(
      company.legalRepresentative, field: "company.legal_representative", maximumLength: 50)
    validated.address = try FieldValidation.optionalText(company.address, field: "company.address", maximumLength: 200)
    guard (0...1_000_000).contains(company.staffCount) else {
      throw DomainError.invalidArgument(
        field: "company.staff_count", rule: "from 0 to 1000000, got \(company.staffCount)")
    }
    guard (0...company.staffCount).contains(company.partyMemberCount) else {
      throw DomainError.invalidArgument(
        field: "company.party_member_count",
        rule: "from 0 to the staff count \(company.staffCount), got \(company.partyMemberCount)")
    }
    if company.partyStatus == .unspecified {
      validated.partyStatus = .none
    }
    if company.creditLevel == .unspecified {
      validated.creditLevel = .unspecified
    }
    validated.starRating = 0
    validated.ratingScore = 0
    validated.ratingPeriod = ""
    validated.listStatus = .none
    validated.listReason = ""
    validated.clearListTime()
    validated.clearLastExitTime()
    validated.managedCompoundCount = 0
    return validated
  }

  /// The rule "a star rating is 1 to 5 for a named period": validates a rating from the
  /// evaluation service.
  public static func validateRating(_ request: Governance_Property_V1_SetCompanyRatingRequest) throws(DomainError) {
    guard (1...5).contains(request.starRating) else {
      throw DomainError.invalidArgument(field: "star_rating", rule: "from 1 to 5, got \(request.starRating)")
    }
    guard (0...100).contains(request.score) else {
      throw DomainError.invalidArgument(field: "score", rule: "from 0 to 100, got \(request.score)")
    }
    _ = try FieldValidation.requiredName(request.period, field: "period", maximumLength: 16)
  }
}
