import Foundation
import GovernanceAPI
import ServiceKit
import SwiftProtobuf

/// The life of a case (事件/诉求) from report to close, and the deadlines it runs against.
public enum CaseWorkflow {
  public typealias Status = Governance_Grid_V1_CaseStatus
  public typealias GridCase = Governance_Grid_V1_Case

  /// Every allowed transition, in one place. Escalation and transfer are events, not states.
  public static let transitions: [Status: Set<Status>] = [
    .reported: [.accepted, .rejected],
    .reopened: [.accepted],
    .accepted: [.assigned],
    .assigned: [.assigned, .inProgress],
    .inProgress: [.resolved],
    .resolved: [.evaluated, .closed, .reopened],
    .evaluated: [.closed, .reopened],
    .closed: [.reopened],
  ]

  /// Days after resolution within which a dissatisfied reporter may reopen a case, unless the
  /// division's policy says otherwise.
  public static let reopenWindowDays = 7

  /// The rule "a case moves only along the table": FAILED_PRECONDITION naming both states.
  public static func checkTransition(_ gridCase: GridCase, to next: Status) throws(DomainError) {
    guard transitions[gridCase.status]?.contains(next) == true else {
      throw DomainError.failedPrecondition(
        rule: "a case moves along reported → accepted → assigned → in progress → resolved → evaluated → closed",
        detail: "case \(gridCase.id) is \(gridCase.status), cannot become \(next)")
    }
  }

  /// The rule "a case is reported with a source, a category, a title and a place in a grid or
  /// community": validates a new case, which starts REPORTED at the level of its place.
  public static func validateNew(_ gridCase: GridCase, at time: Date) throws(DomainError) -> GridCase {
    var validated = gridCase
    validated.source = try FieldValidation.requiredCase(
      gridCase.source, field: "grid_case.source", unspecified: .unspecified,
      known: Governance_Grid_V1_CaseSource.allCases.filter { $0 != .unspecified })
    validated.category = try FieldValidation.requiredName(
      gridCase.category, field: "grid_case.category", maximumLength: 50)
    validated.title = try FieldValidation.requiredName(gridCase.title, field: "grid_case.title")
    validated.details = try FieldValidation.optionalText(gridCase.details, field: "grid_case.details")
    validated.priority = gridCase.priority == .unspecified ? .normal : gridCase.priority
    validated.location.outsideGrids = false
    if gridCase.location.hasPoint {
      validated.location.point = try GeoValidation.point(gridCase.location.point, field: "grid_case.location.point")
    }
    if gridCase.location.gridCode.isEmpty && gridCase.divisionCode.isEmpty && gridCase.location.hasPoint {
      // The store places it from the point (PlaceRouting) through `placed(_:gridCode:divisionCode:)`.
      validated.divisionCode = ""
      validated.handler = .init()
      return reset(validated, at: time)
    }
    let place: DivisionCode
    if !gridCase.location.gridCode.isEmpty {
      place = try DivisionCode(gridCase.location.gridCode, field: "grid_case.location.grid_code")
      guard place.level == .grid || place.level == .microGrid else {
        throw DomainError.invalidArgument(
          field: "grid_case.location.grid_code", rule: "names a grid, got a \(place.level)")
      }
    } else {
      place = try DivisionCode(gridCase.divisionCode, field: "grid_case.division_code")
      guard place.level == .community else {
        throw DomainError.invalidArgument(
          field: "grid_case.division_code", rule: "a case without a grid names its community, got a \(place.level)")
      }
    }
    return reset(placed(validated, at: place), at: time)
  }

  /// A new case held at its place: its community, and a handler at the level of the place (a
  /// grid or micro-grid: GRID; a community: COMMUNITY).
  static func placed(_ gridCase: GridCase, at place: DivisionCode) -> GridCase {
    var placed = gridCase
    placed.divisionCode = String(place.code.prefix(12))
    placed.handler = .with {
      $0.level = place.level == .community ? .community : .grid
      $0.unitCode = place.level == .microGrid ? String(place.code.prefix(15)) : place.code
    }
    return placed
  }

