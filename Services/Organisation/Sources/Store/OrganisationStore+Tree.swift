import Foundation
import GRDB
import GovernanceAPI
import ServiceKit
import SwiftProtobuf

extension OrganisationStore {
  typealias Event = Governance_Organisation_V1_OrganisationEvent

  /// Appends to an organisation's history, which is never rewritten.
  static func recordEvent(
    _ db: Database, _ kind: Governance_Organisation_V1_OrganisationEventKind, organisation: String,
    by principal: Principal, at time: Date, _ details: (inout Event) -> Void = { _ in }
  ) throws {
    var event = Event.with {
      $0.organisationID = organisation
      $0.kind = kind
      $0.time = Google_Protobuf_Timestamp(date: time)
      $0.actor = principal.description
    }
    details(&event)
    try db.execute(
      sql: "INSERT INTO organisation_event (organisation_id, record) VALUES (?, ?)",
      arguments: [organisation, try StoredMessage.encode(event)])
  }

  static func requireOrganisation(_ db: Database, id: String) throws -> Organisation {
    try RecordTable.fetchRequired(db, Organisation.self, id: id)
  }

  static func saveOrganisation(_ db: Database, _ organisation: Organisation, by principal: Principal, at time: Date)
    throws -> Organisation
  {
    try RecordTable.update(db, organisation, by: principal, at: time)
  }

  /// Changes an organisation's plain fields; its place in the tree changes through Move.
  public func updateOrganisation(
    _ request: Governance_Organisation_V1_UpdateOrganisationRequest, by principal: Principal, at time: Date = Date()
  ) async throws -> Organisation {
    let paths = try updatePaths(
      request.updateMask,
      allowed: [
        "name", "established_date", "covered_compound_ids", "property_company_ids", "joint_basis", "grid_code",
        "building_id",
      ])
    let id = try FieldValidation.requiredID(request.organisation.id, field: "organisation.id")
    let given = request.organisation
    if paths.contains("established_date") {
      try CalendarDate.validate(given.establishedDate, field: "organisation.established_date")
    }
    return try await writer.write { db in
      var organisation = try Self.requireOrganisation(db, id: id)
      for path in paths {
        switch path {
        case "name": organisation.name = try FieldValidation.requiredName(given.name, field: "organisation.name")
        case "established_date": organisation.establishedDate = given.establishedDate
        case "covered_compound_ids": organisation.coveredCompoundIds = given.coveredCompoundIds
        case "property_company_ids": organisation.propertyCompanyIds = given.propertyCompanyIds
        case "joint_basis": organisation.jointBasis = given.jointBasis
        case "grid_code": organisation.gridCode = given.gridCode
        default: organisation.buildingID = given.buildingID
        }
      }
      let saved = try Self.saveOrganisation(db, organisation, by: principal, at: time)
      try Self.recordEvent(db, .updated, organisation: id, by: principal, at: time) { $0.changedFields = paths }
      return saved
    }
  }

  /// Moves an organisation under another parent of the level above, inside that parent's
  /// division; its subtree moves with it, since children point at it.
  public func moveOrganisation(
    _ request: Governance_Organisation_V1_MoveOrganisationRequest, by principal: Principal, at time: Date = Date()
  ) async throws -> Organisation {
    let id = try FieldValidation.requiredID(request.id, field: "id")
    let parentID = try FieldValidation.requiredID(request.newParentID, field: "new_parent_id")
    let reason = try FieldValidation.optionalText(request.reason, field: "reason", maximumLength: 500)
    return try await writer.write { db in
      try IdempotencyLedger.perform(db, caller: principal, requestID: request.requestID, request: request) {
        let organisation = try Self.requireOrganisation(db, id: id)
        let parent = try Self.requireOrganisation(db, id: parentID)
        var candidate = organisation
        candidate.parentID = parentID
        if !request.newDivisionCode.isEmpty { candidate.divisionCode = request.newDivisionCode }
        let validated = try OrganisationTree.validateNew(candidate, parent: parent)
        var moved = organisation
        moved.parentID = parentID
        moved.divisionCode = validated.divisionCode
        let saved = try Self.saveOrganisation(db, moved, by: principal, at: time)
        try Self.recordEvent(db, .moved, organisation: id, by: principal, at: time) {
          $0.fromParentID = organisation.parentID
          $0.toParentID = parentID
          $0.fromDivisionCode = organisation.divisionCode
          $0.toDivisionCode = saved.divisionCode
          $0.reason = reason
        }
        return saved
      }
    }
  }

