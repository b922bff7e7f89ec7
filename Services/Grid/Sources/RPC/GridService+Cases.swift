import Foundation
import GRPCCore
import GovernanceAPI
import ServiceKit

/// Cases (案件): reporting, intake from the city platform, import, reading and correction.
extension GridService {
  /// Reports a case from a resident, a patrol, an opinion collection or a consultation meeting. City-platform cases
  /// come through IntakeCityCase and sensor alarms through RaiseAlarm.
  public func createCase(request: Governance_Grid_V1_CreateCaseRequest, context: ServerContext) async throws
    -> Governance_Grid_V1_Case
  {
    try await store.createCase(request, by: Principal.current)
  }

  /// Reads one case by id or by city-platform external id. The reporter is masked unless reveal_reporter is set by
  /// a staff caller allowed to see it; that read is audited.
  public func getCase(request: Governance_Grid_V1_GetCaseRequest, context: ServerContext) async throws
    -> Governance_Grid_V1_Case
  {
    try await caseAnswer(request).decoded()
  }

  /// GetCase's answer in its wire form: the case's stored bytes as they are, unless the reporter is revealed.
  /// Throws INVALID_ARGUMENT naming `id`, `external_id` or `key`, NOT_FOUND for an unknown case.
  func caseAnswer(_ request: Governance_Grid_V1_GetCaseRequest) async throws -> EncodedMessage<Governance_Grid_V1_Case>
  {
    let stored: Data
    switch request.key {
    case .id(let id):
      let caseID = try FieldValidation.requiredID(id, field: "id")
      stored = try await store.storedCase(id: caseID).orNotFound(
        RuleText(verbatim: GridStore.GridCase.resourceName), id: caseID)
    case .externalID(let external):
      let externalID = try FieldValidation.requiredName(external, field: "external_id", maximumLength: 64)
      stored = try await store.storedCase(externalID: externalID).orNotFound("case with external id", id: externalID)
    case nil:
      throw DomainError.invalidArgument(field: "key", rule: "one of id or external_id is required")
    }
    let answer = EncodedMessage<Governance_Grid_V1_Case>(bytes: [UInt8](stored))
    guard request.revealReporter else { return answer }
    return try EncodedMessage(try await store.revealedCase(try answer.decoded(), by: Principal.current))
  }

  /// Loads finished cases from an archive (a city's history, a seed): each message carries up to 5,000 (and at most
  /// 4 MiB of) closed or evaluated cases with their times, handling unit, resolved level and evaluation as they
  /// were; each message is stored whole or not at all. City administrators only. Into a system without cases, the
  /// calls under way index and count their cases when the last of them ends, before it answers (`ArchiveLoad`).
  public func importCases(
    request: GRPCCore.RPCAsyncSequence<Governance_Grid_V1_ImportCasesRequest, any Swift.Error>, context: ServerContext
  ) async throws -> Governance_Grid_V1_ImportCasesResponse {
    let messages = request
    let principal = Principal.current
    let imported = try await store.loadingArchive {
      var imported: Int64 = 0
      for try await message in messages {
        imported += Int64(try await store.importCases(message.cases, by: principal))
      }
      return imported
    }
    return Governance_Grid_V1_ImportCasesResponse.with { $0.imported = imported }
  }

  /// Takes in a case pushed by the city platform (市域社会治理平台, e.g. from the 12345 hotline). Idempotent on the
  /// platform's external id: the same case pushed twice is one case.
  public func intakeCityCase(request: Governance_Grid_V1_IntakeCityCaseRequest, context: ServerContext) async throws
    -> Governance_Grid_V1_IntakeCityCaseResponse
  {
    try await store.intakeCityCase(request, by: Principal.current)
  }

  /// Lists cases; the reporter is always masked.
  public func listCases(request: Governance_Grid_V1_ListCasesRequest, context: ServerContext) async throws
    -> Governance_Grid_V1_ListCasesResponse
  {
    try await store.listCasesEncoded(request).decoded()
  }

  /// The case's history: every transition, assignment, escalation and transfer with who, when and a note, oldest
  /// first.
  public func listCaseEvents(request: Governance_Grid_V1_ListCaseEventsRequest, context: ServerContext) async throws
    -> Governance_Grid_V1_ListCaseEventsResponse
  {
    try await store.listCaseEvents(request)
  }

  /// The change feed of every case in a jurisdiction, oldest first after a cursor (an event id): a system reading
  /// on from its last cursor, also after a restart of either side, misses nothing and sees nothing twice.
  public func listCaseEventFeed(request: Governance_Grid_V1_ListCaseEventFeedRequest, context: ServerContext)
    async throws -> Governance_Grid_V1_ListCaseEventFeedResponse
  {
    try await store.caseEventFeed(request)
  }

  /// Corrects category, priority, title, details or location of a case not yet resolved.
  public func updateCase(request: Governance_Grid_V1_UpdateCaseRequest, context: ServerContext) async throws
    -> Governance_Grid_V1_Case
  {
    try await store.updateCase(request, by: Principal.current)
  }

  /// Case KPIs for a division prefix and period: counts by status, level, category and source; the share resolved
  /// within the grid, community and street ("small matters stay in the grid, minor ones in the community, major
  /// ones in the street" 微事不出格、小事不出社区、大事不出街道); on-time rate; reporter satisfaction. Broken down per grid, compound,
  /// community or street.
  public func getCaseStatistics(request: Governance_Grid_V1_GetCaseStatisticsRequest, context: ServerContext)
    async throws -> Governance_Grid_V1_GetCaseStatisticsResponse
  {
    try await store.caseStatistics(request)
  }
}