  /// The rule "a case reported by its point lands where PlaceRouting put it": in the grid whose
  /// boundary holds the point, or, outside every grid, in the nearest community, flagged
  /// `outside_grids` for a person to place it.
  public static func placed(_ gridCase: GridCase, gridCode: String, divisionCode: String) throws(DomainError)
    -> GridCase
  {
    var placed = placed(
      gridCase,
      at: try DivisionCode(gridCode.isEmpty ? divisionCode : gridCode, field: "grid_case.location.point"))
    placed.location.gridCode = gridCode
    placed.location.outsideGrids = gridCode.isEmpty
    return placed
  }

  /// A new case as the service starts it: REPORTED now, with nothing the service sets taken from
  /// the client.
  static func reset(_ gridCase: GridCase, at time: Date) -> GridCase {
    var validated = gridCase
    validated.status = .reported
    validated.assigneeID = ""
    validated.reportTime = Google_Protobuf_Timestamp(date: time)
    validated.escalationCount = 0
    validated.reopenCount = 0
    // What the service sets is never taken from the client: a deadline sent with a report would
    // let a case dodge escalation, an overdue flag would drop it from the sweep.
    validated.clearDeadline()
    validated.overdue = false
    validated.missedDeadline = false
    validated.clearAcceptTime()
    validated.clearResolveTime()
    validated.clearCloseTime()
    validated.clearEvaluation()
    validated.resolvedLevel = .unspecified
    validated.resolution = ""
    return validated
  }

  /// The most cases one ImportCases message may carry; the message must also fit a request's
  /// 4 MiB (5,000 of the seed's cases take about 1.5 MB; cases with long details take fewer to a
  /// message). One message is one transaction, and a transaction of 5,000 archived cases writes less
  /// than half the bytes per case that one of 1,000 does (the case indexes take rows at random
  /// places, so each transaction rewrites pages all over them).
  public static let importBatchLimit = 5000

  /// The rule "an archived case is finished, and its times are in order": it is closed or
  /// evaluated, reported in the past, resolved at a level no earlier than reported, closed no
  /// earlier than resolved, and any satisfaction is from 1 to 5. The basics are those of a new
  /// case. Fields are named as `cases[index].…`.
  public static func validateArchived(_ archived: GridCase, index: Int, at now: Date) throws(DomainError) -> GridCase {
    let field = "cases[\(index)]"
    guard archived.hasReportTime, archived.reportTime.date <= now else {
      throw DomainError.invalidArgument(field: "\(field).report_time", rule: "is set and not in the future")
    }
    var validated: GridCase
    do {
      validated = try validateNew(archived, at: archived.reportTime.date)
    } catch {
      guard case .invalidArgument(let name, let rule) = error else { throw error }
      throw DomainError.invalidArgument(field: name.replacingOccurrences(of: "grid_case", with: field), rule: rule)
    }
    guard !validated.divisionCode.isEmpty else {
      throw DomainError.invalidArgument(
        field: "\(field).location.grid_code", rule: "an archived case names its grid or community, not a point alone")
    }
    guard archived.status == .closed || archived.status == .evaluated else {
      throw DomainError.invalidArgument(
        field: "\(field).status", rule: "an archived case is CLOSED or EVALUATED, got \(archived.status)")
    }
    guard archived.hasResolveTime, archived.resolveTime.date >= archived.reportTime.date,
      archived.resolveTime.date <= now
    else {
      throw DomainError.invalidArgument(
        field: "\(field).resolve_time", rule: "is set, after report_time and not in the future")
    }
    if archived.hasCloseTime, archived.closeTime.date < archived.resolveTime.date {
      throw DomainError.invalidArgument(field: "\(field).close_time", rule: "is not before resolve_time")
    }
    guard archived.resolvedLevel != .unspecified, archived.resolvedLevel.rawValue >= validated.handler.level.rawValue
    else {
      throw DomainError.invalidArgument(
        field: "\(field).resolved_level",
        rule: "is set, at or above the level of the case's place (\(validated.handler.level))")
    }
    if archived.hasEvaluation, !(1...5).contains(archived.evaluation.satisfaction) {
      throw DomainError.invalidArgument(field: "\(field).evaluation.satisfaction", rule: "is from 1 to 5")
    }
    // An archive brings cases, not residents' contacts.
    validated.reporter = .init()
    validated.reporterPrincipalID = ""
    validated.status = archived.status
    validated.resolveTime = archived.resolveTime
    if archived.hasAcceptTime { validated.acceptTime = archived.acceptTime }
    if archived.hasCloseTime { validated.closeTime = archived.closeTime }
    if archived.hasEvaluation { validated.evaluation = archived.evaluation }
    validated.resolvedLevel = archived.resolvedLevel
    validated.resolution = try FieldValidation.optionalText(archived.resolution, field: "\(field).resolution")
    validated.overdue = archived.overdue
    validated.missedDeadline = archived.missedDeadline || archived.overdue
    // What the level history implies: a case resolved above its place climbed there, so it is
    // held at the level that resolved it, having escalated at least once a level.
    var climbed: Int32 = 0
    while validated.handler.level.rawValue < archived.resolvedLevel.rawValue {
      let department = archived.handler.department.isEmpty ? "区职能部门" : archived.handler.department
      validated.handler = try CaseEscalation.nextUnit(above: validated.handler, department: department)
      climbed += 1
    }
    validated.escalationCount = max(archived.escalationCount, climbed)
    return validated
  }

