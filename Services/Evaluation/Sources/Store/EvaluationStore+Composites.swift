import Foundation
import GRDB
import GovernanceAPI
import ServiceKit

extension EvaluationStore {
  public typealias Composite = Governance_Evaluation_V1_CompositeScore
  public typealias Publication = Governance_Evaluation_V1_Publication

  /// What a quarter's composites are computed from: per company, the formula's inputs and the
  /// compounds they came from.
  public struct QuarterInputs: Sendable {
    public var period: Period
    public var policy: Policy
    public var companies: [String: (inputs: CompositeFormula.Inputs, compounds: Set<String>)]
  }

  /// Gathers the inputs of every company evaluated in a closed quarter: the four-party scores of
  /// the quarter's months in its division, the quarter's five-party scores, residents' surveys of
  /// the quarter and its months, the case satisfaction imported for the quarter, and the orders
  /// counted overdue whose deadline falls in it.
  public func quarterInputs(periodID: String, at time: Date = Date()) async throws -> QuarterInputs {
    try await markOverdueOrders(at: time)
    return try await writer.read { db in
      let period = try Self.fetchPeriod(db, id: periodID)
      try EvaluationPeriods.checkComputable(period)
      let (first, last) = EvaluationPeriods.months(of: period)
      let months = try String.fetchAll(
        db,
        sql: "SELECT id FROM period WHERE kind = ? AND year = ? AND number BETWEEN ? AND ? AND division_code GLOB ?",
        arguments: [
          Governance_Evaluation_V1_PeriodKind.monthly.rawValue, period.year, first, last,
          try DivisionCode(period.divisionCode, field: "division_code").prefix + "*",
        ])
      var companies: [String: (inputs: CompositeFormula.Inputs, compounds: Set<String>)] = [:]
      func touch(_ company: String, _ compound: String, _ change: (inout CompositeFormula.Inputs) -> Void) {
        var entry = companies[company] ?? (CompositeFormula.Inputs(), [])
        change(&entry.inputs)
        if !compound.isEmpty { entry.compounds.insert(compound) }
        companies[company] = entry
      }
      let placeholders = months.isEmpty ? "NULL" : Array(repeating: "?", count: months.count).joined(separator: ", ")
      for data in try Data.fetchAll(
        db,
        sql:
          "SELECT record FROM score WHERE panel_kind = \(Governance_Evaluation_V1_PanelKind.fourParty.rawValue) AND period_id IN (\(placeholders))",
        arguments: StatementArguments(months))
      {
        let score = try StoredMessage.decode(Score.self, from: data)
        touch(score.companyID, score.compoundID) {
          $0.fourPartyMarks.append(.init(value: score.value, fullMarks: score.fullMarks, weight: score.weight))
        }
      }
      for data in try Data.fetchAll(
        db,
        sql:
          "SELECT record FROM score WHERE panel_kind = \(Governance_Evaluation_V1_PanelKind.fiveParty.rawValue) AND period_id = ?",
        arguments: [periodID])
      {
        let score = try StoredMessage.decode(Score.self, from: data)
        touch(score.companyID, score.compoundID) {
          $0.fivePartyMarks.append(.init(value: score.value, fullMarks: score.fullMarks, weight: score.weight))
        }
      }
      for data in try Data.fetchAll(
        db,
        sql:
          "SELECT record FROM survey_response WHERE period_id IN (\(([periodID] + months).map { _ in "?" }.joined(separator: ", ")))",
        arguments: StatementArguments([periodID] + months))
      {
        let response = try StoredMessage.decode(SurveyResponse.self, from: data)
        touch(response.companyID, response.compoundID) { $0.residentSatisfaction.append(response.overallSatisfaction) }
      }
      for data in try Data.fetchAll(
        db, sql: "SELECT record FROM case_satisfaction WHERE period_id = ?", arguments: [periodID])
      {
        let row = try StoredMessage.decode(CaseSatisfaction.self, from: data)
        touch(row.companyID, row.compoundID) { $0.caseSatisfaction.append((row.casesEvaluated, row.meanSatisfaction)) }
      }
      for data in try Data.fetchAll(
        db,
        sql: """
          SELECT record FROM rectification_order
          WHERE state IN (\(Rectification.overdueStates.map { _ in "?" }.joined(separator: ", ")))
            AND deadline BETWEEN ? AND ? AND division_code GLOB ?
          """,
        arguments: StatementArguments(
          Rectification.overdueStates.map(\.rawValue.databaseValue) + [
            CalendarDate.iso(period.startDate).databaseValue, CalendarDate.iso(period.endDate).databaseValue,
            (try DivisionCode(period.divisionCode, field: "division_code").prefix + "*").databaseValue,
          ]))
      {
        let order = try StoredMessage.decode(Order.self, from: data)
        touch(order.companyID, order.compoundID) { $0.overdueOrders += 1 }
      }
      return QuarterInputs(period: period, policy: try Self.policy(db, for: period.divisionCode), companies: companies)
    }
  }

