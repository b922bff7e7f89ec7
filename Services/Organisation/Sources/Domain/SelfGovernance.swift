import Foundation
import GovernanceAPI
import ServiceKit

/// Self-governance bodies (自治组织) and the party's share in them.
public enum SelfGovernance {
  public typealias Kind = Governance_Organisation_V1_GovernanceBodyKind
  public typealias Body = Governance_Organisation_V1_GovernanceBody

  /// The party share a body must keep: an area owners' committee more than half (片区业委会党员
  /// 过半), a property-management guidance committee at least 30%; other bodies none.
  public enum RequiredShare: Equatable, Sendable {
    case none
    case above(Double)
    case atLeast(Double)

    public func holds(_ share: Double) -> Bool {
      switch self {
      case .none: true
      case .above(let threshold): share > threshold
      case .atLeast(let threshold): share >= threshold - 1e-9
      }
    }

    public var description: String {
      switch self {
      case .none: ""
      case .above(let threshold): "more than \(Int(threshold * 100))%"
      case .atLeast(let threshold): "at least \(Int(threshold * 100))%"
      }
    }
  }

  public static func requiredShare(for kind: Kind) -> RequiredShare {
    switch kind {
    case .areaOwnersCommittee: .above(0.5)
    case .propertyManagementGuidanceCommittee: .atLeast(0.3)
    default: .none
    }
  }

  /// The party members' share of a body's `members`, 0 for an empty body.
  public static func share(members: Int, partyMembers: Int) -> Double {
    members == 0 ? 0 : Double(partyMembers) / Double(members)
  }

  /// The rule "a body keeps its required party share on every change": FAILED_PRECONDITION
  /// stating the share before and after.
  public static func checkPartyShare(
    kind: Kind, before: (members: Int, party: Int), after: (members: Int, party: Int)
  ) throws(DomainError) -> Governance_Organisation_V1_PartyShareChange {
    let change = Governance_Organisation_V1_PartyShareChange.with {
      $0.shareBefore = share(members: before.members, partyMembers: before.party)
      $0.shareAfter = share(members: after.members, partyMembers: after.party)
      $0.memberCountAfter = Int32(after.members)
      $0.partyMemberCountAfter = Int32(after.party)
    }
    let required = requiredShare(for: kind)
    if after.members > 0, !required.holds(change.shareAfter) {
      let (from, to) = (percent(change.shareBefore), percent(change.shareAfter))
      throw DomainError.failedPrecondition(
        rule: "a \(kind) keeps a party share of \(required.description)",
        detail: "from \(from) (\(before.party) of \(before.members)) to \(to) (\(after.party) of \(after.members))")
    }
    return change
  }

  /// A share as a percentage with one decimal, e.g. `66.7%`.
  static func percent(_ share: Double) -> String { String(format: "%.1f%%", share * 100) }

  /// The rule "an owners' committee is for a compound with a property company, a
  /// self-management committee for one without" (业委会 / 自管会).
  public static func checkCompoundManagement(kind: Kind, compound: Governance_Property_V1_Compound) throws(DomainError)
  {
    let hasCompany = !compound.currentCompanyID.isEmpty
    switch kind {
    case .ownersCommittee where !hasCompany:
      throw DomainError.failedPrecondition(
        rule: "an owners' committee is elected in a compound with a property company",
        detail: "compound \(compound.id) \(compound.name) has none; form a self-management committee")
    case .selfManagementCommittee where hasCompany:
      throw DomainError.failedPrecondition(
        rule: "a self-management committee is for a compound without a property company",
        detail: "compound \(compound.id) \(compound.name) is served by company \(compound.currentCompanyID)")
    default:
      return
    }
  }

