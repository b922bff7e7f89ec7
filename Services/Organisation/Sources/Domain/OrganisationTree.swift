import GovernanceAPI
import ServiceKit

/// The five levels of the party organisation tree and where each may sit.
///
/// District committee (县区党委) → street working committee (街道党工委) → community committee
/// (社区党委) → branch (支部) → building group (楼栋党小组): each organisation hangs under one of the
/// level directly above, inside its parent's division, and serves a division of its own level.
public enum OrganisationTree {
  public typealias Level = Governance_Organisation_V1_OrganisationLevel

  /// The level an organisation's parent must have; nil for a district committee, the root.
  public static func parentLevel(of level: Level) -> Level? {
    switch level {
    case .districtCommittee: nil
    case .streetWorkingCommittee: .districtCommittee
    case .communityCommittee: .streetWorkingCommittee
    case .branch: .communityCommittee
    case .buildingGroup: .branch
    case .unspecified, .UNRECOGNIZED: nil
    }
  }

  /// The division levels an organisation of `level` may serve: committees serve their own
  /// division; branches and building groups serve a community or one of its grids.
  public static func divisionLevels(for level: Level) -> Set<DivisionCode.Level> {
    switch level {
    case .districtCommittee: [.district]
    case .streetWorkingCommittee: [.street]
    case .communityCommittee: [.community]
    case .branch, .buildingGroup: [.community, .grid, .microGrid]
    case .unspecified, .UNRECOGNIZED: []
    }
  }

  /// The rule "an organisation sits in the tree at its level": validates a new organisation
  /// against its parent (nil when it has none) and returns it ready to store.
  public static func validateNew(
    _ organisation: Governance_Organisation_V1_Organisation,
    parent: Governance_Organisation_V1_Organisation?
  ) throws(DomainError) -> Governance_Organisation_V1_Organisation {
    var validated = organisation
    validated.name = try FieldValidation.requiredName(organisation.name, field: "organisation.name")
    let level = try FieldValidation.requiredCase(
      organisation.level, field: "organisation.level", unspecified: .unspecified,
      known: [.districtCommittee, .streetWorkingCommittee, .communityCommittee, .branch, .buildingGroup])
    let division = try DivisionCode(organisation.divisionCode, field: "organisation.division_code")

    let allowedDivisions = divisionLevels(for: level)
    guard allowedDivisions.contains(division.level) else {
      let allowed = allowedDivisions.sorted().map { "\($0)" }.joined(separator: " or ")
      throw DomainError.invalidArgument(
        field: "organisation.division_code",
        rule: "a \(level) serves a \(allowed) division, but \(division.code) is a \(division.level)")
    }

    if level == .branch {
      validated.branchKind = try FieldValidation.requiredCase(
        organisation.branchKind, field: "organisation.branch_kind", unspecified: .unspecified,
        known: Governance_Organisation_V1_BranchKind.allCases.filter { $0 != .unspecified })
    } else if organisation.branchKind != .unspecified {
      throw DomainError.invalidArgument(
        field: "organisation.branch_kind", rule: "is set only for a branch, not for a \(level)")
    }

    switch (parentLevel(of: level), parent) {
    case (nil, nil):
      guard organisation.parentID.isEmpty else {
        throw DomainError.invalidArgument(
          field: "organisation.parent_id", rule: "a \(level) is a root and has no parent")
      }
    case (.some, nil):
      throw DomainError.invalidArgument(field: "organisation.parent_id", rule: "a \(level) needs a parent organisation")
    case (nil, .some):
      throw DomainError.invalidArgument(field: "organisation.parent_id", rule: "a \(level) is a root and has no parent")
    case (.some(let expected), .some(let parent)):
      guard parent.level == expected else {
        throw DomainError.failedPrecondition(
          rule: "a \(level) hangs under a \(expected)",
          detail: "parent \(parent.id) is a \(parent.level)")
      }
      guard parent.status == .active else {
        throw DomainError.failedPrecondition(
          rule: "a new organisation hangs under an active one", detail: "parent \(parent.id) is dissolved")
      }
      let parentDivision = try DivisionCode(parent.divisionCode, field: "parent.division_code")
      guard parentDivision.contains(division) else {
        throw DomainError.failedPrecondition(
          rule: "an organisation lies inside its parent's division",
          detail: "\(division.code) is outside \(parent.name)'s \(parentDivision.code)")
      }
    }

    validated.status = .active
    validated.formalMemberCount = 0
    validated.probationaryMemberCount = 0
    return validated
  }
}

extension OrganisationTree {
  /// The rule "only an active organisation is dissolved, after its sub-organisations are moved
  /// or dissolved" (`activeChildren`, how many are left).
  public static func checkDissolve(
    _ organisation: Governance_Organisation_V1_Organisation, activeChildren: Int = 0
  ) throws(DomainError) {
    guard organisation.status == .active else {
      throw DomainError.failedPrecondition(
        rule: "only an active organisation is dissolved", detail: "\(organisation.id) is dissolved")
    }
    guard activeChildren == 0 else {
      throw DomainError.failedPrecondition(
        rule: "an organisation is dissolved after its sub-organisations are moved or dissolved",
        detail: "\(organisation.id) has \(activeChildren) active sub-organisation(s)")
    }
  }

  /// The rule "the members of a dissolved organisation move to a successor": FAILED_PRECONDITION
  /// when it has `members` and no `successorID` is named.
  public static func checkSuccessorNamed(
    _ successorID: String, of organisation: Governance_Organisation_V1_Organisation, members: Int
  ) throws(DomainError) {
    guard members == 0 || !successorID.isEmpty else {
      throw DomainError.failedPrecondition(
        rule: "the members of a dissolved organisation move to a successor",
        detail: "\(organisation.id) has \(members) member(s); name successor_id")
    }
  }

  /// The rule "the successor is another active organisation".
  public static func checkSuccessor(
    _ successor: Governance_Organisation_V1_Organisation, of organisation: Governance_Organisation_V1_Organisation
  ) throws(DomainError) {
    guard successor.status == .active, successor.id != organisation.id else {
      throw DomainError.failedPrecondition(
        rule: "the successor is another active organisation", detail: "\(successor.id) is not")
    }
  }
}
