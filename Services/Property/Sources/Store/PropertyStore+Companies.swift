import Foundation
import GRDB
import GovernanceAPI
import ServiceKit
import SwiftProtobuf

extension PropertyStore {

  static func fetchCompany(_ db: Database, id: String) throws -> Company {
    try RecordTable.fetchRequired(db, Company.self, id: id)
  }

  static func saveCompany(_ db: Database, _ company: Company, by principal: Principal, at time: Date) throws -> Company
  {
    try RecordTable.update(db, company, by: principal, at: time)
  }

  /// Registers a company; its credit code is unique (ALREADY_EXISTS naming the holder).
  public func createCompany(
    _ request: Governance_Property_V1_CreateCompanyRequest, by principal: Principal, at time: Date = Date()
  ) async throws -> Company {
    try await perform(requestID: request.requestID, request: request, by: principal) { db in
      try Self.insertCompany(db, request.company, by: principal, at: time)
    }
  }

  /// What CreateCompany writes, in the caller's transaction: the company validated, its credit
  /// code held by no other.
  static func insertCompany(_ db: Database, _ given: Company, by principal: Principal, at time: Date) throws
    -> Company
  {
    let company = try CompanyRegistration.validateNew(given)
    if let holder = try companyID(db, creditCode: company.unifiedSocialCreditCode) {
      throw DomainError.alreadyExists(
        resource: "company with credit code", id: company.unifiedSocialCreditCode, detail: "registered as \(holder)")
    }
    return try RecordTable.insertNew(db, company, by: principal, at: time)
  }

  /// The company registered under a (validated) credit code, if any.
  static func companyID(_ db: Database, creditCode: String) throws -> String? {
    try String.fetchOne(
      db.cachedStatement(sql: "SELECT id FROM property_company WHERE credit_code = ?"), arguments: [creditCode])
  }

  public func company(id: String) async throws -> Company? {
    try await read { db in try RecordTable.fetch(db, Company.self, id: id) }
  }

  /// Changes a company's plain fields; its credit code, rating and list status are not among them.
  public func updateCompany(
    _ request: Governance_Property_V1_UpdateCompanyRequest, by principal: Principal, at time: Date = Date()
  ) async throws -> Company {
    let paths = try updatePaths(request.updateMask, allowed: Self.updatableCompanyPaths)
    let id = try FieldValidation.requiredID(request.company.id, field: "company.id")
    let given = request.company
    return try await writer.write { db in
      let stored = try Self.fetchCompany(db, id: id)
      return try Self.saveCompany(
        db, try Self.updatedCompany(stored, changes: given, paths: paths), by: principal, at: time)
    }
  }

  /// The fields UpdateCompany changes.
  static let updatableCompanyPaths: Set<String> = [
    "name", "legal_representative", "address", "staff_count", "party_status", "party_member_count",
    "party_organisation_id", "party_building_instructor", "credit_level",
  ]

  /// The company `stored` with the plain fields `paths` names taken from `changes`, validated by
  /// CreateCompany's rules: what UpdateCompany writes. Outcomes set by evaluation and exits
  /// survive an edit of the plain fields.
  static func updatedCompany(_ stored: Company, changes: Company, paths: [String]) throws -> Company {
    let company = try stored.merging(changes, paths: paths)
    var validated = try CompanyRegistration.validateNew(company)
    validated.starRating = stored.starRating
    validated.ratingScore = stored.ratingScore
    validated.ratingPeriod = stored.ratingPeriod
    validated.listStatus = stored.listStatus
    validated.listReason = stored.listReason
    if stored.hasListTime { validated.listTime = stored.listTime }
    if stored.hasLastExitTime { validated.lastExitTime = stored.lastExitTime }
    validated.managedCompoundCount = stored.managedCompoundCount
    return validated
  }

  public func listCompanies(_ request: Governance_Property_V1_ListCompaniesRequest) async throws
    -> Governance_Property_V1_ListCompaniesResponse
  {
    let page = try PageRequest(pageSize: request.pageSize, pageToken: request.pageToken)
    // An unrated company (0 stars) has no rating to sort by: it comes last, as a NULL does.
    let order = try ListOrder(
      request.orderBy, fields: ["star_rating": "NULLIF(star_rating, 0)", "staff_count": "staff_count"])
    var filter = RecordFilter()
    // Companies are registered at the district: its streets and communities list them too.
    try filter.divisionPrefix(request.divisionPrefix, contextAbove: true)
    filter.add(
      "credit_code = ?", request.unifiedSocialCreditCode.uppercased(), when: !request.unifiedSocialCreditCode.isEmpty)
    filter.add("star_rating = ?", request.starRating, when: request.hasStarRating)
    filter.add("list_status = ?", request.listStatus.rawValue, when: request.listStatus != .unspecified)
    filter.add("party_status = ?", request.partyStatus.rawValue, when: request.partyStatus != .unspecified)
    filter.add("staff_count >= ?", request.minStaffCount, when: request.minStaffCount > 0)
    guard request.ids.count <= PageRequest.maximumSize else {
      throw DomainError.invalidArgument(
        field: "ids", rule: "at most \(PageRequest.maximumSize) ids a call, got \(request.ids.count)")
    }
    for (index, id) in request.ids.enumerated() { _ = try FieldValidation.requiredID(id, field: "ids[\(index)]") }
    filter.add("id", in: request.ids)
    let (companies, next) = try await read { [filter] db in
      try RecordTable.list(db, Company.self, filter: filter, page: page, order: order)
    }
    return .with {
      $0.companies = companies
      $0.nextPageToken = next
    }
  }

