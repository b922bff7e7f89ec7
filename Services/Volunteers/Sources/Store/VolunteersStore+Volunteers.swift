import Foundation
import GRDB
import GovernanceAPI
import ServiceKit

extension VolunteersStore {
  public typealias Volunteer = Governance_Volunteers_V1_Volunteer
  typealias Contact = Governance_Common_V1_ResidentContact

  /// Registers a validated volunteer (the party member already checked with the organisation
  /// service): the contact sealed apart, the record holding it masked. One volunteer per party
  /// member.
  public func createVolunteer(
    _ request: Governance_Volunteers_V1_CreateVolunteerRequest, validated: Volunteer, by principal: Principal,
    at time: Date = Date()
  ) async throws -> Volunteer {
    let vault = vault
    return try await writer.write { db in
      try IdempotencyLedger.perform(db, caller: principal, requestID: request.requestID, request: request) {
        try Self.insertVolunteer(db, validated, vault: vault, by: principal, at: time)
      }
    }
  }

  /// The rule "only staff bind a record to a sign-in, save a resident registering themselves"
  /// (`Jurisdiction.checkMayBindPrincipal`), for a new volunteer.
  static func checkBinding(_ volunteer: Volunteer, by principal: Principal) throws {
    if !volunteer.principalID.isEmpty && !ResidentVolunteering.bindsSelf(volunteer, by: principal) {
      try Jurisdiction.checkMayBindPrincipal(field: "volunteer.principal_id", by: principal)
    }
  }

  /// What CreateVolunteer writes of a validated volunteer, in the caller's transaction: the
  /// binding to a sign-in and the party member checked, the record with its contact masked, the
  /// contact sealed apart and the digest a register finds it by.
  static func insertVolunteer(
    _ db: Database, _ validated: Volunteer, vault: ContactVault, by principal: Principal, at time: Date
  ) throws -> Volunteer {
    try checkBinding(validated, by: principal)
    try checkMemberUnregistered(db, validated, except: nil)
    var volunteer = validated
    let contact = volunteer.contact
    volunteer.contact = PersonalData.masked(contact)
    volunteer.teamIds = []
    volunteer.active = true
    volunteer.registerDate = CalendarDate.today(at: time)
    let created = try RecordTable.insertNew(db, volunteer, by: principal, at: time)
    try db.execute(
      sql: "INSERT INTO volunteer_contact (volunteer_id, contact) VALUES (?, ?)",
      arguments: [created.id, try vault.seal(contact)])
    try writeContactKey(db, volunteerID: created.id, of: contact, vault: vault)
    return created
  }

  /// Keeps the digest a register finds volunteer `volunteerID` by (`contact_key`): that of the
  /// contact's ID number, else of its phone.
  static func writeContactKey(_ db: Database, volunteerID: String, of contact: Contact, vault: ContactVault) throws {
    try db.cachedStatement(sql: "UPDATE volunteer SET contact_key = ? WHERE id = ?")
      .execute(arguments: [vault.matchKey(VolunteerRegisters.storedKeyNumber(of: contact)), volunteerID])
  }

  static func checkMemberUnregistered(_ db: Database, _ volunteer: Volunteer, except id: String?) throws {
    guard volunteer.hasPartyMemberID,
      let existing = try String.fetchOne(
        db, sql: "SELECT id FROM volunteer WHERE party_member_id = ?", arguments: [volunteer.partyMemberID]),
      existing != id
    else { return }
    throw DomainError.alreadyExists(
      resource: "volunteer for party member", id: volunteer.partyMemberID, detail: "registered as \(existing)")
  }

  /// The rule "a volunteer's stream and answers are theirs" (`Jurisdiction.checkPersonal`) for the
  /// volunteer `id`: NOT_FOUND for an unknown volunteer, PERMISSION_DENIED for another person.
  public func checkOwnVolunteer(_ id: String, by principal: Principal) async throws {
    guard Jurisdiction.personalReadNeedsRecord(by: principal) else { return }
    try await writer.read { db in try Self.checkOwnVolunteer(db, id, by: principal) }
  }

  static func checkOwnVolunteer(_ db: Database, _ id: String, by principal: Principal) throws {
    guard Jurisdiction.personalReadNeedsRecord(by: principal) else { return }
    let volunteer = try RecordTable.fetchRequired(db, Volunteer.self, id: id)
    try Jurisdiction.checkPersonal(
      ownerPrincipal: volunteer.principalID, divisionCode: volunteer.divisionCode, record: "volunteer \(id)",
      by: principal)
  }

  /// One volunteer, masked; whole when `reveal` is asked by staff, with the reveal recorded.
  public func volunteer(id: String, reveal: Bool = false, by principal: Principal = .system, at time: Date = Date())
    async throws -> Volunteer?
  {
    guard reveal else {
      return try await writer.read { db in try RecordTable.fetch(db, Volunteer.self, id: id) }
    }
    let vault = vault
    return try await writer.write { db in
      guard var volunteer = try RecordTable.fetch(db, Volunteer.self, id: id),
        let sealed = try Data.fetchOne(
          db, sql: "SELECT contact FROM volunteer_contact WHERE volunteer_id = ?", arguments: [id])
      else { return nil }
      try ContactReveal.record(db, subject: id, by: principal, reason: "GetVolunteer", at: time)
      volunteer.contact = try vault.open(sealed)
      return volunteer
    }
  }

