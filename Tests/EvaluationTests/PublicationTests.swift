import Foundation
import GRPCCore
import GovernanceAPI
import Logging
import ServiceKit
import ServiceKitTesting
import Testing

@testable import Evaluation

@Suite("Publication: frozen once, carried into the property service, finished after an interruption")
struct PublicationTests {
  /// Scores a quarter so that the first company earns five stars and the red list and the second
  /// falls to the black list, then closes every period.
  static func scoreQuarter(_ evaluation: EvaluationClient, _ setup: Quarter) async throws {
    for (company, monthly, residents) in [(setup.good, 9.5, [Int32(5), 5]), (setup.poor, 4.0, [1, 2])] {
      let panel = try await setup.fourPartyPanel(evaluation, month: 0, company: company)
      for member in panel.members {
        _ = try await evaluation.submitScore(
          .with {
            $0.panelID = panel.id
            $0.itemID = setup.monthlyItem
            $0.evaluatorID = member.evaluatorID
            $0.companyID = company.company
            $0.compoundID = company.compound
            $0.value = monthly
          })
      }
      for satisfaction in residents {
        _ = try await evaluation.submitSurveyResponse(
          .with {
            $0.response.periodID = setup.quarter
            $0.response.divisionCode = Quarter.community
            $0.response.compoundID = company.compound
            $0.response.companyID = company.company
            $0.response.overallSatisfaction = satisfaction
            $0.response.channel = "door_to_door"
          })
      }
    }
    let fiveParty = try await evaluation.createPanel(
      .with {
        $0.panel.kind = .fiveParty
        $0.panel.periodID = setup.quarter
        $0.panel.divisionCode = Quarter.district
        $0.panel.members = [
          .with {
            $0.evaluatorID = "ev-housing"
            $0.name = "区住建局"
            $0.role = .housingDepartment
          }
        ]
      })
    for (company, value) in [(setup.good, 9.0), (setup.poor, 3.0)] {
      _ = try await evaluation.submitScore(
        .with {
          $0.panelID = fiveParty.id
          $0.itemID = setup.quarterlyItem
          $0.evaluatorID = "ev-housing"
          $0.companyID = company.company
          $0.compoundID = company.compound
          $0.value = value
        })
    }
    for period in setup.months + [setup.quarter] {
      _ = try await evaluation.closePeriod(.with { $0.periodID = period })
    }
  }

  static func exitEvents(_ property: PropertyClient, compound: String) async throws -> Int {
    try await property.listCompoundHistory(
      .with {
        $0.compoundID = compound
        $0.kinds = [.companyExited]
      }
    ).events.count
  }

  @Test("company names come from one batched ListCompanies call; an unknown company keeps its id")
  func companyNamesInOneBatch() async throws {
    try await withEvaluationService { evaluation, property, world in
      let setup = try await Quarter.make(evaluation, property)
      let names = try await world.peers.companyNames([
        setup.good.company, setup.poor.company, "cmp_gone", setup.good.company,
      ])
      #expect(names.count == 3 && names["cmp_gone"] == "cmp_gone")
      #expect(names[setup.good.company] == "南京鸿运物业")
      let batch = try await world.property.listCompanies(.with { $0.ids = [setup.poor.company, "cmp_gone"] }).companies
      #expect(batch.map(\.id) == [setup.poor.company])
      await expectRPCError(.invalidArgument, mentioning: "ids") {
        _ = try await world.property.listCompanies(.with { $0.ids = (0...500).map { "cmp_\($0)" } })
      }
    }
  }

  @Test("compute, publish: stars and lists reach the property service and the blacklisted company is exited, once")
  func publishRatesAndExits() async throws {
    try await withEvaluationService { evaluation, property, _ in
      let setup = try await Quarter.make(evaluation, property)
      try await Self.scoreQuarter(evaluation, setup)

      let computed = try await evaluation.computeCompositeScores(.with { $0.periodID = setup.quarter })
      #expect(computed.companies == 2 && computed.redListed == 1 && computed.blackListed == 1)
      let ranking = try await evaluation.listCompositeScores(.with { $0.periodID = setup.quarter }).scores
      #expect(ranking.map(\.companyID) == [setup.good.company, setup.poor.company])
      // (0.4 × 95 + 0.3 × 90 + 0.2 × 100) / 0.9 and (0.4 × 40 + 0.3 × 30 + 0.2 × 12.5) / 0.9.
      #expect(ranking.map(\.total) == [94.44, 30.56])
      #expect(ranking.map(\.stars) == [5, 1] && ranking.map(\.rank) == [1, 2])
      #expect(ranking[0].companyName == "南京鸿运物业")

      let publication = try await evaluation.publishLists(.with { $0.periodID = setup.quarter })
      #expect(publication.state == .completed && publication.redCount == 1 && publication.blackCount == 1)
      let poorEntry = try #require(publication.entries.first { $0.companyID == setup.poor.company })
      #expect(poorEntry.exitState == .done && poorEntry.fallbackCompoundIds == [setup.poor.compound])

      let poor = try await property.getCompany(.with { $0.id = setup.poor.company })
      #expect(poor.listStatus == .black && poor.starRating == 1)
      let good = try await property.getCompany(.with { $0.id = setup.good.company })
      #expect(good.listStatus == .red && good.starRating == 5)
      #expect(try await property.getCompound(.with { $0.id = setup.poor.compound }).managementMode == .fallback)
      #expect(try await property.getCompound(.with { $0.id = setup.good.compound }).managementMode != .fallback)

      // Publishing twice is one publication; the published record never changes.
      let again = try await evaluation.publishLists(.with { $0.periodID = setup.quarter })
      #expect(again.id == publication.id)
      #expect(try await Self.exitEvents(property, compound: setup.poor.compound) == 1)
      await expectRPCError(.failedPrecondition, mentioning: "published") {
        _ = try await evaluation.computeCompositeScores(.with { $0.periodID = setup.quarter })
      }
      let frozen = try await evaluation.getCompositeScore(
        .with {
          $0.companyPeriod = .with {
            $0.companyID = setup.poor.company
            $0.periodID = setup.quarter
          }
        })
      #expect(frozen.state == .published && frozen.listStatus == .black)
      let history = try await evaluation.getCompanyHistory(.with { $0.companyID = setup.poor.company })
      #expect(history.currentListStatus == .black && history.currentStars == 1)
      #expect(history.periods.first { $0.period.id == setup.months[0] }?.fourPartyMean == 40)
    }
  }