  /// Sets the star rating from the evaluation service's published result.
  public func setCompanyRating(
    _ request: Governance_Property_V1_SetCompanyRatingRequest, by principal: Principal, at time: Date = Date()
  ) async throws -> Company {
    try Principal.require(.evaluation, for: "SetCompanyRating")
    try CompanyRegistration.validateRating(request)
    let id = try FieldValidation.requiredID(request.companyID, field: "company_id")
    return try await perform(requestID: request.requestID, request: request, by: principal) { db in
      var company = try Self.fetchCompany(db, id: id)
      company.starRating = request.starRating
      company.ratingScore = request.score
      company.ratingPeriod = request.period
      return try Self.saveCompany(db, company, by: principal, at: time)
    }
  }

  /// Puts a company on the red or black list, or off both, from the evaluation service.
  public func setCompanyListStatus(
    _ request: Governance_Property_V1_SetCompanyListStatusRequest, by principal: Principal, at time: Date = Date()
  ) async throws -> Company {
    try Principal.require(.evaluation, for: "SetCompanyListStatus")
    let status = try FieldValidation.requiredCase(
      request.listStatus, field: "list_status", unspecified: .unspecified, known: [.none, .red, .black])
    let reason = try FieldValidation.optionalText(request.reason, field: "reason", maximumLength: 500)
    let id = try FieldValidation.requiredID(request.companyID, field: "company_id")
    return try await perform(requestID: request.requestID, request: request, by: principal) { db in
      var company = try Self.fetchCompany(db, id: id)
      company.listStatus = status
      company.listReason = reason
      company.listTime = Google_Protobuf_Timestamp(date: time)
      return try Self.saveCompany(db, company, by: principal, at: time)
    }
  }

  /// Exits a company in one transaction: every live contract ends as EXITED, each compound falls
  /// back to its street's centre with a history line. Either all of it happens or none, so an
  /// interruption leaves no compound in between, and calling again finds nothing left to exit.
  public func exitCompany(
    _ request: Governance_Property_V1_ExitCompanyRequest, by principal: Principal, at time: Date = Date()
  ) async throws -> Governance_Property_V1_ExitCompanyResponse {
    let id = try FieldValidation.requiredID(request.companyID, field: "company_id")
    let reason = try FieldValidation.requiredName(request.reason, field: "reason", maximumLength: 500)
    let ended = request.hasEffectiveDate ? request.effectiveDate : CalendarDate.today(at: time)
    return try await perform(requestID: request.requestID, request: request, by: principal) { db in
      var company = try Self.fetchCompany(db, id: id)
      let contracts = try Self.liveContracts(db, company: id)
      var compounds: [String: Compound] = [:]
      var centres: [String: Centre] = [:]
      for contract in contracts {
        let compound = try Self.fetchCompound(db, id: contract.compoundID)
        compounds[compound.id] = compound
        let street = try ManagementModeRules.street(of: compound).code
        if centres[street] == nil, let centre = try Self.centre(db, street: street) { centres[street] = centre }
      }
      let plan = try CompanyExit.plan(contracts: contracts, compounds: compounds, centresByStreet: centres)

      var exited: [Contract] = []
      for (contract, fallback) in zip(contracts, plan) {
        try ContractLifecycle.checkTransition(contract, to: .exited)
        var ending = contract
        ending.state = .exited
        ending.endedDate = ended
        ending.endReason = reason
        exited.append(try Self.saveContract(db, ending, by: principal, at: time))
        var compound = compounds[fallback.compoundID]!
        let from = compound.managementMode
        compound.managementMode = .fallback
        compound.fallbackCentreID = fallback.fallbackCentreID
        compound.currentContractID = ""
        compound.currentCompanyID = ""
        compound.threeNo.noPropertyCompany = true
        _ = try Self.saveCompound(db, compound, by: principal, at: time)
        try Self.recordEvent(db, .companyExited, compound: compound.id, by: principal, at: time) {
          $0.fromMode = from
          $0.toMode = .fallback
          $0.contractID = contract.id
          $0.companyID = id
          $0.reason = reason
        }
      }
      if !contracts.isEmpty {
        company.lastExitTime = Google_Protobuf_Timestamp(date: time)
      }
      company.managedCompoundCount = 0
      company = try Self.saveCompany(db, company, by: principal, at: time)
      return .with {
        $0.company = company
        $0.contracts = exited
        $0.compounds = plan
      }
    }
  }
}