  /// Dissolves an organisation (撤销), keeping it and its history. Its members move to the
  /// successor in the same transaction; without a successor, an organisation with members or
  /// active sub-organisations is not dissolved.
  public func dissolveOrganisation(
    _ request: Governance_Organisation_V1_DissolveOrganisationRequest, by principal: Principal, at time: Date = Date()
  ) async throws -> Organisation {
    let id = try FieldValidation.requiredID(request.id, field: "id")
    let reason = try FieldValidation.requiredName(request.reason, field: "reason", maximumLength: 500)
    if request.hasDissolvedDate { try CalendarDate.validate(request.dissolvedDate, field: "dissolved_date") }
    return try await writer.write { db in
      try IdempotencyLedger.perform(db, caller: principal, requestID: request.requestID, request: request) {
        var organisation = try Self.requireOrganisation(db, id: id)
        let children =
          try Int.fetchOne(
            db, sql: "SELECT COUNT(*) FROM party_organisation WHERE parent_id = ? AND status = ?",
            arguments: [id, Governance_Organisation_V1_OrganisationStatus.active.rawValue]) ?? 0
        try OrganisationTree.checkDissolve(organisation, activeChildren: children)
        let members = try String.fetchAll(
          db, sql: "SELECT id FROM party_member WHERE organisation_id = ? AND status = ?",
          arguments: [id, Governance_Organisation_V1_MemberStatus.active.rawValue])
        if !members.isEmpty {
          try OrganisationTree.checkSuccessorNamed(request.successorID, of: organisation, members: members.count)
          let successor = try Self.requireOrganisation(db, id: request.successorID)
          try OrganisationTree.checkSuccessor(successor, of: organisation)
          for member in members {
            try Self.moveMember(db, member, to: successor, reason: "原组织撤销：\(reason)", by: principal, at: time)
          }
        }
        organisation.status = .dissolved
        organisation.dissolvedDate = request.hasDissolvedDate ? request.dissolvedDate : CalendarDate.today(at: time)
        organisation.dissolutionReason = reason
        let saved = try Self.saveOrganisation(db, organisation, by: principal, at: time)
        try Self.recordEvent(db, .dissolved, organisation: id, by: principal, at: time) { $0.reason = reason }
        return saved
      }
    }
  }

  /// Children, a whole subtree, or organisations by division prefix, level and kind.
  public func listOrganisations(_ request: Governance_Organisation_V1_ListOrganisationsRequest) async throws
    -> Governance_Organisation_V1_ListOrganisationsResponse
  {
    let page = try PageRequest(pageSize: request.pageSize, pageToken: request.pageToken)
    var filter = RecordFilter()
    try filter.divisionPrefix(request.divisionPrefix)
    filter.add("parent_id = ?", request.parentID, when: !request.parentID.isEmpty)
    filter.add(
      """
      id IN (WITH RECURSIVE subtree(id) AS (
        SELECT id FROM party_organisation WHERE parent_id = ?
        UNION SELECT o.id FROM party_organisation o JOIN subtree s ON o.parent_id = s.id)
      SELECT id FROM subtree)
      """, request.ancestorID, when: !request.ancestorID.isEmpty)
    filter.add("level = ?", request.level.rawValue, when: request.level != .unspecified)
    filter.add("branch_kind = ?", request.branchKind.rawValue, when: request.branchKind != .unspecified)
    filter.add(
      "status = ?", Governance_Organisation_V1_OrganisationStatus.active.rawValue, when: !request.includeDissolved)
    var (organisations, next) = try await writer.read { [filter] db in
      let (listed, next) = try RecordTable.list(db, Organisation.self, filter: filter, page: page)
      return (try Self.withMemberCounts(db, listed), next)
    }
    if !request.compoundID.isEmpty {
      organisations = organisations.filter {
        $0.compoundID == request.compoundID || $0.coveredCompoundIds.contains(request.compoundID)
      }
    }
    return .with {
      $0.organisations = organisations
      $0.nextPageToken = next
    }
  }

  public func organisationHistory(_ request: Governance_Organisation_V1_ListOrganisationHistoryRequest) async throws
    -> Governance_Organisation_V1_ListOrganisationHistoryResponse
  {
    let id = try FieldValidation.requiredID(request.organisationID, field: "organisation_id")
    return try await writer.read { db in
      _ = try Self.requireOrganisation(db, id: id)
      let events = try Data.fetchAll(
        db, sql: "SELECT record FROM organisation_event WHERE organisation_id = ? ORDER BY seq", arguments: [id]
      ).map { try StoredMessage.decode(Event.self, from: $0) }
      return .with { $0.events = events }
    }
  }
}
