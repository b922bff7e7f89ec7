import Foundation
import GovernanceAPI
import ServiceKit

/// Joint conferences (党建联席会议) of a community party committee with paired units, compound
/// branches, owners' committees and property companies: at least one per quarter, their agenda
/// feeding the four lists (information, resources, needs, risks 四张清单).
public enum JointConferences {
  /// The quarter (1 to 4) of a date in the city's calendar.
  public static func quarter(of time: Date) -> (year: Int32, quarter: Int32) {
    let date = CalendarDate.today(at: time)
    return (date.year, (date.month - 1) / 3 + 1)
  }

  /// The rule "a conference is held by a community party committee, at a time, with a title and
  /// at least one participant besides the committee": validates a conference to record.
  public static func validateNew(
    _ conference: Governance_Organisation_V1_Conference, organisation: Governance_Organisation_V1_Organisation
  ) throws(DomainError) -> Governance_Organisation_V1_Conference {
    guard organisation.level == .communityCommittee, organisation.status == .active else {
      throw DomainError.failedPrecondition(
        rule: "joint conferences are held by an active community party committee",
        detail: "\(organisation.id) is a \(organisation.level), \(organisation.status)")
    }
    var validated = conference
    validated.title = try FieldValidation.requiredName(conference.title, field: "conference.title")
    validated.location = try FieldValidation.optionalText(
      conference.location, field: "conference.location", maximumLength: 200)
    validated.minutes = try FieldValidation.optionalText(
      conference.minutes, field: "conference.minutes", maximumLength: 20_000)
    guard conference.hasHeldTime else {
      throw DomainError.invalidArgument(field: "conference.held_time", rule: "is required")
    }
    guard conference.participants.contains(where: { $0.kind != .communityPartyCommittee && $0.kind != .unspecified })
    else {
      throw DomainError.invalidArgument(
        field: "conference.participants", rule: "a joint conference brings in at least one unit beside the committee")
    }
    for (index, item) in conference.agenda.enumerated() {
      validated.agenda[index].title = try FieldValidation.requiredName(
        item.title, field: "conference.agenda[\(index)].title")
    }
    let (year, quarter) = quarter(of: conference.heldTime.date)
    validated.year = year
    validated.quarter = quarter
    validated.divisionCode = organisation.divisionCode
    return validated
  }

  /// The rule "committees that have not met are reminded when the quarter's last month begins":
  /// the quarter whose gaps are reminded of at `time`, or nil in its first two months. The
  /// reminder leaves a month to hold the conference the quarter requires.
  public static func gapReminderQuarter(at time: Date) -> (year: Int32, quarter: Int32)? {
    let date = CalendarDate.today(at: time)
    guard date.month % 3 == 0 else { return nil }
    return quarter(of: time)
  }

  /// The rule "a quarter is named by its year and a number from 1 to 4".
  public static func checkQuarter(year: Int32, quarter: Int32) throws(DomainError) {
    guard (2000...2100).contains(year) else {
      throw DomainError.invalidArgument(field: "year", rule: "from 2000 to 2100, got \(year)")
    }
    guard (1...4).contains(quarter) else {
      throw DomainError.invalidArgument(field: "quarter", rule: "from 1 to 4, got \(quarter)")
    }
  }
}

/// Cross-appointment (双向进入、交叉任职) between community committees and property companies.
public enum CrossAppointments {
  /// The rule "a cross-appointment names its direction, the person, both sides and its start,
  /// and ends after it starts".
  public static func validateNew(
    _ appointment: Governance_Organisation_V1_CrossAppointment, community: Governance_Organisation_V1_Organisation
  ) throws(DomainError) -> Governance_Organisation_V1_CrossAppointment {
    var validated = appointment
    validated.direction = try FieldValidation.requiredCase(
      appointment.direction, field: "appointment.direction", unspecified: .unspecified,
      known: [.communityToCompany, .companyToCommunity])
    validated.personName = try FieldValidation.requiredName(
      appointment.personName, field: "appointment.person_name", maximumLength: 50)
    validated.communityPost = try FieldValidation.requiredName(
      appointment.communityPost, field: "appointment.community_post", maximumLength: 50)
    validated.companyPost = try FieldValidation.requiredName(
      appointment.companyPost, field: "appointment.company_post", maximumLength: 50)
    _ = try FieldValidation.requiredID(appointment.propertyCompanyID, field: "appointment.property_company_id")
    guard community.level == .communityCommittee else {
      throw DomainError.failedPrecondition(
        rule: "cross-appointments join a community party committee and a property company",
        detail: "\(community.id) is a \(community.level)")
    }
    guard appointment.hasStartDate else {
      throw DomainError.invalidArgument(field: "appointment.start_date", rule: "is required")
    }
    if appointment.hasEndDate {
      try SelfGovernance.checkTerm(
        start: appointment.startDate, end: appointment.endDate, field: "appointment.end_date")
    } else {
      try CalendarDate.validate(appointment.startDate, field: "appointment.start_date")
    }
    validated.divisionCode = community.divisionCode
    validated.endReason = ""
    return validated
  }
}

/// Paired units (结对/包保单位) taking on a compound under "one package, five helps" (一包五帮):
/// set up a party organisation, set up a self-governance body, select a property company or
/// staff, resolve disputes, coordinate funds and security; evaluated every quarter by the street.
public enum Pairings {
  public static let fiveHelps: [Governance_Organisation_V1_HelpKind] = [
    .partyOrganisation, .selfGovernanceBody, .propertyService, .disputeResolution, .fundsAndSecurity,
  ]