  /// The rule "a body is named, of a known kind, in a community, and an owners' or
  /// self-management committee serves exactly one compound".
  public static func validateNew(_ body: Body) throws(DomainError) -> Body {
    var validated = body
    validated.name = try FieldValidation.requiredName(body.name, field: "body.name")
    validated.kind = try FieldValidation.requiredCase(
      body.kind, field: "body.kind", unspecified: .unspecified,
      known: [
        .ownersCommittee, .selfManagementCommittee, .areaOwnersCommittee, .propertyManagementGuidanceCommittee,
        .partyMassCouncil,
      ])
    let division = try DivisionCode(body.divisionCode, field: "body.division_code")
    guard division.level >= .street else {
      throw DomainError.invalidArgument(
        field: "body.division_code", rule: "a body serves a street, community or grid, got a \(division.level)")
    }
    if body.kind == .ownersCommittee || body.kind == .selfManagementCommittee {
      guard body.compoundIds.count == 1 else {
        throw DomainError.invalidArgument(
          field: "body.compound_ids", rule: "an owners' or self-management committee serves exactly one compound")
      }
    }
    if body.hasTermStartDate, body.hasTermEndDate {
      try checkTerm(start: body.termStartDate, end: body.termEndDate, field: "body.term_end_date")
    }
    validated.status = .active
    validated.memberCount = 0
    validated.partyMemberCount = 0
    validated.partyShare = 0
    validated.requiredPartyShare = requiredShare(for: body.kind).description
    return validated
  }

  /// The rule "a term ends after it starts".
  public static func checkTerm(
    start: Governance_Common_V1_Date, end: Governance_Common_V1_Date, field: String
  ) throws(DomainError) {
    try CalendarDate.validate(start, field: field.replacingOccurrences(of: "end", with: "start"))
    try CalendarDate.validate(end, field: field)
    guard (end.year, end.month, end.day) > (start.year, start.month, start.day) else {
      throw DomainError.invalidArgument(field: field, rule: "the end date comes after the start date")
    }
  }

  /// The rule "nobody on the candidate negative list is appointed": the entry that bars a
  /// candidate, matched by ID number or party member id and still valid on `today`.
  public static func barringEntry(
    for candidate: Governance_Organisation_V1_BodyMember, idNumber: String,
    entries: [(entry: Governance_Organisation_V1_NegativeListEntry, idNumber: String)],
    today: Governance_Common_V1_Date
  ) -> Governance_Organisation_V1_NegativeListEntry? {
    entries.first { pair in
      let matches =
        (!idNumber.isEmpty && pair.idNumber == idNumber)
        || (!candidate.partyMemberID.isEmpty && pair.entry.partyMemberID == candidate.partyMemberID)
      let until = pair.entry.validUntil
      let valid =
        !pair.entry.hasValidUntil || (until.year, until.month, until.day) >= (today.year, today.month, today.day)
      return matches && valid
    }?.entry
  }
}

