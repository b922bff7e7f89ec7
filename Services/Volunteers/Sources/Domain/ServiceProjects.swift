import GovernanceAPI
import ServiceKit

/// Service projects and brands (服务项目、服务品牌): what a community's teams run, a project under a
/// brand of its own compound.
public enum ServiceProjects {
  public typealias Project = Governance_Volunteers_V1_ServiceProject

  /// The rule "a project or brand belongs to one compound of a community, has a name, and ends
  /// not before it starts": validates a project's own fields.
  public static func validate(_ project: Project) throws(DomainError) -> Project {
    var validated = project
    let community = try DivisionCode(project.divisionCode, field: "project.division_code")
    guard community.level == .community else {
      throw DomainError.invalidArgument(field: "project.division_code", rule: "a community, got a \(community.level)")
    }
    validated.compoundID = try FieldValidation.requiredID(project.compoundID, field: "project.compound_id")
    validated.kind = try FieldValidation.requiredCase(
      project.kind, field: "project.kind", unspecified: .unspecified, known: [.project, .brand])
    validated.name = try FieldValidation.requiredName(project.name, field: "project.name")
    validated.details = try FieldValidation.optionalText(project.details, field: "project.details")
    if project.hasStartDate { try CalendarDate.validate(project.startDate, field: "project.start_date") }
    if project.hasEndDate {
      try CalendarDate.validate(project.endDate, field: "project.end_date")
      if project.hasStartDate, CalendarDate.iso(project.endDate) < CalendarDate.iso(project.startDate) {
        throw DomainError.invalidArgument(field: "project.end_date", rule: "not before start_date")
      }
    }
    return validated
  }

  /// The rule "a project is run by registered teams": team `id`, the `index`-th of the project's.
  public static func checkTeam(_ id: String, index: Int, registered: Bool) throws(DomainError) {
    guard registered else {
      throw DomainError.invalidArgument(
        field: "project.team_ids[\(index)]", rule: "names a registered team; \(id) is not")
    }
  }

  /// The rule "a project runs under a brand of its own compound": `brand` as found (nil when
  /// absent, or when `project` is itself a brand).
  public static func checkBrand(_ brand: Project?, of project: Project) throws(DomainError) {
    guard let brand, project.kind == .project, brand.kind == .brand, brand.compoundID == project.compoundID else {
      throw DomainError.invalidArgument(
        field: "project.brand_id", rule: "a project runs under a brand of its own compound")
    }
  }
}
