import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import GovernanceAPI
import ServiceKit
import Testing

/// The evaluation and property services as separate processes over real HTTP/2: a blacklisted
/// company is exited to fallback management, also when the property service was down when the
/// lists were published and the evaluation service restarted.
@Suite("Publication across processes", .serialized)
struct PublicationAcrossProcessesTests {
  typealias Evaluation = Governance_Evaluation_V1_EvaluationService.Client<HTTP2ClientTransport.Posix>
  typealias Property = Governance_Property_V1_PropertyService.Client<HTTP2ClientTransport.Posix>

  /// A company under contract in one compound, and a closed quarter in which it scored 20 of
  /// 100 with residents' satisfaction 1 of 5: the black list.
  static func prepareFailingCompany(_ system: SystemHarness) async throws -> (
    company: String, compound: String, quarter: String
  ) {
    let (company, compound) = try await system.withClient(.property) { client in
      let property = Property(wrapping: client)
      _ = try await property.createServiceCentre(
        .with {
          $0.centre.divisionCode = "320113005000"
          $0.centre.name = "玄武门街道物业服务中心"
        })
      let company = try await property.createCompany(
        .with {
          $0.company.name = "深圳腾讯物业"
          $0.company.unifiedSocialCreditCode = "9144030071526726XG"
          $0.company.divisionCode = "320113000000"
          $0.company.staffCount = 12
        }
      ).id
      let compound = try await property.createCompound(
        .with {
          $0.compound.name = "梅园新村"
          $0.compound.divisionCode = "320113005001"
          $0.compound.kind = .commercialHousing
          $0.compound.householdCount = 420
        }
      ).id
      _ = try await property.createContract(
        .with {
          $0.contract.compoundID = compound
          $0.contract.companyID = company
          $0.contract.selectionMethod = .streetAgreement
          $0.contract.fee.fenPerSquareMetreMonth = 150
        })
      return (company, compound)
    }
    let quarter = try await system.withClient(.evaluation) { client in
      let evaluation = Evaluation(wrapping: client)
      let quarter = try await evaluation.createPeriod(
        .with {
          $0.period.divisionCode = "320113000000"
          $0.period.kind = .quarterly
          $0.period.year = 2026
          $0.period.number = 4
        }
      ).id
      let item = try await evaluation.createScoringItem(
        .with {
          $0.item.divisionCode = "320113000000"
          $0.item.code = "DISPATCH"
          $0.item.name = "调度配合"
          $0.item.use = .quarterlyAssessment
          $0.item.weight = 10
          $0.item.fullMarks = 100
        }
      ).id
      let panel = try await evaluation.createPanel(
        .with {
          $0.panel.kind = .fiveParty
          $0.panel.periodID = quarter
          $0.panel.divisionCode = "320113000000"
          $0.panel.members = [
            .with {
              $0.evaluatorID = "ev-agency"
              $0.name = "第三方测评机构"
              $0.role = .thirdPartyAgency
            }
          ]
        })
      _ = try await evaluation.submitScore(
        .with {
          $0.panelID = panel.id
          $0.itemID = item
          $0.evaluatorID = "ev-agency"
          $0.companyID = company
          $0.compoundID = compound
          $0.value = 20
        })
      _ = try await evaluation.submitSurveyResponse(
        .with {
          $0.response.periodID = quarter
          $0.response.divisionCode = "320113005001"
          $0.response.compoundID = compound
          $0.response.companyID = company
          $0.response.overallSatisfaction = 1
        })
      _ = try await evaluation.closePeriod(.with { $0.periodID = quarter })
      let computed = try await evaluation.computeCompositeScores(.with { $0.periodID = quarter })
      #expect(computed.blackListed == 1)
      return quarter
    }
    return (company, compound, quarter)
  }

  @Test(
    "the blacklisted company's compounds end up under fallback management, once, across a property outage and a restart"
  )
  func blacklistedCompanyExits() async throws {
    let system = try SystemHarness()
    try system.start(.property)
    try await system.waitUntilServing(.property)
    try system.start(.evaluation)
    try await system.waitUntilServing(.evaluation)
    let (company, compound, quarter) = try await Self.prepareFailingCompany(system)

    // The property service goes down: publication freezes the quarter but cannot finish.
    #expect(try await system.stop(.property) == 0)
    let outage = await #expect(throws: RPCError.self) {
      try await system.withClient(.evaluation) { client in
        _ = try await Evaluation(wrapping: client).publishLists(.with { $0.periodID = quarter })
      }
    }
    #expect(outage?.code == .unavailable && outage?.message.contains("property") == true)
    let frozen = try await system.withClient(.evaluation) { client in
      try await Evaluation(wrapping: client).getPublication(.with { $0.periodID = quarter })
    }
    #expect(frozen.state == .inProgress)

    // Property back, evaluation restarted: the publication is finished on start.
    try system.start(.property)
    try await system.waitUntilServing(.property)
    #expect(try await system.stop(.evaluation) == 0)
    try system.start(.evaluation)
    try await system.waitUntilServing(.evaluation)
    let deadline = ContinuousClock.now + .seconds(20)
    var finished = frozen
    while finished.state != .completed, ContinuousClock.now < deadline {
      try await Task.sleep(for: .milliseconds(200))
      finished = try await system.withClient(.evaluation) { client in
        try await Evaluation(wrapping: client).getPublication(.with { $0.periodID = quarter })
      }
    }
    #expect(finished.state == .completed, "\(system.log(of: .evaluation))")
    #expect(finished.entries.first?.fallbackCompoundIds == [compound])

    // Publishing again is the same publication; the company was exited once.
    let again = try await system.withClient(.evaluation) { client in
      try await Evaluation(wrapping: client).publishLists(.with { $0.periodID = quarter })
    }
    #expect(again.id == finished.id)
    try await system.withClient(.property) { client in
      let property = Property(wrapping: client)
      let now = try await property.getCompound(.with { $0.id = compound })
      #expect(now.managementMode == .fallback && now.currentCompanyID.isEmpty)
      #expect(try await property.getCompany(.with { $0.id = company }).listStatus == .black)
      let exits = try await property.listCompoundHistory(
        .with {
          $0.compoundID = compound
          $0.kinds = [.companyExited]
        })
      #expect(exits.events.count == 1)
    }
    #expect(try await system.stop(.property) == 0)
    #expect(try await system.stop(.evaluation) == 0)
  }
}