/// Positions (职务) in party organisations: secretaries, deputies, committee members, first
/// secretaries dispatched by the street (第一书记), building group leaders.
public enum Positions {
  /// The rule "one current secretary per organisation; a first secretary is dispatched and says
  /// by whom; a group leader leads a building group": validates an appointment.
  public static func validate(
    _ request: Governance_Organisation_V1_AppointPositionRequest, organisation: Governance_Organisation_V1_Organisation,
    member: Governance_Organisation_V1_PartyMember, currentSecretaries: Int
  ) throws(DomainError) -> Governance_Organisation_V1_Position {
    let kind = try FieldValidation.requiredCase(
      request.kind, field: "kind", unspecified: .unspecified,
      known: [.secretary, .deputySecretary, .committeeMember, .firstSecretary, .groupLeader])
    let method = try FieldValidation.requiredCase(
      request.selectionMethod, field: "selection_method", unspecified: .unspecified,
      known: [.selfNomination, .communityRecommendation, .streetAppointment])
    guard organisation.status == .active, member.status == .active else {
      throw DomainError.failedPrecondition(
        rule: "positions are held by active members in active organisations",
        detail: "organisation \(organisation.id) is \(organisation.status), member \(member.id) is \(member.status)")
    }
    if kind == .groupLeader, organisation.level != .buildingGroup {
      throw DomainError.invalidArgument(
        field: "kind", rule: "a group leader leads a building group, not a \(organisation.level)")
    }
    if kind == .firstSecretary {
      guard method == .streetAppointment, !request.dispatchingUnit.trimmingCharacters(in: .whitespaces).isEmpty else {
        throw DomainError.invalidArgument(
          field: "dispatching_unit", rule: "a first secretary is appointed by the street and names the dispatching unit"
        )
      }
    }
    if kind == .secretary, currentSecretaries > 0 {
      throw DomainError.failedPrecondition(
        rule: "an organisation has one current secretary", detail: "\(organisation.id) has one; end it first")
    }
    if request.hasEndDate {
      try SelfGovernance.checkTerm(start: request.startDate, end: request.endDate, field: "end_date")
    } else if request.hasStartDate {
      try CalendarDate.validate(request.startDate, field: "start_date")
    }
    return .with {
      $0.divisionCode = organisation.divisionCode
      $0.organisationID = organisation.id
      $0.memberID = member.id
      $0.memberName = member.contact.name
      $0.kind = kind
      $0.selectionMethod = method
      $0.dispatchingUnit = request.dispatchingUnit
      $0.startDate = request.startDate
      if request.hasEndDate { $0.endDate = request.endDate }
      if request.hasPreAppointmentTalk { $0.preAppointmentTalk = request.preAppointmentTalk }
    }
  }

  /// The rule "one shoulder" (一肩挑): the chair of a compound's owners' or self-management
  /// committee is the secretary of that compound's branch.
  public static func isOneShoulder(chairPartyMemberID: String, compoundBranchSecretaries: Set<String>) -> Bool {
    !chairPartyMemberID.isEmpty && compoundBranchSecretaries.contains(chairPartyMemberID)
  }
}

extension Positions {
  /// The rule "a position ends once".
  public static func checkEnd(_ position: Governance_Organisation_V1_Position) throws(DomainError) {
    guard position.endReason.isEmpty else {
      throw DomainError.failedPrecondition(rule: "a position ends once", detail: "\(position.id) already ended")
    }
  }
}

extension SelfGovernance {
  /// The rule "members join an active body".
  public static func checkJoin(_ body: Body) throws(DomainError) {
    guard body.status == .active else {
      throw DomainError.failedPrecondition(
        rule: "members join an active body", detail: "body \(body.id) is \(body.status)")
    }
  }

  /// The rule "nobody on the candidate negative list (负面清单) is appointed": FAILED_PRECONDITION
  /// naming the candidate (`maskedName`) and the entry `barring` them, when there is one.
  public static func checkNotBarred(
    _ maskedName: String, by barring: Governance_Organisation_V1_NegativeListEntry?
  ) throws(DomainError) {
    guard let barring else { return }
    throw DomainError.failedPrecondition(
      rule: "nobody on the candidate negative list (负面清单) is appointed",
      detail: "\(maskedName) is listed (\(barring.reason), entry \(barring.id))")
  }

  /// The rule "a membership ends once".
  public static func checkEndMembership(_ member: Governance_Organisation_V1_BodyMember) throws(DomainError) {
    guard !member.hasEndedDate else {
      throw DomainError.failedPrecondition(rule: "a membership ends once", detail: "\(member.id) already ended")
    }
  }
}

extension SelfGovernance {
  /// The rule "a negative-list entry names its person by ID number or party member".
  public static func checkNamesPerson(
    _ contact: Governance_Common_V1_ResidentContact, partyMemberID: String
  ) throws(DomainError) {
    guard !contact.idNumber.isEmpty || !partyMemberID.isEmpty else {
      throw DomainError.invalidArgument(
        field: "entry.contact.id_number", rule: "an entry names its person by ID number or party_member_id")
    }
  }
}
