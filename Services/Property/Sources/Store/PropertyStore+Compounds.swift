import Foundation
import GRDB
import GovernanceAPI
import ServiceKit
import SwiftProtobuf

extension PropertyStore {
  typealias Event = Governance_Property_V1_CompoundEvent

  static func saveCompound(_ db: Database, _ compound: Compound, by principal: Principal, at time: Date) throws
    -> Compound
  {
    try RecordTable.update(db, compound, by: principal, at: time)
  }

  static func fetchCompound(_ db: Database, id: String) throws -> Compound {
    try RecordTable.fetchRequired(db, Compound.self, id: id)
  }

  /// Appends to a compound's history, which is never rewritten.
  static func recordEvent(
    _ db: Database, _ kind: Governance_Property_V1_CompoundEventKind, compound: String, by principal: Principal,
    at time: Date, _ details: (inout Event) -> Void = { _ in }
  ) throws {
    var event = Event.with {
      $0.compoundID = compound
      $0.kind = kind
      $0.time = Google_Protobuf_Timestamp(date: time)
      $0.actor = principal.description
    }
    details(&event)
    try db.execute(
      sql: "INSERT INTO compound_event (compound_id, kind, record) VALUES (?, ?, ?)",
      arguments: [compound, kind.rawValue, try StoredMessage.encode(event)])
  }

  /// Registers a compound with its grids and the first line of its history.
  public func createCompound(
    _ request: Governance_Property_V1_CreateCompoundRequest, by principal: Principal, at time: Date = Date()
  ) async throws -> Compound {
    try await perform(requestID: request.requestID, request: request, by: principal) { db in
      try Self.insertCompound(db, request.compound, by: principal, at: time)
    }
  }

  /// What CreateCompound writes, in the caller's transaction: the compound validated, its grids
  /// and the first line of its history.
  static func insertCompound(_ db: Database, _ given: Compound, by principal: Principal, at time: Date) throws
    -> Compound
  {
    let compound = try RecordTable.insertNew(db, try CompoundRegistration.validateNew(given), by: principal, at: time)
    for grid in Set(compound.gridCodes) {
      try db.execute(
        sql: "INSERT INTO compound_grid (compound_id, grid_code) VALUES (?, ?)", arguments: [compound.id, grid])
    }
    try recordEvent(db, .created, compound: compound.id, by: principal, at: time) {
      $0.toMode = compound.managementMode
    }
    return compound
  }

  public func compound(id: String) async throws -> Compound? {
    try await read { db in try RecordTable.fetch(db, Compound.self, id: id) }
  }

  public func listCompounds(_ request: Governance_Property_V1_ListCompoundsRequest) async throws
    -> Governance_Property_V1_ListCompoundsResponse
  {
    let page = try PageRequest(pageSize: request.pageSize, pageToken: request.pageToken)
    let order = try ListOrder(request.orderBy, fields: ["name": "name", "household_count": "household_count"])
    var filter = RecordFilter()
    try filter.divisionPrefix(request.divisionPrefix)
    filter.add(
      "id IN (SELECT compound_id FROM compound_grid WHERE grid_code = ?)", request.gridCode,
      when: !request.gridCode.isEmpty)
    filter.add("management_mode = ?", request.managementMode.rawValue, when: request.managementMode != .unspecified)
    filter.add("kind = ?", request.kind.rawValue, when: request.kind != .unspecified)
    filter.add("three_no = ?", request.threeNo, when: request.hasThreeNo)
    filter.add("company_id = ?", request.companyID, when: !request.companyID.isEmpty)
    filter.add("area = ?", request.area, when: !request.area.isEmpty)
    let nameContains = try FieldValidation.optionalText(
      request.nameContains, field: "name_contains", maximumLength: 100)
    filter.add("instr(name, ?) > 0", nameContains, when: !nameContains.isEmpty)
    let (compounds, next) = try await read { [filter] db in
      try RecordTable.list(db, Compound.self, filter: filter, page: page, order: order)
    }
    return .with {
      $0.compounds = compounds
      $0.nextPageToken = next
    }
  }

