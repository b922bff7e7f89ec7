import Foundation
import GRDB
import GovernanceAPI
import ServiceKit
import SwiftProtobuf

extension VolunteersStore {
  public typealias Wish = Governance_Volunteers_V1_MicroWish

  /// Posts a wish: the resident sealed apart, the record holding them masked, and
  /// `micro_wish.created` in the outbox.
  public func createWish(
    _ request: Governance_Volunteers_V1_CreateMicroWishRequest, by principal: Principal, at time: Date = Date()
  ) async throws -> Wish {
    let validated = try MicroWishWorkflow.validateNew(
      ResidentVolunteering.stamp(request.wish, by: principal), on: CalendarDate.today(at: time), at: time)
    let vault = vault
    return try await writer.write { db in
      try IdempotencyLedger.perform(db, caller: principal, requestID: request.requestID, request: request) {
        var wish = validated
        let resident = wish.resident
        wish.resident = PersonalData.masked(resident)
        let created = try RecordTable.insertNew(db, wish, by: principal, at: time)
        try db.execute(
          sql: "INSERT INTO wish_resident (wish_id, contact) VALUES (?, ?)",
          arguments: [created.id, try vault.seal(resident)])
        // Volunteers and officials hear of a new wish (微心愿) through the outbox.
        try Outbox.append(
          db,
          try Outbox.Entry(
            kind: "micro_wish.created", record: created.id, divisionCode: created.divisionCode, data: created,
            cause: principal),
          at: time)
        return created
      }
    }
  }

  public func wish(id: String, reveal: Bool = false, by principal: Principal = .system, at time: Date = Date())
    async throws -> Wish?
  {
    guard reveal else {
      return try await writer.read { db in try RecordTable.fetch(db, Wish.self, id: id) }
    }
    let vault = vault
    return try await writer.write { db in
      guard var wish = try RecordTable.fetch(db, Wish.self, id: id),
        let sealed = try Data.fetchOne(db, sql: "SELECT contact FROM wish_resident WHERE wish_id = ?", arguments: [id])
      else { return nil }
      try ContactReveal.record(db, subject: id, by: principal, reason: "GetMicroWish", at: time)
      wish.resident = try vault.open(sealed)
      return wish
    }
  }

  public func listWishes(_ request: Governance_Volunteers_V1_ListMicroWishesRequest) async throws
    -> Governance_Volunteers_V1_ListMicroWishesResponse
  {
    let page = try PageRequest(pageSize: request.pageSize, pageToken: request.pageToken)
    let order = try ListOrder(request.orderBy, fields: ["expire_date": "expire_date"])
    var filter = RecordFilter()
    try filter.divisionPrefix(request.divisionPrefix)
    filter.add("compound_id = ?", request.compoundID, when: !request.compoundID.isEmpty)
    filter.add("state", in: request.states.map(\.rawValue))
    filter.add("category = ?", request.category, when: !request.category.isEmpty)
    if request.hasClaimant {
      filter.add("claimant_kind = ? AND claimant_id = ?", request.claimant.kind.rawValue, request.claimant.id)
    }
    filter.add("resident_principal_id = ?", request.residentPrincipalID, when: !request.residentPrincipalID.isEmpty)
    let (wishes, next) = try await writer.read { [filter] db in
      try RecordTable.list(db, Wish.self, filter: filter, page: page, order: order)
    }
    return .with {
      $0.wishes = wishes
      $0.nextPageToken = next
    }
  }

  /// One step of a wish's life in one transaction: read, expire if its date has passed, check the
  /// table, apply `change`. Of two concurrent claims SQLite serialises the writes: the second
  /// finds the wish claimed.
  func moveWish(
    requestID: String, request: some SwiftProtobuf.Message, wishID: String,
    to next: MicroWishWorkflow.State, by principal: Principal, at time: Date,
    change: @escaping @Sendable (Database, inout Wish) throws -> Void
  ) async throws -> Wish {
    let id = try FieldValidation.requiredID(wishID, field: "wish_id")
    return try await writer.write { db in
      try IdempotencyLedger.perform(db, caller: principal, requestID: requestID, request: request) {
        var wish = try RecordTable.fetchRequired(db, Wish.self, id: id)
        if MicroWishWorkflow.isExpired(wish, on: CalendarDate.today(at: time)) {
          wish.state = .expired
          _ = try RecordTable.update(db, wish, by: principal, at: time)
        }
        try MicroWishWorkflow.checkTransition(wish, to: next)
        wish.state = next
        try change(db, &wish)
        return try RecordTable.update(db, wish, by: principal, at: time)
      }
    }
  }

  /// The claimant as stored: a registered active volunteer or team, named by the service; a
  /// paired unit by its organisation-service id and the name given.
  /// A resident claims only as the volunteer bound to them (`ResidentVolunteering.checkClaimant`).
  static func claimant(
    _ db: Database, _ given: Governance_Volunteers_V1_WishClaimant, of wish: Wish, by principal: Principal
  ) throws -> Governance_Volunteers_V1_WishClaimant {
    let id = try FieldValidation.requiredID(given.id, field: "claimant.id")
    let volunteer = given.kind == .volunteer ? try RecordTable.fetchRequired(db, Volunteer.self, id: id) : nil
    try ResidentVolunteering.checkClaimant(kind: given.kind, volunteer: volunteer, wish: wish, by: principal)
    switch given.kind {
    case .volunteer:
      guard let volunteer else { throw MicroWishWorkflow.unknownClaimantKind }
      try MicroWishWorkflow.checkClaimant(volunteer)
      return .with {
        $0.kind = .volunteer
        $0.id = id
        $0.name = volunteer.contact.name
      }
    case .team:
      let team = try RecordTable.fetchRequired(db, Team.self, id: id)
      try MicroWishWorkflow.checkClaimant(team)
      return .with {
        $0.kind = .team
        $0.id = id
        $0.name = team.name
      }
    case .pairedUnit:
      return .with {
        $0.kind = .pairedUnit
        $0.id = id
        $0.name = (try? FieldValidation.requiredName(given.name, field: "claimant.name")) ?? id
      }
    default:
      throw MicroWishWorkflow.unknownClaimantKind
    }
  }

  /// Expires every open or claimed wish whose date has passed; returns how many.
  @discardableResult
  public func expireWishes(at time: Date, by principal: Principal) async throws -> Int {
    let today = CalendarDate.iso(CalendarDate.today(at: time))
    return try await writer.write { db in
      let due = try Data.fetchAll(
        db, sql: "SELECT record FROM micro_wish WHERE state IN (?, ?) AND expire_date < ?",
        arguments: [
          Governance_Volunteers_V1_MicroWishState.open.rawValue,
          Governance_Volunteers_V1_MicroWishState.claimed.rawValue,
          today,
        ])
      for data in due {
        var wish = try StoredMessage.decode(Wish.self, from: data)
        wish.state = .expired
        _ = try RecordTable.update(db, wish, by: principal, at: time)
      }
      return due.count
    }
  }
}

extension Governance_Volunteers_V1_MicroWish: AuditedRecord {}
