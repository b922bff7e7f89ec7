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
        return try Self.insertMember(db, request.member, in: organisation, vault: vault, by: principal, at: time)
      }
    }
  }

  /// CreateMember's rules and writes inside the caller's transaction: `proposed` validated as a
  /// new member of `organisation`, stored with its contact masked, the whole contact sealed
  /// apart and its ID number's digest beside the record.
  static func insertMember(
    _ db: Database, _ proposed: Member, in organisation: Organisation, vault: ContactVault, by principal: Principal,
    at time: Date
  ) throws -> Member {
    var member = try MemberRules.validateNew(proposed, organisation: organisation)
    let contact = member.contact
    member.contact = PersonalData.masked(contact)
    let stored = try RecordTable.insertNew(db, member, by: principal, at: time)
    try db.cachedStatement(sql: "INSERT INTO member_contact (member_id, contact) VALUES (?, ?)")
      .execute(arguments: [stored.id, try vault.seal(contact)])
    try writeIDNumberDigest(db, memberID: stored.id, of: contact, vault: vault)
    return stored
  }

  /// Keeps the digest of the ID number of `contact` beside the member's record ('' for none), the
  /// key ImportMembers matches by.
  static func writeIDNumberDigest(
    _ db: Database, memberID: String, of contact: Governance_Common_V1_ResidentContact, vault: ContactVault
  ) throws {
    try db.cachedStatement(sql: "UPDATE party_member SET id_number_digest = ? WHERE id = ?")
      .execute(arguments: [vault.matchKey(contact.idNumber), memberID])
  }

  /// The whole contact of a member, as sealed apart from the record.
  static func storedContact(_ db: Database, memberID: String, vault: ContactVault) throws
    -> Governance_Common_V1_ResidentContact
  {
    let sealed = try Data.fetchOne(
      db.cachedStatement(sql: "SELECT contact FROM member_contact WHERE member_id = ?"), arguments: [memberID])
    return try vault.open(sealed ?? Data())
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
  /// The fields UpdateMember may change.
  static let memberUpdatePaths: Set<String> = [
    "contact", "kind", "standing", "status", "home_compound_id", "home_building_id", "work_unit", "skills",
    "joined_party_date",
  ]

  /// Changes the fields named in the mask; a new contact is sealed again, a member who left
  /// keeps the record with status LEFT.
  public func updateMember(
    _ request: Governance_Organisation_V1_UpdateMemberRequest, by principal: Principal, at time: Date = Date()
  ) async throws -> Member {
    let paths = try updatePaths(request.updateMask, allowed: Self.memberUpdatePaths)
    let id = try FieldValidation.requiredID(request.member.id, field: "member.id")
    let given = request.member
    let vault = vault
    return try await writer.write { db in
      let member = try RecordTable.fetchRequired(db, Member.self, id: id)
      let change = try Self.prepareMemberUpdate(db, member, given: given, paths: paths, vault: vault)
      return try Self.saveMemberUpdate(db, change, vault: vault, by: principal, at: time)
    }
  }

  /// A member as an update leaves them: the record (contact masked) and, when the update gives
  /// a contact, the whole contact validated.
  struct MemberChange {
    var record: Member
    var contact: Governance_Common_V1_ResidentContact?
  }

  /// UpdateMember's rules: `member` with the fields `paths` names taken from `given`, validated
  /// as a member of their organisation; nothing is written. `storedContact` is the member's whole
  /// contact when the caller has read it already.
  static func prepareMemberUpdate(
    _ db: Database, _ member: Member, given: Member, paths: [String],
    storedContact: Governance_Common_V1_ResidentContact? = nil, vault: ContactVault
  ) throws -> MemberChange {
    var member = member
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
      check.contact = try storedContact ?? Self.storedContact(db, memberID: member.id, vault: vault)
    }
    var validated = try MemberRules.validateNew(check, organisation: organisation)
    validated.status = status
    let whole = validated.contact
    validated.contact = PersonalData.masked(whole)
    validated.id = member.id
    validated.audit = member.audit
    return MemberChange(record: validated, contact: contact == nil ? nil : whole)
  }

  /// Writes what `prepareMemberUpdate` made: a new contact sealed again with its ID number's
  /// digest, and the record.
  static func saveMemberUpdate(
    _ db: Database, _ change: MemberChange, vault: ContactVault, by principal: Principal, at time: Date
  ) throws -> Member {
    let saved = try RecordTable.update(db, change.record, by: principal, at: time)
    if let contact = change.contact {
      try db.execute(
        sql: "UPDATE member_contact SET contact = ? WHERE member_id = ?",
        arguments: [try vault.seal(contact), saved.id])
      try writeIDNumberDigest(db, memberID: saved.id, of: contact, vault: vault)
    }
    return saved
  }
}

extension OrganisationStore {
  /// Takes one batch of a register of members (党员台账): each row matched by the digest of its
  /// ID number, then created by CreateMember's rules or changed by UpdateMember's in the fields
  /// the row gives, or left as it is when it already holds them. Each row is held to the
  /// caller's jurisdiction as its own call would be.
  public func importMembers(
    _ request: Governance_Organisation_V1_ImportMembersRequest, by principal: Principal, at time: Date = Date()
  ) async throws -> Governance_Common_V1_ImportResponse {
    try ImportBatch.checkSize(request.rows.count)
    let vault = vault
    return try await writer.write { db in
      var results: [Governance_Common_V1_ImportRowResult] = []
      // The digests filled in for members stored before they were kept go with a dry run too.
      try db.inSavepoint {
        try Self.backfillIDNumberDigests(db, vault: vault)
        results = try ImportBatch.run(db, rows: request.rows, validateOnly: request.validateOnly, number: \.row) {
          db, row in
          try Self.importMember(db, row, vault: vault, by: principal, at: time)
        }
        return request.validateOnly ? .rollback : .commit
      }
      return .with { $0.results = results }
    }
  }