  /// Replaces the quarter's proposed composites, ranked best first (ties share a rank); refused
  /// once the quarter is published.
  public func saveComposites(
    _ computed: [Composite], periodID: String, by principal: Principal, at time: Date = Date()
  ) async throws -> Governance_Evaluation_V1_ComputeCompositeScoresResponse {
    try await writer.write { db in
      let period = try Self.fetchPeriod(db, id: periodID)
      try EvaluationPeriods.checkComputable(period)
      try db.execute(sql: "DELETE FROM composite_score WHERE period_id = ?", arguments: [periodID])
      let ordered = computed.sorted { $0.total != $1.total ? $0.total > $1.total : $0.companyID < $1.companyID }
      var rank: Int32 = 0
      for (index, composite) in ordered.enumerated() {
        if index == 0 || composite.total != ordered[index - 1].total { rank = Int32(index + 1) }
        var ranked = composite
        ranked.rank = rank
        ranked.state = .proposed
        ranked.computeTime = .init(date: time)
        _ = try RecordTable.insertNew(db, ranked, by: principal, at: time)
      }
      return .with {
        $0.companies = Int32(ordered.count)
        $0.redListed = Int32(ordered.filter { $0.listStatus == .red }.count)
        $0.blackListed = Int32(ordered.filter { $0.listStatus == .black }.count)
      }
    }
  }

  public func composite(id: String) async throws -> Composite? {
    try await writer.read { db in try RecordTable.fetch(db, Composite.self, id: id) }
  }

  public func composite(company: String, period: String) async throws -> Composite? {
    try await writer.read { db in
      try Data.fetchOne(
        db, sql: "SELECT record FROM composite_score WHERE company_id = ? AND period_id = ?",
        arguments: [company, period]
      ).map { try StoredMessage.decode(Composite.self, from: $0) }
    }
  }

  /// A quarter's ranking, best first.
  public func listComposites(_ request: Governance_Evaluation_V1_ListCompositeScoresRequest) async throws
    -> Governance_Evaluation_V1_ListCompositeScoresResponse
  {
    let page = try PageRequest(pageSize: request.pageSize, pageToken: request.pageToken)
    let offset = page.afterID.flatMap(Int.init) ?? 0
    var filter = RecordFilter()
    try filter.divisionPrefix(request.divisionPrefix)
    filter.add("period_id = ?", request.periodID, when: !request.periodID.isEmpty)
    filter.add("list_status = ?", request.listStatus.rawValue, when: request.listStatus != .unspecified)
    filter.add("stars = ?", request.stars, when: request.stars != 0)
    let whereClause = filter.conditions.isEmpty ? "" : "WHERE " + filter.conditions.joined(separator: " AND ")
    let scores = try await writer.read { [filter] db in
      try Data.fetchAll(
        db, sql: "SELECT record FROM composite_score \(whereClause) ORDER BY total DESC, company_id LIMIT ? OFFSET ?",
        arguments: StatementArguments(filter.arguments + [(page.size + 1).databaseValue, offset.databaseValue])
      ).map { try StoredMessage.decode(Composite.self, from: $0) }
    }
    return .with {
      $0.scores = Array(scores.prefix(page.size))
      if scores.count > page.size { $0.nextPageToken = PageRequest.token(after: String(offset + page.size)) }
    }
  }
}

// MARK: - Publication

extension EvaluationStore {

  /// Freezes a closed quarter in one transaction: its composites become PUBLISHED, the period
  /// PUBLISHED, and a publication lists each company with what is left to do in the property
  /// service. A quarter already published returns its publication: publishing twice is one
  /// publication.
  public func beginPublication(periodID: String, by principal: Principal, at time: Date = Date()) async throws
    -> Publication
  {
    try await writer.write { db in
      var period = try Self.fetchPeriod(db, id: periodID)
      if let data = try Data.fetchOne(
        db, sql: "SELECT record FROM publication WHERE period_id = ?", arguments: [periodID])
      {
        return try StoredMessage.decode(Publication.self, from: data)
      }
      try EvaluationPeriods.checkComputable(period)
      let composites = try Data.fetchAll(
        db, sql: "SELECT record FROM composite_score WHERE period_id = ? ORDER BY total DESC, company_id",
        arguments: [periodID]
      ).map { try StoredMessage.decode(Composite.self, from: $0) }
      try EvaluationPeriods.checkPublishable(period, composites: composites.count)
      for var composite in composites {
        composite.state = .published
        _ = try RecordTable.update(db, composite, by: principal, at: time)
      }
      period.state = .published
      period.publishTime = .init(date: time)
      _ = try RecordTable.update(db, period, by: principal, at: time)
      return try RecordTable.insertNew(
        db,
        Publication.with {
          $0.divisionCode = period.divisionCode
          $0.periodID = periodID
          $0.state = .inProgress
          $0.publishTime = .init(date: time)
          $0.companyCount = Int32(composites.count)
          $0.redCount = Int32(composites.filter { $0.listStatus == .red }.count)
          $0.blackCount = Int32(composites.filter { $0.listStatus == .black }.count)
          $0.entries = composites.map { composite in
            .with {
              $0.companyID = composite.companyID
              $0.companyName = composite.companyName
              $0.compositeScoreID = composite.id
              $0.total = composite.total
              $0.stars = composite.stars
              $0.listStatus = composite.listStatus
              $0.rank = composite.rank
              $0.exitState = composite.listStatus == .black ? .pending : .notRequired
            }
          }
        }, by: principal, at: time)
    }
  }

