import Foundation
import GRDB
import GovernanceAPI
import ServiceKit
import SwiftProtobuf

extension OrganisationStore {
  public typealias Member = Governance_Organisation_V1_PartyMember

  /// Active formal members living in each of `compounds`, counted by SQLite in one query.
  static func formalMemberCounts(_ db: Database, compounds: [String]) throws -> [String: Int] {
    try memberCounts(db, compounds: compounds, standing: .formal)
  }

  static func memberCounts(
    _ db: Database, compounds: [String], standing: Governance_Organisation_V1_MemberStanding
  ) throws -> [String: Int] {
    try memberCounts(db, by: "home_compound_id", in: compounds, standing: standing)
  }

  /// Active members of `standing` for each of `values` of `column` (`home_compound_id` or
  /// `organisation_id`), counted by SQLite in one query; values without members are absent.
  static func memberCounts(
    _ db: Database, by column: String, in values: [String], standing: Governance_Organisation_V1_MemberStanding
  ) throws -> [String: Int] {
    guard !values.isEmpty else { return [:] }
    let placeholders = values.map { _ in "?" }.joined(separator: ", ")
    var arguments: [any DatabaseValueConvertible] = [
      standing.rawValue, Governance_Organisation_V1_MemberStatus.active.rawValue,
    ]
    arguments += values.map { $0 as any DatabaseValueConvertible }
    let rows = try Row.fetchAll(
      db,
      sql: """
        SELECT \(column) AS value, COUNT(*) AS n FROM party_member
        WHERE standing = ? AND status = ? AND \(column) IN (\(placeholders))
        GROUP BY \(column)
        """,
      arguments: StatementArguments(arguments))
    return Dictionary(uniqueKeysWithValues: rows.map { ($0["value"], $0["n"]) })
  }

  /// Formal and probationary counts for the plan of a community or street.
  public func memberCounts(compounds: [String]) async throws -> (formal: [String: Int], probationary: [String: Int]) {
    try await writer.read { db in
      (
        try Self.memberCounts(db, compounds: compounds, standing: .formal),
        try Self.memberCounts(db, compounds: compounds, standing: .probationary)
      )
    }
  }

  /// Registers a member in their organisation; the record holds the contact masked, the whole
  /// contact is kept apart for RevealContact.
  public func createMember(
    _ request: Governance_Organisation_V1_CreateMemberRequest, by principal: Principal, at time: Date = Date()
  ) async throws -> Member {
    let organisationID = try FieldValidation.requiredID(request.member.organisationID, field: "member.organisation_id")
    let vault = vault
    return try await writer.write { db in
      try IdempotencyLedger.perform(db, caller: principal, requestID: request.requestID, request: request) {
        let organisation = try Self.fetchOrganisation(db, id: organisationID).orNotFound(
          "organisation", id: organisationID)
        var member = try MemberRules.validateNew(request.member, organisation: organisation)
        let contact = member.contact
        member.contact = PersonalData.masked(contact)
        let stored = try RecordTable.insertNew(db, member, by: principal, at: time)
        try db.execute(
          sql: "INSERT INTO member_contact (member_id, contact) VALUES (?, ?)",
          arguments: [stored.id, try vault.seal(contact)])
        return stored
      }
    }
  }

  public func member(id: String) async throws -> Member? {
    try await writer.read { db in try RecordTable.fetch(db, Member.self, id: id) }
  }

  public func listMembers(_ request: Governance_Organisation_V1_ListMembersRequest) async throws
    -> Governance_Organisation_V1_ListMembersResponse
  {
    let page = try PageRequest(pageSize: request.pageSize, pageToken: request.pageToken)
    let order = try ListOrder(request.orderBy)
    var filter = RecordFilter()
    try filter.divisionPrefix(request.divisionPrefix)
    filter.add("organisation_id = ?", request.organisationID, when: !request.organisationID.isEmpty)
    filter.add("kind = ?", request.kind.rawValue, when: request.kind != .unspecified)
    filter.add("standing = ?", request.standing.rawValue, when: request.standing != .unspecified)
    filter.add("home_compound_id = ?", request.homeCompoundID, when: !request.homeCompoundID.isEmpty)
    filter.add(
      "status = ?", Governance_Organisation_V1_MemberStatus.active.rawValue, when: !request.includeLeft)
    var (members, next) = try await writer.read { [filter] db in
      try RecordTable.list(db, Member.self, filter: filter, page: page, order: order)
    }
    if !request.homeBuildingID.isEmpty { members = members.filter { $0.homeBuildingID == request.homeBuildingID } }
    if !request.skill.isEmpty { members = members.filter { $0.skills.contains(request.skill) } }
    return .with {
      $0.members = members
      $0.nextPageToken = next
    }
  }

  /// Moves a member to another active organisation; the transfer is kept.
  public func transferMember(
    _ request: Governance_Organisation_V1_TransferMemberRequest, by principal: Principal, at time: Date = Date()
  ) async throws -> Member {
    let memberID = try FieldValidation.requiredID(request.memberID, field: "member_id")
    let targetID = try FieldValidation.requiredID(request.toOrganisationID, field: "to_organisation_id")
    let reason = try FieldValidation.optionalText(request.reason, field: "reason", maximumLength: 500)
    if request.hasEffectiveDate { try CalendarDate.validate(request.effectiveDate, field: "effective_date") }
    return try await writer.write { db in
      try IdempotencyLedger.perform(db, caller: principal, requestID: request.requestID, request: request) {
        let target = try Self.fetchOrganisation(db, id: targetID).orNotFound(id: targetID)
        try MemberRules.checkTransferTarget(target)
        let saved = try Self.moveMember(
          db, memberID, to: target, reason: reason,
          effective: request.hasEffectiveDate ? request.effectiveDate : nil, by: principal, at: time)
        return saved
      }
    }
  }

