import GRDB
import GovernanceAPI
import ServiceKit

// What each volunteers record is stored as: its table (created by the migrations in
// VolunteersStore.swift), the prefix of its ids, its name in NOT_FOUND, and its indexed columns.

extension Governance_Volunteers_V1_MicroWish: StoredRecord {
  public static let table = "micro_wish"
  public static let idPrefix = "wish"
  public static let resourceName = "micro-wish"
  public var indexedColumns: KeyValuePairs<String, (any DatabaseValueConvertible)?> {
    [
      "division_code": divisionCode, "compound_id": compoundID.isEmpty ? nil : compoundID,
      "state": state.rawValue, "category": category,
      "claimant_kind": hasClaimant ? claimant.kind.rawValue : nil,
      "claimant_id": hasClaimant ? claimant.id : nil,
      "resident_principal_id": residentPrincipalID.isEmpty ? nil : residentPrincipalID,
      "expire_date": CalendarDate.iso(expireDate),
      "confirm_date": hasConfirmTime ? CalendarDate.iso(CalendarDate.today(at: confirmTime.date)) : nil,
    ]
  }
}

extension Governance_Volunteers_V1_Mobilisation: StoredRecord {
  public static let table = "mobilisation"
  public static let idPrefix = "mob"
  public static let resourceName = "mobilisation"
  public var indexedColumns: KeyValuePairs<String, (any DatabaseValueConvertible)?> {
    [
      "division_code": divisionCode, "team_id": teamID, "case_id": caseID,
      "state": state.rawValue,
    ]
  }
}

extension Governance_Volunteers_V1_PostClaim: StoredRecord {
  public static let table = "post_claim"
  public static let idPrefix = "clm"
  public static let resourceName = "post claim"
  public var indexedColumns: KeyValuePairs<String, (any DatabaseValueConvertible)?> {
    [
      "division_code": divisionCode, "post_id": postID, "volunteer_id": volunteerID,
      "state": state.rawValue, "claim_date": CalendarDate.iso(CalendarDate.today(at: claimTime.date)),
    ]
  }
}

extension Governance_Volunteers_V1_ServicePost: StoredRecord {
  public static let table = "service_post"
  public static let idPrefix = "post"
  public static let resourceName = "post"
  public var indexedColumns: KeyValuePairs<String, (any DatabaseValueConvertible)?> {
    [
      "division_code": divisionCode, "state": state.rawValue,
      "compound_id": compoundID.isEmpty ? nil : compoundID,
      "project_id": projectID.isEmpty ? nil : projectID, "skills": VolunteersStore.tagColumn(skills),
    ]
  }
}

extension Governance_Volunteers_V1_ServiceProject: StoredRecord {
  public static let table = "service_project"
  public static let idPrefix = "prj"
  public static let resourceName = "project"
  public var indexedColumns: KeyValuePairs<String, (any DatabaseValueConvertible)?> {
    [
      "division_code": divisionCode, "compound_id": compoundID, "kind": kind.rawValue,
      "active": active, "team_ids": VolunteersStore.tagColumn(teamIds),
    ]
  }
}

extension Governance_Volunteers_V1_ServiceRecord: StoredRecord {
  public static let table = "service_record"
  public static let idPrefix = "rec"
  public static let resourceName = "service record"
  public var indexedColumns: KeyValuePairs<String, (any DatabaseValueConvertible)?> {
    [
      "division_code": divisionCode, "volunteer_id": volunteerID,
      "team_id": teamID.isEmpty ? nil : teamID, "state": state.rawValue,
      "start_date": CalendarDate.iso(CalendarDate.today(at: startTime.date)), "hours": hours,
      "residents_served": residentsServed,
    ]
  }
}

extension Governance_Volunteers_V1_Team: StoredRecord {
  public static let table = "team"
  public static let idPrefix = "team"
  public static let resourceName = "team"
  public var indexedColumns: KeyValuePairs<String, (any DatabaseValueConvertible)?> {
    ["division_code": divisionCode, "name": name, "kind": kind.rawValue, "active": active]
  }
}

extension Governance_Volunteers_V1_Volunteer: StoredRecord {
  public static let table = "volunteer"
  public static let idPrefix = "vol"
  public static let resourceName = "volunteer"
  public var indexedColumns: KeyValuePairs<String, (any DatabaseValueConvertible)?> {
    [
      "division_code": divisionCode, "kind": kind.rawValue,
      "compound_id": compoundID.isEmpty ? nil : compoundID,
      "party_member_id": hasPartyMemberID ? partyMemberID : nil, "active": active,
      "skills": VolunteersStore.tagColumn(skills),
    ]
  }
}
