import GRPCCore
import GovernanceAPI
import ServiceKit

/// What the evaluation service asks and tells its peers: companies and compounds, ratings, list
/// status and exits (property); case statistics by compound (grid); paired units (organisation).
/// A peer that cannot answer is UNAVAILABLE naming it, never a partial answer.
public struct EvaluationPeers<Transport: ClientTransport>: Sendable {
  private let property: Governance_Property_V1_PropertyService.Client<Transport>
  private let grid: Governance_Grid_V1_GridService.Client<Transport>
  private let organisation: Governance_Organisation_V1_OrganisationService.Client<Transport>

  public init(property: GRPCClient<Transport>, grid: GRPCClient<Transport>, organisation: GRPCClient<Transport>) {
    self.property = Governance_Property_V1_PropertyService.Client(wrapping: property)
    self.grid = Governance_Grid_V1_GridService.Client(wrapping: grid)
    self.organisation = Governance_Organisation_V1_OrganisationService.Client(wrapping: organisation)
  }

  /// Company names by id, asked in one ListCompanies call per 500 ids; a company the property
  /// service does not know keeps its id as its name.
  public func companyNames(_ ids: some Sequence<String>) async throws -> [String: String] {
    let wanted = Array(Set(ids)).sorted()
    var names = Dictionary(uniqueKeysWithValues: wanted.map { ($0, $0) })
    for start in stride(from: 0, to: wanted.count, by: PageRequest.maximumSize) {
      let batch = Array(wanted[start..<min(start + PageRequest.maximumSize, wanted.count)])
      let companies = try await PeerCall.allPages(.property) { token in
        let page = try await property.listCompanies(
          .with {
            $0.ids = batch
            $0.pageSize = Int32(PageRequest.maximumSize)
            $0.pageToken = token
          })
        return (page.companies, page.nextPageToken)
      }
      for company in companies { names[company.id] = company.name }
    }
    return names
  }

  /// Every compound under `prefix`, all pages.
  public func compounds(under prefix: String) async throws -> [Governance_Property_V1_Compound] {
    try await PeerCall.allPages(.property) { token in
      let page = try await property.listCompounds(
        .with {
          $0.divisionPrefix = prefix
          $0.pageSize = Int32(PageRequest.maximumSize)
          $0.pageToken = token
        })
      return (page.compounds, page.nextPageToken)
    }
  }

  /// Case statistics per compound under `prefix` for a span of report dates, all pages.
  public func caseStatisticsByCompound(
    under prefix: String, from: Governance_Common_V1_Date, to: Governance_Common_V1_Date
  ) async throws -> [Governance_Grid_V1_CaseStatistics] {
    try await PeerCall.allPages(.grid) { token in
      let page = try await grid.getCaseStatistics(
        .with {
          $0.divisionPrefix = prefix
          $0.fromDate = from
          $0.toDate = to
          $0.groupBy = .compound
          $0.pageSize = Int32(PageRequest.maximumSize)
          $0.pageToken = token
        })
      return (page.rows, page.nextPageToken)
    }
  }

  /// The paired unit `id`, looked up among the units under `prefix`.
  public func pairedUnit(id: String, under prefix: String) async throws -> Governance_Organisation_V1_PairedUnit {
    let units = try await PeerCall.allPages(.organisation) { token in
      let page = try await organisation.listPairedUnits(
        .with {
          $0.divisionPrefix = prefix
          $0.pageSize = Int32(PageRequest.maximumSize)
          $0.pageToken = token
        })
      return (page.units, page.nextPageToken)
    }
    guard let unit = units.first(where: { $0.id == id }) else {
      throw DomainError.failedPrecondition(
        rule: "evaluation.paired_unit_id names a paired unit of the organisation service",
        detail: "no unit \(id) under \(prefix)")
    }
    return unit
  }

  /// Writes a published star and list status to the property service, idempotent by `requestID`.
  public func setOutcome(
    company: String, stars: Int32, score: Double, list: Governance_Evaluation_V1_ListStatus, reason: String,
    period: String, source: Governance_Common_V1_ExternalReference, requestID: String
  ) async throws {
    _ = try await PeerCall.run(.property) {
      try await property.setCompanyRating(
        .with {
          $0.requestID = requestID + "-rating"
          $0.companyID = company
          $0.starRating = stars
          $0.score = score
          $0.period = period
          $0.source = source
        })
    }
    _ = try await PeerCall.run(.property) {
      try await property.setCompanyListStatus(
        .with {
          $0.requestID = requestID + "-list"
          $0.companyID = company
          $0.listStatus = Governance_Property_V1_ListStatus(rawValue: list.rawValue) ?? .none
          $0.reason = reason
          $0.period = period
          $0.source = source
        })
    }
  }

  /// Exits a blacklisted company through the property service, idempotent by `requestID`; the
  /// compounds moved to fallback management.
  public func exitCompany(_ company: String, reason: String, requestID: String) async throws -> [String] {
    try await PeerCall.run(.property) {
      try await property.exitCompany(
        .with {
          $0.requestID = requestID
          $0.companyID = company
          $0.reason = reason
        })
    }.compounds.map(\.compoundID)
  }

}
