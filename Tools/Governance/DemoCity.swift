import GRPCCore
import GRPCNIOTransportHTTP2
import GovernanceAPI
import ServiceKit

/// A small demo city loaded through the public APIs: one district of Nanjing with two streets and
/// four communities, their party committees, compounds, volunteer teams and the monthly scoring
/// items. Every request carries a fixed `request_id`, so loading it again changes nothing.
enum DemoCity {
  static let district = ("320113000000", "栖霞区")
  static let streets = [("320113005000", "尧化街道"), ("320113006000", "仙林街道")]
  static let communities = [
    ("320113005001", "尧新社区", "320113005000"), ("320113005002", "尧林仙居社区", "320113005000"),
    ("320113006001", "仙林湖社区", "320113006000"), ("320113006002", "文枢社区", "320113006000"),
  ]
  static let compounds: [(community: String, name: String, kind: Governance_Property_V1_CompoundKind, households: Int32)] = [
    ("320113005001", "尧新花园", .resettlement, 860), ("320113005002", "仙居雅苑", .commercialHousing, 1420),
    ("320113006001", "仙林湖花园", .commercialHousing, 2100), ("320113006002", "文枢苑", .old, 540),
  ]
  static let scoringItems: [(code: String, name: String, weight: Double)] = [
    ("ENV", "环境卫生", 25), ("ORD", "公共秩序", 25), ("FAC", "设施维护", 20), ("GRN", "绿化养护", 15),
    ("SVC", "服务态度", 15),
  ]

  typealias Client = GRPCClient<HTTP2ClientTransport.Posix>

  /// Loads the demo city into the services at `addresses`, as the operator holding the system's
  /// token key; returns a one-line summary.
  static func load(addresses: [ServiceIdentity: NetworkAddress], authority: TokenAuthority) async throws -> String {
    func connect<Result: Sendable>(
      _ identity: ServiceIdentity, _ body: @Sendable (Client) async throws -> Result
    ) async throws -> Result {
      try await OperatorClient.connect(to: addresses[identity]!, authority: authority, body)
    }

    try await connect(.grid) { client in
      let grid = Governance_Grid_V1_GridService.Client(wrapping: client)
      let divisions = [district] + streets + communities.map { ($0.0, $0.1) }
      for (code, name) in divisions {
        _ = try await grid.createDivision(.with {
          $0.requestID = "demo-division-\(code)"
          $0.division.divisionCode = code
          $0.division.name = name
        })
      }
    }

    try await connect(.organisation) { client in
      let organisations = Governance_Organisation_V1_OrganisationService.Client(wrapping: client)
      let root = try await organisations.createOrganisation(.with {
        $0.requestID = "demo-org-\(district.0)"
        $0.organisation.name = "中共南京市\(district.1)委员会"
        $0.organisation.level = .districtCommittee
        $0.organisation.divisionCode = district.0
      })
      var streetCommittees: [String: String] = [:]
      for (code, name) in streets {
        streetCommittees[code] = try await organisations.createOrganisation(.with {
          $0.requestID = "demo-org-\(code)"
          $0.organisation.name = "\(name)党工委"
          $0.organisation.level = .streetWorkingCommittee
          $0.organisation.divisionCode = code
          $0.organisation.parentID = root.id
        }).id
      }
      for (code, name, street) in communities {
        _ = try await organisations.createOrganisation(.with {
          $0.requestID = "demo-org-\(code)"
          $0.organisation.name = "\(name)党委"
          $0.organisation.level = .communityCommittee
          $0.organisation.divisionCode = code
          $0.organisation.parentID = streetCommittees[street]!
        })
      }
    }

    try await connect(.property) { client in
      let property = Governance_Property_V1_PropertyService.Client(wrapping: client)
      for compound in compounds {
        _ = try await property.createCompound(.with {
          $0.requestID = "demo-compound-\(compound.name)"
          $0.compound.name = compound.name
          $0.compound.divisionCode = compound.community
          $0.compound.gridCodes = ["\(compound.community)001"]
          $0.compound.kind = compound.kind
          $0.compound.householdCount = compound.households
        })
      }
    }

    try await connect(.volunteers) { client in
      let volunteers = Governance_Volunteers_V1_VolunteersService.Client(wrapping: client)
      for (code, name, _) in communities {
        for (kind, suffix) in [(Governance_Volunteers_V1_TeamKind.partyVanguard, "党员先锋队"),
          (.redButlerSquad, "红管家先锋突击队")]
        {
          _ = try await volunteers.createTeam(.with {
            $0.requestID = "demo-team-\(code)-\(kind.rawValue)"
            $0.team.name = "\(name)\(suffix)"
            $0.team.kind = kind
            $0.team.divisionCode = code
          })
        }
      }
    }

    try await connect(.evaluation) { client in
      let evaluation = Governance_Evaluation_V1_EvaluationService.Client(wrapping: client)
      for item in scoringItems {
        _ = try await evaluation.createScoringItem(.with {
          $0.requestID = "demo-item-\(item.code)"
          $0.item.code = item.code
          $0.item.name = item.name
          $0.item.use = .monthlySatisfaction
          $0.item.weight = item.weight
          $0.item.fullMarks = 10
          $0.item.divisionCode = district.0
        })
      }
    }

    let divisions = 1 + streets.count + communities.count
    return "demo city \(district.1): \(divisions) divisions, \(divisions) party committees, "
      + "\(compounds.count) compounds, \(communities.count * 2) volunteer teams, \(scoringItems.count) scoring items"
  }
}
