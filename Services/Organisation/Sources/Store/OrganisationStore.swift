import Foundation
import GRDB
import GovernanceAPI
import ServiceKit

/// The organisation service's SQLite database: party organisations and, as the service grows,
/// members, self-governance bodies, appointments, conferences and paired units.
public struct OrganisationStore: Sendable {
  public typealias Organisation = Governance_Organisation_V1_Organisation

  let writer: any DatabaseWriter
  let vault: ContactVault

  public init(writer: any DatabaseWriter, vault: ContactVault) {
    self.writer = writer
    self.vault = vault
  }

  /// The schema, one append-only migration per shipped change.
  public static var migrator: DatabaseMigrator {
    var migrator = DatabaseMigrator.governance
    migrator.registerMigration("v1-organisation") { db in
      try RecordTable.create(db, name: "party_organisation") { table in
        table.column("division_code", .text).notNull().indexed()
        table.column("name", .text).notNull()
        table.column("level", .integer).notNull()
        table.column("branch_kind", .integer).notNull()
        table.column("parent_id", .text).references("party_organisation").indexed()
        table.column("status", .integer).notNull()
      }
      try RecordTable.create(db, name: "party_member") { table in
        table.column("division_code", .text).notNull().indexed()
        table.column("organisation_id", .text).notNull().references("party_organisation").indexed()
        table.column("home_compound_id", .text).indexed()
        table.column("kind", .integer).notNull()
        table.column("standing", .integer).notNull()
        table.column("status", .integer).notNull()
      }
      // Contacts apart from the member records, which hold them masked: every read of a whole
      // contact goes through one query, which RevealContact pairs with its audit row.
      try db.create(table: "member_contact") { table in
        table.primaryKey("member_id", .text).references("party_member")
        table.column("contact", .blob).notNull()
      }
      try db.create(table: "member_transfer") { table in
        table.autoIncrementedPrimaryKey("seq")
        table.column("member_id", .text).notNull().references("party_member").indexed()
        table.column("record", .blob).notNull()
      }
      try db.create(table: "organisation_event") { table in
        table.autoIncrementedPrimaryKey("seq")
        table.column("organisation_id", .text).notNull().references("party_organisation").indexed()
        table.column("record", .blob).notNull()
      }
      try RecordTable.create(db, name: "community_registration") { table in
        table.column("division_code", .text).notNull().indexed()
        table.column("member_id", .text).notNull().references("party_member").indexed()
        table.column("active", .boolean).notNull()
      }
      // A member registers once at a community while the registration lasts.
      try db.execute(
        sql: """
          CREATE UNIQUE INDEX community_registration_once ON community_registration(member_id, division_code)
          WHERE active
          """)
      try RecordTable.create(db, name: "governance_body") { table in
        table.column("division_code", .text).notNull().indexed()
        table.column("kind", .integer).notNull()
        table.column("status", .integer).notNull()
        table.column("compound_id", .text).indexed()
      }
      try RecordTable.create(db, name: "body_member") { table in
        table.column("division_code", .text).notNull().indexed()
        table.column("body_id", .text).notNull().references("governance_body").indexed()
        table.column("party_member_id", .text).indexed()
        table.column("is_party_member", .boolean).notNull()
        table.column("post", .integer).notNull()
        table.column("active", .boolean).notNull()
      }
      try db.create(table: "body_member_contact") { table in
        table.primaryKey("member_id", .text).references("body_member")
        table.column("contact", .blob).notNull()
      }
      // Only a keyed digest of the ID number is kept, to match candidates against the list.
      try RecordTable.create(db, name: "negative_list_entry") { table in
        table.column("division_code", .text).notNull().indexed()
        table.column("reason", .integer).notNull()
        table.column("id_number", .text).indexed()
        table.column("party_member_id", .text).indexed()
        table.column("valid_until", .text)
      }
      try RecordTable.create(db, name: "cross_appointment") { table in
        table.column("division_code", .text).notNull().indexed()
        table.column("party_member_id", .text).indexed()
        table.column("person_name", .text).notNull()
        table.column("property_company_id", .text).notNull().indexed()
        table.column("direction", .integer).notNull()
        table.column("current", .boolean).notNull()
      }
      try RecordTable.create(db, name: "conference") { table in
        table.column("division_code", .text).notNull().indexed()
        table.column("organisation_id", .text).notNull().references("party_organisation")
        table.column("year", .integer).notNull()
        table.column("quarter", .integer).notNull()
        table.column("held_at", .datetime).notNull()
      }
      try db.create(index: "conference_by_quarter", on: "conference", columns: ["organisation_id", "year", "quarter"])
      try RecordTable.create(db, name: "major_matter") { table in
        table.column("division_code", .text).notNull().indexed()
        table.column("body_id", .text).notNull().references("governance_body").indexed()
        table.column("kind", .integer).notNull()
      }
      try RecordTable.create(db, name: "position") { table in
        table.column("division_code", .text).notNull().indexed()
        table.column("organisation_id", .text).notNull().references("party_organisation").indexed()
        table.column("member_id", .text).notNull().references("party_member").indexed()
        table.column("kind", .integer).notNull()
        table.column("current", .boolean).notNull()
      }
      try RecordTable.create(db, name: "paired_unit") { table in
        table.column("division_code", .text).notNull().indexed()
        table.column("kind", .integer).notNull()
      }
      try RecordTable.create(db, name: "pairing") { table in
        table.column("division_code", .text).notNull().indexed()
        table.column("paired_unit_id", .text).notNull().references("paired_unit").indexed()
        table.column("compound_id", .text).indexed()
        table.column("current", .boolean).notNull()
      }
      try RecordTable.create(db, name: "pairing_evaluation") { table in
        table.column("division_code", .text).notNull().indexed()
        table.column("pairing_id", .text).notNull().references("pairing")
        table.column("paired_unit_id", .text).notNull().indexed()
        table.column("year", .integer).notNull()
        table.column("quarter", .integer).notNull()
        table.uniqueKey(["pairing_id", "year", "quarter"])
      }
      try db.create(table: "contact_reveal") { table in
        table.autoIncrementedPrimaryKey("seq")
        table.column("subject_id", .text).notNull().indexed()
        table.column("revealed_by", .text).notNull()
        table.column("reason", .text).notNull()
        table.column("revealed_at", .datetime).notNull()
      }
    }
    migrator.registerMigration("v2-member-id-number-digest") { db in
      // The keyed digest of a member's ID number (ContactVault.matchKey), by which ImportMembers
      // matches a register's rows; '' for a member without one. The vault's key is not at hand
      // in a migration, so members stored before it hold NULL until an import fills them in
      // (OrganisationStore.backfillIDNumberDigests) or their contact is next updated.
      try db.alter(table: "party_member") { $0.add(column: "id_number_digest", .text) }
      try db.create(index: "party_member_id_number_digest", on: "party_member", columns: ["id_number_digest"])
    }
    migrator.registerMigration("v3-member-counts-by-division") { db in
      // Coverage counts a jurisdiction's active members by community and standing: with the
      // three columns in one index the count reads the index alone, in its order, where the
      // index by division code alone looked up every member's row and sorted them all again
      // (about 40 ms for a city's 57,200 members; docs/PERFORMANCE.md, tenth round). Its first
      // column serves every lookup by division code, so that index goes.
      try db.create(
        index: "party_member_by_division_standing", on: "party_member",
        columns: ["division_code", "standing", "status"])
      try db.drop(index: "party_member_on_division_code")
    }
    Outbox.registerMigration(in: &migrator)
    return migrator
  }

