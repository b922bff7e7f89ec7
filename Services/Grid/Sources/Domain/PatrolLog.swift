import Foundation
import GovernanceAPI
import ServiceKit

/// Daily patrols and household visits (日巡查、日走访) by grid workers, and the cases their
/// findings open.
public enum PatrolLog {
  public typealias Patrol = Governance_Grid_V1_Patrol

  /// The most findings one patrol may carry.
  public static let maximumFindings = 50

  /// The rule "a patrol is walked by a worker of the grid": FAILED_PRECONDITION unless the worker
  /// who logs `patrol` serves its grid (`servesGrid`, from the roster of grids).
  public static func checkWalker(of patrol: Patrol, servesGrid: Bool) throws(DomainError) {
    guard servesGrid else {
      throw DomainError.failedPrecondition(
        rule: "a patrol is walked by a worker of the grid",
        detail: "\(patrol.workerID) does not serve \(patrol.gridCode)")
    }
  }

  /// The rule "a patrol is one worker's round of one grid, with a start, an end not before it, a
  /// household count and described findings": validates a new patrol.
  public static func validateNew(_ patrol: Patrol) throws(DomainError) -> Patrol {
    var validated = patrol
    let grid = try DivisionCode(patrol.gridCode, field: "patrol.grid_code")
    guard grid.level == .grid || grid.level == .microGrid else {
      throw DomainError.invalidArgument(field: "patrol.grid_code", rule: "names a grid, got a \(grid.level)")
    }
    validated.divisionCode = String(grid.code.prefix(12))
    validated.workerID = try FieldValidation.requiredID(patrol.workerID, field: "patrol.worker_id")
    validated.kind = try FieldValidation.requiredCase(
      patrol.kind, field: "patrol.kind", unspecified: .unspecified, known: [.patrol, .visit])
    guard patrol.hasStartTime else {
      throw DomainError.invalidArgument(field: "patrol.start_time", rule: "a patrol has a start time")
    }
    if patrol.hasEndTime, patrol.endTime.seconds < patrol.startTime.seconds {
      throw DomainError.invalidArgument(field: "patrol.end_time", rule: "not before start_time")
    }
    guard (0...10_000).contains(patrol.householdsVisited) else {
      throw DomainError.invalidArgument(
        field: "patrol.households_visited", rule: "from 0 to 10000, got \(patrol.householdsVisited)")
    }
    validated.note = try FieldValidation.optionalText(patrol.note, field: "patrol.note")
    if patrol.hasPoint { validated.point = try GeoValidation.point(patrol.point, field: "patrol.point") }
    guard patrol.findings.count <= maximumFindings else {
      throw DomainError.invalidArgument(field: "patrol.findings", rule: "at most \(maximumFindings) findings")
    }
    validated.findings = try patrol.findings.enumerated().map { (index, finding) throws(DomainError) in
      var checked = finding
      let field = "patrol.findings[\(index)]"
      checked.details = try FieldValidation.requiredName(
        finding.details, field: "\(field).details", maximumLength: FieldValidation.maximumTextLength)
      checked.caseID = ""
      if finding.location.hasPoint {
        checked.location.point = try GeoValidation.point(finding.location.point, field: "\(field).location.point")
      }
      if finding.location.gridCode.isEmpty { checked.location.gridCode = grid.code }
      if finding.openCase {
        checked.category = try FieldValidation.requiredName(
          finding.category, field: "\(field).category", maximumLength: 50)
      }
      return checked
    }
    return validated
  }

  /// The case a finding opens: from a patrol, at the finding's place, titled by what was found.
  public static func caseFor(_ finding: Governance_Grid_V1_PatrolFinding, of patrol: Patrol) -> Governance_Grid_V1_Case
  {
    .with {
      $0.source = .patrol
      $0.sourceRefID = patrol.id
      $0.category = finding.category
      $0.title = String(finding.details.prefix(FieldValidation.maximumNameLength))
      $0.details = finding.details
      $0.priority = finding.priority
      $0.location = finding.location
    }
  }
}
