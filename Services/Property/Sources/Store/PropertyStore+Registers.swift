import Foundation
import GRDB
import GovernanceAPI
import ServiceKit

/// The registers (台账) of compounds, buildings and companies, taken a batch of at most 500 rows
/// at a time (`ImportBatch`): each row is found by its natural key, then created by the Create
/// RPC's code or changed by the Update RPC's in the fields it gives, or left as it is when it
/// already holds them (nothing written, no update stamp). Each row is held to the caller's
/// jurisdiction as its own Create or Update call would be, and one that breaks a rule is reported
/// FAILED while the rest go in.
extension PropertyStore {
  public typealias ImportResponse = Governance_Common_V1_ImportResponse

  /// ImportCompounds: a row's key is its community (`compound.division_code`) and exact name.
  public func importCompounds(
    _ request: Governance_Property_V1_ImportCompoundsRequest, by principal: Principal, at time: Date = Date()
  ) async throws -> ImportResponse {
    try ImportBatch.checkSize(request.rows.count)
    let results = try await writer.write { db in
      try ImportBatch.run(db, rows: request.rows, validateOnly: request.validateOnly, number: \.row) { db, row in
        try Self.importCompound(db, row, by: principal, at: time)
      }
    }
    return .with { $0.results = results }
  }

  /// ImportBuildings: a row's key is its compound (`building.compound_id`, else `compound_name`
  /// within `building.division_code`'s community) and its exact name.
  public func importBuildings(
    _ request: Governance_Property_V1_ImportBuildingsRequest, by principal: Principal, at time: Date = Date()
  ) async throws -> ImportResponse {
    try ImportBatch.checkSize(request.rows.count)
    let results = try await writer.write { db in
      try ImportBatch.run(db, rows: request.rows, validateOnly: request.validateOnly, number: \.row) { db, row in
        try Self.importBuilding(db, row, by: principal, at: time)
      }
    }
    return .with { $0.results = results }
  }

  /// ImportCompanies: a row's key is its unified social credit code, checked by its GB 32100
  /// check character as CreateCompany checks it.
  public func importCompanies(
    _ request: Governance_Property_V1_ImportCompaniesRequest, by principal: Principal, at time: Date = Date()
  ) async throws -> ImportResponse {
    try ImportBatch.checkSize(request.rows.count)
    let results = try await writer.write { db in
      try ImportBatch.run(db, rows: request.rows, validateOnly: request.validateOnly, number: \.row) { db, row in
        try Self.importCompany(db, row, by: principal, at: time)
      }
    }
    return .with { $0.results = results }
  }

  /// One row of a register of compounds, inside its batch's savepoint.
  static func importCompound(
    _ db: Database, _ row: Governance_Property_V1_ImportedCompound, by principal: Principal, at time: Date
  ) throws -> ImportBatch.Applied {
    try Authorization.checkRequest(row, by: principal)
    let given = row.compound
    let name = try FieldValidation.requiredName(given.name, field: "compound.name")
    guard let stored = try compoundNamed(db, name, in: given.divisionCode) else {
      return .created(id: try insertCompound(db, PropertyRegisters.newCompound(given), by: principal, at: time).id)
    }
    try Jurisdiction.checkWritable(stored.divisionCode, by: principal)
    let updated = try updatedCompound(stored, changes: given, paths: PropertyRegisters.givenPaths(of: given))
    guard updated != stored else { return .unchanged(id: stored.id) }
    let changed = PropertyRegisters.changedPaths(from: stored, to: updated)
    return .updated(id: try writeCompoundUpdate(db, updated, paths: changed, by: principal, at: time).id)
  }

  /// One row of a register of buildings, inside its batch's savepoint.
  static func importBuilding(
    _ db: Database, _ row: Governance_Property_V1_ImportedBuilding, by principal: Principal, at time: Date
  ) throws -> ImportBatch.Applied {
    try Authorization.checkRequest(row, by: principal)
    let given = row.building
    let compound = try importedCompound(db, row)
    let name = try FieldValidation.requiredName(given.name, field: "building.name", maximumLength: 50)
    let ids = try String.fetchAll(
      db.cachedStatement(sql: "SELECT id FROM building WHERE compound_id = ? AND name = ? ORDER BY id LIMIT 2"),
      arguments: [compound.id, name])
    try PropertyRegisters.checkOneBuilding(ids, named: name, in: compound.id)
    guard let id = ids.first else {
      return .created(id: try insertBuilding(db, given, in: compound, by: principal, at: time).id)
    }
    let stored = try RecordTable.fetchRequired(db, Building.self, id: id)
    try Jurisdiction.checkWritable(stored.divisionCode, by: principal)
    let updated = try updatedBuilding(
      stored, changes: given, paths: PropertyRegisters.givenPaths(of: given), in: compound)
    guard updated != stored else { return .unchanged(id: stored.id) }
    return .updated(id: try writeBuildingUpdate(db, updated, over: stored, by: principal, at: time).id)
  }

  /// One row of a register of companies, inside its batch's savepoint.
  static func importCompany(
    _ db: Database, _ row: Governance_Property_V1_ImportedCompany, by principal: Principal, at time: Date
  ) throws -> ImportBatch.Applied {
    try Authorization.checkRequest(row, by: principal)
    let given = row.company
    let code = try UnifiedSocialCreditCode.validate(
      given.unifiedSocialCreditCode, field: "company.unified_social_credit_code")
    guard let id = try companyID(db, creditCode: code) else {
      return .created(id: try insertCompany(db, given, by: principal, at: time).id)
    }
    let stored = try fetchCompany(db, id: id)
    try Jurisdiction.checkWritable(stored.divisionCode, by: principal)
    let updated = try updatedCompany(stored, changes: given, paths: PropertyRegisters.givenPaths(of: given))
    guard updated != stored else { return .unchanged(id: stored.id) }
    return .updated(id: try saveCompany(db, updated, by: principal, at: time).id)
  }

  /// The compound called `name` in `community`, if any; FAILED_PRECONDITION when two are.
  static func compoundNamed(_ db: Database, _ name: String, in community: String) throws -> Compound? {
    let ids = try String.fetchAll(
      db.cachedStatement(sql: "SELECT id FROM compound WHERE division_code = ? AND name = ? ORDER BY id LIMIT 2"),
      arguments: [community, name])
    try PropertyRegisters.checkOneCompound(ids, named: name, in: community)
    return try ids.first.map { try fetchCompound(db, id: $0) }
  }

  /// The compound a building's row names: `building.compound_id`, else the one called
  /// `compound_name` in the community of `building.division_code` (INVALID_ARGUMENT naming
  /// `compound_name` when there is none).
  static func importedCompound(_ db: Database, _ row: Governance_Property_V1_ImportedBuilding) throws -> Compound {
    guard row.building.compoundID.isEmpty, !row.compoundName.isEmpty else {
      return try fetchCompound(
        db, id: try FieldValidation.requiredID(row.building.compoundID, field: "building.compound_id"))
    }
    let name = try FieldValidation.requiredName(row.compoundName, field: "compound_name")
    let division = try DivisionCode(row.building.divisionCode, field: "building.division_code")
    let community = String(division.code.prefix(DivisionCode.Level.community.significantDigits))
    guard let compound = try compoundNamed(db, name, in: community) else {
      throw DomainError.invalidArgument(
        field: "compound_name", rule: "no compound of that name in community \(community)")
    }
    return compound
  }
}
