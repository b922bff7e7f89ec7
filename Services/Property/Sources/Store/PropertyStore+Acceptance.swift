import Foundation
import GRDB
import GovernanceAPI
import ServiceKit
import SwiftProtobuf

extension PropertyStore {

  /// Opens the joint acceptance of a compound under its live contract, at the company
  /// self-review, round 1; one open acceptance per compound.
  public func createAcceptance(
    _ request: Governance_Property_V1_CreateAcceptanceRequest, by principal: Principal, at time: Date = Date()
  ) async throws -> Acceptance {
    let compoundID = try FieldValidation.requiredID(request.compoundID, field: "compound_id")
    let contractID = try FieldValidation.requiredID(request.contractID, field: "contract_id")
    do {
      return try await perform(requestID: request.requestID, request: request, by: principal) { db in
        var compound = try Self.fetchCompound(db, id: compoundID)
        let contract = try Self.fetchContract(db, id: contractID)
        try JointAcceptance.checkContract(contract, of: compoundID)
        let acceptance = try RecordTable.insertNew(
          db,
          Acceptance.with {
            $0.divisionCode = compound.divisionCode
            $0.compoundID = compoundID
            $0.companyID = contract.companyID
            $0.contractID = contractID
            $0.state = .inProgress
            $0.currentStep = JointAcceptance.order[0]
            $0.round = 1
          }, by: principal, at: time)
        compound.latestAcceptanceID = acceptance.id
        _ = try Self.saveCompound(db, compound, by: principal, at: time)
        try Self.recordEvent(db, .acceptanceOpened, compound: compoundID, by: principal, at: time) {
          $0.acceptanceID = acceptance.id
          $0.contractID = contractID
        }
        return acceptance
      }
    } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE {
      throw DomainError.alreadyExists(resource: "open acceptance of compound", id: compoundID)
    }
  }

  public func acceptance(id: String) async throws -> Acceptance? {
    try await read { db in try RecordTable.fetch(db, Acceptance.self, id: id) }
  }

  public func listAcceptances(_ request: Governance_Property_V1_ListAcceptancesRequest) async throws
    -> Governance_Property_V1_ListAcceptancesResponse
  {
    let page = try PageRequest(pageSize: request.pageSize, pageToken: request.pageToken)
    var filter = RecordFilter()
    try filter.divisionPrefix(request.divisionPrefix)
    filter.add("compound_id = ?", request.compoundID, when: !request.compoundID.isEmpty)
    filter.add("company_id = ?", request.companyID, when: !request.companyID.isEmpty)
    filter.add("state = ?", request.state.rawValue, when: request.state != .unspecified)
    filter.add("current_step = ?", request.currentStep.rawValue, when: request.currentStep != .unspecified)
    let (acceptances, next) = try await read { [filter] db in
      try RecordTable.list(db, Acceptance.self, filter: filter, page: page)
    }
    return .with {
      $0.acceptances = acceptances
      $0.nextPageToken = next
    }
  }

  /// Records one level's decision; a pass of the district joint acceptance sets the compound to
  /// professional management, in the same transaction.
  public func recordAcceptanceStep(
    _ request: Governance_Property_V1_RecordAcceptanceStepRequest, by principal: Principal, at time: Date = Date()
  ) async throws -> Acceptance {
    let id = try FieldValidation.requiredID(request.acceptanceID, field: "acceptance_id")
    return try await perform(requestID: request.requestID, request: request, by: principal) { db in
      let acceptance = try RecordTable.fetchRequired(db, Acceptance.self, id: id)
      let decided = try JointAcceptance.record(
        request, on: acceptance, decidedBy: principal, at: Google_Protobuf_Timestamp(date: time))
      let saved = try RecordTable.update(db, decided, by: principal, at: time)
      var compound = try Self.fetchCompound(db, id: saved.compoundID)
      let from = compound.managementMode
      if saved.state == .passed {
        compound.managementMode = .professional
        compound.fallbackCentreID = ""
        _ = try Self.saveCompound(db, compound, by: principal, at: time)
      }
      try Self.recordEvent(db, .acceptanceStep, compound: compound.id, by: principal, at: time) {
        $0.acceptanceID = id
        $0.contractID = saved.contractID
        $0.fromMode = from
        $0.toMode = compound.managementMode
        $0.reason = request.reasons.joined(separator: "; ")
      }
      return saved
    }
  }

