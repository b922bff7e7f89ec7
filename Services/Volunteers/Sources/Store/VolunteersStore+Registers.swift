import Foundation
import GRDB
import GovernanceAPI
import ServiceKit

/// What the volunteers service's peers said of a register's rows before its batch is written
/// (a transaction does not wait on the network): the compounds the rows name, as the property
/// service has them, and the party members the organisation service refused.
public struct VolunteerRegisterLookups: Sendable {
  /// The compound id, or why there is none, by community and name (`key(community:name:)`).
  public var compounds: [String: Result<String, DomainError>] = [:]
  /// Why each refused party member id may not be linked (CreateVolunteer's check).
  public var refusedPartyMembers: [String: DomainError] = [:]

  public init() {}

  public static func key(community: String, name: String) -> String { "\(community)/\(name)" }
}

extension VolunteersStore {
  /// Takes one batch of a register of volunteers (志愿者台账): each row matched by the digest of
  /// its ID number, else of its phone, then created by CreateVolunteer's rules or changed by
  /// UpdateVolunteer's in the fields the row gives, or left as it is when it already holds them.
  /// Contacts are sealed as CreateVolunteer seals them. Each row is held to the caller's
  /// jurisdiction as its own call would be; `lookups` holds what the peers said of the rows.
  public func importVolunteers(
    _ request: Governance_Volunteers_V1_ImportVolunteersRequest, lookups: VolunteerRegisterLookups,
    by principal: Principal, at time: Date = Date()
  ) async throws -> Governance_Common_V1_ImportResponse {
    try ImportBatch.checkSize(request.rows.count)
    let vault = vault
    return try await writer.write { db in
      var results: [Governance_Common_V1_ImportRowResult] = []
      // The digests filled in for volunteers stored before they were kept go with a dry run too.
      try db.inSavepoint {
        try Self.backfillContactKeys(db, vault: vault)
        results = try ImportBatch.run(db, rows: request.rows, validateOnly: request.validateOnly, number: \.row) {
          db, row in
          try Self.importVolunteer(db, row, lookups: lookups, vault: vault, by: principal, at: time)
        }
        return request.validateOnly ? .rollback : .commit
      }
      return .with { $0.results = results }
    }
  }

  /// One row of a register of volunteers, inside its batch's savepoint.
  static func importVolunteer(
    _ db: Database, _ row: Governance_Volunteers_V1_ImportedVolunteer, lookups: VolunteerRegisterLookups,
    vault: ContactVault, by principal: Principal, at time: Date
  ) throws -> ImportBatch.Applied {
    try Authorization.checkRequest(row, by: principal)
    var given = try ResidentVolunteering.stamp(row.volunteer, by: principal)
    if given.compoundID.isEmpty, !row.compoundName.isEmpty {
      given.compoundID = try importedCompoundID(row, lookups: lookups)
    }
    let keyNumber = try VolunteerRegisters.keyNumber(of: given.contact)
    let ids = try String.fetchAll(
      db.cachedStatement(sql: "SELECT id FROM volunteer WHERE contact_key = ? ORDER BY id LIMIT 2"),
      arguments: [vault.matchKey(keyNumber)])
    try VolunteerRegisters.checkOneVolunteer(ids, byIDNumber: !given.contact.idNumber.isEmpty)
    guard let id = ids.first else {
      let validated = try VolunteerRegistry.validate(given)
      try checkPartyMember(validated, lookups: lookups)
      return .created(id: try insertVolunteer(db, validated, vault: vault, by: principal, at: time).id)
    }
    let current = try openedVolunteer(db, id: id, vault: vault)
    try Jurisdiction.checkWritable(current.divisionCode, by: principal)
    try VolunteerRegisters.checkCommunity(given, of: current)
    let (changes, paths) = VolunteerRegisters.change(given, over: current)
    let updated = try updatedVolunteer(current, changes: changes, paths: paths, by: principal)
    if paths.contains("party_member_id") { try checkPartyMember(updated, lookups: lookups) }
    guard updated != current else { return .unchanged(id: id) }
    return .updated(id: try writeVolunteer(db, updated, paths: paths, vault: vault, by: principal, at: time).id)
  }

  /// The compound a row names by `compound_name` within the volunteer's community, as the
  /// property service found it; empty when the community is not one (the row then fails on it).
  static func importedCompoundID(_ row: Governance_Volunteers_V1_ImportedVolunteer, lookups: VolunteerRegisterLookups)
    throws -> String
  {
    let name = try FieldValidation.requiredName(row.compoundName, field: "compound_name")
    let key = VolunteerRegisterLookups.key(community: row.volunteer.divisionCode, name: name)
    return try lookups.compounds[key]?.get() ?? ""
  }

  /// CreateVolunteer's check of a linked party member, as the organisation service answered it.
  static func checkPartyMember(_ volunteer: Volunteer, lookups: VolunteerRegisterLookups) throws {
    if volunteer.hasPartyMemberID, let refusal = lookups.refusedPartyMembers[volunteer.partyMemberID] {
      throw refusal
    }
  }

  /// Fills in the digests of volunteers stored before they were kept (NULL), from their sealed
  /// contacts: '' for a contact without an ID number or phone, or one this vault cannot open.
  /// Once done, one indexed look-up finds nothing more to do.
  static func backfillContactKeys(_ db: Database, vault: ContactVault) throws {
    let pending = try Row.fetchAll(
      db,
      sql: """
        SELECT volunteer.id, volunteer_contact.contact FROM volunteer
        JOIN volunteer_contact ON volunteer_contact.volunteer_id = volunteer.id
        WHERE volunteer.contact_key IS NULL
        """)
    for row in pending {
      let sealed: Data = row["contact"]
      let contact = (try? vault.open(sealed)) ?? Governance_Common_V1_ResidentContact()
      try writeContactKey(db, volunteerID: row["id"], of: contact, vault: vault)
    }
  }
}
