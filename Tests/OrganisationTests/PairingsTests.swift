import GRPCCore
import GovernanceAPI
import Organisation
import ServiceKit
import ServiceKitTesting
import Testing

@Suite("Paired units: one package, five helps, evaluated by the street each quarter")
struct PairingsTests {
  @Test("a help that is done stays done")
  func helpThatIsDoneStaysDone() throws {
    let today = Governance_Common_V1_Date.with {
      $0.year = 2026
      $0.month = 3
      $0.day = 1
    }
    var helps = Pairings.initialHelps(on: today)
    #expect(helps.count == 5 && helps.allSatisfy { $0.status == .notStarted })
    helps = try Pairings.update(helps, help: .propertyService, to: .done, notes: "引入物业", on: today)
    #expect(throws: DomainError.self) {
      try Pairings.update(helps, help: .propertyService, to: .inProgress, notes: "", on: today)
    }
  }

  @Test("a unit pairs with a three-no compound; the street evaluates each quarter once")
  func pairingLifecycle() async throws {
    try await withOrganisationService { organisations, property, _ in
      let community = try await BranchFormationTests.committees(organisations)
      let street = try await organisations.getOrganisation(.with { $0.id = community }).parentID
      let compound = try await property.createCompound(
        .with {
          $0.compound.name = "三无小区"
          $0.compound.divisionCode = "320113005001"
          $0.compound.kind = .old
        })
      let unit = try await organisations.createPairedUnit(
        .with {
          $0.unit.name = "区住建局"
          $0.unit.kind = .agency
          $0.unit.divisionCode = "320113000000"
        })
      let pairing = try await organisations.createPairing(
        .with {
          $0.pairedUnitID = unit.id
          $0.compoundID = compound.id
        })
      #expect(pairing.divisionCode == "320113005001")
      let helped = try await organisations.updatePairingHelp(
        .with {
          $0.pairingID = pairing.id
          $0.help = .selfGovernanceBody
          $0.status = .inProgress
          $0.notes = "筹备自管会"
        })
      #expect(helped.helps.first { $0.help == .selfGovernanceBody }?.status == .inProgress)

      let evaluation = Governance_Organisation_V1_RecordPairingEvaluationRequest.with {
        $0.evaluation.pairingID = pairing.id
        $0.evaluation.evaluatorOrganisationID = street
        $0.evaluation.year = 2026
        $0.evaluation.quarter = 1
        $0.evaluation.grade = .good
        $0.evaluation.score = 86
      }
      _ = try await organisations.recordPairingEvaluation(evaluation)
      await expectRPCError(.alreadyExists, mentioning: "2026 Q1") {
        _ = try await organisations.recordPairingEvaluation(evaluation)
      }
      await expectRPCError(.failedPrecondition, mentioning: "street working committee") {
        var byCommunity = evaluation
        byCommunity.evaluation.evaluatorOrganisationID = community
        byCommunity.evaluation.quarter = 2
        _ = try await organisations.recordPairingEvaluation(byCommunity)
      }
      await expectRPCError(.notFound, mentioning: "compound cmp_missing") {
        _ = try await organisations.createPairing(
          .with {
            $0.pairedUnitID = unit.id
            $0.compoundID = "cmp_missing"
          })
      }
      let listed = try await organisations.listPairingEvaluations(.with { $0.pairedUnitID = unit.id })
      #expect(listed.evaluations.map(\.score) == [86])
    }
  }
}
