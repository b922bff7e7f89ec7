import GRDB
import GovernanceAPI
import ServiceKit

// What each organisation record is stored as: its table (created by the migrations in
// OrganisationStore.swift), the prefix of its ids, its name in NOT_FOUND, and its indexed columns.

extension Governance_Organisation_V1_BodyMember: StoredRecord {
  public static let table = "body_member"
  public static let idPrefix = "bm"
  public static let resourceName = "body member"
  public var indexedColumns: KeyValuePairs<String, (any DatabaseValueConvertible)?> {
    [
      "division_code": divisionCode, "body_id": bodyID,
      "party_member_id": partyMemberID.isEmpty ? nil : partyMemberID,
      "is_party_member": isPartyMember, "post": post.rawValue, "active": !hasEndedDate,
    ]
  }
}

extension Governance_Organisation_V1_CommunityRegistration: StoredRecord {
  public static let table = "community_registration"
  public static let idPrefix = "reg"
  public static let resourceName = "community registration"
  public var indexedColumns: KeyValuePairs<String, (any DatabaseValueConvertible)?> {
    ["division_code": divisionCode, "member_id": memberID, "active": !hasEndedDate]
  }
}

extension Governance_Organisation_V1_Conference: StoredRecord {
  public static let table = "conference"
  public static let idPrefix = "conf"
  public static let resourceName = "conference"
  public var indexedColumns: KeyValuePairs<String, (any DatabaseValueConvertible)?> {
    [
      "division_code": divisionCode, "organisation_id": organisationID, "year": year,
      "quarter": quarter, "held_at": heldTime.date,
    ]
  }
}

extension Governance_Organisation_V1_CrossAppointment: StoredRecord {
  public static let table = "cross_appointment"
  public static let idPrefix = "xa"
  public static let resourceName = "cross-appointment"
  public var indexedColumns: KeyValuePairs<String, (any DatabaseValueConvertible)?> {
    [
      "division_code": divisionCode,
      "party_member_id": partyMemberID.isEmpty ? nil : partyMemberID,
      "person_name": personName, "property_company_id": propertyCompanyID,
      "direction": direction.rawValue, "current": endReason.isEmpty,
    ]
  }
}

extension Governance_Organisation_V1_GovernanceBody: StoredRecord {
  public static let table = "governance_body"
  public static let idPrefix = "body"
  public static let resourceName = "body"
  public var indexedColumns: KeyValuePairs<String, (any DatabaseValueConvertible)?> {
    [
      "division_code": divisionCode, "kind": kind.rawValue, "status": status.rawValue,
      "compound_id": compoundIds.count == 1 ? compoundIds[0] : nil,
    ]
  }
}

extension Governance_Organisation_V1_MajorMatterReport: StoredRecord {
  public static let table = "major_matter"
  public static let idPrefix = "mm"
  public static let resourceName = "major matter"
  public var indexedColumns: KeyValuePairs<String, (any DatabaseValueConvertible)?> {
    ["division_code": divisionCode, "body_id": bodyID, "kind": kind.rawValue]
  }
}

extension Governance_Organisation_V1_NegativeListEntry: StoredRecord {
  public static let table = "negative_list_entry"
  public static let idPrefix = "neg"
  public static let resourceName = "negative list entry"
  /// The `id_number` column holds the vault's match key of the full ID number, which the record
  /// (masked) does not hold: the store writes it beside the insert.
  public var indexedColumns: KeyValuePairs<String, (any DatabaseValueConvertible)?> {
    [
      "division_code": divisionCode, "reason": reason.rawValue,
      "party_member_id": partyMemberID.isEmpty ? nil : partyMemberID,
      "valid_until": hasValidUntil ? CalendarDate.iso(validUntil) : nil,
    ]
  }
}

extension Governance_Organisation_V1_PairedUnit: StoredRecord {
  public static let table = "paired_unit"
  public static let idPrefix = "pu"
  public static let resourceName = "paired unit"
  public var indexedColumns: KeyValuePairs<String, (any DatabaseValueConvertible)?> {
    ["division_code": divisionCode, "kind": kind.rawValue]
  }
}

extension Governance_Organisation_V1_Pairing: StoredRecord {
  public static let table = "pairing"
  public static let idPrefix = "pair"
  public static let resourceName = "pairing"
  public var indexedColumns: KeyValuePairs<String, (any DatabaseValueConvertible)?> {
    [
      "division_code": divisionCode, "paired_unit_id": pairedUnitID,
      "compound_id": compoundID.isEmpty ? nil : compoundID, "current": !hasEndDate,
    ]
  }
}

extension Governance_Organisation_V1_PairingEvaluation: StoredRecord {
  public static let table = "pairing_evaluation"
  public static let idPrefix = "pev"
  public static let resourceName = "pairing evaluation"
  public var indexedColumns: KeyValuePairs<String, (any DatabaseValueConvertible)?> {
    [
      "division_code": divisionCode, "pairing_id": pairingID, "paired_unit_id": pairedUnitID,
      "year": year, "quarter": quarter,
    ]
  }
}

extension Governance_Organisation_V1_PartyMember: StoredRecord {
  public static let table = "party_member"
  public static let idPrefix = "mbr"
  public static let resourceName = "member"
  public var indexedColumns: KeyValuePairs<String, (any DatabaseValueConvertible)?> {
    [
      "division_code": divisionCode, "organisation_id": organisationID,
      "home_compound_id": homeCompoundID.isEmpty ? nil : homeCompoundID,
      "kind": kind.rawValue, "standing": standing.rawValue, "status": status.rawValue,
    ]
  }
}

extension Governance_Organisation_V1_Organisation: StoredRecord {
  public static let table = "party_organisation"
  public static let idPrefix = "org"
  public static let resourceName = "organisation"
  public var indexedColumns: KeyValuePairs<String, (any DatabaseValueConvertible)?> {
    [
      "division_code": divisionCode, "name": name, "level": level.rawValue,
      "branch_kind": branchKind.rawValue,
      "parent_id": parentID.isEmpty ? nil : parentID, "status": status.rawValue,
    ]
  }
}

extension Governance_Organisation_V1_Position: StoredRecord {
  public static let table = "position"
  public static let idPrefix = "pos"
  public static let resourceName = "position"
  public var indexedColumns: KeyValuePairs<String, (any DatabaseValueConvertible)?> {
    [
      "division_code": divisionCode, "organisation_id": organisationID, "member_id": memberID,
      "kind": kind.rawValue, "current": endReason.isEmpty,
    ]
  }
}