  /// Creates an organisation after checking it against its parent, in one transaction; a
  /// repeated `requestID` returns the organisation the first call created.
  public func createOrganisation(
    _ request: Governance_Organisation_V1_CreateOrganisationRequest,
    by principal: Principal,
    at time: Date = Date()
  ) async throws -> Organisation {
    try await writer.write { db in
      try IdempotencyLedger.perform(db, caller: principal, requestID: request.requestID, request: request) {
        let proposed = request.organisation
        var parent: Organisation?
        if !proposed.parentID.isEmpty {
          let parentID = try FieldValidation.requiredID(proposed.parentID, field: "organisation.parent_id")
          guard let found = try Self.fetchOrganisation(db, id: parentID) else {
            throw DomainError.notFound(resource: "parent organisation", id: parentID)
          }
          parent = found
        }
        let organisation = try OrganisationTree.validateNew(proposed, parent: parent)
        if organisation.level == .branch, organisation.branchKind == .compound {
          let compound = try FieldValidation.requiredID(organisation.compoundID, field: "organisation.compound_id")
          try BranchFormation.checkStandalone(
            compound: compound, formalMembers: try Self.formalMemberCounts(db, compounds: [compound])[compound] ?? 0)
        }
        let created = try RecordTable.insertNew(db, organisation, by: principal, at: time)
        try Self.recordEvent(db, .created, organisation: created.id, by: principal, at: time) {
          $0.toParentID = created.parentID
          $0.toDivisionCode = created.divisionCode
        }
        return created
      }
    }
  }