  @Test("a publication interrupted after rating and before the exit is finished on the next start, exiting once")
  func interruptedPublicationResumes() async throws {
    try await withEvaluationService { evaluation, property, world in
      let setup = try await Quarter.make(evaluation, property)
      try await Self.scoreQuarter(evaluation, setup)
      _ = try await evaluation.computeCompositeScores(.with { $0.periodID = setup.quarter })

      // The first process freezes the publication and rates every company, then dies.
      let publisher = ListPublisher(store: world.store, peers: world.peers)
      let started = try await world.store.beginPublication(periodID: setup.quarter, by: Principal(service: .gateway))
      let rated = try await publisher.updateProperty(started, by: Principal(service: .gateway))
      #expect(rated.state == .inProgress && rated.entries.allSatisfy(\.propertyUpdated))
      #expect(try await property.getCompany(.with { $0.id = setup.poor.company }).listStatus == .black)
      #expect(try await property.getCompound(.with { $0.id = setup.poor.compound }).managementMode != .fallback)
      #expect(try await evaluation.getPeriod(.with { $0.id = setup.quarter }).state == .published)

      // The next start finds it unfinished and completes it.
      let restarted = ListPublisher(store: world.store, peers: world.peers)
      #expect(
        try await restarted.resumeUnfinished(by: Principal(service: .evaluation), logger: Logger(label: "test")) == 1)
      let finished = try await evaluation.getPublication(.with { $0.periodID = setup.quarter })
      #expect(finished.id == started.id && finished.state == .completed)
      #expect(try await property.getCompound(.with { $0.id = setup.poor.compound }).managementMode == .fallback)
      #expect(try await Self.exitEvents(property, compound: setup.poor.compound) == 1)
      #expect(
        try await restarted.resumeUnfinished(by: Principal(service: .evaluation), logger: Logger(label: "test")) == 0)
      _ = try await evaluation.publishLists(.with { $0.periodID = setup.quarter })
      #expect(try await Self.exitEvents(property, compound: setup.poor.compound) == 1)
    }
  }

  @Test("case satisfaction is imported per compound from the grid service and enters the composite")
  func caseSatisfactionImport() async throws {
    try await withEvaluationService { evaluation, property, world in
      let setup = try await Quarter.make(evaluation, property)
      let grid = world.grid
      // The cases are the grid service's records, written by staff, not by the evaluation service.
      try await asTestAdministrator {
        for (code, name) in [("320113000000", "玄武区"), ("320113005000", "玄武门街道"), (Quarter.community, "樱花社区")] {
          _ = try await grid.createDivision(
            .with {
              $0.division.divisionCode = code
              $0.division.name = name
            })
        }
        for (compound, satisfaction) in [(setup.good.compound, Int32(5)), (setup.poor.compound, 1)] {
          let id = try await grid.createCase(
            .with {
              $0.gridCase.source = .resident
              $0.gridCase.category = "物业服务"
              $0.gridCase.title = "电梯故障"
              $0.gridCase.divisionCode = Quarter.community
              $0.gridCase.location.compoundID = compound
            }
          ).id
          _ = try await grid.acceptCase(.with { $0.caseID = id })
          _ = try await grid.assignCase(
            .with {
              $0.caseID = id
              $0.assigneeID = "wkr_1"
            })
          _ = try await grid.startCase(.with { $0.caseID = id })
          _ = try await grid.resolveCase(
            .with {
              $0.caseID = id
              $0.resolution = "已维修"
            })
          _ = try await grid.evaluateCase(
            .with {
              $0.caseID = id
              $0.satisfaction = satisfaction
            })
        }
      }
      let imported = try await evaluation.importCaseSatisfaction(.with { $0.periodID = setup.quarter })
      #expect(imported.imported == 2 && imported.withoutCases == 0)
      let rows = try await evaluation.listCaseSatisfaction(.with { $0.periodID = setup.quarter }).rows
      #expect(
        Dictionary(uniqueKeysWithValues: rows.map { ($0.companyID, $0.meanSatisfaction) })
          == [setup.good.company: 5, setup.poor.company: 1])
      // Importing again replaces, never adds.
      _ = try await evaluation.importCaseSatisfaction(.with { $0.periodID = setup.quarter })
      #expect(try await evaluation.listCaseSatisfaction(.with { $0.periodID = setup.quarter }).rows.count == 2)
      _ = try await evaluation.closePeriod(.with { $0.periodID = setup.quarter })
      _ = try await evaluation.computeCompositeScores(.with { $0.periodID = setup.quarter })
      let good = try await evaluation.getCompositeScore(
        .with {
          $0.companyPeriod = .with {
            $0.companyID = setup.good.company
            $0.periodID = setup.quarter
          }
        })
      #expect(good.total == 100 && good.components.first { $0.kind == .caseSatisfaction }?.sampleSize == 1)
    }
  }
}
