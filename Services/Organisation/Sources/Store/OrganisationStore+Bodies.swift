import Foundation
import GRDB
import GovernanceAPI
import ServiceKit
import SwiftProtobuf

extension OrganisationStore {
  public typealias Body = Governance_Organisation_V1_GovernanceBody
  public typealias BodyMember = Governance_Organisation_V1_BodyMember
  public typealias NegativeEntry = Governance_Organisation_V1_NegativeListEntry

  /// Creates a body; `compound` is the compound an owners' or self-management committee serves,
  /// as the property service reported it just before.
  public func createGovernanceBody(
    _ request: Governance_Organisation_V1_CreateGovernanceBodyRequest, compound: Governance_Property_V1_Compound?,
    by principal: Principal, at time: Date = Date()
  ) async throws -> Body {
    let body = try SelfGovernance.validateNew(request.body)
    if let compound {
      try SelfGovernance.checkCompoundManagement(kind: body.kind, compound: compound)
    }
    return try await writer.write { db in
      try IdempotencyLedger.perform(db, caller: principal, requestID: request.requestID, request: request) {
        if !body.leadingOrganisationID.isEmpty {
          _ = try Self.requireOrganisation(db, id: body.leadingOrganisationID)
        }
        return try RecordTable.insertNew(db, body, by: principal, at: time)
      }
    }
  }

  public func governanceBody(id: String) async throws -> Body? {
    try await writer.read { db in try RecordTable.fetch(db, Body.self, id: id) }
  }

  public func listGovernanceBodies(_ request: Governance_Organisation_V1_ListGovernanceBodiesRequest) async throws
    -> Governance_Organisation_V1_ListGovernanceBodiesResponse
  {
    let page = try PageRequest(pageSize: request.pageSize, pageToken: request.pageToken)
    let order = try ListOrder(request.orderBy)
    var filter = RecordFilter()
    try filter.divisionPrefix(request.divisionPrefix)
    filter.add("kind = ?", request.kind.rawValue, when: request.kind != .unspecified)
    filter.add("status = ?", request.status.rawValue, when: request.status != .unspecified)
    var (bodies, next) = try await writer.read { [filter] db in
      try RecordTable.list(db, Body.self, filter: filter, page: page, order: order)
    }
    if !request.compoundID.isEmpty { bodies = bodies.filter { $0.compoundIds.contains(request.compoundID) } }
    if request.oneShoulderOnly { bodies = bodies.filter(\.oneShoulder) }
    return .with {
      $0.bodies = bodies
      $0.nextPageToken = next
    }
  }

  /// Current members and party members of a body; alternates do not count towards the share.
  static func bodyCounts(_ db: Database, body: String) throws -> (members: Int, party: Int) {
    let row = try Row.fetchOne(
      db,
      sql: """
        SELECT COUNT(*) AS members, COALESCE(SUM(is_party_member), 0) AS party FROM body_member
        WHERE body_id = ? AND active AND post != ?
        """,
      arguments: [body, Governance_Organisation_V1_BodyPost.alternate.rawValue])!
    return (row["members"], row["party"])
  }

  static func saveBodyCounts(
    _ db: Database, _ body: Body, counts: (members: Int, party: Int), by principal: Principal, at time: Date
  ) throws {
    var updated = body
    updated.memberCount = Int32(counts.members)
    updated.partyMemberCount = Int32(counts.party)
    updated.partyShare = SelfGovernance.share(members: counts.members, partyMembers: counts.party)
    _ = try RecordTable.update(db, updated, by: principal, at: time)
  }

