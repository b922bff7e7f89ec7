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
  /// `gridField` and `shiftField` name the fields in an error (a register's row names its own).
  public static func validateShifts(
    _ request: Governance_Grid_V1_SetDutyRosterRequest, workersOfGrid: Set<String>, gridField: String = "grid_code",
    shiftField: (Int) -> String = { "shifts[\($0)]" }
  ) throws(DomainError) -> [Governance_Grid_V1_DutyShift] {
    let grid = try DivisionCode(request.gridCode, field: gridField)
    guard request.hasWindowStart, request.hasWindowEnd, request.windowEnd.seconds > request.windowStart.seconds else {
      throw DomainError.invalidArgument(field: "window_end", rule: "the window ends after it starts")
    }
    return try request.shifts.enumerated().map { (index, shift) throws(DomainError) in
      let field = shiftField(index)
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

/// A register of grid workers (网格员台账): who a row is, and the shifts its weekly duties make.
extension DutyRoster {
  /// The days a register's duty roster covers, from today.
  public static let importedRosterDays = 28

  /// The rule "a register's worker is known by their phone within their community": the
  /// community a row names (`worker.division_code`, else that of its first grid).
  public static func importedCommunity(_ worker: Governance_Grid_V1_GridWorker) throws(DomainError) -> String {
    var text = worker.divisionCode
    if text.isEmpty, let first = worker.gridCodes.first {
      text = String(try DivisionCode(first, field: "worker.grid_codes[0]").code.prefix(12))
    }
    guard !text.isEmpty else {
      throw DomainError.invalidArgument(field: "worker.division_code", rule: "is required")
    }
    let community = try DivisionCode(text, field: "worker.division_code")
    guard community.level == .community else {
      throw DomainError.invalidArgument(
        field: "worker.division_code", rule: "names a community, got a \(community.level)")
    }
    return community.code
  }

  /// The rule "a worker belongs to the community of their first grid": a register's row keeps
  /// the worker in the community it names.
  public static func checkCommunity(_ worker: Governance_Grid_V1_GridWorker, _ community: String) throws(DomainError) {
    guard worker.divisionCode == community else {
      throw DomainError.invalidArgument(
        field: "worker.grid_codes",
        rule: "lie in the worker's community \(community); the first is in \(worker.divisionCode)")
    }
  }

  /// The rule "a phone is one worker's in a community": of `candidates` (the community's workers
  /// with the phone), the one, an active one before those who left; nil for none.
  public static func workerWithPhone(_ candidates: [Governance_Grid_V1_GridWorker]) throws(DomainError)
    -> Governance_Grid_V1_GridWorker?
  {
    let active = candidates.filter(\.active)
    let chosen = candidates.count > 1 && !active.isEmpty ? active : candidates
    guard chosen.count <= 1 else {
      throw DomainError.failedPrecondition(
        rule: "a phone is one worker's in a community", detail: "workers \(chosen[0].id) and \(chosen[1].id) have it")
    }
    return chosen.first
  }

  /// One shift a weekly duty makes, with the index of the duty it came from.
  public struct PlannedShift: Sendable, Equatable {
    public var duty: Int
    public var shift: Governance_Grid_V1_DutyShift
  }

  /// The city's midnight starting the day `time` falls on.
  public static func cityMidnight(of time: Date) -> Date {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = CalendarDate.timeZone
    return calendar.startOfDay(for: time)
  }

  /// The rule "a weekly duty names a grid, weekdays from 1 (Monday) to 7 (Sunday) and its hours
  /// as HH:MM in the city's time, an end before the start running past midnight": the shifts
  /// `duties` make on the `days` days from the city's midnight `windowStart`, in the order of the
  /// duties and days, at roster order 1. Workers are set by the caller.
  public static func weeklyShifts(
    _ duties: [Governance_Grid_V1_WeeklyDuty], from windowStart: Date, days: Int = importedRosterDays
  ) throws(DomainError) -> [PlannedShift] {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = CalendarDate.timeZone
    var planned: [PlannedShift] = []
    for (index, duty) in duties.enumerated() {
      let field = "duties[\(index)]"
      let grid = try DivisionCode(duty.gridCode, field: "\(field).grid_code")
      guard grid.level == .grid || grid.level == .microGrid else {
        throw DomainError.invalidArgument(field: "\(field).grid_code", rule: "names a grid, got a \(grid.level)")
      }
      guard !duty.weekdays.isEmpty else {
        throw DomainError.invalidArgument(field: "\(field).weekdays", rule: "is required")
      }
      for weekday in duty.weekdays where !(1...7).contains(weekday) {
        throw DomainError.invalidArgument(
          field: "\(field).weekdays", rule: "each from 1 (Monday) to 7 (Sunday), got \(weekday)")
      }
      let start = try minutes(duty.start, field: "\(field).start")
      let end = try minutes(duty.end, field: "\(field).end")
      guard end != start else {
        throw DomainError.invalidArgument(
          field: "\(field).end", rule: "differs from the start; an end before the start runs past midnight")
      }
      let length = (end - start + 24 * 60) % (24 * 60)
      let weekdays = Set(duty.weekdays)
      for day in 0..<days {
        let midnight = windowStart.addingTimeInterval(TimeInterval(day * 86_400))
        // Calendar's weekday runs from 1 Sunday to 7 Saturday; a register's from 1 Monday.
        let weekday = Int32((calendar.component(.weekday, from: midnight) + 5) % 7 + 1)
        guard weekdays.contains(weekday) else { continue }
        let startTime = midnight.addingTimeInterval(TimeInterval(start * 60))
        planned.append(
          PlannedShift(
            duty: index,
            shift: .with {
              $0.gridCode = grid.code
              $0.divisionCode = String(grid.code.prefix(12))
              $0.startTime = .init(date: startTime)
              $0.endTime = .init(date: startTime.addingTimeInterval(TimeInterval(length * 60)))
              $0.rosterOrder = 1
            }))
      }
    }
    return planned
  }

  /// A time of day given as HH:MM, in minutes after midnight.
  static func minutes(_ text: String, field: String) throws(DomainError) -> Int {
    let bytes = Array(text.utf8)
    let digit = { (byte: UInt8) in (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }
    guard bytes.count == 5, bytes[2] == UInt8(ascii: ":"), digit(bytes[0]), digit(bytes[1]), digit(bytes[3]),
      digit(bytes[4]), let hours = Int(text.prefix(2)), let minutes = Int(text.suffix(2)), hours < 24, minutes < 60
    else {
      throw DomainError.invalidArgument(field: field, rule: "a time of day as HH:MM from 00:00 to 23:59, got '\(text)'")
    }
    return hours * 60 + minutes
  }
}
