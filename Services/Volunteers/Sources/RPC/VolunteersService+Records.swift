import Foundation
import GRPCCore
import GovernanceAPI
import ServiceKit

/// Service records (服务记录), the hours they add up to, and the leaderboard.
extension VolunteersService {
  /// Records an activity with hours and residents served; it counts once confirmed.
  public func createServiceRecord(request: Governance_Volunteers_V1_CreateServiceRecordRequest, context: ServerContext)
    async throws -> Governance_Volunteers_V1_ServiceRecord
  {
    try await store.createRecord(request, by: Principal.current)
  }

  /// A page of service records matching the request's filters, held to the caller's jurisdiction, with the next page's token.
  public func listServiceRecords(request: Governance_Volunteers_V1_ListServiceRecordsRequest, context: ServerContext)
    async throws -> Governance_Volunteers_V1_ListServiceRecordsResponse
  {
    try await store.listRecords(request)
  }

  /// The team leader or community confirms a pending record.
  public func confirmServiceRecord(
    request: Governance_Volunteers_V1_ConfirmServiceRecordRequest, context: ServerContext
  ) async throws -> Governance_Volunteers_V1_ServiceRecord {
    try await store.decideRecord(
      requestID: request.requestID, request: request, recordID: request.recordID,
      confirm: true, text: request.note, by: Principal.current)
  }

  /// The team leader or community refuses a pending record, with a reason.
  public func rejectServiceRecord(request: Governance_Volunteers_V1_RejectServiceRecordRequest, context: ServerContext)
    async throws -> Governance_Volunteers_V1_ServiceRecord
  {
    try await store.decideRecord(
      requestID: request.requestID, request: request, recordID: request.recordID,
      confirm: false, text: request.reason, by: Principal.current)
  }

  /// Totals of confirmed service for one volunteer, one team or a division prefix over a period.
  public func getServiceTotals(request: Governance_Volunteers_V1_GetServiceTotalsRequest, context: ServerContext)
    async throws -> Governance_Volunteers_V1_ServiceTotals
  {
    try await store.totals(request)
  }

  /// Ranking of volunteers, teams, communities or streets within a division prefix and period.
  public func getLeaderboard(request: Governance_Volunteers_V1_GetLeaderboardRequest, context: ServerContext)
    async throws -> Governance_Volunteers_V1_GetLeaderboardResponse
  {
    var board = try await store.leaderboard(request)
    if request.subject == .community || request.subject == .street {
      // Division rows are named from the grid service's register of divisions.
      let names = try await peers.divisionNames(
        under: request.divisionPrefix, level: request.subject == .community ? .community : .street)
      for index in board.entries.indices {
        board.entries[index].name = names[board.entries[index].subjectID] ?? ""
      }
    }
    return board
  }
}
