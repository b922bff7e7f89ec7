import Foundation
import GRDB
import GovernanceAPI
import ServiceKit
import SwiftProtobuf

extension OrganisationStore {
  public typealias Position = Governance_Organisation_V1_Position

  public func appointPosition(
    _ request: Governance_Organisation_V1_AppointPositionRequest, by principal: Principal, at time: Date = Date()
  ) async throws -> Position {
    let organisationID = try FieldValidation.requiredID(request.organisationID, field: "organisation_id")
    let memberID = try FieldValidation.requiredID(request.memberID, field: "member_id")
    return try await writer.write { db in
      try IdempotencyLedger.perform(db, caller: principal, requestID: request.requestID, request: request) {
        let organisation = try Self.requireOrganisation(db, id: organisationID)
        let member = try RecordTable.fetchRequired(db, Member.self, id: memberID)
        let secretaries =
          try Int.fetchOne(
            db, sql: "SELECT COUNT(*) FROM position WHERE organisation_id = ? AND kind = ? AND current",
            arguments: [organisationID, Governance_Organisation_V1_PositionKind.secretary.rawValue]) ?? 0
        var position = try Positions.validate(
          request, organisation: organisation, member: member, currentSecretaries: secretaries)
        if !request.hasStartDate { position.startDate = CalendarDate.today(at: time) }
        let stored = try RecordTable.insertNew(db, position, by: principal, at: time)
        if organisation.branchKind == .compound, !organisation.compoundID.isEmpty {
          try Self.refreshOneShoulder(db, compound: organisation.compoundID, by: principal, at: time)
          return try RecordTable.fetchRequired(db, Position.self, id: stored.id)
        }
        return stored
      }
    }
  }

  public func endPosition(
    _ request: Governance_Organisation_V1_EndPositionRequest, by principal: Principal, at time: Date = Date()
  ) async throws -> Position {
    let id = try FieldValidation.requiredID(request.id, field: "id")
    let reason = try FieldValidation.requiredName(request.reason, field: "reason", maximumLength: 500)
    return try await writer.write { db in
      try IdempotencyLedger.perform(db, caller: principal, requestID: request.requestID, request: request) {
        var position = try RecordTable.fetchRequired(db, Position.self, id: id)
        try Positions.checkEnd(position)
        let end = request.hasEndDate ? request.endDate : CalendarDate.today(at: time)
        try SelfGovernance.checkTerm(start: position.startDate, end: end, field: "end_date")
        position.endDate = end
        position.endReason = reason
        position.oneShoulder = false
        let saved = try RecordTable.update(db, position, by: principal, at: time)
        let organisation = try Self.requireOrganisation(db, id: position.organisationID)
        if organisation.branchKind == .compound, !organisation.compoundID.isEmpty {
          try Self.refreshOneShoulder(db, compound: organisation.compoundID, by: principal, at: time)
        }
        return saved
      }
    }
  }

  public func listPositions(_ request: Governance_Organisation_V1_ListPositionsRequest) async throws
    -> Governance_Organisation_V1_ListPositionsResponse
  {
    let page = try PageRequest(pageSize: request.pageSize, pageToken: request.pageToken)
    var filter = RecordFilter()
    try filter.divisionPrefix(request.divisionPrefix)
    filter.add("organisation_id = ?", request.organisationID, when: !request.organisationID.isEmpty)
    filter.add("member_id = ?", request.memberID, when: !request.memberID.isEmpty)
    filter.add("kind = ?", request.kind.rawValue, when: request.kind != .unspecified)
    filter.add("current", when: request.currentOnly)
    var (positions, next) = try await writer.read { [filter] db in
      try RecordTable.list(db, Position.self, filter: filter, page: page)
    }
    if request.oneShoulderOnly { positions = positions.filter(\.oneShoulder) }
    return .with {
      $0.positions = positions
      $0.nextPageToken = next
    }
  }

  /// Recomputes "one shoulder" for a compound: its branch secretaries against the chairs of its
  /// owners' or self-management committees, marking both the positions and the bodies.
  static func refreshOneShoulder(_ db: Database, compound: String, by principal: Principal, at time: Date) throws {
    let branches = try Data.fetchAll(
      db, sql: "SELECT record FROM party_organisation WHERE level = ? AND branch_kind = ? AND status = ?",
      arguments: [
        Governance_Organisation_V1_OrganisationLevel.branch.rawValue,
        Governance_Organisation_V1_BranchKind.compound.rawValue,
        Governance_Organisation_V1_OrganisationStatus.active.rawValue,
      ]
    ).map { try StoredMessage.decode(Organisation.self, from: $0) }.filter { $0.compoundID == compound }
    var secretaryPositions: [Position] = []
    for branch in branches {
      secretaryPositions += try Data.fetchAll(
        db, sql: "SELECT record FROM position WHERE organisation_id = ? AND kind = ? AND current",
        arguments: [branch.id, Governance_Organisation_V1_PositionKind.secretary.rawValue]
      ).map { try StoredMessage.decode(Position.self, from: $0) }
    }
    let secretaries = Set(secretaryPositions.map(\.memberID))
    var chairs: Set<String> = []
    let bodies = try Data.fetchAll(
      db, sql: "SELECT record FROM governance_body WHERE compound_id = ? AND kind IN (?, ?)",
      arguments: [
        compound, Governance_Organisation_V1_GovernanceBodyKind.ownersCommittee.rawValue,
        Governance_Organisation_V1_GovernanceBodyKind.selfManagementCommittee.rawValue,
      ]
    ).map { try StoredMessage.decode(Body.self, from: $0) }
    for var body in bodies {
      var chairParty = ""
      if !body.chairMemberID.isEmpty,
        let chair = try RecordTable.fetch(db, BodyMember.self, id: body.chairMemberID)
      {
        chairParty = chair.partyMemberID
        chairs.insert(chairParty)
      }
      let oneShoulder = Positions.isOneShoulder(chairPartyMemberID: chairParty, compoundBranchSecretaries: secretaries)
      if body.oneShoulder != oneShoulder {
        body.oneShoulder = oneShoulder
        _ = try RecordTable.update(db, body, by: principal, at: time)
      }
    }
    for var position in secretaryPositions {
      let oneShoulder = chairs.contains(position.memberID)
      if position.oneShoulder != oneShoulder {
        position.oneShoulder = oneShoulder
        _ = try RecordTable.update(db, position, by: principal, at: time)
      }
    }
  }
}

extension Governance_Organisation_V1_Position: AuditedRecord {}
