import Foundation
import GRDB
import GovernanceAPI
import ServiceKit
import SwiftProtobuf

extension VolunteersStore {
  public typealias ServiceRecord = Governance_Volunteers_V1_ServiceRecord
  public typealias Totals = Governance_Volunteers_V1_ServiceTotals

  /// Records a service, pending confirmation. The volunteer must be registered, and a member of
  /// the team named; the post, project, wish or mobilisation named must exist.
  public func createRecord(
    _ request: Governance_Volunteers_V1_CreateServiceRecordRequest, by principal: Principal, at time: Date = Date()
  ) async throws -> ServiceRecord {
    let record = try ServiceHours.validateNew(request.record)
    return try await writer.write { db in
      try IdempotencyLedger.perform(db, caller: principal, requestID: request.requestID, request: request) {
        _ = try RecordTable.fetchRequired(db, Volunteer.self, id: record.volunteerID)
        try ServiceHours.checkTeamService(
          record,
          volunteerIsMember: record.teamID.isEmpty
            || Self.isMember(db, team: record.teamID, volunteer: record.volunteerID))
        for (table, id, field) in [
          ("service_post", record.postID, "record.post_id"), ("service_project", record.projectID, "record.project_id"),
          ("micro_wish", record.microWishID, "record.micro_wish_id"),
          ("mobilisation", record.mobilisationID, "record.mobilisation_id"),
        ] where !id.isEmpty {
          try ServiceHours.checkReference(
            id, field: field,
            registered: Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM \(table) WHERE id = ?)", arguments: [id])
              == true)
        }
        return try RecordTable.insertNew(db, record, by: principal, at: time)
      }
    }
  }

  public func listRecords(_ request: Governance_Volunteers_V1_ListServiceRecordsRequest) async throws
    -> Governance_Volunteers_V1_ListServiceRecordsResponse
  {
    let page = try PageRequest(pageSize: request.pageSize, pageToken: request.pageToken)
    var filter = RecordFilter()
    try filter.divisionPrefix(request.divisionPrefix)
    filter.add("volunteer_id = ?", request.volunteerID, when: !request.volunteerID.isEmpty)
    filter.add("team_id = ?", request.teamID, when: !request.teamID.isEmpty)
    filter.add("state = ?", request.state.rawValue, when: request.state != .unspecified)
    try Self.period(
      &filter, column: "start_date", from: request.hasFromDate ? request.fromDate : nil,
      to: request.hasToDate ? request.toDate : nil)
    let (records, next) = try await writer.read { [filter] db in
      try RecordTable.list(db, ServiceRecord.self, filter: filter, page: page)
    }
    return .with {
      $0.records = records
      $0.nextPageToken = next
    }
  }

  static func period(
    _ filter: inout RecordFilter, column: String, from: Governance_Common_V1_Date?, to: Governance_Common_V1_Date?
  ) throws {
    try filter.dates(column, from: from, to: to)
    try ServiceHours.checkSpan(from: from, to: to)
  }

  /// Confirms or rejects a pending record: confirmed by the team leader when it was served with
  /// a team, otherwise by the community.
  public func decideRecord(
    requestID: String, request: some SwiftProtobuf.Message, recordID: String, confirm: Bool,
    text: String, by principal: Principal, at time: Date = Date()
  ) async throws -> ServiceRecord {
    let id = try FieldValidation.requiredID(recordID, field: "record_id")
    let text =
      confirm
      ? try FieldValidation.optionalText(text, field: "note", maximumLength: 500)
      : try FieldValidation.requiredName(text, field: "reason", maximumLength: 500)
    return try await writer.write { db in
      try IdempotencyLedger.perform(db, caller: principal, requestID: requestID, request: request) {
        var record = try RecordTable.fetchRequired(db, ServiceRecord.self, id: id)
        try ServiceHours.checkPending(record)
        record.state = confirm ? .confirmed : .rejected
        record.confirmerRole = record.teamID.isEmpty ? .community : .teamLeader
        record.confirmedBy = principal.description
        record.confirmTime = .init(date: time)
        if confirm {
          if !text.isEmpty { record.note = text }
        } else {
          record.rejectReason = text
        }
        return try RecordTable.update(db, record, by: principal, at: time)
      }
    }
  }
}

extension Governance_Volunteers_V1_ServiceRecord: AuditedRecord {}

// MARK: - Totals and leaderboards

extension VolunteersStore {
  /// What a total or a leaderboard row is about.
  enum Subject {
    case volunteer(String)
    case team(String)
    case division(String)
  }