  /// Adds a member to a body after the negative list and the party share, in one transaction.
  public func addBodyMember(
    _ request: Governance_Organisation_V1_AddBodyMemberRequest, by principal: Principal, at time: Date = Date()
  ) async throws -> Governance_Organisation_V1_AddBodyMemberResponse {
    let bodyID = try FieldValidation.requiredID(request.member.bodyID, field: "member.body_id")
    var candidate = request.member
    let contact = try PersonalData.validate(request.member.contact, field: "member.contact")
    candidate.post = try FieldValidation.requiredCase(
      request.member.post, field: "member.post", unspecified: .unspecified,
      known: [.chair, .deputyChair, .member, .alternate])
    if candidate.hasTermStartDate, candidate.hasTermEndDate {
      try SelfGovernance.checkTerm(
        start: candidate.termStartDate, end: candidate.termEndDate, field: "member.term_end_date")
    }
    let proposed = candidate
    let vault = vault
    let idKey = vault.matchKey(contact.idNumber)
    return try await writer.write { db in
      try IdempotencyLedger.perform(db, caller: principal, requestID: request.requestID, request: request) {
        var candidate = proposed
        let body = try RecordTable.fetchRequired(db, Body.self, id: bodyID)
        try SelfGovernance.checkJoin(body)
        if !candidate.partyMemberID.isEmpty {
          let member = try RecordTable.fetch(db, Member.self, id: candidate.partyMemberID)
            .orNotFound("party member", id: candidate.partyMemberID)
          candidate.isPartyMember = member.status == .active
        } else {
          candidate.isPartyMember = false
        }
        let entries = try Row.fetchAll(
          db, sql: "SELECT record, id_number FROM negative_list_entry WHERE id_number = ? OR party_member_id = ?",
          arguments: [idKey.isEmpty ? nil : idKey, candidate.partyMemberID.isEmpty ? nil : candidate.partyMemberID]
        ).map {
          (
            entry: try StoredMessage.decode(NegativeEntry.self, from: $0["record"]),
            idNumber: $0["id_number"] as String? ?? ""
          )
        }
        try SelfGovernance.checkNotBarred(
          PersonalData.masked(contact).name,
          by: SelfGovernance.barringEntry(
            for: candidate, idNumber: idKey, entries: entries, today: CalendarDate.today(at: time)))
        let before = try Self.bodyCounts(db, body: bodyID)
        let counts = candidate.post == .alternate ? 0 : 1
        let after = (before.members + counts, before.party + (candidate.isPartyMember ? counts : 0))
        let change = try SelfGovernance.checkPartyShare(kind: body.kind, before: before, after: after)

        candidate.divisionCode = body.divisionCode
        candidate.contact = PersonalData.masked(contact)
        candidate.clearEndedDate()
        candidate.endReason = ""
        let stored = try RecordTable.insertNew(db, candidate, by: principal, at: time)
        try db.execute(
          sql: "INSERT INTO body_member_contact (member_id, contact) VALUES (?, ?)",
          arguments: [stored.id, try vault.seal(contact)])
        var counted = body
        if stored.post == .chair { counted.chairMemberID = stored.id }
        try Self.saveBodyCounts(db, counted, counts: after, by: principal, at: time)
        if let compound = counted.compoundIds.first {
          try Self.refreshOneShoulder(db, compound: compound, by: principal, at: time)
        }
        return .with {
          $0.member = stored
          $0.partyShare = change
        }
      }
    }
  }

  /// Ends a membership on a date, again keeping the body's party share.
  public func endBodyMembership(
    _ request: Governance_Organisation_V1_EndBodyMembershipRequest, by principal: Principal, at time: Date = Date()
  ) async throws -> Governance_Organisation_V1_EndBodyMembershipResponse {
    let id = try FieldValidation.requiredID(request.id, field: "id")
    let reason = try FieldValidation.optionalText(request.reason, field: "reason", maximumLength: 500)
    if request.hasEndedDate { try CalendarDate.validate(request.endedDate, field: "ended_date") }
    return try await writer.write { db in
      try IdempotencyLedger.perform(db, caller: principal, requestID: request.requestID, request: request) {
        var member = try RecordTable.fetchRequired(db, BodyMember.self, id: id)
        try SelfGovernance.checkEndMembership(member)
        let body = try RecordTable.fetchRequired(db, Body.self, id: member.bodyID)
        let before = try Self.bodyCounts(db, body: body.id)
        let counts = member.post == .alternate ? 0 : 1
        let after = (before.members - counts, before.party - (member.isPartyMember ? counts : 0))
        let change = try SelfGovernance.checkPartyShare(kind: body.kind, before: before, after: after)
        member.endedDate = request.hasEndedDate ? request.endedDate : CalendarDate.today(at: time)
        member.endReason = reason
        let saved = try RecordTable.update(db, member, by: principal, at: time)
        var counted = body
        if body.chairMemberID == saved.id { counted.chairMemberID = "" }
        try Self.saveBodyCounts(db, counted, counts: after, by: principal, at: time)
        if let compound = counted.compoundIds.first {
          try Self.refreshOneShoulder(db, compound: compound, by: principal, at: time)
        }
        return .with {
          $0.member = saved
          $0.partyShare = change
        }
      }
    }
  }

  public func listBodyMembers(_ request: Governance_Organisation_V1_ListBodyMembersRequest) async throws
    -> Governance_Organisation_V1_ListBodyMembersResponse
  {
    let page = try PageRequest(pageSize: request.pageSize, pageToken: request.pageToken)
    var filter = RecordFilter()
    try filter.divisionPrefix(request.divisionPrefix)
    filter.add("body_id = ?", request.bodyID, when: !request.bodyID.isEmpty)
    filter.add("party_member_id = ?", request.partyMemberID, when: !request.partyMemberID.isEmpty)
    filter.add("active", when: !request.includeEnded)
    let (members, next) = try await writer.read { [filter] db in
      try RecordTable.list(db, BodyMember.self, filter: filter, page: page)
    }
    return .with {
      $0.members = members
      $0.nextPageToken = next
    }
  }