  /// One row of a register of members, applied inside the batch's savepoint.
  static func importMember(
    _ db: Database, _ row: Governance_Organisation_V1_ImportedMember, vault: ContactVault, by principal: Principal,
    at time: Date
  ) throws -> ImportBatch.Applied {
    try Authorization.checkRequest(row, by: principal)
    let given = row.member
    guard !given.contact.idNumber.isEmpty else {
      throw DomainError.invalidArgument(field: "member.contact.id_number", rule: "is required")
    }
    let idNumber = try ResidentIDNumber.validated(given.contact.idNumber, field: "member.contact.id_number")
    let organisation = try importedOrganisation(db, row)
    guard let id = try memberID(db, idNumberDigest: vault.matchKey(idNumber)) else {
      guard let organisation else {
        throw DomainError.invalidArgument(field: "member.organisation_id", rule: "is required")
      }
      var proposed = given
      proposed.organisationID = organisation.id
      let created = try insertMember(db, proposed, in: organisation, vault: vault, by: principal, at: time)
      // CreateMember registers an active member; a register's member who left is then marked
      // so by UpdateMember's rules, so that the same row sent again is unchanged.
      if given.status != .unspecified, given.status != created.status {
        let change = try prepareMemberUpdate(db, created, given: given, paths: ["status"], vault: vault)
        _ = try saveMemberUpdate(db, change, vault: vault, by: principal, at: time)
      }
      return .created(id: created.id)
    }
    let member = try RecordTable.fetchRequired(db, Member.self, id: id)
    try Jurisdiction.checkWritable(member.divisionCode, by: principal)
    if let organisation { try MemberRules.checkImportedOrganisation(member, organisation) }
    let stored = try storedContact(db, memberID: id, vault: vault)
    var changes = given
    changes.contact = MemberRules.importedContact(given.contact, over: stored, idNumber: idNumber)
    let change = try prepareMemberUpdate(
      db, member, given: changes, paths: importedPaths(given), storedContact: stored, vault: vault)
    if change.record == member, change.contact == stored { return .unchanged(id: id) }
    return .updated(id: try saveMemberUpdate(db, change, vault: vault, by: principal, at: time).id)
  }

  /// The fields of UpdateMember a register's row gives (those not at their default): the
  /// contact, which holds the row's key, always.
  static func importedPaths(_ member: Member) -> [String] {
    var paths = ["contact"]
    if member.kind != .unspecified { paths.append("kind") }
    if member.standing != .unspecified { paths.append("standing") }
    if member.status != .unspecified { paths.append("status") }
    if !member.homeCompoundID.isEmpty { paths.append("home_compound_id") }
    if !member.homeBuildingID.isEmpty { paths.append("home_building_id") }
    if !member.workUnit.isEmpty { paths.append("work_unit") }
    if !member.skills.isEmpty { paths.append("skills") }
    if member.hasJoinedPartyDate { paths.append("joined_party_date") }
    return paths
  }

  /// The organisation a register's row names: `member.organisation_id`, else the one called
  /// `organisation_name` at the member's division or a division above it; nil when the row
  /// names none.
  static func importedOrganisation(_ db: Database, _ row: Governance_Organisation_V1_ImportedMember) throws
    -> Organisation?
  {
    if !row.member.organisationID.isEmpty {
      let id = try FieldValidation.requiredID(row.member.organisationID, field: "member.organisation_id")
      return try fetchOrganisation(db, id: id).orNotFound("organisation", id: id)
    }
    guard !row.organisationName.isEmpty else { return nil }
    let name = try FieldValidation.requiredName(row.organisationName, field: "organisation_name")
    let division = try DivisionCode(row.member.divisionCode, field: "member.division_code")
    let codes = sequence(first: division, next: \.parent).map(\.code)
    let candidates = try Data.fetchAll(
      db,
      sql: """
        SELECT record FROM party_organisation
        WHERE name = ? AND division_code IN (\(codes.map { _ in "?" }.joined(separator: ", ")))
        """,
      arguments: StatementArguments([name] + codes)
    ).map { try StoredMessage.decode(Organisation.self, from: $0) }
    return try MemberRules.organisationNamed(name, at: division.code, among: candidates)
  }

  /// The member whose ID number has `digest`, if any; FAILED_PRECONDITION when two have it.
  static func memberID(_ db: Database, idNumberDigest digest: String) throws -> String? {
    let ids = try String.fetchAll(
      db.cachedStatement(sql: "SELECT id FROM party_member WHERE id_number_digest = ? ORDER BY id LIMIT 2"),
      arguments: [digest])
    try MemberRules.checkOneMemberByIDNumber(ids)
    return ids.first
  }

  /// Fills in the ID number digests of members stored before the digest was kept (NULL), from
  /// their sealed contacts: '' for a contact without an ID number or one this vault cannot open.
  /// Once done, one indexed look-up finds nothing more to do.
  static func backfillIDNumberDigests(_ db: Database, vault: ContactVault) throws {
    let pending = try Row.fetchAll(
      db,
      sql: """
        SELECT party_member.id, member_contact.contact FROM party_member
        JOIN member_contact ON member_contact.member_id = party_member.id
        WHERE party_member.id_number_digest IS NULL
        """)
    for row in pending {
      let sealed: Data = row["contact"]
      let contact = (try? vault.open(sealed)) ?? Governance_Common_V1_ResidentContact()
      try writeIDNumberDigest(db, memberID: row["id"], of: contact, vault: vault)
    }
  }
}