  /// Confirmed service and related counts for one subject over a period (dates inclusive).
  public func totals(_ request: Governance_Volunteers_V1_GetServiceTotalsRequest) async throws -> Totals {
    let subject: Subject
    switch request.subject {
    case .volunteerID(let id): subject = .volunteer(try FieldValidation.requiredID(id, field: "volunteer_id"))
    case .teamID(let id): subject = .team(try FieldValidation.requiredID(id, field: "team_id"))
    case .divisionPrefix(let prefix):
      var jurisdiction = RecordFilter()
      subject = .division(try jurisdiction.divisionPrefix(prefix))
    case nil:
      throw DomainError.invalidArgument(field: "subject", rule: "one of volunteer_id, team_id or division_prefix")
    }
    let from = request.hasFromDate ? request.fromDate : nil
    let to = request.hasToDate ? request.toDate : nil
    // Bad dates are refused here, before the database is touched.
    var period = RecordFilter()
    try Self.period(&period, column: "start_date", from: from, to: to)
    return try await writer.read { db in
      switch subject {
      case .volunteer(let id):
        _ = try RecordTable.fetchRequired(db, Volunteer.self, id: id)
      case .team(let id):
        _ = try RecordTable.fetchRequired(db, Team.self, id: id)
      case .division:
        break
      }
      return try Self.totals(db, subject, from: from, to: to)
    }
  }

  static func totals(
    _ db: Database, _ subject: Subject, from: Governance_Common_V1_Date?, to: Governance_Common_V1_Date?
  ) throws -> Totals {
    func scoped(_ column: (volunteer: String, team: String, division: String), dateColumn: String, extra: [String] = [])
      throws -> RecordFilter
    {
      var filter = RecordFilter()
      for condition in extra { filter.add(condition) }
      switch subject {
      case .volunteer(let id): filter.add("\(column.volunteer) = ?", id)
      case .team(let id): filter.add(column.team, id)
      case .division(let prefix): try filter.divisionPrefix(prefix, column: column.division)
      }
      try period(&filter, column: dateColumn, from: from, to: to)
      return filter
    }
    func fetch(_ sql: String, _ filter: RecordFilter) throws -> Row {
      let whereClause = filter.conditions.isEmpty ? "" : " WHERE " + filter.conditions.joined(separator: " AND ")
      return try Row.fetchOne(db, sql: sql + whereClause, arguments: StatementArguments(filter.arguments))!
    }
    let service = try fetch(
      "SELECT COALESCE(SUM(hours), 0) AS hours, COALESCE(SUM(residents_served), 0) AS residents, COUNT(*) AS records, COUNT(DISTINCT volunteer_id) AS volunteers FROM service_record",
      try scoped(
        ("volunteer_id", "team_id = ?", "division_code"), dateColumn: "start_date",
        extra: ["state = \(Governance_Volunteers_V1_ServiceRecordState.confirmed.rawValue)"]))
    let claims = try fetch(
      "SELECT COUNT(*) AS n FROM post_claim",
      try scoped(
        ("volunteer_id", "volunteer_id IN (SELECT volunteer_id FROM team_member WHERE team_id = ?)", "division_code"),
        dateColumn: "claim_date", extra: ["state = \(Governance_Volunteers_V1_PostClaimState.claimed.rawValue)"]))
    let wishes = try fetch(
      "SELECT COUNT(*) AS n FROM micro_wish",
      try scoped(
        (
          "claimant_kind = \(Governance_Volunteers_V1_ClaimantKind.volunteer.rawValue) AND claimant_id",
          "claimant_kind = \(Governance_Volunteers_V1_ClaimantKind.team.rawValue) AND claimant_id = ?", "division_code"
        ),
        dateColumn: "confirm_date", extra: ["state = \(Governance_Volunteers_V1_MicroWishState.confirmed.rawValue)"]))
    let answers = try fetch(
      "SELECT COUNT(*) AS n FROM mobilisation_answer",
      try scoped(
        ("volunteer_id", "team_id = ?", "division_code"), dateColumn: "answer_date",
        extra: ["answer = \(Governance_Volunteers_V1_MobilisationAnswerKind.coming.rawValue)"]))
    var totals = Totals.with {
      $0.hours = service["hours"]
      $0.residentsServed = service["residents"]
      $0.recordCount = service["records"]
      $0.volunteerCount = service["volunteers"]
      $0.postsClaimed = claims["n"]
      $0.microWishesConfirmed = wishes["n"]
      $0.mobilisationsAnswered = answers["n"]
    }
    switch subject {
    case .volunteer(let id):
      totals.registeredVolunteers = 1
      totals.teams =
        try Int64.fetchOne(db, sql: "SELECT COUNT(*) FROM team_member WHERE volunteer_id = ?", arguments: [id]) ?? 0
    case .team(let id):
      totals.registeredVolunteers =
        try Int64.fetchOne(
          db, sql: "SELECT COUNT(*) FROM team_member WHERE team_id = ?", arguments: [id]) ?? 0
      totals.teams = 1
    case .division(let prefix):
      totals.registeredVolunteers =
        try Int64.fetchOne(
          db, sql: "SELECT COUNT(*) FROM volunteer WHERE active AND division_code GLOB ?", arguments: [prefix + "*"])
        ?? 0
      totals.teams =
        try Int64.fetchOne(
          db, sql: "SELECT COUNT(*) FROM team WHERE active AND division_code GLOB ?", arguments: [prefix + "*"]) ?? 0
    }
    return totals
  }

