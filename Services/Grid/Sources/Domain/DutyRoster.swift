import Foundation
import GovernanceAPI
import ServiceKit
import SwiftProtobuf

/// Grid workers (网格员) and who is on duty in a grid now, so that an alarm reaches a person at once.
public enum DutyRoster {
  /// The rule "an alarm passes to the next worker only once its acknowledgement time has run
  /// out", compared at the deadline's full precision (never by whole seconds, which handed an
  /// alarm on up to a second early).
  public static func acknowledgementTimedOut(deadline: Google_Protobuf_Timestamp, at time: Date) -> Bool {
    deadline.date <= time
  }

  /// The rule "an assignment is acknowledged once, while pending": `assignment` acknowledged at
  /// `time`; FAILED_PRECONDITION naming its state otherwise.
  public static func acknowledge(
    _ assignment: Governance_Grid_V1_Assignment, at time: Date
  ) throws(DomainError) -> Governance_Grid_V1_Assignment {
    guard assignment.state == .pending else {
      throw DomainError.failedPrecondition(
        rule: "an assignment is acknowledged while pending", detail: "\(assignment.id) is \(assignment.state)")
    }
    var acknowledged = assignment
    acknowledged.state = .acknowledged
    acknowledged.acknowledgeTime = .init(date: time)
    return acknowledged
  }

  /// The rule "a worker has a name, a kind and the grids they serve": validates a new worker.
  public static func validateNew(_ worker: Governance_Grid_V1_GridWorker) throws(DomainError)
    -> Governance_Grid_V1_GridWorker
  {
    var validated = worker
    validated.name = try FieldValidation.requiredName(worker.name, field: "worker.name", maximumLength: 50)
    validated.kind = try FieldValidation.requiredCase(
      worker.kind, field: "worker.kind", unspecified: .unspecified,
      known: Governance_Grid_V1_GridWorkerKind.allCases.filter { $0 != .unspecified })
    guard !worker.gridCodes.isEmpty else {
      throw DomainError.invalidArgument(field: "worker.grid_codes", rule: "a worker serves at least one grid")
    }
    for (index, code) in worker.gridCodes.enumerated() {
      let grid = try DivisionCode(code, field: "worker.grid_codes[\(index)]")
      guard grid.level == .grid || grid.level == .microGrid else {
        throw DomainError.invalidArgument(
          field: "worker.grid_codes[\(index)]", rule: "names a grid, got a \(grid.level)")
      }
    }
    validated.divisionCode = String(worker.gridCodes[0].prefix(12))
    validated.phone = try PersonalData.validate(
      .with {
        $0.name = validated.name
        $0.phone = worker.phone
      }, field: "worker"
    ).phone
    validated.active = true
    return validated
  }

  /// The rule "shifts of a roster lie in its window, end after they start, and are served by
  /// workers of the grid": validates the shifts that replace a grid's roster for the window.
  public static func validateShifts(
    _ request: Governance_Grid_V1_SetDutyRosterRequest, workersOfGrid: Set<String>
  ) throws(DomainError) -> [Governance_Grid_V1_DutyShift] {
    let grid = try DivisionCode(request.gridCode, field: "grid_code")
    guard request.hasWindowStart, request.hasWindowEnd, request.windowEnd.seconds > request.windowStart.seconds else {
      throw DomainError.invalidArgument(field: "window_end", rule: "the window ends after it starts")
    }
    return try request.shifts.enumerated().map { (index, shift) throws(DomainError) in
      let field = "shifts[\(index)]"
      guard workersOfGrid.contains(shift.workerID) else {
        throw DomainError.failedPrecondition(
          rule: "a shift is served by a worker of the grid", detail: "\(shift.workerID) does not serve \(grid.code)")
      }
      guard shift.endTime.seconds > shift.startTime.seconds,
        shift.startTime.seconds >= request.windowStart.seconds, shift.endTime.seconds <= request.windowEnd.seconds
      else {
        throw DomainError.invalidArgument(field: field, rule: "a shift ends after it starts, inside the window")
      }
      var validated = shift
      validated.gridCode = grid.code
      validated.divisionCode = String(grid.code.prefix(12))
      return validated
    }
  }
}

extension DutyRoster {
  /// The rule "an alarm names its device's grid, or the compound it is in".
  public static func checkAlarmPlace(gridCode: String, compoundID: String, hasPoint: Bool = false)
    throws(DomainError)
  {
    if gridCode.isEmpty {
      guard !compoundID.isEmpty || hasPoint else {
        throw DomainError.invalidArgument(
          field: "grid_code", rule: "give the device's grid_code, its compound_id or its point")
      }
    } else {
      _ = try DivisionCode(gridCode, field: "grid_code")
    }
  }

  /// The rule "an alarm by compound goes to a grid covering the compound": the most specific of
  /// `covering` (ordered most specific first); INVALID_ARGUMENT naming `compound_id` when none does.
  public static func mostSpecificGrid(covering: [String], compoundID: String) throws(DomainError) -> String {
    guard let mostSpecific = covering.first else {
      throw DomainError.invalidArgument(
        field: "compound_id", rule: "names a compound covered by a registered grid; \(compoundID) is in none")
    }
    return mostSpecific
  }
}
