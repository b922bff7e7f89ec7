import GRDB
import GovernanceAPI
import ServiceKit

// What each property record is stored as: its table (created by the migrations in
// PropertyStore.swift), the prefix of its ids, its name in NOT_FOUND, and its indexed columns.

extension Governance_Property_V1_Acceptance: StoredRecord {
  public static let table = "acceptance"
  public static let idPrefix = "acc"
  public static let resourceName = "acceptance"
  public var indexedColumns: KeyValuePairs<String, (any DatabaseValueConvertible)?> {
    [
      "division_code": divisionCode, "compound_id": compoundID,
      "company_id": companyID, "state": state.rawValue,
      "current_step": currentStep.rawValue,
    ]
  }
}

extension Governance_Property_V1_Building: StoredRecord {
  public static let table = "building"
  public static let idPrefix = "bld"
  public static let resourceName = "building"
  public var indexedColumns: KeyValuePairs<String, (any DatabaseValueConvertible)?> {
    [
      "division_code": divisionCode, "compound_id": compoundID, "name": name,
      "leader_member_id": leaderMemberID.isEmpty ? nil : leaderMemberID,
    ]
  }
}

extension Governance_Property_V1_Compound: StoredRecord {
  public static let table = "compound"
  public static let idPrefix = "cmp"
  public static let resourceName = "compound"
  public var indexedColumns: KeyValuePairs<String, (any DatabaseValueConvertible)?> {
    [
      "division_code": divisionCode, "name": name, "kind": kind.rawValue,
      "management_mode": managementMode.rawValue, "household_count": householdCount,
      "company_id": currentCompanyID.isEmpty ? nil : currentCompanyID,
      "three_no": threeNo.noPropertyCompany || threeNo.noManagingUnit || threeNo.noSecurity,
      "three_no_all": threeNo.noPropertyCompany && threeNo.noManagingUnit && threeNo.noSecurity,
      "area": area,
    ]
  }
}

extension Governance_Property_V1_PropertyCompany: StoredRecord {
  public static let table = "property_company"
  public static let idPrefix = "co"
  public static let resourceName = "company"
  public var indexedColumns: KeyValuePairs<String, (any DatabaseValueConvertible)?> {
    [
      "division_code": divisionCode, "credit_code": unifiedSocialCreditCode,
      "star_rating": starRating, "list_status": listStatus.rawValue,
      "party_status": partyStatus.rawValue, "staff_count": staffCount,
      "party_member_count": partyMemberCount,
    ]
  }
}

extension Governance_Property_V1_ServiceCentre: StoredRecord {
  public static let table = "service_centre"
  public static let idPrefix = "ctr"
  public static let resourceName = "service centre"
  public var indexedColumns: KeyValuePairs<String, (any DatabaseValueConvertible)?> {
    ["division_code": divisionCode]
  }
}

extension Governance_Property_V1_ServiceContract: StoredRecord {
  public static let table = "service_contract"
  public static let idPrefix = "ctr"
  public static let resourceName = "contract"
  public var indexedColumns: KeyValuePairs<String, (any DatabaseValueConvertible)?> {
    [
      "division_code": divisionCode, "compound_id": compoundID, "company_id": companyID,
      "state": state.rawValue, "trial_end": CalendarDate.iso(trialEndDate),
    ]
  }
}