  /// The id and division code of each compound under a prefix, in id order, read from the table's
  /// columns (no compound decoded): default 10,000 to a page, at most 20,000. Throws
  /// INVALID_ARGUMENT naming `division_prefix`, `page_size` or `page_token` (also a token of
  /// another list), PERMISSION_DENIED for a prefix outside the caller's jurisdiction.
  public func listCompoundDivisions(_ request: Governance_Property_V1_ListCompoundDivisionsRequest) async throws
    -> Governance_Property_V1_ListCompoundDivisionsResponse
  {
    let page = try PageRequest(
      pageSize: request.pageSize, pageToken: request.pageToken, defaultSize: 10_000, maximumSize: 20_000)
    var filter = RecordFilter()
    try filter.divisionPrefix(request.divisionPrefix, scan: .everything)
    if let after = try page.afterID(idPrefix: Compound.idPrefix) { filter.add("id > ?", after) }
    let conditions = filter.conditions.isEmpty ? "1" : filter.conditions.joined(separator: " AND ")
    let rows = try await read { [filter] db in
      try Row.fetchAll(
        db, sql: "SELECT id, division_code FROM compound WHERE \(conditions) ORDER BY id LIMIT ?",
        arguments: StatementArguments(filter.arguments + [(page.size + 1).databaseValue])
      ).map { row in
        Governance_Property_V1_CompoundDivision.with {
          $0.compoundID = row["id"]
          $0.divisionCode = row["division_code"]
        }
      }
    }
    return .with {
      $0.compounds = Array(rows.prefix(page.size))
      $0.nextPageToken = rows.count > page.size ? PageRequest.token(after: rows[page.size - 1].compoundID) : ""
    }
  }

  /// Changes the plain fields named in the mask; mode, contract and company change only through
  /// their own actions.
  public func updateCompound(
    _ request: Governance_Property_V1_UpdateCompoundRequest, by principal: Principal, at time: Date = Date()
  ) async throws -> Compound {
    let paths = try updatePaths(request.updateMask, allowed: Self.updatableCompoundPaths)
    let id = try FieldValidation.requiredID(request.compound.id, field: "compound.id")
    return try await writer.write { db in
      let compound = try Self.fetchCompound(db, id: id)
      let updated = try Self.updatedCompound(compound, changes: request.compound, paths: paths)
      return try Self.writeCompoundUpdate(db, updated, paths: paths, by: principal, at: time)
    }
  }

  /// The fields UpdateCompound changes.
  static let updatableCompoundPaths: Set<String> = [
    "name", "address", "area", "household_count", "grid_codes", "kind", "three_no", "point",
  ]

  /// The compound `compound` with the fields `paths` names taken from `changes`, validated by
  /// CreateCompound's rules: what UpdateCompound writes. Mode, contract, company, acceptance and
  /// building count stay as stored.
  static func updatedCompound(_ compound: Compound, changes: Compound, paths: [String]) throws(DomainError)
    -> Compound
  {
    var changed = compound
    for path in paths {
      switch path {
      case "name": changed.name = changes.name
      case "address": changed.address = changes.address
      case "area": changed.area = changes.area
      case "household_count": changed.householdCount = changes.householdCount
      case "grid_codes": changed.gridCodes = changes.gridCodes
      case "kind": changed.kind = changes.kind
      case "point":
        if changes.hasPoint { changed.point = changes.point } else { changed.clearPoint() }
      default:
        // The "no property company" flag follows the contracts; the other two are set here.
        changed.threeNo.noManagingUnit = changes.threeNo.noManagingUnit
        changed.threeNo.noSecurity = changes.threeNo.noSecurity
      }
    }
    var validated = try CompoundRegistration.validateNew(changed)
    validated.managementMode = changed.managementMode
    validated.buildingCount = changed.buildingCount
    validated.currentContractID = changed.currentContractID
    validated.currentCompanyID = changed.currentCompanyID
    validated.latestAcceptanceID = changed.latestAcceptanceID
    validated.threeNo.noPropertyCompany = changed.threeNo.noPropertyCompany
    return validated
  }

  /// Writes what `updatedCompound` made, in the caller's transaction: the record, its grids when
  /// they are among `paths`, and a history line naming `paths`.
  static func writeCompoundUpdate(
    _ db: Database, _ updated: Compound, paths: [String], by principal: Principal, at time: Date
  ) throws -> Compound {
    let saved = try saveCompound(db, updated, by: principal, at: time)
    if paths.contains("grid_codes") {
      try db.execute(sql: "DELETE FROM compound_grid WHERE compound_id = ?", arguments: [saved.id])
      for grid in Set(saved.gridCodes) {
        try db.execute(
          sql: "INSERT INTO compound_grid (compound_id, grid_code) VALUES (?, ?)", arguments: [saved.id, grid])
      }
    }
    try recordEvent(db, .updated, compound: saved.id, by: principal, at: time) { $0.changedFields = paths }
    return saved
  }