  /// The rule "a level's time limit runs from the case's arrival at that level, accepted or
  /// not" (DOMAIN.md, "A deadline per level"; the grid contract measures the limit from arrival at
  /// the level): the deadline of a case arriving at `time` under `limit` seconds.
  /// A case nobody accepts escalates when it runs out, like any other.
  public static func deadline(arrivingAt time: Date, limit: TimeInterval) -> Google_Protobuf_Timestamp {
    .init(date: time.addingTimeInterval(limit))
  }

  /// Hours a handling level has for a case of a priority, before it escalates: the built-in
  /// policy, a division may set its own.
  public static func deadlineHours(level: Governance_Grid_V1_CaseLevel, priority: Governance_Grid_V1_CasePriority)
    -> Int
  {
    let base: Int
    switch priority {
    case .urgent: base = 2
    case .high: base = 24
    case .low: base = 168
    default: base = 72
    }
    switch level {
    case .community: return base * 2
    case .street, .districtDepartment: return base * 3
    default: return base
    }
  }

  /// The rule "a reporter rates 1 to 5".
  public static func checkSatisfaction(_ satisfaction: Int32) throws(DomainError) {
    guard (1...5).contains(satisfaction) else {
      throw DomainError.invalidArgument(field: "satisfaction", rule: "from 1 to 5, got \(satisfaction)")
    }
  }

  /// The rule "a case is reopened within the window after its resolution".
  public static func checkReopenWindow(_ gridCase: GridCase, days: Int32, at time: Date) throws(DomainError) {
    let resolved = gridCase.resolveTime.date
    guard time.timeIntervalSince(resolved) <= Double(days) * 86_400 else {
      throw DomainError.failedPrecondition(
        rule: "a case is reopened within \(days) days of its resolution",
        detail: "case \(gridCase.id) was resolved more than \(days) days ago")
    }
  }
}

/// Who may handle a case where it is held (街社吹哨、部门报到): each level works the cases held at
/// it or below, so a case the street holds is the street's (or the district's) to accept, assign,
/// resolve, escalate or transfer, no longer the community's or the grid's.
public enum CaseHandling {
  /// The highest handling level a role works at; nil for those bound by no level (the city
  /// administrator, the city platform, the platform's own services and jobs).
  public static func level(of principal: Principal) -> Governance_Grid_V1_CaseLevel? {
    switch principal.role {
    case .gridWorker: .grid
    case .community: .community
    case .street: .street
    case .district: .districtDepartment
    case .propertyStaff, .evaluator, .auditor, .resident: .unspecified
    case .cityAdministrator, .cityPlatform, nil: nil
    }
  }

