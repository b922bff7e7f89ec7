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
  static let compounds:
    [(community: String, name: String, kind: Governance_Property_V1_CompoundKind, households: Int32)] = [
      ("320113005001", "尧新花园", .resettlement, 860), ("320113005002", "仙居雅苑", .commercialHousing, 1420),
      ("320113006001", "仙林湖花园", .commercialHousing, 2100), ("320113006002", "文枢苑", .old, 540),
    ]
  static let scoringItems: [(code: String, name: String, weight: Double)] = [
    ("ENV", "环境卫生", 25), ("ORD", "公共秩序", 25), ("FAC", "设施维护", 20), ("GRN", "绿化养护", 15),
    ("SVC", "服务态度", 15),
  ]

  static let companies = [("南京鸿运物业服务有限公司", "91350100M000100Y43"), ("南京仙林物业管理有限公司", "9144030071526726XG")]
  static let cases = [
    ("楼道堆放杂物", "消防隐患"), ("路灯不亮", "市政设施"), ("垃圾清运不及时", "环境卫生"), ("电梯故障", "物业服务"),
    ("噪音扰民", "邻里纠纷"), ("绿化带破损", "环境卫生"),
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
        _ = try await grid.createDivision(
          .with {
            $0.requestID = "demo-division-\(code)"
            $0.division.divisionCode = code
            $0.division.name = name
          })
      }
    }

    try await connect(.organisation) { client in
      let organisations = Governance_Organisation_V1_OrganisationService.Client(wrapping: client)
      let root = try await organisations.createOrganisation(
        .with {
          $0.requestID = "demo-org-\(district.0)"
          $0.organisation.name = "中共南京市\(district.1)委员会"
          $0.organisation.level = .districtCommittee
          $0.organisation.divisionCode = district.0
        })
      var streetCommittees: [String: String] = [:]
      for (code, name) in streets {
        streetCommittees[code] = try await organisations.createOrganisation(
          .with {
            $0.requestID = "demo-org-\(code)"
            $0.organisation.name = "\(name)党工委"
            $0.organisation.level = .streetWorkingCommittee
            $0.organisation.divisionCode = code
            $0.organisation.parentID = root.id
          }
        ).id
      }
      for (code, name, street) in communities {
        _ = try await organisations.createOrganisation(
          .with {
            $0.requestID = "demo-org-\(code)"
            $0.organisation.name = "\(name)党委"
            $0.organisation.level = .communityCommittee
            $0.organisation.divisionCode = code
            $0.organisation.parentID = streetCommittees[street]!
          })
      }
    }

    let compoundIDs = try await connect(.property) { client in
      let property = Governance_Property_V1_PropertyService.Client(wrapping: client)
      var ids: [String: String] = [:]
      for compound in compounds {
        ids[compound.community] = try await property.createCompound(
          .with {
            $0.requestID = "demo-compound-\(compound.name)"
            $0.compound.name = compound.name
            $0.compound.divisionCode = compound.community
            $0.compound.gridCodes = ["\(compound.community)001"]
            $0.compound.kind = compound.kind
            $0.compound.householdCount = compound.households
          }
        ).id
      }
      for (code, name) in streets {
        _ = try await property.createServiceCentre(
          .with {
            $0.requestID = "demo-centre-\(code)"
            $0.centre.divisionCode = code
            $0.centre.name = "\(name)物业服务中心"
          })
      }
      // Two companies, each serving the compounds of one street under a trial contract.
      for (index, (name, creditCode)) in companies.enumerated() {
        let company = try await property.createCompany(
          .with {
            $0.requestID = "demo-company-\(creditCode)"
            $0.company.name = name
            $0.company.unifiedSocialCreditCode = creditCode
            $0.company.divisionCode = district.0
            $0.company.staffCount = 30 + Int32(index) * 20
          })
        for compound in compounds where compound.community.hasPrefix(String(streets[index].0.prefix(9))) {
          _ = try await property.createContract(
            .with {
              $0.requestID = "demo-contract-\(compound.name)"
              $0.contract.compoundID = ids[compound.community]!
              $0.contract.companyID = company.id
              $0.contract.selectionMethod = .streetAgreement
              $0.contract.fee.fenPerSquareMetreMonth = 120 + Int64(index) * 30
            })
        }
      }
      return ids
    }

    try await connect(.grid) { client in
      let grid = Governance_Grid_V1_GridService.Client(wrapping: client)
      for (code, name, _) in communities {
        _ = try await grid.createGrid(
          .with {
            $0.requestID = "demo-grid-\(code)"
            $0.grid.gridCode = "\(code)001"
            $0.grid.name = "\(name)第一网格"
            $0.grid.kind = .basic
            $0.grid.compoundIds = compoundIDs[code].map { [$0] } ?? []
            $0.grid.households = 600
          })
      }
      // A few residents' reports at different steps, so that the dashboard has something to show.
      for (index, (title, category)) in cases.enumerated() {
        let community = communities[index % communities.count].0
        let reported = try await grid.createCase(
          .with {
            $0.requestID = "demo-case-\(index)"
            $0.gridCase.source = .resident
            $0.gridCase.category = category
            $0.gridCase.title = title
            $0.gridCase.location.gridCode = "\(community)001"
          })
        guard index % 3 != 0 else { continue }
        let step = "demo-case-\(index)"
        _ = try await grid.acceptCase(
          .with {
            $0.requestID = "\(step)-accept"
            $0.caseID = reported.id
          })
        _ = try await grid.assignCase(
          .with {
            $0.requestID = "\(step)-assign"
            $0.caseID = reported.id
            $0.assigneeID = "demo-worker"
          })
        _ = try await grid.startCase(
          .with {
            $0.requestID = "\(step)-start"
            $0.caseID = reported.id
          })
        _ = try await grid.resolveCase(
          .with {
            $0.requestID = "\(step)-resolve"
            $0.caseID = reported.id
            $0.resolution = "已处理"
          })
        _ = try await grid.evaluateCase(
          .with {
            $0.requestID = "\(step)-evaluate"
            $0.caseID = reported.id
            $0.satisfaction = index % 2 == 0 ? 5 : 4
          })
      }
    }

    try await connect(.volunteers) { client in
      let volunteers = Governance_Volunteers_V1_VolunteersService.Client(wrapping: client)
      for (code, name, _) in communities {
        for (kind, suffix) in [
          (Governance_Volunteers_V1_TeamKind.partyVanguard, "党员先锋队"),
          (.redButlerSquad, "红管家先锋突击队"),
        ] {
          _ = try await volunteers.createTeam(
            .with {
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
        _ = try await evaluation.createScoringItem(
          .with {
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
      + "\(compounds.count) compounds with grids, \(companies.count) property companies, \(cases.count) cases, "
      + "\(communities.count * 2) volunteer teams, \(scoringItems.count) scoring items"
  }
}