  public func changeManagementMode(
    _ request: Governance_Property_V1_ChangeManagementModeRequest, by principal: Principal, at time: Date = Date()
  ) async throws -> Compound {
    let id = try FieldValidation.requiredID(request.compoundID, field: "compound_id")
    let reason = try FieldValidation.optionalText(request.reason, field: "reason", maximumLength: 500)
    return try await perform(requestID: request.requestID, request: request, by: principal) { db in
      var compound = try Self.fetchCompound(db, id: id)
      let street = try ManagementModeRules.street(of: compound)
      let centre = try Self.centre(db, street: street.code)
      try ManagementModeRules.checkManualChange(of: compound, to: request.mode, centre: centre)
      let from = compound.managementMode
      compound.managementMode = request.mode
      compound.fallbackCentreID = request.mode == .fallback ? centre?.id ?? "" : ""
      let saved = try Self.saveCompound(db, compound, by: principal, at: time)
      try Self.recordEvent(db, .modeChanged, compound: id, by: principal, at: time) {
        $0.fromMode = from
        $0.toMode = request.mode
        $0.reason = reason
      }
      return saved
    }
  }

  public func compoundHistory(_ request: Governance_Property_V1_ListCompoundHistoryRequest) async throws
    -> Governance_Property_V1_ListCompoundHistoryResponse
  {
    let id = try FieldValidation.requiredID(request.compoundID, field: "compound_id")
    let page = try PageRequest(pageSize: request.pageSize, pageToken: request.pageToken)
    let after = try page.afterID.map { text throws(DomainError) -> Int64 in
      guard let seq = Int64(text) else {
        throw DomainError.invalidArgument(field: "page_token", rule: "is not a token from a previous page")
      }
      return seq
    }
    let kinds = request.kinds.map(\.rawValue)
    return try await read { db in
      _ = try Self.fetchCompound(db, id: id)
      var sql = "SELECT seq, record FROM compound_event WHERE compound_id = ? AND seq > ?"
      var arguments: [any DatabaseValueConvertible] = [id, after ?? 0]
      if !kinds.isEmpty {
        sql += " AND kind IN (\(kinds.map { _ in "?" }.joined(separator: ", ")))"
        arguments += kinds.map { $0 as any DatabaseValueConvertible }
      }
      sql += " ORDER BY seq LIMIT ?"
      arguments.append(page.size + 1)
      let rows = try Row.fetchAll(db, sql: sql, arguments: StatementArguments(arguments))
      var events: [Event] = []
      var bytes = 0
      for row in rows.prefix(page.size) {
        let stored: Data = row["record"]
        guard PageRequest.takes(stored.count, after: bytes, count: events.count) else { break }
        bytes += stored.count
        events.append(try StoredMessage.decode(Event.self, from: stored))
      }
      return .with {
        $0.events = events
        if rows.count > events.count {
          $0.nextPageToken = PageRequest.token(after: String(rows[events.count - 1]["seq"] as Int64))
        }
      }
    }
  }

  // MARK: Buildings

  public func createBuilding(
    _ request: Governance_Property_V1_CreateBuildingRequest, by principal: Principal, at time: Date = Date()
  ) async throws -> Building {
    try await perform(requestID: request.requestID, request: request, by: principal) { db in
      let compound = try Self.fetchCompound(
        db,
        id: try FieldValidation.requiredID(
          request.building.compoundID, field: "building.compound_id"))
      return try Self.insertBuilding(db, request.building, in: compound, by: principal, at: time)
    }
  }

  /// What CreateBuilding writes, in the caller's transaction: the building validated in its
  /// compound, the compound's building count and a line of its history.
  static func insertBuilding(
    _ db: Database, _ given: Building, in compound: Compound, by principal: Principal, at time: Date
  ) throws -> Building {
    var compound = compound
    let building = try RecordTable.insertNew(
      db, try BuildingRules.validateNew(given, in: compound), by: principal, at: time)
    compound.buildingCount += 1
    _ = try saveCompound(db, compound, by: principal, at: time)
    try recordEvent(db, .buildingAdded, compound: compound.id, by: principal, at: time) {
      $0.buildingID = building.id
    }
    return building
  }

  public func building(id: String) async throws -> Building? {
    try await read { db in try RecordTable.fetch(db, Building.self, id: id) }
  }