  public func organisation(id: String) async throws -> Organisation? {
    try await writer.read { db in
      try Self.fetchOrganisation(db, id: id).map { try Self.withMemberCounts(db, [$0])[0] }
    }
  }

  /// The organisations with their computed member counts: active formal and probationary members
  /// in the register whose organisation each is.
  static func withMemberCounts(_ db: Database, _ organisations: [Organisation]) throws -> [Organisation] {
    let ids = organisations.map(\.id)
    let formal = try memberCounts(db, by: "organisation_id", in: ids, standing: .formal)
    let probationary = try memberCounts(db, by: "organisation_id", in: ids, standing: .probationary)
    return organisations.map { organisation in
      var counted = organisation
      counted.formalMemberCount = Int32(formal[organisation.id] ?? 0)
      counted.probationaryMemberCount = Int32(probationary[organisation.id] ?? 0)
      return counted
    }
  }

  static func fetchOrganisation(_ db: Database, id: String) throws -> Organisation? {
    try RecordTable.fetch(db, Organisation.self, id: id)
  }
}

extension Governance_Organisation_V1_Organisation: AuditedRecord {}

extension OrganisationStore {
  /// The active branches under `prefix` that serve a compound, by compound id: compound branches
  /// by their compound, joint and functional ones by each compound they cover.
  public func branchesByCompound(under prefix: String) async throws -> [String: Organisation] {
    var filter = RecordFilter()
    try filter.divisionPrefix(prefix)
    filter.add("level = ?", Governance_Organisation_V1_OrganisationLevel.branch.rawValue)
    filter.add("status = ?", Governance_Organisation_V1_OrganisationStatus.active.rawValue)
    let conditions = filter.conditions.joined(separator: " AND ")
    let arguments = StatementArguments(filter.arguments)
    return try await writer.read { db in
      var branches: [String: Organisation] = [:]
      for data in try Data.fetchAll(
        db, sql: "SELECT record FROM party_organisation WHERE \(conditions)", arguments: arguments)
      {
        let branch = try StoredMessage.decode(Organisation.self, from: data)
        for compound in [branch.compoundID] + branch.coveredCompoundIds where !compound.isEmpty {
          branches[compound] = branch
        }
      }
      return branches
    }
  }
}

extension OrganisationStore {
  /// The organisation service's side of coverage under `prefix`, in a handful of queries.
  public func partyFacts(under prefix: String) async throws -> Coverage.PartyFacts {
    try await partyFacts(under: prefix, childLength: nil).whole
  }

  /// The SQL that counts the active members (bound last: the active status) that meet
  /// `conditions` (bound first), by division code and standing: read from
  /// `party_member_by_division_standing` alone, in its order, with no sort.
  static func activeMembersByDivision(where conditions: String) -> String {
    """
    SELECT division_code, standing, COUNT(*) AS n FROM party_member
    WHERE \(conditions) AND status = ? GROUP BY division_code, standing
    """
  }

