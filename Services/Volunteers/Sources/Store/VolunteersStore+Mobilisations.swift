import Foundation
import GRDB
import GovernanceAPI
import ServiceKit

extension VolunteersStore {
  public typealias Mobilisation = Governance_Volunteers_V1_Mobilisation

  /// Calls out every active member of an active team for a grid case already checked with the
  /// grid service; the caller pushes the result to each member's stream.
  public func mobilise(
    _ request: Governance_Volunteers_V1_MobiliseTeamRequest, gridCase: Governance_Grid_V1_Case, by principal: Principal,
    at time: Date = Date()
  ) async throws -> Mobilisation {
    let teamID = try FieldValidation.requiredID(request.teamID, field: "team_id")
    let message = try FieldValidation.requiredName(request.message, field: "message", maximumLength: 500)
    let meetingPoint = try FieldValidation.optionalText(
      request.meetingPoint, field: "meeting_point", maximumLength: 200)
    try Mobilisations.checkNeeded(request.needed)
    return try await writer.write { db in
      try IdempotencyLedger.perform(db, caller: principal, requestID: request.requestID, request: request) {
        let team = try RecordTable.fetchRequired(db, Team.self, id: teamID)
        try Mobilisations.checkCalledOut(team)
        let members = try String.fetchAll(
          db,
          sql: """
            SELECT team_member.volunteer_id FROM team_member JOIN volunteer ON volunteer.id = team_member.volunteer_id
            WHERE team_member.team_id = ? AND volunteer.active ORDER BY team_member.volunteer_id
            """, arguments: [teamID])
        try Mobilisations.checkMembersCalled(members, team: team)
        return try RecordTable.insertNew(
          db,
          Mobilisation.with {
            $0.divisionCode = gridCase.divisionCode
            $0.teamID = teamID
            $0.caseID = gridCase.id
            $0.message = message
            $0.meetingPoint = meetingPoint
            $0.needed = request.needed
            $0.state = .open
            $0.mobiliseTime = .init(date: time)
            $0.notifiedVolunteerIds = members
          }, by: principal, at: time)
      }
    }
  }

  public func mobilisation(id: String) async throws -> Mobilisation? {
    try await writer.read { db in try RecordTable.fetch(db, Mobilisation.self, id: id) }
  }

  public func listMobilisations(_ request: Governance_Volunteers_V1_ListMobilisationsRequest) async throws
    -> Governance_Volunteers_V1_ListMobilisationsResponse
  {
    let page = try PageRequest(pageSize: request.pageSize, pageToken: request.pageToken)
    var filter = RecordFilter()
    try filter.divisionPrefix(request.divisionPrefix)
    filter.add("team_id = ?", request.teamID, when: !request.teamID.isEmpty)
    filter.add("case_id = ?", request.caseID, when: !request.caseID.isEmpty)
    filter.add("state = ?", request.state.rawValue, when: request.state != .unspecified)
    let (mobilisations, next) = try await writer.read { [filter] db in
      try RecordTable.list(db, Mobilisation.self, filter: filter, page: page)
    }
    return .with {
      $0.mobilisations = mobilisations
      $0.nextPageToken = next
    }
  }

  /// Adds a member's answer (kept in order, never overwritten).
  public func answer(
    _ request: Governance_Volunteers_V1_AnswerMobilisationRequest, by principal: Principal, at time: Date = Date()
  ) async throws -> Mobilisation {
    let id = try FieldValidation.requiredID(request.mobilisationID, field: "mobilisation_id")
    let volunteer = try FieldValidation.requiredID(request.volunteerID, field: "volunteer_id")
    let note = try FieldValidation.optionalText(request.note, field: "note", maximumLength: 200)
    try Mobilisations.checkETA(request.etaMinutes)
    return try await writer.write { db in
      try IdempotencyLedger.perform(db, caller: principal, requestID: request.requestID, request: request) {
        var mobilisation = try RecordTable.fetchRequired(db, Mobilisation.self, id: id)
        // A volunteer answers for themselves (or staff over them for a call taken by phone).
        try Self.checkOwnVolunteer(db, volunteer, by: principal)
        try Mobilisations.checkAnswer(mobilisation, volunteer: volunteer, answer: request.answer)
        mobilisation.answers.append(
          .with {
            $0.volunteerID = volunteer
            $0.answer = request.answer
            $0.answerTime = .init(date: time)
            $0.etaMinutes = request.etaMinutes
            $0.note = note
          })
        try db.execute(
          sql: """
            INSERT INTO mobilisation_answer (mobilisation_id, volunteer_id, team_id, division_code, answer, answer_date)
            VALUES (?, ?, ?, ?, ?, ?)
            """,
          arguments: [
            id, volunteer, mobilisation.teamID, mobilisation.divisionCode, request.answer.rawValue,
            CalendarDate.iso(CalendarDate.today(at: time)),
          ])
        return try RecordTable.update(db, mobilisation, by: principal, at: time)
      }
    }
  }

  public func closeMobilisation(
    _ request: Governance_Volunteers_V1_CloseMobilisationRequest, by principal: Principal, at time: Date = Date()
  ) async throws -> Mobilisation {
    let id = try FieldValidation.requiredID(request.mobilisationID, field: "mobilisation_id")
    _ = try FieldValidation.optionalText(request.note, field: "note", maximumLength: 200)
    return try await writer.write { db in
      try IdempotencyLedger.perform(db, caller: principal, requestID: request.requestID, request: request) {
        var mobilisation = try RecordTable.fetchRequired(db, Mobilisation.self, id: id)
        try Mobilisations.checkStandDown(mobilisation)
        mobilisation.state = .closed
        mobilisation.closeTime = .init(date: time)
        return try RecordTable.update(db, mobilisation, by: principal, at: time)
      }
    }
  }

  /// The open call-outs of the volunteer's teams, oldest first.
  public func openMobilisations(volunteer: String) async throws -> [Mobilisation] {
    try await writer.read { db in
      try Data.fetchAll(
        db,
        sql: """
          SELECT record FROM mobilisation WHERE state = ? AND team_id IN (SELECT team_id FROM team_member WHERE volunteer_id = ?)
          ORDER BY id
          """, arguments: [Governance_Volunteers_V1_MobilisationState.open.rawValue, volunteer]
      ).map { try StoredMessage.decode(Mobilisation.self, from: $0) }
    }
  }
}

extension Governance_Volunteers_V1_Mobilisation: AuditedRecord {}