  /// Counts for a jurisdiction, computed by SQLite over the indexed columns. Every count reads
  /// the prefix's range of the division index (`.everything`): a district's counts read its own
  /// records, not the whole city's in id order as a list's first page does.
  public func statistics(divisionPrefix: String, at time: Date = Date()) async throws
    -> Governance_Property_V1_GetPropertyStatisticsResponse
  {
    var filter = RecordFilter()
    try filter.divisionPrefix(divisionPrefix, scan: .everything)
    let whereClause = filter.conditions.isEmpty ? "" : "WHERE " + filter.conditions.joined(separator: " AND ")
    let arguments = StatementArguments(filter.arguments)
    return try await read { db in
      func count(_ record: any StoredRecord.Type, _ extra: String = "") throws -> Int32 {
        let condition = [whereClause, extra.isEmpty ? "" : (whereClause.isEmpty ? "WHERE " : " AND ") + extra].joined()
        return Int32(
          try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(record.table) \(condition)", arguments: arguments) ?? 0)
      }
      func grouped(_ record: any StoredRecord.Type, _ column: String) throws -> [(Int, Int32)] {
        try Row.fetchAll(
          db,
          sql:
            "SELECT \(column) AS value, COUNT(*) AS n FROM \(record.table) \(whereClause) GROUP BY \(column) ORDER BY \(column)",
          arguments: arguments
        ).map { ($0["value"], Int32($0["n"] as Int)) }
      }
      var response = Governance_Property_V1_GetPropertyStatisticsResponse()
      response.divisionPrefix = divisionPrefix
      response.compoundsTotal = try count(Compound.self)
      response.householdsTotal = Int32(
        try Int.fetchOne(
          db, sql: "SELECT COALESCE(SUM(household_count), 0) FROM compound \(whereClause)", arguments: arguments) ?? 0)
      response.compoundsByMode = try grouped(Compound.self, "management_mode").map { value, n in
        .with {
          $0.mode = .init(rawValue: value) ?? .unspecified
          $0.count = n
        }
      }
      response.compoundsByKind = try grouped(Compound.self, "kind").map { value, n in
        .with {
          $0.kind = .init(rawValue: value) ?? .unspecified
          $0.count = n
        }
      }
      response.threeNoCompounds = try count(Compound.self, "three_no = 1")
      response.threeNoAllFlags = try count(Compound.self, "three_no_all = 1")
      response.buildingsTotal = try count(Building.self)
      response.buildingsWithLeader = try count(Building.self, "leader_member_id IS NOT NULL")
      response.companiesTotal = try count(Company.self)
      response.companiesByStar = try grouped(Company.self, "star_rating").map { value, n in
        .with {
          $0.starRating = Int32(value)
          $0.count = n
        }
      }
      response.companiesByList = try grouped(Company.self, "list_status").map { value, n in
        .with {
          $0.listStatus = .init(rawValue: value) ?? .unspecified
          $0.count = n
        }
      }
      response.companiesByPartyStatus = try Row.fetchAll(
        db,
        sql: """
          SELECT party_status, staff_count >= ? AS large, COUNT(*) AS n, SUM(party_member_count > 0) AS with_members
          FROM property_company \(whereClause) GROUP BY party_status, large ORDER BY party_status, large
          """,
        arguments: [Int(CompanyRegistration.largeCompanyStaff)] + arguments
      ).map { row in
        .with {
          $0.partyStatus = .init(rawValue: row["party_status"]) ?? .unspecified
          $0.large = row["large"]
          $0.count = Int32(row["n"] as Int)
          $0.withPartyMembers = Int32(row["with_members"] as Int)
        }
      }
      response.contractsInTrial = try count(
        Contract.self, "state = \(Governance_Property_V1_ContractState.trial.rawValue)")
      response.contractsActive = try count(
        Contract.self, "state = \(Governance_Property_V1_ContractState.active.rawValue)")
      response.acceptancesInProgress = try count(
        Acceptance.self, "state = \(Governance_Property_V1_AcceptanceState.inProgress.rawValue)")
      response.computedTime = Google_Protobuf_Timestamp(date: time)
      return response
    }
  }
}