  /// A ranking within a division prefix and period, ties sharing a rank. Division rows carry
  /// their code; the RPC layer names them.
  public func leaderboard(_ request: Governance_Volunteers_V1_GetLeaderboardRequest) async throws
    -> Governance_Volunteers_V1_GetLeaderboardResponse
  {
    let subject = try FieldValidation.requiredCase(
      request.subject, field: "subject", unspecified: .unspecified, known: [.volunteer, .team, .community, .street])
    let metric = request.metric == .unspecified ? .hours : request.metric
    let page = try PageRequest(pageSize: request.pageSize, pageToken: request.pageToken)
    let key: (record: String, claim: String) =
      switch subject {
      case .volunteer: ("service_record.volunteer_id", "post_claim.volunteer_id")
      case .team: ("service_record.team_id", "team_member.team_id")
      case .community: ("service_record.division_code", "post_claim.division_code")
      default:
        ("substr(service_record.division_code, 1, 9) || '000'", "substr(post_claim.division_code, 1, 9) || '000'")
      }
    var records = RecordFilter()
    records.add("service_record.state = \(Governance_Volunteers_V1_ServiceRecordState.confirmed.rawValue)")
    try records.divisionPrefix(request.divisionPrefix, column: "service_record.division_code")
    try Self.period(
      &records, column: "service_record.start_date", from: request.hasFromDate ? request.fromDate : nil,
      to: request.hasToDate ? request.toDate : nil)
    var claims = RecordFilter()
    claims.add("post_claim.state = \(Governance_Volunteers_V1_PostClaimState.claimed.rawValue)")
    try claims.divisionPrefix(request.divisionPrefix, column: "post_claim.division_code")
    try Self.period(
      &claims, column: "post_claim.claim_date", from: request.hasFromDate ? request.fromDate : nil,
      to: request.hasToDate ? request.toDate : nil)
    if subject == .team {
      records.add("service_record.team_id IS NOT NULL")
      if request.teamKind != .unspecified {
        records.add("service_record.team_id IN (SELECT id FROM team WHERE kind = ?)", request.teamKind.rawValue)
        claims.add("team_member.team_id IN (SELECT id FROM team WHERE kind = ?)", request.teamKind.rawValue)
      }
    }
    let claimJoin = subject == .team ? " JOIN team_member ON team_member.volunteer_id = post_claim.volunteer_id" : ""
    return try await writer.read { [records, claims] db in
      var rows: [String: Totals] = [:]
      for row in try Row.fetchAll(
        db,
        sql: """
          SELECT \(key.record) AS subject, SUM(hours) AS hours, SUM(residents_served) AS residents, COUNT(*) AS records,
          COUNT(DISTINCT volunteer_id) AS volunteers FROM service_record
          WHERE \(records.conditions.joined(separator: " AND ")) GROUP BY subject
          """, arguments: StatementArguments(records.arguments))
      {
        let subjectID: String = row["subject"]
        rows[subjectID, default: Totals()].hours = row["hours"]
        rows[subjectID, default: Totals()].residentsServed = row["residents"]
        rows[subjectID, default: Totals()].recordCount = row["records"]
        rows[subjectID, default: Totals()].volunteerCount = row["volunteers"]
      }
      for row in try Row.fetchAll(
        db,
        sql: """
          SELECT \(key.claim) AS subject, COUNT(*) AS claimed FROM post_claim\(claimJoin)
          WHERE \(claims.conditions.joined(separator: " AND ")) GROUP BY subject
          """, arguments: StatementArguments(claims.arguments))
      {
        rows[row["subject"], default: Totals()].postsClaimed = row["claimed"]
      }
      func value(_ totals: Totals) -> Double {
        switch metric {
        case .residentsServed: Double(totals.residentsServed)
        case .postsClaimed: Double(totals.postsClaimed)
        default: totals.hours
        }
      }
      let ordered = rows.filter { value($0.value) > 0 }
        .sorted { value($0.value) != value($1.value) ? value($0.value) > value($1.value) : $0.key < $1.key }
      let ranks = Leaderboards.ranks(ofDescending: ordered.map { value($0.value) })
      let start = page.afterID.flatMap { after in ordered.firstIndex { $0.key == after }.map { $0 + 1 } } ?? 0
      let slice = ordered.indices.dropFirst(start).prefix(page.size)
      return try .with {
        $0.entries = try slice.map { index in
          let (subjectID, totals) = ordered[index]
          return try .with {
            $0.rank = ranks[index]
            $0.subjectID = subjectID
            $0.totals = totals
            switch subject {
            case .volunteer:
              $0.name = try RecordTable.fetch(db, Volunteer.self, id: subjectID)?.contact.name ?? ""
            case .team:
              $0.name = try RecordTable.fetch(db, Team.self, id: subjectID)?.name ?? ""
            default:
              break
            }
          }
        }
        if let last = slice.last, last + 1 < ordered.count {
          $0.nextPageToken = PageRequest.token(after: ordered[last].key)
        }
      }
    }
  }
}
