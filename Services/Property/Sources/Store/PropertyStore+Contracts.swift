import Foundation
import GRDB
import GovernanceAPI
import ServiceKit
import SwiftProtobuf

extension PropertyStore {

  static func saveContract(_ db: Database, _ contract: Contract, by principal: Principal, at time: Date) throws
    -> Contract
  {
    try RecordTable.update(db, contract, by: principal, at: time)
  }

  static func fetchContract(_ db: Database, id: String) throws -> Contract {
    try RecordTable.fetchRequired(db, Contract.self, id: id)
  }

  static func liveContracts(_ db: Database, company: String) throws -> [Contract] {
    let live = ContractLifecycle.liveStates.map(\.rawValue)
    return try Data.fetchAll(
      db, sql: "SELECT record FROM service_contract WHERE company_id = ? AND state IN (?, ?) ORDER BY id",
      arguments: [company, live[0], live[1]]
    ).map { try StoredMessage.decode(Contract.self, from: $0) }
  }

  /// Signs a contract into its trial. The compound's one live contract is guarded twice: a check
  /// with a clear message, and the partial unique index for two signings racing past the check.
  public func createContract(
    _ request: Governance_Property_V1_CreateContractRequest, by principal: Principal, at time: Date = Date()
  ) async throws -> Contract {
    let compoundID = try FieldValidation.requiredID(request.contract.compoundID, field: "contract.compound_id")
    let companyID = try FieldValidation.requiredID(request.contract.companyID, field: "contract.company_id")
    if request.contract.hasTrialStartDate {
      try CalendarDate.validate(request.contract.trialStartDate, field: "contract.trial_start_date")
    }
    do {
      return try await perform(requestID: request.requestID, request: request, by: principal) { db in
        var compound = try Self.fetchCompound(db, id: compoundID)
        let company = try Self.fetchCompany(db, id: companyID)
        if !compound.currentContractID.isEmpty {
          throw DomainError.alreadyExists(
            resource: "live contract of compound", id: compoundID, detail: "contract \(compound.currentContractID)")
        }
        let start = request.contract.hasTrialStartDate ? request.contract.trialStartDate : CalendarDate.today(at: time)
        let contract = try RecordTable.insertNew(
          db, try ContractLifecycle.validateNew(request.contract, compound: compound, company: company, start: start),
          by: principal, at: time)
        compound.currentContractID = contract.id
        compound.currentCompanyID = company.id
        compound.threeNo.noPropertyCompany = false
        _ = try Self.saveCompound(db, compound, by: principal, at: time)
        try Self.recordEvent(db, .contractSigned, compound: compoundID, by: principal, at: time) {
          $0.contractID = contract.id
          $0.companyID = company.id
        }
        try Self.countManagedCompounds(db, company: company.id, by: principal, at: time)
        return contract
      }
    } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE {
      throw DomainError.alreadyExists(
        resource: "live contract of compound", id: compoundID, detail: "another contract was signed at the same time")
    }
  }

  /// Keeps a company's count of compounds under live contracts in step with its contracts.
  static func countManagedCompounds(_ db: Database, company id: String, by principal: Principal, at time: Date) throws {
    var company = try fetchCompany(db, id: id)
    company.managedCompoundCount = Int32(try liveContracts(db, company: id).count)
    _ = try saveCompany(db, company, by: principal, at: time)
  }

  public func contract(id: String) async throws -> Contract? {
    try await read { db in try RecordTable.fetch(db, Contract.self, id: id) }
  }

  public func listContracts(_ request: Governance_Property_V1_ListContractsRequest) async throws
    -> Governance_Property_V1_ListContractsResponse
  {
    let page = try PageRequest(pageSize: request.pageSize, pageToken: request.pageToken)
    var filter = RecordFilter()
    try filter.divisionPrefix(request.divisionPrefix)
    filter.add("compound_id = ?", request.compoundID, when: !request.compoundID.isEmpty)
    filter.add("company_id = ?", request.companyID, when: !request.companyID.isEmpty)
    filter.add("state = ?", request.state.rawValue, when: request.state != .unspecified)
    if request.hasTrialEndingBy {
      try CalendarDate.validate(request.trialEndingBy, field: "trial_ending_by")
      filter.add(
        "state = ? AND trial_end <= ?", ContractLifecycle.State.trial.rawValue, CalendarDate.iso(request.trialEndingBy))
    }
    let (contracts, next) = try await read { [filter] db in
      try RecordTable.list(db, Contract.self, filter: filter, page: page)
    }
    return .with {
      $0.contracts = contracts
      $0.nextPageToken = next
    }
  }

  /// Trial → active: the owners pay after experiencing the service.
  public func activateContract(
    _ request: Governance_Property_V1_ActivateContractRequest, by principal: Principal, at time: Date = Date()
  ) async throws -> Contract {
    let id = try FieldValidation.requiredID(request.id, field: "id")
    if request.hasActivatedDate { try CalendarDate.validate(request.activatedDate, field: "activated_date") }
    return try await perform(requestID: request.requestID, request: request, by: principal) { db in
      var contract = try Self.fetchContract(db, id: id)
      try ContractLifecycle.checkTransition(contract, to: .active)
      contract.state = .active
      contract.activatedDate = request.hasActivatedDate ? request.activatedDate : CalendarDate.today(at: time)
      let saved = try Self.saveContract(db, contract, by: principal, at: time)
      try Self.recordEvent(db, .contractActivated, compound: contract.compoundID, by: principal, at: time) {
        $0.contractID = id
        $0.companyID = contract.companyID
      }
      return saved
    }
  }

  /// Trial or active → terminated; the compound moves to the mode named (fallback by default).
  public func terminateContract(
    _ request: Governance_Property_V1_TerminateContractRequest, by principal: Principal, at time: Date = Date()
  ) async throws -> Contract {
    let id = try FieldValidation.requiredID(request.id, field: "id")
    let reason = try FieldValidation.requiredName(request.reason, field: "reason", maximumLength: 500)
    if request.hasEndedDate { try CalendarDate.validate(request.endedDate, field: "ended_date") }
    return try await perform(requestID: request.requestID, request: request, by: principal) { db in
      var contract = try Self.fetchContract(db, id: id)
      try ContractLifecycle.checkTransition(contract, to: .terminated)
      var compound = try Self.fetchCompound(db, id: contract.compoundID)
      let mode = request.thenMode == .unspecified ? .fallback : request.thenMode
      let centre = try Self.centre(db, street: ManagementModeRules.street(of: compound).code)
      compound.currentContractID = ""
      compound.currentCompanyID = ""
      try ManagementModeRules.checkManualChange(of: compound, to: mode, centre: centre)

      contract.state = .terminated
      contract.endedDate = request.hasEndedDate ? request.endedDate : CalendarDate.today(at: time)
      contract.endReason = reason
      let saved = try Self.saveContract(db, contract, by: principal, at: time)
      let from = compound.managementMode
      compound.managementMode = mode
      compound.fallbackCentreID = mode == .fallback ? centre?.id ?? "" : ""
      compound.threeNo.noPropertyCompany = true
      _ = try Self.saveCompound(db, compound, by: principal, at: time)
      try Self.recordEvent(db, .contractTerminated, compound: compound.id, by: principal, at: time) {
        $0.contractID = id
        $0.companyID = contract.companyID
        $0.fromMode = from
        $0.toMode = mode
        $0.reason = reason
      }
      try Self.countManagedCompounds(db, company: contract.companyID, by: principal, at: time)
      return saved
    }
  }
}
