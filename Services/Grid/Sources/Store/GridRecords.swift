import GRDB
import GovernanceAPI
import ServiceKit

// What each grid record is stored as: its table (created by the migrations in
// GridStore.swift), the prefix of its ids, its name in NOT_FOUND, and its indexed columns.

extension Governance_Grid_V1_Assignment: StoredRecord {
  public static let table = "assignment"
  public static let idPrefix = "asg"
  public static let resourceName = "assignment"
  public var indexedColumns: KeyValuePairs<String, (any DatabaseValueConvertible)?> {
    [
      "case_id": caseID, "worker_id": workerID, "state": state.rawValue,
      "ack_deadline": state == .pending && hasAckDeadline ? ackDeadline.seconds : nil,
    ]
  }
}

extension Governance_Grid_V1_CaseEvent: StoredRecord {
  public static let table = "case_event"
  public static let idPrefix = "evt"
  public static let resourceName = "case event"
  public var indexedColumns: KeyValuePairs<String, (any DatabaseValueConvertible)?> {
    ["division_code": divisionCode, "case_id": caseID]
  }
}

extension Governance_Grid_V1_DeadlinePolicy: StoredRecord {
  public static let table = "deadline_policy"
  public static let idPrefix = "pol"
  public static let resourceName = "policy"
  public var indexedColumns: KeyValuePairs<String, (any DatabaseValueConvertible)?> {
    ["division_code": divisionCode]
  }
}

extension Governance_Grid_V1_Division: StoredRecord {
  public static let table = "division"
  public static let idPrefix = "div"
  public static let resourceName = "division"
  public var indexedColumns: KeyValuePairs<String, (any DatabaseValueConvertible)?> {
    ["division_code": divisionCode, "name": name, "level": level.rawValue, "parent_code": parentCode]
  }
}

extension Governance_Grid_V1_DutyShift: StoredRecord {
  public static let table = "duty_shift"
  public static let idPrefix = "sft"
  public static let resourceName = "duty shift"
  public var indexedColumns: KeyValuePairs<String, (any DatabaseValueConvertible)?> {
    [
      "grid_code": gridCode, "worker_id": workerID, "start_time": startTime.seconds,
      "end_time": endTime.seconds, "roster_order": rosterOrder,
    ]
  }
}

extension Governance_Grid_V1_Grid: StoredRecord {
  public static let table = "grid"
  public static let idPrefix = "grd"
  public static let resourceName = "grid"
  public var indexedColumns: KeyValuePairs<String, (any DatabaseValueConvertible)?> {
    [
      "division_code": divisionCode, "grid_code": gridCode, "kind": kind.rawValue,
      "parent_grid_code": parentGridCode.isEmpty ? nil : parentGridCode,
    ]
  }
}

extension Governance_Grid_V1_Case: StoredRecord {
  public static let table = "grid_case"
  public static let idPrefix = "case"
  public static let resourceName = "case"
  public var indexedColumns: KeyValuePairs<String, (any DatabaseValueConvertible)?> {
    let open = CaseEscalation.openStatuses.contains(status)
    return [
      "division_code": divisionCode, "unit_code": handler.unitCode,
      "status": status.rawValue, "source": source.rawValue, "priority": priority.rawValue,
      "category": category, "assignee_id": assigneeID.isEmpty ? nil : assigneeID,
      "compound_id": location.compoundID.isEmpty ? nil : location.compoundID,
      "external_id": externalID.isEmpty ? nil : externalID,
      "reporter_principal_id": reporterPrincipalID.isEmpty ? nil : reporterPrincipalID,
      // Only an open case has a deadline to watch: the index on it holds the cases the sweep
      // and the late counts look at, not every case ever closed.
      "deadline": open && hasDeadline && !overdue ? deadline.seconds : nil,
      "open": open,
      "grid_code": location.gridCode.isEmpty ? nil : String(location.gridCode.prefix(15)),
      "level": handler.level.rawValue,
      "report_date": CalendarDate.iso(CalendarDate.today(at: reportTime.date)),
      "resolved_level": resolvedLevel == .unspecified ? nil : resolvedLevel.rawValue,
      "on_time": hasResolveTime ? CaseStatisticsRules.resolvedOnTime(self) : nil,
      "overdue": overdue,
      "satisfaction": hasEvaluation ? evaluation.satisfaction : nil,
      "case_number": caseNumber.isEmpty ? nil : caseNumber,
    ]
  }
}

extension Governance_Grid_V1_GridWorker: StoredRecord {
  public static let table = "grid_worker"
  public static let idPrefix = "wkr"
  public static let resourceName = "grid worker"
  public var indexedColumns: KeyValuePairs<String, (any DatabaseValueConvertible)?> {
    [
      "division_code": divisionCode, "active": active, "kind": kind.rawValue,
      "principal_id": principalID.isEmpty ? nil : principalID,
    ]
  }
}

extension Governance_Grid_V1_Patrol: StoredRecord {
  public static let table = "patrol"
  public static let idPrefix = "ptl"
  public static let resourceName = "patrol"
  public var indexedColumns: KeyValuePairs<String, (any DatabaseValueConvertible)?> {
    [
      "division_code": divisionCode, "grid_code": gridCode, "worker_id": workerID,
      "kind": kind.rawValue, "start_date": CalendarDate.iso(CalendarDate.today(at: startTime.date)),
      "finding_count": findings.count,
    ]
  }
}
