import GovernanceAPI
import ServiceKit

/// Service records (服务记录): hours and residents served, counted once confirmed.
public enum ServiceHours {
  public typealias Record = Governance_Volunteers_V1_ServiceRecord

  /// The rule "a record is one activity of one volunteer in a community, more than 0 and at most
  /// 24 hours, with 0 or more residents served": validates a new record, PENDING.
  public static func validateNew(_ record: Record) throws(DomainError) -> Record {
    var validated = record
    let community = try DivisionCode(record.divisionCode, field: "record.division_code")
    guard community.level == .community else {
      throw DomainError.invalidArgument(
        field: "record.division_code", rule: "service is recorded in a community, got a \(community.level)")
    }
    validated.volunteerID = try FieldValidation.requiredID(record.volunteerID, field: "record.volunteer_id")
    validated.activity = try FieldValidation.requiredName(record.activity, field: "record.activity")
    guard record.hasStartTime else {
      throw DomainError.invalidArgument(field: "record.start_time", rule: "when the service began is required")
    }
    guard record.hours.isFinite, record.hours > 0, record.hours <= 24 else {
      throw DomainError.invalidArgument(field: "record.hours", rule: "more than 0 and at most 24, got \(record.hours)")
    }
    guard (0...10_000).contains(record.residentsServed) else {
      throw DomainError.invalidArgument(
        field: "record.residents_served", rule: "from 0 to 10000, got \(record.residentsServed)")
    }
    validated.note = try FieldValidation.optionalText(record.note, field: "record.note", maximumLength: 500)
    validated.state = .pending
    validated.confirmerRole = .unspecified
    validated.confirmedBy = ""
    validated.rejectReason = ""
    validated.clearConfirmTime()
    return validated
  }

  /// The rule "only a pending record is confirmed or rejected".
  public static func checkPending(_ record: Record) throws(DomainError) {
    guard record.state == .pending else {
      throw DomainError.failedPrecondition(
        rule: "only a pending record is confirmed or rejected", detail: "record \(record.id) is \(record.state)")
    }
  }
}

extension ServiceHours {
  /// The rule "service with a team is recorded for its members": FAILED_PRECONDITION when the
  /// record names a team its volunteer is not in.
  public static func checkTeamService(
    _ record: Governance_Volunteers_V1_ServiceRecord, volunteerIsMember: Bool
  ) throws(DomainError) {
    guard volunteerIsMember else {
      throw DomainError.failedPrecondition(
        rule: "service with a team is recorded for its members",
        detail: "\(record.volunteerID) is not in \(record.teamID)")
    }
  }
}

extension ServiceHours {
  /// The rule "a service record's post, project, wish or call-out is a registered one".
  public static func checkReference(_ id: String, field: String, registered: Bool) throws(DomainError) {
    guard registered else {
      throw DomainError.invalidArgument(field: field, rule: "names a registered record; \(id) is not")
    }
  }

  /// The rule "a span of service ends not before it starts".
  public static func checkSpan(from: Governance_Common_V1_Date?, to: Governance_Common_V1_Date?) throws(DomainError) {
    if let from, let to, CalendarDate.iso(to) < CalendarDate.iso(from) {
      throw DomainError.invalidArgument(field: "to_date", rule: "not before from_date")
    }
  }
}