  /// Records progress on one company of a publication, in the publication's record.
  public func recordPublicationProgress(
    publicationID: String, companyID: String, by principal: Principal, at time: Date = Date(),
    change: @escaping @Sendable (inout Governance_Evaluation_V1_PublishedEntry) -> Void
  ) async throws -> Publication {
    try await writer.write { db in
      var publication = try RecordTable.fetchRequired(db, Publication.self, id: publicationID)
      guard let index = publication.entries.firstIndex(where: { $0.companyID == companyID }) else {
        throw DomainError.notFound(resource: "publication entry", id: companyID)
      }
      change(&publication.entries[index])
      let done = publication.entries.allSatisfy { $0.propertyUpdated && $0.exitState != .pending }
      let completes = done && publication.state == .inProgress
      if completes {
        publication.state = .completed
        publication.completeTime = .init(date: time)
      }
      let saved = try RecordTable.update(db, publication, by: principal, at: time)
      // The red and black lists are public once every company is rated and exited.
      if completes {
        try Outbox.append(
          db,
          try Outbox.Entry(
            kind: "list.published", record: saved.id, divisionCode: saved.divisionCode, data: saved, cause: principal),
          at: time)
      }
      return saved
    }
  }

  public func publication(id: String) async throws -> Publication? {
    try await writer.read { db in try RecordTable.fetch(db, Publication.self, id: id) }
  }

  public func publication(periodID: String) async throws -> Publication? {
    try await writer.read { db in
      try Data.fetchOne(db, sql: "SELECT record FROM publication WHERE period_id = ?", arguments: [periodID])
        .map { try StoredMessage.decode(Publication.self, from: $0) }
    }
  }

  /// Publications interrupted before every company was rated and every blacklisted one exited.
  public func unfinishedPublications() async throws -> [Publication] {
    try await writer.read { db in
      try Data.fetchAll(
        db, sql: "SELECT record FROM publication WHERE state = ? ORDER BY id",
        arguments: [Governance_Evaluation_V1_PublicationState.inProgress.rawValue]
      ).map { try StoredMessage.decode(Publication.self, from: $0) }
    }
  }

  /// Publications newest first, without their entries.
  public func listPublications(_ request: Governance_Evaluation_V1_ListPublicationsRequest) async throws
    -> Governance_Evaluation_V1_ListPublicationsResponse
  {
    let page = try PageRequest(pageSize: request.pageSize, pageToken: request.pageToken)
    var filter = RecordFilter()
    try filter.divisionPrefix(request.divisionPrefix)
    filter.add("state = ?", request.state.rawValue, when: request.state != .unspecified)
    filter.add("year = ?", request.year, when: request.year != 0)
    if let after = page.afterID { filter.add("id < ?", after) }
    let whereClause = filter.conditions.isEmpty ? "" : "WHERE " + filter.conditions.joined(separator: " AND ")
    let rows = try await writer.read { [filter] db in
      try Row.fetchAll(
        db, sql: "SELECT id, record FROM publication \(whereClause) ORDER BY id DESC LIMIT ?",
        arguments: StatementArguments(filter.arguments + [(page.size + 1).databaseValue]))
    }
    let publications = try rows.prefix(page.size).map { row -> Publication in
      var publication = try StoredMessage.decode(Publication.self, from: row["record"])
      publication.entries = []
      return publication
    }
    return .with {
      $0.publications = publications
      if rows.count > page.size { $0.nextPageToken = PageRequest.token(after: rows[page.size - 1]["id"]) }
    }
  }
}

extension Governance_Evaluation_V1_CompositeScore: AuditedRecord {}
extension Governance_Evaluation_V1_Publication: AuditedRecord {}
