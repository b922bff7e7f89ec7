import Foundation
import GRDB
import GovernanceAPI
import ServiceKit
import SwiftProtobuf

extension OrganisationStore {
  public typealias Registration = Governance_Organisation_V1_CommunityRegistration

  /// Dual registration (双报到): an in-service member registers at the community where they live
  /// or serve, once while the registration lasts.
  public func registerAtCommunity(
    _ request: Governance_Organisation_V1_RegisterAtCommunityRequest, by principal: Principal, at time: Date = Date()
  ) async throws -> Registration {
    let memberID = try FieldValidation.requiredID(request.memberID, field: "member_id")
    let community = try MemberRules.registrationCommunity(request.communityDivisionCode)
    if request.hasRegisteredDate { try CalendarDate.validate(request.registeredDate, field: "registered_date") }
    do {
      return try await writer.write { db in
        try IdempotencyLedger.perform(db, caller: principal, requestID: request.requestID, request: request) {
          let member = try RecordTable.fetchRequired(db, Member.self, id: memberID)
          try MemberRules.checkRegistersAtCommunity(member)
          return try RecordTable.insertNew(
            db,
            Registration.with {
              $0.divisionCode = community.code
              $0.memberID = memberID
              $0.memberName = member.contact.name
              $0.workUnit = member.workUnit
              $0.registeredDate = request.hasRegisteredDate ? request.registeredDate : CalendarDate.today(at: time)
            }, by: principal, at: time)
        }
      }
    } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE {
      throw DomainError.alreadyExists(resource: "registration of member", id: memberID, detail: "at \(community.code)")
    }
  }

  public func listRegistrations(_ request: Governance_Organisation_V1_ListCommunityRegistrationsRequest) async throws
    -> Governance_Organisation_V1_ListCommunityRegistrationsResponse
  {
    let page = try PageRequest(pageSize: request.pageSize, pageToken: request.pageToken)
    var filter = RecordFilter()
    try filter.divisionPrefix(request.divisionPrefix)
    filter.add("member_id = ?", request.memberID, when: !request.memberID.isEmpty)
    filter.add("active", when: !request.includeEnded)
    let (registrations, next) = try await writer.read { [filter] db in
      try RecordTable.list(db, Registration.self, filter: filter, page: page)
    }
    return .with {
      $0.registrations = registrations
      $0.nextPageToken = next
    }
  }

  /// Active registrations under a prefix, by community or by street, counted by SQLite.
  public func countRegistrations(_ request: Governance_Organisation_V1_CountCommunityRegistrationsRequest) async throws
    -> Governance_Organisation_V1_CountCommunityRegistrationsResponse
  {
    var filter = RecordFilter()
    try filter.divisionPrefix(request.divisionPrefix)
    filter.add("active")
    let group: String
    switch request.groupBy {
    case .street: group = "substr(division_code, 1, 9) || '000'"
    case .community, .unspecified: group = "division_code"
    default:
      throw DomainError.invalidArgument(field: "group_by", rule: "registrations are counted by community or by street")
    }
    let conditions = filter.conditions.joined(separator: " AND ")
    let arguments = StatementArguments(filter.arguments)
    return try await writer.read { db in
      let rows = try Row.fetchAll(
        db,
        sql:
          "SELECT \(group) AS code, COUNT(*) AS n FROM community_registration WHERE \(conditions) GROUP BY code ORDER BY code",
        arguments: arguments)
      return .with {
        $0.groups = rows.map { row in
          .with {
            $0.divisionCode = row["code"]
            $0.count = Int32(row["n"] as Int)
          }
        }
        $0.total = $0.groups.reduce(0) { $0 + $1.count }
      }
    }
  }
}

extension Governance_Organisation_V1_CommunityRegistration: AuditedRecord {}