  public func listVolunteers(_ request: Governance_Volunteers_V1_ListVolunteersRequest) async throws
    -> Governance_Volunteers_V1_ListVolunteersResponse
  {
    let page = try PageRequest(pageSize: request.pageSize, pageToken: request.pageToken)
    let order = try ListOrder(request.orderBy)
    var filter = RecordFilter()
    try filter.divisionPrefix(request.divisionPrefix)
    filter.add("kind = ?", request.kind.rawValue, when: request.kind != .unspecified)
    filter.add(
      "id IN (SELECT volunteer_id FROM team_member WHERE team_id = ?)", request.teamID, when: !request.teamID.isEmpty)
    for skill in try VolunteerRegistry.skills(request.skills, field: "skills") {
      filter.add("skills LIKE ?", "%,\(skill),%")
    }
    filter.add("compound_id = ?", request.compoundID, when: !request.compoundID.isEmpty)
    filter.add("party_member_id = ?", request.partyMemberID, when: !request.partyMemberID.isEmpty)
    filter.add("active", when: !request.includeInactive)
    let (volunteers, next) = try await writer.read { [filter] db in
      try RecordTable.list(db, Volunteer.self, filter: filter, page: page, order: order)
    }
    return .with {
      $0.volunteers = volunteers
      $0.nextPageToken = next
    }
  }

  /// The volunteer as it would be after the update, validated, with its whole contact (for a
  /// party-member check before the write).
  public func proposedUpdate(_ request: Governance_Volunteers_V1_UpdateVolunteerRequest) async throws
    -> (volunteer: Volunteer, paths: [String])
  {
    let paths = try updatePaths(request.updateMask, allowed: Self.updatableVolunteerPaths)
    let id = try FieldValidation.requiredID(request.volunteer.id, field: "volunteer.id")
    let vault = vault
    let current = try await writer.read { db in try Self.openedVolunteer(db, id: id, vault: vault) }
    return (try Self.updatedVolunteer(current, changes: request.volunteer, paths: paths, by: Principal.current), paths)
  }

  /// The fields UpdateVolunteer changes.
  static let updatableVolunteerPaths: Set<String> = [
    "contact", "kind", "skills", "compound_id", "party_member_id", "property_company_id", "principal_id", "active",
  ]

  /// The volunteer `id` with its contact opened.
  static func openedVolunteer(_ db: Database, id: String, vault: ContactVault) throws -> Volunteer {
    var volunteer = try RecordTable.fetchRequired(db, Volunteer.self, id: id)
    if let sealed = try Data.fetchOne(
      db, sql: "SELECT contact FROM volunteer_contact WHERE volunteer_id = ?", arguments: [id])
    {
      volunteer.contact = try vault.open(sealed)
    }
    return volunteer
  }

  /// The volunteer `current` (its contact opened) with the fields `paths` names taken from
  /// `changes`, validated by CreateVolunteer's rules: what UpdateVolunteer writes.
  static func updatedVolunteer(_ current: Volunteer, changes: Volunteer, paths: [String], by principal: Principal)
    throws -> Volunteer
  {
    var changed = current
    for path in paths {
      switch path {
      case "contact": changed.contact = changes.contact
      case "kind": changed.kind = changes.kind
      case "skills": changed.skills = changes.skills
      case "compound_id": changed.compoundID = changes.compoundID
      case "party_member_id":
        if changes.hasPartyMemberID {
          changed.partyMemberID = changes.partyMemberID
        } else {
          changed.clearPartyMemberID()
        }
      case "property_company_id": changed.propertyCompanyID = changes.propertyCompanyID
      case "principal_id": changed.principalID = changes.principalID
      default: changed.active = changes.active
      }
    }
    if paths.contains("principal_id") {
      try Jurisdiction.checkMayBindPrincipal(field: "volunteer.principal_id", by: principal)
    }
    // A contact stored under earlier, looser rules is checked only when the update changes it.
    var candidate = changed
    if !paths.contains("contact") { candidate.contact = .with { $0.name = changed.contact.name } }
    var validated = try VolunteerRegistry.validate(candidate)
    if !paths.contains("contact") { validated.contact = changed.contact }
    validated.active = changed.active
    return validated
  }

  /// Writes a validated update; the contact is sealed again when it changed.
  public func saveVolunteer(_ volunteer: Volunteer, paths: [String], by principal: Principal, at time: Date = Date())
    async throws -> Volunteer
  {
    let vault = vault
    return try await writer.write { db in
      try Self.writeVolunteer(db, volunteer, paths: paths, vault: vault, by: principal, at: time)
    }
  }

  /// What UpdateVolunteer writes of `updatedVolunteer`'s result (its contact whole), in the
  /// caller's transaction: the record with its contact masked, the contact sealed again when it
  /// is among `paths`, and the digest a register finds it by.
  static func writeVolunteer(
    _ db: Database, _ volunteer: Volunteer, paths: [String], vault: ContactVault, by principal: Principal, at time: Date
  ) throws -> Volunteer {
    let current = try RecordTable.fetchRequired(db, Volunteer.self, id: volunteer.id)
    try checkMemberUnregistered(db, volunteer, except: volunteer.id)
    var stored = volunteer
    stored.teamIds = current.teamIds
    stored.registerDate = current.registerDate
    stored.contact = PersonalData.masked(volunteer.contact)
    if paths.contains("contact") {
      try db.execute(
        sql: "UPDATE volunteer_contact SET contact = ? WHERE volunteer_id = ?",
        arguments: [try vault.seal(volunteer.contact), volunteer.id])
    }
    let saved = try RecordTable.update(db, stored, by: principal, at: time)
    try writeContactKey(db, volunteerID: saved.id, of: volunteer.contact, vault: vault)
    return saved
  }
}

extension Governance_Volunteers_V1_Volunteer: AuditedRecord {}
