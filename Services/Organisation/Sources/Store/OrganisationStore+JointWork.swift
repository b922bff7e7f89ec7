import Foundation
import GRDB
import GovernanceAPI
import ServiceKit
import SwiftProtobuf

extension OrganisationStore {
  public typealias CrossAppointment = Governance_Organisation_V1_CrossAppointment
  public typealias Conference = Governance_Organisation_V1_Conference

  /// Records a cross-appointment; the company was confirmed with the property service before.
  public func createCrossAppointment(
    _ request: Governance_Organisation_V1_CreateCrossAppointmentRequest, by principal: Principal, at time: Date = Date()
  ) async throws -> CrossAppointment {
    let communityID = try FieldValidation.requiredID(
      request.appointment.communityOrganisationID, field: "appointment.community_organisation_id")
    return try await writer.write { db in
      try IdempotencyLedger.perform(db, caller: principal, requestID: request.requestID, request: request) {
        let community = try Self.requireOrganisation(db, id: communityID)
        let appointment = try CrossAppointments.validateNew(request.appointment, community: community)
        if !appointment.partyMemberID.isEmpty {
          _ = try RecordTable.fetch(db, Member.self, id: appointment.partyMemberID)
            .orNotFound("party member", id: appointment.partyMemberID)
        }
        return try RecordTable.insertNew(db, appointment, by: principal, at: time)
      }
    }
  }

  public func endCrossAppointment(
    _ request: Governance_Organisation_V1_EndCrossAppointmentRequest, by principal: Principal, at time: Date = Date()
  ) async throws -> CrossAppointment {
    let id = try FieldValidation.requiredID(request.id, field: "id")
    let reason = try FieldValidation.requiredName(request.reason, field: "reason", maximumLength: 500)
    return try await writer.write { db in
      try IdempotencyLedger.perform(db, caller: principal, requestID: request.requestID, request: request) {
        var appointment = try RecordTable.fetchRequired(db, CrossAppointment.self, id: id)
        try CrossAppointments.checkEnd(appointment)
        let end = request.hasEndDate ? request.endDate : CalendarDate.today(at: time)
        try SelfGovernance.checkTerm(start: appointment.startDate, end: end, field: "end_date")
        appointment.endDate = end
        appointment.endReason = reason
        return try RecordTable.update(db, appointment, by: principal, at: time)
      }
    }
  }

  /// By person (member id or name), company or community, current or all.
  public func listCrossAppointments(_ request: Governance_Organisation_V1_ListCrossAppointmentsRequest) async throws
    -> Governance_Organisation_V1_ListCrossAppointmentsResponse
  {
    let page = try PageRequest(pageSize: request.pageSize, pageToken: request.pageToken)
    var filter = RecordFilter()
    try filter.divisionPrefix(request.divisionPrefix)
    filter.add("party_member_id = ?", request.partyMemberID, when: !request.partyMemberID.isEmpty)
    filter.add("person_name = ?", request.personName, when: !request.personName.isEmpty)
    filter.add("property_company_id = ?", request.propertyCompanyID, when: !request.propertyCompanyID.isEmpty)
    filter.add("direction = ?", request.direction.rawValue, when: request.direction != .unspecified)
    filter.add("current", when: request.currentOnly)
    let (appointments, next) = try await writer.read { [filter] db in
      try RecordTable.list(db, CrossAppointment.self, filter: filter, page: page)
    }
    return .with {
      $0.appointments = appointments
      $0.nextPageToken = next
    }
  }

  public func createConference(
    _ request: Governance_Organisation_V1_CreateConferenceRequest, by principal: Principal, at time: Date = Date()
  ) async throws -> Conference {
    let organisationID = try FieldValidation.requiredID(
      request.conference.organisationID, field: "conference.organisation_id")
    return try await writer.write { db in
      try IdempotencyLedger.perform(db, caller: principal, requestID: request.requestID, request: request) {
        let organisation = try Self.requireOrganisation(db, id: organisationID)
        let conference = try JointConferences.validateNew(request.conference, organisation: organisation)
        return try RecordTable.insertNew(db, conference, by: principal, at: time)
      }
    }
  }

  public func conference(id: String) async throws -> Conference? {
    try await writer.read { db in try RecordTable.fetch(db, Conference.self, id: id) }
  }

  public func listConferences(_ request: Governance_Organisation_V1_ListConferencesRequest) async throws
    -> Governance_Organisation_V1_ListConferencesResponse
  {
    let page = try PageRequest(pageSize: request.pageSize, pageToken: request.pageToken)
    var filter = RecordFilter()
    try filter.divisionPrefix(request.divisionPrefix)
    filter.add("year = ?", request.year, when: request.year != 0)
    filter.add("quarter = ?", request.quarter, when: request.quarter != 0)
    var (conferences, next) = try await writer.read { [filter] db in
      try RecordTable.list(db, Conference.self, filter: filter, page: page)
    }
    if request.listKind != .unspecified {
      conferences = conferences.filter { $0.agenda.contains { $0.listKind == request.listKind } }
    }
    return .with {
      $0.conferences = conferences
      $0.nextPageToken = next
    }
  }