  /// The rule "a grid worker handles the cases of the grids they serve" (网格员办理本网格事件):
  /// a grid worker's sign-in acts on a case only when it lies in one of `served`, the grids and
  /// micro-grids of the active worker record bound to it (nil when none is bound); a micro-grid's
  /// worker also handles its grid's own cases. Everyone else passes.
  /// - Throws: `DomainError.permissionDenied` naming the caller and the case's grid.
  public static func checkServedGrid(
    _ gridCase: CaseWorkflow.GridCase, served: Set<String>?, by principal: Principal
  ) throws(DomainError) {
    guard principal.service == nil, principal.role == .gridWorker else { return }
    guard let served else {
      throw DomainError.permissionDenied(
        reason: "no active grid worker is bound to \(principal.subject); community staff bind the sign-in to a worker")
    }
    let place = gridCase.location.gridCode.isEmpty ? gridCase.handler.unitCode : gridCase.location.gridCode
    guard served.contains(where: { place.hasPrefix($0) || $0.hasPrefix(place) }) else {
      throw DomainError.permissionDenied(
        reason: "case \(gridCase.caseNumber) lies in grid \(place), which \(principal.subject) does not serve")
    }
  }

  /// The rule "a level handles the cases held at it or below": PERMISSION_DENIED naming both
  /// levels when `principal` works below the level that holds `gridCase`.
  public static func check(_ gridCase: CaseWorkflow.GridCase, by principal: Principal) throws(DomainError) {
    guard let level = level(of: principal), gridCase.handler.level.rawValue > level.rawValue else { return }
    throw DomainError.permissionDenied(
      reason:
        "case \(gridCase.id) is held at the \(gridCase.handler.level) level; \(principal) handles cases held at the \(level) level or below"
    )
  }
}

/// Levels of handling (街社吹哨、部门报到): grid → community → street → the district department the
/// street summons. "Small matters stay in the grid, minor ones in the community, major ones in
/// the street" (微事不出格、小事不出社区、大事不出街道).
public enum CaseEscalation {
  public typealias Unit = Governance_Grid_V1_HandlingUnit

  /// The statuses in which a case is still open, so that it can be escalated or transferred.
  public static let openStatuses: [CaseWorkflow.Status] = [.reported, .accepted, .assigned, .inProgress, .reopened]

  /// The rule "a case climbs one level at a time, and the street names the department it
  /// summons": the unit above `unit`, or FAILED_PRECONDITION at the top.
  public static func nextUnit(above unit: Unit, department: String) throws(DomainError) -> Unit {
    let code = try DivisionCode(unit.unitCode, field: "handler.unit_code")
    switch unit.level {
    case .grid:
      return .with {
        $0.level = .community
        $0.unitCode = String(code.code.prefix(12))
      }
    case .community:
      return .with {
        $0.level = .street
        $0.unitCode = String(code.code.prefix(9)) + "000"
      }
    case .street:
      let department = department.trimmingCharacters(in: .whitespaces)
      guard !department.isEmpty else {
        throw DomainError.invalidArgument(
          field: "department", rule: "the street names the district department it summons (吹哨报到)")
      }
      return .with {
        $0.level = .districtDepartment
        $0.unitCode = String(code.code.prefix(6)) + "000000"
        $0.department = department
      }
    default:
      throw DomainError.failedPrecondition(
        rule: "a case climbs grid → community → street → district department",
        detail: "it is already with the district department \(unit.department)")
    }
  }

  /// The rule "escalation and transfer apply to open cases; the case lands at the new unit
  /// accepted, with that level's deadline": the case after moving it to `unit` at `time`.
  public static func move(
    _ gridCase: CaseWorkflow.GridCase, to unit: Unit, limit: TimeInterval, at time: Date
  ) throws(DomainError) -> CaseWorkflow.GridCase {
    guard openStatuses.contains(gridCase.status) else {
      throw DomainError.failedPrecondition(
        rule: "only an open case is escalated or transferred", detail: "case \(gridCase.id) is \(gridCase.status)")
    }
    var moved = gridCase
    moved.handler = unit
    moved.status = .accepted
    moved.assigneeID = ""
    moved.overdue = false
    moved.deadline = .init(date: time.addingTimeInterval(limit))
    return moved
  }
}