  /// Puts a person on the candidate negative list; the record shows the contact masked.
  public func createNegativeListEntry(
    _ request: Governance_Organisation_V1_CreateNegativeListEntryRequest, by principal: Principal,
    at time: Date = Date()
  ) async throws -> NegativeEntry {
    var entry = request.entry
    let contact = try PersonalData.validate(request.entry.contact, field: "entry.contact")
    try SelfGovernance.checkNamesPerson(contact, partyMemberID: entry.partyMemberID)
    entry.reason = try FieldValidation.requiredCase(
      request.entry.reason, field: "entry.reason", unspecified: .unspecified,
      known: Governance_Organisation_V1_NegativeListReason.allCases.filter { $0 != .unspecified })
    _ = try DivisionCode(entry.divisionCode, field: "entry.division_code")
    entry.details = try FieldValidation.optionalText(entry.details, field: "entry.details")
    if entry.hasValidUntil { try CalendarDate.validate(entry.validUntil, field: "entry.valid_until") }
    entry.contact = PersonalData.masked(contact)
    if !entry.hasListedDate { entry.listedDate = CalendarDate.today(at: time) }
    let validated = entry
    let idKey = vault.matchKey(contact.idNumber)
    return try await writer.write { db in
      try IdempotencyLedger.perform(db, caller: principal, requestID: request.requestID, request: request) {
        let created = try RecordTable.insertNew(db, validated, by: principal, at: time)
        try db.execute(
          sql: "UPDATE \(NegativeEntry.table) SET id_number = ? WHERE id = ?",
          arguments: [idKey.isEmpty ? nil : idKey, created.id])
        return created
      }
    }
  }

  public func listNegativeListEntries(_ request: Governance_Organisation_V1_ListNegativeListEntriesRequest) async throws
    -> Governance_Organisation_V1_ListNegativeListEntriesResponse
  {
    let page = try PageRequest(pageSize: request.pageSize, pageToken: request.pageToken)
    var filter = RecordFilter()
    try filter.divisionPrefix(request.divisionPrefix)
    filter.add("reason = ?", request.reason.rawValue, when: request.reason != .unspecified)
    let today = CalendarDate.today(at: Date())
    filter.add(
      "(valid_until IS NULL OR valid_until >= ?)", CalendarDate.iso(today),
      when: !request.includeExpired)
    let (entries, next) = try await writer.read { [filter] db in
      try RecordTable.list(db, NegativeEntry.self, filter: filter, page: page)
    }
    return .with {
      $0.entries = entries
      $0.nextPageToken = next
    }
  }
}

extension Governance_Organisation_V1_GovernanceBody: AuditedRecord {}
extension Governance_Organisation_V1_BodyMember: AuditedRecord {}
extension Governance_Organisation_V1_NegativeListEntry: AuditedRecord {}

extension OrganisationStore {
  /// Changes a body's plain fields: name, dates, status (a term ended) and its leading
  /// organisation; members change through Add and End.
  public func updateGovernanceBody(
    _ request: Governance_Organisation_V1_UpdateGovernanceBodyRequest, by principal: Principal, at time: Date = Date()
  ) async throws -> Body {
    let paths = try updatePaths(
      request.updateMask,
      allowed: ["name", "elected_date", "term_start_date", "term_end_date", "status", "leading_organisation_id"])
    let id = try FieldValidation.requiredID(request.body.id, field: "body.id")
    let given = request.body
    return try await writer.write { db in
      var body = try RecordTable.fetchRequired(db, Body.self, id: id)
      for path in paths {
        switch path {
        case "name": body.name = try FieldValidation.requiredName(given.name, field: "body.name")
        case "elected_date":
          try CalendarDate.validate(given.electedDate, field: "body.elected_date")
          body.electedDate = given.electedDate
        case "term_start_date": body.termStartDate = given.termStartDate
        case "term_end_date": body.termEndDate = given.termEndDate
        case "status":
          body.status = try FieldValidation.requiredCase(
            given.status, field: "body.status", unspecified: .unspecified, known: [.active, .termEnded, .dissolved])
        default:
          if !given.leadingOrganisationID.isEmpty {
            _ = try Self.requireOrganisation(db, id: given.leadingOrganisationID)
          }
          body.leadingOrganisationID = given.leadingOrganisationID
        }
      }
      if body.hasTermStartDate, body.hasTermEndDate {
        try SelfGovernance.checkTerm(start: body.termStartDate, end: body.termEndDate, field: "body.term_end_date")
      }
      return try RecordTable.update(db, body, by: principal, at: time)
    }
  }
}