  /// The organisation service's side of coverage under `prefix`, and, with `childLength`, the same
  /// for each child division: the first `childLength` digits of a record's division code (6 for
  /// a district under a city). One pass of the same queries serves both, each record counted for
  /// the whole and for its child, rather than the queries again for every child.
  ///
  /// - Returns: the facts for the whole prefix, and by child prefix (children without records
  ///   absent).
  /// - Throws: `DomainError.invalidArgument` for a prefix that is not digits, PERMISSION_DENIED
  ///   outside the caller's jurisdiction.
  public func partyFacts(under prefix: String, childLength: Int?) async throws -> (
    whole: Coverage.PartyFacts, children: [String: Coverage.PartyFacts]
  ) {
    var filter = RecordFilter()
    try filter.divisionPrefix(prefix, scan: .everything)
    let conditions = filter.conditions.isEmpty ? "1" : filter.conditions.joined(separator: " AND ")
    let arguments = filter.arguments
    return try await writer.read { db in
      // A record's child: its code's first `childLength` digits; without children, none.
      func child(_ code: String) -> String? {
        guard let childLength, code.utf8.count >= childLength else { return nil }
        return String(code.prefix(childLength))
      }
      var whole = Coverage.PartyFacts()
      var children: [String: Coverage.PartyFacts] = [:]
      let active = Governance_Organisation_V1_OrganisationStatus.active.rawValue
      for data in try Data.fetchAll(
        db,
        sql: """
          SELECT record FROM party_organisation WHERE \(conditions) AND status = ?
          AND (level = ? OR branch_kind = ? OR level = ?) ORDER BY rowid
          """,
        arguments: StatementArguments(
          arguments + [
            active.databaseValue, Governance_Organisation_V1_OrganisationLevel.branch.rawValue.databaseValue,
            Governance_Organisation_V1_BranchKind.grid.rawValue.databaseValue,
            Governance_Organisation_V1_OrganisationLevel.buildingGroup.rawValue.databaseValue,
          ]))
      {
        let organisation = try StoredMessage.decode(Organisation.self, from: data)
        let key = child(organisation.divisionCode)
        func count(_ change: (inout Coverage.PartyFacts) -> Void) {
          change(&whole)
          if let key { change(&children[key, default: Coverage.PartyFacts()]) }
        }
        // Where several branches serve one compound, the last registered is the one counted.
        if organisation.level == .branch {
          for compound in [organisation.compoundID] + organisation.coveredCompoundIds where !compound.isEmpty {
            count { $0.branchesByCompound[compound] = organisation }
          }
        }
        if organisation.level == .buildingGroup {
          count { $0.buildingsWithGroup += organisation.buildingID.isEmpty ? 0 : 1 }
        } else if organisation.branchKind == .grid {
          let grid = organisation.gridCode.isEmpty ? organisation.divisionCode : organisation.gridCode
          count { _ = $0.gridsWithBranch.insert(grid) }
        }
      }
      // Counted by division code, in the order of the index that holds all three columns
      // (`party_member_by_division_standing`), and summed into children here: grouping by the
      // child's prefix in SQL sorted every member again.
      for row in try Row.fetchAll(
        db.cachedStatement(sql: Self.activeMembersByDivision(where: conditions)),
        arguments: StatementArguments(
          arguments + [Governance_Organisation_V1_MemberStatus.active.rawValue.databaseValue]))
      {
        let standing: Int = row["standing"]
        let number: Int = row["n"]
        let key = child(row["division_code"])
        func add(_ facts: inout Coverage.PartyFacts) {
          if standing == Governance_Organisation_V1_MemberStanding.formal.rawValue { facts.formalMembers += number }
          if standing == Governance_Organisation_V1_MemberStanding.probationary.rawValue {
            facts.probationaryMembers += number
          }
        }
        add(&whole)
        if let key { add(&children[key, default: Coverage.PartyFacts()]) }
      }
      for row in try Row.fetchAll(
        db,
        sql: """
          SELECT division_code, COUNT(*) AS n FROM community_registration
          WHERE \(conditions) AND active GROUP BY division_code
          """,
        arguments: StatementArguments(arguments))
      {
        let number: Int = row["n"]
        whole.inServiceRegistered += number
        if let key = child(row["division_code"]) {
          children[key, default: Coverage.PartyFacts()].inServiceRegistered += number
        }
      }
      return (whole, children)
    }
  }
}