  public func updateBuilding(
    _ request: Governance_Property_V1_UpdateBuildingRequest, by principal: Principal, at time: Date = Date()
  ) async throws -> Building {
    let paths = try updatePaths(request.updateMask, allowed: Self.updatableBuildingPaths)
    let id = try FieldValidation.requiredID(request.building.id, field: "building.id")
    return try await writer.write { db in
      let building = try RecordTable.fetchRequired(db, Building.self, id: id)
      let compound = try Self.fetchCompound(db, id: building.compoundID)
      let updated = try Self.updatedBuilding(building, changes: request.building, paths: paths, in: compound)
      return try Self.writeBuildingUpdate(db, updated, over: building, by: principal, at: time)
    }
  }

  /// The fields UpdateBuilding changes.
  static let updatableBuildingPaths: Set<String> = [
    "name", "units", "household_count", "leader_member_id", "leader_name", "point",
  ]

  /// The building `building` of `compound` with the fields `paths` names taken from `changes`,
  /// validated by CreateBuilding's rules: what UpdateBuilding writes.
  static func updatedBuilding(_ building: Building, changes: Building, paths: [String], in compound: Compound) throws
    -> Building
  {
    let merged = try building.merging(changes, paths: paths)
    var validated = try BuildingRules.validateNew(merged, in: compound)
    validated.id = merged.id
    validated.audit = merged.audit
    return validated
  }

  /// Writes what `updatedBuilding` made of `stored`, in the caller's transaction, with a line of
  /// the compound's history when its leader changed.
  static func writeBuildingUpdate(
    _ db: Database, _ updated: Building, over stored: Building, by principal: Principal, at time: Date
  ) throws -> Building {
    let saved = try RecordTable.update(db, updated, by: principal, at: time)
    if saved.leaderMemberID != stored.leaderMemberID {
      try recordEvent(db, .buildingLeaderChanged, compound: saved.compoundID, by: principal, at: time) {
        $0.buildingID = saved.id
      }
    }
    return saved
  }

  public func listBuildings(_ request: Governance_Property_V1_ListBuildingsRequest) async throws
    -> Governance_Property_V1_ListBuildingsResponse
  {
    let page = try PageRequest(pageSize: request.pageSize, pageToken: request.pageToken)
    var filter = RecordFilter()
    try filter.divisionPrefix(request.divisionPrefix)
    filter.add("compound_id = ?", request.compoundID, when: !request.compoundID.isEmpty)
    filter.add(
      request.hasLeader_p ? "leader_member_id IS NOT NULL" : "leader_member_id IS NULL", when: request.hasHasLeader_p)
    filter.add("leader_member_id = ?", request.leaderMemberID, when: !request.leaderMemberID.isEmpty)
    let (buildings, next) = try await read { [filter] db in
      try RecordTable.list(db, Building.self, filter: filter, page: page)
    }
    return .with {
      $0.buildings = buildings
      $0.nextPageToken = next
    }
  }

  // MARK: Street property service centres

  static func centre(_ db: Database, street: String) throws -> Centre? {
    guard
      let id = try String.fetchOne(
        db, sql: "SELECT id FROM service_centre WHERE division_code = ?", arguments: [street])
    else { return nil }
    return try RecordTable.fetch(db, Centre.self, id: id)
  }

  public func createServiceCentre(
    _ request: Governance_Property_V1_CreateServiceCentreRequest, by principal: Principal, at time: Date = Date()
  ) async throws -> Centre {
    try await perform(requestID: request.requestID, request: request, by: principal) { db in
      let centre = try ServiceCentreRules.validateNew(request.centre)
      if let existing = try Self.centre(db, street: centre.divisionCode) {
        throw DomainError.alreadyExists(
          resource: "service centre of street", id: centre.divisionCode, detail: "it is \(existing.id)")
      }
      return try RecordTable.insertNew(db, centre, by: principal, at: time)
    }
  }

  public func listServiceCentres(_ request: Governance_Property_V1_ListServiceCentresRequest) async throws
    -> Governance_Property_V1_ListServiceCentresResponse
  {
    let page = try PageRequest(pageSize: request.pageSize, pageToken: request.pageToken)
    var filter = RecordFilter()
    try filter.divisionPrefix(request.divisionPrefix)
    let (centres, next) = try await read { [filter] db in
      try RecordTable.list(db, Centre.self, filter: filter, page: page)
    }
    return .with {
      $0.centres = centres
      $0.nextPageToken = next
    }
  }
}
