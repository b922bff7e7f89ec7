import GRDB
import GovernanceAPI
import ServiceKit

// What each evaluation record is stored as: its table (created by the migrations in
// EvaluationStore.swift), the prefix of its ids, its name in NOT_FOUND, and its indexed columns.

extension Governance_Evaluation_V1_CaseSatisfaction: StoredRecord {
  public static let table = "case_satisfaction"
  public static let idPrefix = "csat"
  public static let resourceName = "case satisfaction"
  public var indexedColumns: KeyValuePairs<String, (any DatabaseValueConvertible)?> {
    ["division_code": divisionCode, "period_id": periodID, "compound_id": compoundID, "company_id": companyID]
  }
}

extension Governance_Evaluation_V1_CompositeScore: StoredRecord {
  public static let table = "composite_score"
  public static let idPrefix = "cmp"
  public static let resourceName = "composite score"
  public var indexedColumns: KeyValuePairs<String, (any DatabaseValueConvertible)?> {
    [
      "division_code": divisionCode, "period_id": periodID, "company_id": companyID,
      "total": total, "stars": stars, "list_status": listStatus.rawValue,
      "state": state.rawValue,
    ]
  }
}

extension Governance_Evaluation_V1_PairedUnitEvaluation: StoredRecord {
  public static let table = "paired_unit_evaluation"
  public static let idPrefix = "pue"
  public static let resourceName = "paired unit evaluation"
  public var indexedColumns: KeyValuePairs<String, (any DatabaseValueConvertible)?> {
    [
      "division_code": divisionCode, "period_id": periodID, "paired_unit_id": pairedUnitID,
      "compound_id": compoundID, "grade": grade.rawValue,
    ]
  }
}

extension Governance_Evaluation_V1_Panel: StoredRecord {
  public static let table = "panel"
  public static let idPrefix = "pnl"
  public static let resourceName = "panel"
  public var indexedColumns: KeyValuePairs<String, (any DatabaseValueConvertible)?> {
    [
      "division_code": divisionCode, "kind": kind.rawValue, "period_id": periodID,
      "compound_id": compoundID.isEmpty ? nil : compoundID,
      "company_id": companyID.isEmpty ? nil : companyID,
      "panel_key": EvaluationStore.panelKey(self),
    ]
  }
}

extension Governance_Evaluation_V1_EvaluationPeriod: StoredRecord {
  public static let table = "period"
  public static let idPrefix = "per"
  public static let resourceName = "period"
  public var indexedColumns: KeyValuePairs<String, (any DatabaseValueConvertible)?> {
    [
      "division_code": divisionCode, "kind": kind.rawValue, "year": year, "number": number,
      "state": state.rawValue, "start_date": CalendarDate.iso(startDate),
      "end_date": CalendarDate.iso(endDate),
    ]
  }
}

extension Governance_Evaluation_V1_Publication: StoredRecord {
  public static let table = "publication"
  public static let idPrefix = "pub"
  public static let resourceName = "publication"
  public var indexedColumns: KeyValuePairs<String, (any DatabaseValueConvertible)?> {
    [
      "division_code": divisionCode, "period_id": periodID,
      // The year of publication, in the city's calendar.
      "state": state.rawValue, "year": CalendarDate.today(at: publishTime.date).year,
    ]
  }
}

extension Governance_Evaluation_V1_RatingPolicy: StoredRecord {
  public static let table = "rating_policy"
  public static let idPrefix = "pol"
  public static let resourceName = "policy"
  public var indexedColumns: KeyValuePairs<String, (any DatabaseValueConvertible)?> {
    ["division_code": divisionCode]
  }
}

extension Governance_Evaluation_V1_RectificationOrder: StoredRecord {
  public static let table = "rectification_order"
  public static let idPrefix = "rect"
  public static let resourceName = "order"
  public var indexedColumns: KeyValuePairs<String, (any DatabaseValueConvertible)?> {
    [
      "division_code": divisionCode, "company_id": companyID, "compound_id": compoundID,
      "period_id": periodID.isEmpty ? nil : periodID, "state": state.rawValue,
      "deadline": CalendarDate.iso(deadline),
    ]
  }
}

extension Governance_Evaluation_V1_Score: StoredRecord {
  public static let table = "score"
  public static let idPrefix = "scr"
  public static let resourceName = "score"
  public var indexedColumns: KeyValuePairs<String, (any DatabaseValueConvertible)?> {
    [
      "division_code": divisionCode, "period_id": periodID, "panel_id": panelID,
      "panel_kind":
        (Panels.roles[.fourParty, default: []].contains(role)
        ? Governance_Evaluation_V1_PanelKind.fourParty : .fiveParty).rawValue,
      "evaluator_id": evaluatorID, "item_id": itemID, "company_id": companyID,
      "compound_id": compoundID,
    ]
  }
}

extension Governance_Evaluation_V1_ScoringItem: StoredRecord {
  public static let table = "scoring_item"
  public static let idPrefix = "item"
  public static let resourceName = "scoring item"
  public var indexedColumns: KeyValuePairs<String, (any DatabaseValueConvertible)?> {
    ["division_code": divisionCode, "code": code, "use": use.rawValue, "active": active]
  }
}

extension Governance_Evaluation_V1_SurveyResponse: StoredRecord {
  public static let table = "survey_response"
  public static let idPrefix = "srv"
  public static let resourceName = "survey response"
  public var indexedColumns: KeyValuePairs<String, (any DatabaseValueConvertible)?> {
    [
      "division_code": divisionCode, "period_id": periodID, "compound_id": compoundID,
      "company_id": companyID,
    ]
  }
}
