import GovernanceAPI
import ServiceKit

/// The "4+5" panels: the monthly four-party panel (测评组) per compound and company, and the
/// quarterly five-party panel (考核组) of a division.
public enum Panels {
  public typealias Panel = Governance_Evaluation_V1_Panel
  public typealias Role = Governance_Evaluation_V1_PanelRole

  /// The roles of each kind of panel, in one place.
  public static let roles: [Governance_Evaluation_V1_PanelKind: Set<Role>] = [
    .fourParty: [.communityPartyCommittee, .gridBranch, .ownersCommittee, .partyMassRepresentative],
    .fiveParty: [
      .organisationDepartment, .housingDepartment, .industryPartyCommittee, .streetWorkingCommittee, .thirdPartyAgency,
    ],
  ]

  /// The item use each kind of panel scores.
  public static let itemUse: [Governance_Evaluation_V1_PanelKind: Governance_Evaluation_V1_ItemUse] = [
    .fourParty: .monthlySatisfaction, .fiveParty: .quarterlyAssessment,
  ]

  /// The rule "a four-party panel scores one compound and company in a monthly period of its
  /// community; a five-party panel assesses a division in a quarterly period": validates a new
  /// panel against its period.
  public static func validateNew(_ panel: Panel, period: EvaluationPeriods.Period) throws(DomainError) -> Panel {
    var validated = panel
    validated.kind = try FieldValidation.requiredCase(
      panel.kind, field: "panel.kind", unspecified: .unspecified, known: [.fourParty, .fiveParty])
    let division = try DivisionCode(panel.divisionCode, field: "panel.division_code")
    guard DivisionCode.code(period.divisionCode, contains: division.code) else {
      throw DomainError.invalidArgument(
        field: "panel.division_code", rule: "lies within the period's division \(period.divisionCode)")
    }
    switch validated.kind {
    case .fourParty:
      guard period.kind == .monthly else {
        throw DomainError.failedPrecondition(
          rule: "a four-party panel scores a monthly period", detail: "period \(period.label) is quarterly")
      }
      guard division.level == .community else {
        throw DomainError.invalidArgument(
          field: "panel.division_code", rule: "the compound's community, got a \(division.level)")
      }
      validated.compoundID = try FieldValidation.requiredID(panel.compoundID, field: "panel.compound_id")
      validated.companyID = try FieldValidation.requiredID(panel.companyID, field: "panel.company_id")
    default:
      guard period.kind == .quarterly else {
        throw DomainError.failedPrecondition(
          rule: "a five-party panel assesses a quarterly period", detail: "period \(period.label) is monthly")
      }
      validated.compoundID = ""
      validated.companyID = ""
    }
    var seated: Set<String> = []
    validated.members = []
    for (index, member) in panel.members.enumerated() {
      let checked = try validateMember(member, kind: validated.kind, field: "panel.members[\(index)]")
      guard seated.insert(checked.evaluatorID).inserted else {
        throw DomainError.invalidArgument(
          field: "panel.members[\(index)].evaluator_id",
          rule: "an evaluator holds one seat; \(checked.evaluatorID) is seated twice")
      }
      validated.members.append(checked)
    }
    return validated
  }

  /// The rule "an evaluator sits in a role of the panel's kind".
  public static func validateMember(
    _ member: Governance_Evaluation_V1_PanelMember, kind: Governance_Evaluation_V1_PanelKind, field: String
  ) throws(DomainError) -> Governance_Evaluation_V1_PanelMember {
    var validated = member
    validated.evaluatorID = try FieldValidation.requiredID(member.evaluatorID, field: "\(field).evaluator_id")
    validated.name = try FieldValidation.requiredName(member.name, field: "\(field).name", maximumLength: 50)
    validated.represents = try FieldValidation.optionalText(
      member.represents, field: "\(field).represents", maximumLength: 100)
    guard roles[kind, default: []].contains(member.role) else {
      throw DomainError.invalidArgument(
        field: "\(field).role",
        rule: "a \(kind) panel seats \(roles[kind, default: []].map { "\($0)" }.sorted().joined(separator: ", "))")
    }
    return validated
  }

  /// The rule "a score is given by a member of the panel, for an item of the panel's kind, on
  /// its compound and company (a five-party panel: any company of its division), from 0 to the
  /// item's full marks": the member's seat.
  /// The rule "an evaluator scores only in their own seat": a caller with the evaluator role must
  /// be `evaluatorID`; staff who may write to the evaluation service enter paper forms for an
  /// evaluator, and the score records them. Returns who entered the score for the evaluator
  /// (empty when the evaluator scored in person).
  /// - Throws: `DomainError.permissionDenied` when an evaluator names another evaluator.
  public static func enteredBy(evaluatorID: String, caller: Principal) throws(DomainError) -> String {
    if caller.subject == evaluatorID { return "" }
    guard caller.role != .evaluator else {
      throw DomainError.permissionDenied(
        reason:
          "\(caller.subject) scores only in their own seat, not as \(evaluatorID); paper forms are entered by staff")
    }
    return caller.subject
  }

  public static func checkScore(
    _ request: Governance_Evaluation_V1_SubmitScoreRequest, panel: Panel, item: ScoringItemRules.ScoringItem
  ) throws(DomainError) -> Governance_Evaluation_V1_PanelMember {
    guard let seat = panel.members.first(where: { $0.evaluatorID == request.evaluatorID }) else {
      throw DomainError.permissionDenied(reason: "\(request.evaluatorID) holds no seat on panel \(panel.id)")
    }
    guard item.active else {
      throw DomainError.failedPrecondition(
        rule: "a \(panel.kind) panel scores active items", detail: "item \(item.code) is inactive")
    }
    guard item.use == itemUse[panel.kind] else {
      throw DomainError.failedPrecondition(
        rule: "a \(panel.kind) panel scores \(itemUse[panel.kind] ?? .unspecified) items",
        detail: "item \(item.code) is \(item.use)")
    }
    guard DivisionCode.code(item.divisionCode, contains: panel.divisionCode) else {
      throw DomainError.failedPrecondition(
        rule: "an item applies in the division that defined it and below",
        detail: "item \(item.code) of \(item.divisionCode) does not apply in \(panel.divisionCode)")
    }
    if panel.kind == .fourParty {
      guard request.companyID == panel.companyID, request.compoundID == panel.compoundID else {
        throw DomainError.invalidArgument(
          field: "company_id",
          rule: "a four-party panel scores its own compound \(panel.compoundID) and company \(panel.companyID)")
      }
    }
    guard request.value.isFinite, request.value >= 0, request.value <= item.fullMarks else {
      throw DomainError.invalidArgument(
        field: "value", rule: "from 0 to the item's full marks \(item.fullMarks), got \(request.value)")
    }
    return seat
  }
}

extension Panels {
  /// The rule "a panel copies its members from a panel of the same kind".
  public static func checkCopiedFrom(_ earlier: Panel, into panel: Panel) throws(DomainError) {
    guard earlier.kind == panel.kind else {
      throw DomainError.invalidArgument(
        field: "copy_members_from_panel_id", rule: "a panel of the same kind; \(earlier.id) is \(earlier.kind)")
    }
  }

  /// The rule "a score is given in its panel's period": a `periodID` sent with it, if any, is the panel's.
  public static func checkScorePeriod(_ periodID: String, of panel: Panel) throws(DomainError) {
    guard periodID.isEmpty || periodID == panel.periodID else {
      throw DomainError.invalidArgument(field: "period_id", rule: "the panel's period \(panel.periodID)")
    }
  }
}