  /// Moves one member to `target` and keeps the transfer in the member's history.
  static func moveMember(
    _ db: Database, _ memberID: String, to target: Governance_Organisation_V1_Organisation, reason: String,
    effective: Governance_Common_V1_Date? = nil, by principal: Principal, at time: Date
  ) throws -> Member {
    var member = try RecordTable.fetchRequired(db, Member.self, id: memberID)
    try MemberRules.checkTransfer(member, to: target)
    let transfer = Governance_Organisation_V1_MemberTransfer.with {
      $0.memberID = memberID
      $0.fromOrganisationID = member.organisationID
      $0.toOrganisationID = target.id
      $0.effectiveDate = effective ?? CalendarDate.today(at: time)
      $0.reason = reason
      $0.time = Google_Protobuf_Timestamp(date: time)
      $0.actor = principal.description
    }
    member.organisationID = target.id
    member.divisionCode = target.divisionCode
    let saved = try RecordTable.update(db, member, by: principal, at: time)
    try db.execute(
      sql: "INSERT INTO member_transfer (member_id, record) VALUES (?, ?)",
      arguments: [memberID, try StoredMessage.encode(transfer)])
    return saved
  }

  public func memberTransfers(_ request: Governance_Organisation_V1_ListMemberTransfersRequest) async throws
    -> Governance_Organisation_V1_ListMemberTransfersResponse
  {
    let memberID = try FieldValidation.requiredID(request.memberID, field: "member_id")
    return try await writer.read { db in
      _ = try RecordTable.fetchRequired(db, Member.self, id: memberID)
      let transfers = try Data.fetchAll(
        db, sql: "SELECT record FROM member_transfer WHERE member_id = ? ORDER BY seq", arguments: [memberID]
      ).map { try StoredMessage.decode(Governance_Organisation_V1_MemberTransfer.self, from: $0) }
      return .with { $0.transfers = transfers }
    }
  }

  /// Returns a member's whole contact and records who asked, when and why, in one transaction:
  /// no reveal without its audit row.
  public func revealContact(
    _ request: Governance_Organisation_V1_RevealContactRequest, by principal: Principal, at time: Date = Date()
  ) async throws -> Governance_Organisation_V1_RevealContactResponse {
    try MemberRules.checkRevealSubject(request.subject)
    let memberID = try FieldValidation.requiredID(request.subjectID, field: "subject_id")
    let reason = try FieldValidation.requiredName(request.reason, field: "reason", maximumLength: 200)
    let vault = vault
    return try await writer.write { db in
      guard
        let data = try Data.fetchOne(
          db, sql: "SELECT contact FROM member_contact WHERE member_id = ?", arguments: [memberID])
      else { throw DomainError.notFound(resource: "member", id: memberID) }
      try ContactReveal.record(db, subject: memberID, by: principal, reason: reason, at: time)
      let contact = try vault.open(data)
      return .with {
        $0.contact = contact
        $0.revealTime = Google_Protobuf_Timestamp(date: time)
      }
    }
  }
}

extension Governance_Organisation_V1_PartyMember: AuditedRecord {}

extension OrganisationStore {
  /// Changes the fields named in the mask; a new contact is sealed again, a member who left
  /// keeps the record with status LEFT.
  public func updateMember(
    _ request: Governance_Organisation_V1_UpdateMemberRequest, by principal: Principal, at time: Date = Date()
  ) async throws -> Member {
    let paths = try updatePaths(
      request.updateMask,
      allowed: [
        "contact", "kind", "standing", "status", "home_compound_id", "home_building_id", "work_unit", "skills",
        "joined_party_date",
      ])
    let id = try FieldValidation.requiredID(request.member.id, field: "member.id")
    let given = request.member
    let vault = vault
    return try await writer.write { db in
      var member = try RecordTable.fetchRequired(db, Member.self, id: id)
      let organisation = try Self.requireOrganisation(db, id: member.organisationID)
      var contact: Governance_Common_V1_ResidentContact?
      for path in paths {
        switch path {
        case "contact": contact = given.contact
        case "kind": member.kind = given.kind
        case "standing": member.standing = given.standing
        case "status": member.status = given.status
        case "home_compound_id": member.homeCompoundID = given.homeCompoundID
        case "home_building_id": member.homeBuildingID = given.homeBuildingID
        case "work_unit": member.workUnit = given.workUnit
        case "skills": member.skills = given.skills
        default: member.joinedPartyDate = given.joinedPartyDate
        }
      }
      let status = try FieldValidation.requiredCase(
        member.status, field: "member.status", unspecified: .unspecified, known: [.active, .left])
      var check = member
      // Validation reads the whole contact; the stored record holds it masked.
      if let contact {
        check.contact = contact
      } else {
        let sealed = try Data.fetchOne(
          db, sql: "SELECT contact FROM member_contact WHERE member_id = ?", arguments: [id])
        check.contact = try vault.open(sealed ?? Data())
      }
      var validated = try MemberRules.validateNew(check, organisation: organisation)
      validated.status = status
      if contact != nil {
        try db.execute(
          sql: "UPDATE member_contact SET contact = ? WHERE member_id = ?",
          arguments: [try vault.seal(validated.contact), id])
      }
      validated.contact = PersonalData.masked(validated.contact)
      validated.id = member.id
      validated.audit = member.audit
      return try RecordTable.update(db, validated, by: principal, at: time)
    }
  }
}