  /// A new pairing starts with each of the five helps not started.
  public static func initialHelps(on date: Governance_Common_V1_Date) -> [Governance_Organisation_V1_HelpProgress] {
    fiveHelps.map { help in
      .with {
        $0.help = help
        $0.status = .notStarted
        $0.updatedDate = date
      }
    }
  }

  /// The rule "each help moves on its own, and a done help is not reopened": the helps after
  /// setting `help` to `status`.
  public static func update(
    _ helps: [Governance_Organisation_V1_HelpProgress], help: Governance_Organisation_V1_HelpKind,
    to status: Governance_Organisation_V1_HelpStatus, notes: String, on date: Governance_Common_V1_Date
  ) throws(DomainError) -> [Governance_Organisation_V1_HelpProgress] {
    let help = try FieldValidation.requiredCase(help, field: "help", unspecified: .unspecified, known: fiveHelps)
    let status = try FieldValidation.requiredCase(
      status, field: "status", unspecified: .unspecified, known: [.notStarted, .inProgress, .done, .notNeeded])
    var updated = helps
    guard let index = updated.firstIndex(where: { $0.help == help }) else {
      throw DomainError.notFound(resource: "help of pairing", id: "\(help)")
    }
    if updated[index].status == .done, status != .done {
      throw DomainError.failedPrecondition(rule: "a help that is done stays done", detail: "\(help) is done")
    }
    updated[index].status = status
    updated[index].notes = try FieldValidation.optionalText(notes, field: "notes")
    updated[index].updatedDate = date
    return updated
  }
}

extension CrossAppointments {
  /// The rule "a cross-appointment ends once".
  public static func checkEnd(_ appointment: Governance_Organisation_V1_CrossAppointment) throws(DomainError) {
    guard appointment.endReason.isEmpty else {
      throw DomainError.failedPrecondition(
        rule: "a cross-appointment ends once", detail: "\(appointment.id) already ended")
    }
  }
}

extension Pairings {
  /// The rule "pairings are evaluated by the street working committee of their street".
  public static func checkEvaluator(
    _ evaluator: Governance_Organisation_V1_Organisation, of pairing: Governance_Organisation_V1_Pairing
  ) throws(DomainError) {
    guard evaluator.level == .streetWorkingCommittee,
      DivisionCode.code(evaluator.divisionCode, contains: pairing.divisionCode)
    else {
      throw DomainError.failedPrecondition(
        rule: "pairings are evaluated by the street working committee of their street",
        detail: "\(evaluator.id) is a \(evaluator.level) of \(evaluator.divisionCode)")
    }
  }
}

extension Pairings {
  /// The rule "a paired unit (共建单位) has a name, a kind and a division; its credit code, when
  /// given, has 18 characters; its contact is kept masked": validates a new unit.
  public static func validateNewUnit(
    _ unit: Governance_Organisation_V1_PairedUnit
  ) throws(DomainError) -> Governance_Organisation_V1_PairedUnit {
    var validated = unit
    validated.name = try FieldValidation.requiredName(unit.name, field: "unit.name")
    validated.kind = try FieldValidation.requiredCase(
      unit.kind, field: "unit.kind", unspecified: .unspecified,
      known: Governance_Organisation_V1_PairedUnitKind.allCases.filter { $0 != .unspecified })
    _ = try DivisionCode(unit.divisionCode, field: "unit.division_code")
    if !unit.unifiedSocialCreditCode.isEmpty {
      guard unit.unifiedSocialCreditCode.count == 18 else {
        throw DomainError.invalidArgument(field: "unit.unified_social_credit_code", rule: "has 18 characters")
      }
    }
    validated.responsibleLeader = try FieldValidation.optionalText(
      unit.responsibleLeader, field: "unit.responsible_leader", maximumLength: 50)
    if !unit.contact.name.isEmpty {
      validated.contact = PersonalData.masked(try PersonalData.validate(unit.contact, field: "unit.contact"))
    }
    return validated
  }

  /// The rule "a unit pairs with a compound or with a community": the community `code` names.
  public static func community(_ code: String) throws(DomainError) -> DivisionCode {
    let community = try DivisionCode(code, field: "community_division_code")
    guard community.level == .community else {
      throw DomainError.invalidArgument(
        field: "community_division_code", rule: "names a community, got a \(community.level)")
    }
    return community
  }

  /// The rule "a pairing's quarterly evaluation names the pairing and its evaluator, a quarter, a
  /// grade and a score from 0 to 100": validates one, dated `time`'s day when undated.
  public static func validateEvaluation(
    _ evaluation: Governance_Organisation_V1_PairingEvaluation, at time: Date
  ) throws(DomainError) -> Governance_Organisation_V1_PairingEvaluation {
    var validated = evaluation
    _ = try FieldValidation.requiredID(evaluation.pairingID, field: "evaluation.pairing_id")
    _ = try FieldValidation.requiredID(
      evaluation.evaluatorOrganisationID, field: "evaluation.evaluator_organisation_id")
    try JointConferences.checkQuarter(year: evaluation.year, quarter: evaluation.quarter)
    validated.grade = try FieldValidation.requiredCase(
      evaluation.grade, field: "evaluation.grade", unspecified: .unspecified, known: [.excellent, .good, .fair, .poor])
    guard (0...100).contains(evaluation.score) else {
      throw DomainError.invalidArgument(field: "evaluation.score", rule: "from 0 to 100, got \(evaluation.score)")
    }
    validated.comment = try FieldValidation.optionalText(evaluation.comment, field: "evaluation.comment")
    if !evaluation.hasEvaluatedDate { validated.evaluatedDate = CalendarDate.today(at: time) }
    return validated
  }
}