extension CaseEscalation {
  /// The rule "a transfer hands a case across, not up: another grid of the same community, or
  /// another district department": the unit a transfer moves to.
  public static func transferTarget(from unit: Unit, to target: Unit) throws(DomainError) -> Unit {
    guard target.level == unit.level else {
      throw DomainError.invalidArgument(
        field: "to.level", rule: "a transfer stays at the \(unit.level) level; escalate to move up")
    }
    let code = try DivisionCode(target.unitCode, field: "to.unit_code")
    switch unit.level {
    case .grid:
      guard code.level == .grid, code.code.prefix(12) == unit.unitCode.prefix(12), code.code != unit.unitCode else {
        throw DomainError.invalidArgument(
          field: "to.unit_code", rule: "another grid of community \(unit.unitCode.prefix(12))")
      }
    case .districtDepartment:
      guard !target.department.trimmingCharacters(in: .whitespaces).isEmpty, target.department != unit.department else {
        throw DomainError.invalidArgument(field: "to.department", rule: "names another district department")
      }
    default:
      throw DomainError.failedPrecondition(
        rule: "cases are transferred between grids or between district departments",
        detail: "this one is at the \(unit.level)")
    }
    return target
  }
}

extension CaseWorkflow {
  /// The rule "a case is corrected only while it is being handled, and stays in its community":
  /// the case after applying the fields named by `paths` from `changes`. A new grid of the same
  /// community moves a grid-level case to that grid's handling.
  public static func correct(_ gridCase: GridCase, with changes: GridCase, paths: [String]) throws(DomainError)
    -> GridCase
  {
    guard CaseEscalation.openStatuses.contains(gridCase.status) else {
      throw DomainError.failedPrecondition(
        rule: "a case is corrected until it is resolved", detail: "case \(gridCase.id) is \(gridCase.status)")
    }
    var corrected = gridCase
    for path in paths {
      switch path {
      case "category":
        corrected.category = try FieldValidation.requiredName(
          changes.category, field: "grid_case.category", maximumLength: 50)
      case "priority":
        corrected.priority = try FieldValidation.requiredCase(
          changes.priority, field: "grid_case.priority", unspecified: .unspecified,
          known: [.low, .normal, .high, .urgent])
      case "title":
        corrected.title = try FieldValidation.requiredName(changes.title, field: "grid_case.title")
      case "details":
        corrected.details = try FieldValidation.optionalText(changes.details, field: "grid_case.details")
      default:
        var location = changes.location
        location.address = try FieldValidation.optionalText(
          location.address, field: "grid_case.location.address", maximumLength: 200)
        location.unit = try FieldValidation.optionalText(
          location.unit, field: "grid_case.location.unit", maximumLength: 50)
        if location.gridCode.isEmpty {
          location.gridCode = gridCase.location.gridCode
        } else {
          let grid = try DivisionCode(location.gridCode, field: "grid_case.location.grid_code")
          guard grid.level == .grid || grid.level == .microGrid, grid.code.hasPrefix(gridCase.divisionCode) else {
            throw DomainError.invalidArgument(
              field: "grid_case.location.grid_code", rule: "names a grid of community \(gridCase.divisionCode)")
          }
          if corrected.handler.level == .grid { corrected.handler.unitCode = String(grid.code.prefix(15)) }
        }
        corrected.location = location
      }
    }
    return corrected
  }
}

extension CaseWorkflow {
  /// The rule "an archive arrives in messages of at most `importBatchLimit` cases".
  public static func checkImportBatch(_ count: Int) throws(DomainError) {
    guard count <= importBatchLimit else {
      throw DomainError.invalidArgument(field: "cases", rule: "at most \(importBatchLimit) per message, got \(count)")
    }
  }
}
