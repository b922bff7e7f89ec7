import Foundation
import GRPCCore
import GRPCInProcessTransport
import GovernanceAPI
import Grid
import Organisation
import Property
import ServiceKit
import ServiceKitTesting

@testable import Evaluation

typealias EvaluationClient = Governance_Evaluation_V1_EvaluationService.Client<InProcessTransport.Client>
typealias PropertyClient = Governance_Property_V1_PropertyService.Client<InProcessTransport.Client>

/// The real services the evaluation service talks to, each on its own in-process transport and
/// in-memory database, and the evaluation store; `body` gets what a test needs of them.
struct EvaluationWorld: Sendable {
  var store: EvaluationStore
  var peers: EvaluationPeers<InProcessTransport.Client>
  var property: PropertyClient
  var grid: Governance_Grid_V1_GridService.Client<InProcessTransport.Client>
  var organisation: Governance_Organisation_V1_OrganisationService.Client<InProcessTransport.Client>
}

func withEvaluationService<Result: Sendable>(
  _ body: @Sendable (EvaluationClient, PropertyClient, EvaluationWorld) async throws -> Result
) async throws -> Result {
  let propertyStore = PropertyStore(
    writer: try GovernanceDatabase.makeEmptyTestDatabase(migrator: PropertyStore.migrator))
  let organisationStore = OrganisationStore(
    writer: try GovernanceDatabase.makeEmptyTestDatabase(migrator: OrganisationStore.migrator), vault: .ephemeral())
  let gridStore = GridStore(
    writer: try GovernanceDatabase.makeEmptyTestDatabase(migrator: GridStore.migrator), vault: .ephemeral())
  let store = EvaluationStore(
    writer: try GovernanceDatabase.makeEmptyTestDatabase(migrator: EvaluationStore.migrator), vault: .ephemeral())
  return try await withTestServer([PropertyService(store: propertyStore)], caller: .evaluation) { property in
    try await withTestServer([GridService(store: gridStore).routes], caller: .evaluation) { grid in
      let organisationService = OrganisationService(
        store: organisationStore, property: PropertyDirectory(client: property), grid: GridDirectory(client: grid))
      return try await withTestServer([organisationService], caller: .evaluation) { organisation in
        let peers = EvaluationPeers(property: property, grid: grid, organisation: organisation)
        return try await withTestServer([EvaluationService(store: store, peers: peers)]) { client in
          let world = EvaluationWorld(
            store: store, peers: peers, property: Governance_Property_V1_PropertyService.Client(wrapping: property),
            grid: Governance_Grid_V1_GridService.Client(wrapping: grid),
            organisation: Governance_Organisation_V1_OrganisationService.Client(wrapping: organisation))
          return try await body(
            Governance_Evaluation_V1_EvaluationService.Client(wrapping: client), world.property, world)
        }
      }
    }
  }
}

/// A district quarter (2026 Q4, the one running now) with its three months, the items of each use, and for each of
/// two companies a compound in community 320113005001 under contract.
struct Quarter: Sendable {
  static let district = "320113000000"
  static let community = "320113005001"

  var quarter = ""
  var months: [String] = []
  var monthlyItem = ""
  var quarterlyItem = ""
  var surveyItem = ""
  /// company id → its compound id.
  var good = (company: "", compound: "")
  var poor = (company: "", compound: "")

  static func make(_ evaluation: EvaluationClient, _ property: PropertyClient) async throws -> Quarter {
    var setup = Quarter()
    setup.quarter = try await evaluation.createPeriod(
      .with {
        $0.period.divisionCode = district
        $0.period.kind = .quarterly
        $0.period.year = 2026
        $0.period.number = 4
      }
    ).id
    for month: Int32 in 10...12 {
      setup.months.append(
        try await evaluation.createPeriod(
          .with {
            $0.period.divisionCode = district
            $0.period.kind = .monthly
            $0.period.year = 2026
            $0.period.number = month
          }
        ).id)
    }
    for (code, name, use) in [
      ("ENV", "环境卫生", Governance_Evaluation_V1_ItemUse.monthlySatisfaction), ("INFO", "信息公开", .quarterlyAssessment),
      ("SURVEY", "总体满意", .residentSurvey),
    ] {
      let id = try await evaluation.createScoringItem(
        .with {
          $0.item.divisionCode = district
          $0.item.code = code
          $0.item.name = name
          $0.item.use = use
          $0.item.weight = 10
          $0.item.fullMarks = 10
        }
      ).id
      switch use {
      case .monthlySatisfaction: setup.monthlyItem = id
      case .quarterlyAssessment: setup.quarterlyItem = id
      default: setup.surveyItem = id
      }
    }
    // The property fixtures are the district's, not the evaluation service's, to write.
    try await asTestAdministrator { try await setup.makeCompounds(property) }
    return setup
  }

  mutating func makeCompounds(_ property: PropertyClient) async throws {
    _ = try await property.createServiceCentre(
      .with {
        $0.centre.divisionCode = "320113005000"
        $0.centre.name = "玄武门街道物业服务中心"
      })
    var pairs: [(String, String)] = []
    for (name, code) in [("南京鸿运物业", "91350100M000100Y43"), ("深圳腾讯物业", "9144030071526726XG")] {
      let company = try await property.createCompany(
        .with {
          $0.company.name = name
          $0.company.unifiedSocialCreditCode = code
          $0.company.divisionCode = Self.district
          $0.company.staffCount = 40
        }
      ).id
      let compound = try await property.createCompound(
        .with {
          $0.compound.name = "\(name)小区"
          $0.compound.divisionCode = Self.community
          $0.compound.kind = .commercialHousing
          $0.compound.householdCount = 300
        }
      ).id
      _ = try await property.createContract(
        .with {
          $0.contract.compoundID = compound
          $0.contract.companyID = company
          $0.contract.selectionMethod = .streetAgreement
          $0.contract.fee.fenPerSquareMetreMonth = 120
        })
      pairs.append((company, compound))
    }
    good = pairs[0]
    poor = pairs[1]
  }

  /// A four-party panel for a company in a month, seating one evaluator per role.
  func fourPartyPanel(_ evaluation: EvaluationClient, month: Int, company: (company: String, compound: String))
    async throws
    -> Governance_Evaluation_V1_Panel
  {
    try await evaluation.createPanel(
      .with {
        $0.panel.kind = .fourParty
        $0.panel.periodID = months[month]
        $0.panel.divisionCode = Self.community
        $0.panel.companyID = company.company
        $0.panel.compoundID = company.compound
        $0.panel.members = [
          (Governance_Evaluation_V1_PanelRole.communityPartyCommittee, "ev-community"), (.gridBranch, "ev-grid"),
          (.ownersCommittee, "ev-owners"), (.partyMassRepresentative, "ev-mass"),
        ].map { role, id in
          .with {
            $0.evaluatorID = id
            $0.name = "评议人\(id)"
            $0.role = role
          }
        }
      })
  }
}