  /// Appends one `conference.gap` to the outbox for each community committee that held no joint
  /// conference in the quarter, once per committee and quarter; returns how many were new.
  public func appendConferenceGapReminders(year: Int32, quarter: Int32, at time: Date) async throws -> Int {
    var appended = 0
    var token = ""
    repeat {
      let page = try await conferenceGaps(
        .with {
          $0.year = year
          $0.quarter = quarter
          $0.pageSize = 500
          $0.pageToken = token
        })
      token = page.nextPageToken
      appended += try await writer.write { db in
        var count = 0
        for gap in page.gaps {
          let key = "\(gap.organisationID)@\(year)Q\(quarter)"
          if try Outbox.append(
            db,
            try Outbox.Entry(
              kind: "conference.gap", record: gap.organisationID, divisionCode: gap.divisionCode, data: gap,
              onceKey: "conference.gap:\(key)"), at: time)
          {
            count += 1
          }
        }
        return count
      }
    } while !token.isEmpty
    return appended
  }

  /// The rule "at least one joint conference per quarter": the active community committees under
  /// a prefix that held none in the quarter, with when they last held one.
  public func conferenceGaps(_ request: Governance_Organisation_V1_ListConferenceGapsRequest) async throws
    -> Governance_Organisation_V1_ListConferenceGapsResponse
  {
    try JointConferences.checkQuarter(year: request.year, quarter: request.quarter)
    let page = try PageRequest(pageSize: request.pageSize, pageToken: request.pageToken)
    var filter = RecordFilter()
    try filter.divisionPrefix(request.divisionPrefix, column: "o.division_code")
    filter.add("o.level = ?", Governance_Organisation_V1_OrganisationLevel.communityCommittee.rawValue)
    filter.add("o.status = ?", Governance_Organisation_V1_OrganisationStatus.active.rawValue)
    filter.add(
      "NOT EXISTS (SELECT 1 FROM conference c WHERE c.organisation_id = o.id AND c.year = ? AND c.quarter = ?)",
      request.year, request.quarter)
    if let after = page.afterID { filter.add("o.id > ?", after) }
    let conditions = filter.conditions.joined(separator: " AND ")
    var arguments = filter.arguments
    arguments.append((page.size + 1).databaseValue)
    return try await writer.read { [arguments] db in
      let rows = try Row.fetchAll(
        db,
        sql: """
          SELECT o.id, o.division_code, o.name,
            (SELECT MAX(c.held_at) FROM conference c WHERE c.organisation_id = o.id) AS last_held
          FROM party_organisation o WHERE \(conditions) ORDER BY o.id LIMIT ?
          """,
        arguments: StatementArguments(arguments))
      return .with {
        $0.gaps = rows.prefix(page.size).map { row in
          .with {
            $0.organisationID = row["id"]
            $0.divisionCode = row["division_code"]
            $0.organisationName = row["name"]
            if let last = row["last_held"] as Date? { $0.lastHeldTime = Google_Protobuf_Timestamp(date: last) }
          }
        }
        if rows.count > page.size { $0.nextPageToken = PageRequest.token(after: rows[page.size - 1]["id"]) }
      }
    }
  }

  public func reportMajorMatter(
    _ request: Governance_Organisation_V1_ReportMajorMatterRequest, by principal: Principal, at time: Date = Date()
  ) async throws -> Governance_Organisation_V1_MajorMatterReport {
    let bodyID = try FieldValidation.requiredID(request.report.bodyID, field: "report.body_id")
    var report = request.report
    report.kind = try FieldValidation.requiredCase(
      request.report.kind, field: "report.kind", unspecified: .unspecified,
      known: Governance_Organisation_V1_MajorMatterKind.allCases.filter { $0 != .unspecified })
    report.title = try FieldValidation.requiredName(report.title, field: "report.title")
    report.content = try FieldValidation.optionalText(report.content, field: "report.content", maximumLength: 10_000)
    if !report.hasReportDate { report.reportDate = CalendarDate.today(at: time) }
    let proposed = report
    return try await writer.write { db in
      try IdempotencyLedger.perform(db, caller: principal, requestID: request.requestID, request: request) {
        let body = try RecordTable.fetchRequired(db, Body.self, id: bodyID)
        var report = proposed
        report.divisionCode = body.divisionCode
        if report.reportedToOrganisationID.isEmpty { report.reportedToOrganisationID = body.leadingOrganisationID }
        return try RecordTable.insertNew(db, report, by: principal, at: time)
      }
    }
  }

  public func listMajorMatters(_ request: Governance_Organisation_V1_ListMajorMatterReportsRequest) async throws
    -> Governance_Organisation_V1_ListMajorMatterReportsResponse
  {
    let page = try PageRequest(pageSize: request.pageSize, pageToken: request.pageToken)
    var filter = RecordFilter()
    try filter.divisionPrefix(request.divisionPrefix)
    filter.add("body_id = ?", request.bodyID, when: !request.bodyID.isEmpty)
    filter.add("kind = ?", request.kind.rawValue, when: request.kind != .unspecified)
    let (reports, next) = try await writer.read { [filter] db in
      try RecordTable.list(db, Governance_Organisation_V1_MajorMatterReport.self, filter: filter, page: page)
    }
    return .with {
      $0.reports = reports
      $0.nextPageToken = next
    }
  }
}

extension Governance_Organisation_V1_CrossAppointment: AuditedRecord {}
extension Governance_Organisation_V1_Conference: AuditedRecord {}
extension Governance_Organisation_V1_MajorMatterReport: AuditedRecord {}
