import Foundation
import GRDB
import GovernanceAPI
import ServiceKit
import SwiftProtobuf

extension OrganisationStore {
  public typealias PairedUnit = Governance_Organisation_V1_PairedUnit
  public typealias Pairing = Governance_Organisation_V1_Pairing
  public typealias PairingEvaluation = Governance_Organisation_V1_PairingEvaluation

  public func createPairedUnit(
    _ request: Governance_Organisation_V1_CreatePairedUnitRequest, by principal: Principal, at time: Date = Date()
  ) async throws -> PairedUnit {
    let validated = try Pairings.validateNewUnit(request.unit)
    return try await writer.write { db in
      try IdempotencyLedger.perform(db, caller: principal, requestID: request.requestID, request: request) {
        try RecordTable.insertNew(db, validated, by: principal, at: time)
      }
    }
  }

  public func listPairedUnits(_ request: Governance_Organisation_V1_ListPairedUnitsRequest) async throws
    -> Governance_Organisation_V1_ListPairedUnitsResponse
  {
    let page = try PageRequest(pageSize: request.pageSize, pageToken: request.pageToken)
    var filter = RecordFilter()
    try filter.divisionPrefix(request.divisionPrefix)
    filter.add("kind = ?", request.kind.rawValue, when: request.kind != .unspecified)
    let (units, next) = try await writer.read { [filter] db in
      try RecordTable.list(db, PairedUnit.self, filter: filter, page: page)
    }
    return .with {
      $0.units = units
      $0.nextPageToken = next
    }
  }

  /// Pairs a unit with a compound (confirmed with the property service before) or a community,
  /// with the five helps not started.
  public func createPairing(
    _ request: Governance_Organisation_V1_CreatePairingRequest, compound: Governance_Property_V1_Compound?,
    by principal: Principal, at time: Date = Date()
  ) async throws -> Pairing {
    let unitID = try FieldValidation.requiredID(request.pairedUnitID, field: "paired_unit_id")
    let division: String
    if let compound {
      division = compound.divisionCode
    } else {
      division = try Pairings.community(request.communityDivisionCode).code
    }
    let start = request.hasStartDate ? request.startDate : CalendarDate.today(at: time)
    if request.hasEndDate {
      try SelfGovernance.checkTerm(start: start, end: request.endDate, field: "end_date")
    }
    return try await writer.write { db in
      try IdempotencyLedger.perform(db, caller: principal, requestID: request.requestID, request: request) {
        let unit = try RecordTable.fetchRequired(db, PairedUnit.self, id: unitID)
        let pairing = Pairing.with {
          $0.divisionCode = division
          $0.pairedUnitID = unit.id
          $0.pairedUnitName = unit.name
          $0.compoundID = compound?.id ?? ""
          $0.startDate = start
          if request.hasEndDate { $0.endDate = request.endDate }
          $0.helps = Pairings.initialHelps(on: start)
        }
        return try RecordTable.insertNew(db, pairing, by: principal, at: time)
      }
    }
  }

  public func updatePairingHelp(
    _ request: Governance_Organisation_V1_UpdatePairingHelpRequest, by principal: Principal, at time: Date = Date()
  ) async throws -> Pairing {
    let id = try FieldValidation.requiredID(request.pairingID, field: "pairing_id")
    return try await writer.write { db in
      try IdempotencyLedger.perform(db, caller: principal, requestID: request.requestID, request: request) {
        var pairing = try RecordTable.fetchRequired(db, Pairing.self, id: id)
        pairing.helps = try Pairings.update(
          pairing.helps, help: request.help, to: request.status, notes: request.notes, on: CalendarDate.today(at: time))
        return try RecordTable.update(db, pairing, by: principal, at: time)
      }
    }
  }

  public func listPairings(_ request: Governance_Organisation_V1_ListPairingsRequest) async throws
    -> Governance_Organisation_V1_ListPairingsResponse
  {
    let page = try PageRequest(pageSize: request.pageSize, pageToken: request.pageToken)
    var filter = RecordFilter()
    try filter.divisionPrefix(request.divisionPrefix)
    filter.add("paired_unit_id = ?", request.pairedUnitID, when: !request.pairedUnitID.isEmpty)
    filter.add("compound_id = ?", request.compoundID, when: !request.compoundID.isEmpty)
    filter.add("current", when: !request.includeEnded)
    let (pairings, next) = try await writer.read { [filter] db in
      try RecordTable.list(db, Pairing.self, filter: filter, page: page)
    }
    return .with {
      $0.pairings = pairings
      $0.nextPageToken = next
    }
  }

  /// The street's quarterly evaluation of a pairing, once per pairing and quarter.
  public func recordPairingEvaluation(
    _ request: Governance_Organisation_V1_RecordPairingEvaluationRequest, by principal: Principal,
    at time: Date = Date()
  ) async throws -> PairingEvaluation {
    let proposed = try Pairings.validateEvaluation(request.evaluation, at: time)
    let (pairingID, evaluatorID) = (proposed.pairingID, proposed.evaluatorOrganisationID)
    do {
      return try await writer.write { db in
        try IdempotencyLedger.perform(db, caller: principal, requestID: request.requestID, request: request) {
          let pairing = try RecordTable.fetchRequired(db, Pairing.self, id: pairingID)
          let evaluator = try Self.requireOrganisation(db, id: evaluatorID)
          try Pairings.checkEvaluator(evaluator, of: pairing)
          var evaluation = proposed
          evaluation.divisionCode = pairing.divisionCode
          evaluation.pairedUnitID = pairing.pairedUnitID
          return try RecordTable.insertNew(db, evaluation, by: principal, at: time)
        }
      }
    } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE {
      throw DomainError.alreadyExists(
        resource: "evaluation of pairing", id: pairingID, detail: "for \(proposed.year) Q\(proposed.quarter)")
    }
  }

  public func listPairingEvaluations(_ request: Governance_Organisation_V1_ListPairingEvaluationsRequest) async throws
    -> Governance_Organisation_V1_ListPairingEvaluationsResponse
  {
    let page = try PageRequest(pageSize: request.pageSize, pageToken: request.pageToken)
    var filter = RecordFilter()
    try filter.divisionPrefix(request.divisionPrefix)
    filter.add("pairing_id = ?", request.pairingID, when: !request.pairingID.isEmpty)
    filter.add("paired_unit_id = ?", request.pairedUnitID, when: !request.pairedUnitID.isEmpty)
    filter.add("year = ?", request.year, when: request.year != 0)
    filter.add("quarter = ?", request.quarter, when: request.quarter != 0)
    let (evaluations, next) = try await writer.read { [filter] db in
      try RecordTable.list(db, PairingEvaluation.self, filter: filter, page: page)
    }
    return .with {
      $0.evaluations = evaluations
      $0.nextPageToken = next
    }
  }
}

extension Governance_Organisation_V1_PairedUnit: AuditedRecord {}
extension Governance_Organisation_V1_Pairing: AuditedRecord {}
extension Governance_Organisation_V1_PairingEvaluation: AuditedRecord {}
