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

  /// Company names by id, asked one by one; a company the property service does not know keeps
  /// its id as its name.
  public func companyNames(_ ids: some Sequence<String>) async throws -> [String: String] {
    var names: [String: String] = [:]
    for id in ids {
      do {
        names[id] = try await call("property") { try await property.getCompany(.with { $0.id = id }) }.name
      } catch let error as RPCError where error.code == .notFound {
        names[id] = id
      }
    }
    return names
  }

  /// Every compound under `prefix`, all pages.
  public func compounds(under prefix: String) async throws -> [Governance_Property_V1_Compound] {
    var compounds: [Governance_Property_V1_Compound] = []
    var token = ""
    repeat {
      let page = try await call("property") {
        try await property.listCompounds(.with {
          $0.divisionPrefix = prefix
          $0.pageSize = Int32(PageRequest.maximumSize)
          $0.pageToken = token
        })
      }
      compounds += page.compounds
      token = page.nextPageToken
    } while !token.isEmpty
    return compounds
  }

  /// Case statistics per compound under `prefix` for a span of report dates, all pages.
  public func caseStatisticsByCompound(
    under prefix: String, from: Governance_Common_V1_Date, to: Governance_Common_V1_Date
  ) async throws -> [Governance_Grid_V1_CaseStatistics] {
    var rows: [Governance_Grid_V1_CaseStatistics] = []
    var token = ""
    repeat {
      let page = try await call("grid") {
        try await grid.getCaseStatistics(.with {
          $0.divisionPrefix = prefix
          $0.fromDate = from
          $0.toDate = to
          $0.groupBy = .compound
          $0.pageSize = Int32(PageRequest.maximumSize)
          $0.pageToken = token
        })
      }
      rows += page.rows
      token = page.nextPageToken
    } while !token.isEmpty
    return rows
  }

  /// The paired unit `id`, looked up among the units under `prefix`.
  public func pairedUnit(id: String, under prefix: String) async throws -> Governance_Organisation_V1_PairedUnit {
    var token = ""
    repeat {
      let page = try await call("organisation") {
        try await organisation.listPairedUnits(.with {
          $0.divisionPrefix = prefix
          $0.pageSize = Int32(PageRequest.maximumSize)
          $0.pageToken = token
        })
      }
      if let unit = page.units.first(where: { $0.id == id }) { return unit }
      token = page.nextPageToken
    } while !token.isEmpty
    throw DomainError.failedPrecondition(
      rule: "evaluation.paired_unit_id names a paired unit of the organisation service", detail: "no unit \(id) under \(prefix)")
  }

  /// Writes a published star and list status to the property service, idempotent by `requestID`.
  public func setOutcome(
    company: String, stars: Int32, score: Double, list: Governance_Evaluation_V1_ListStatus, reason: String,
    period: String, source: Governance_Common_V1_ExternalReference, requestID: String
  ) async throws {
    _ = try await call("property") {
      try await property.setCompanyRating(.with {
        $0.requestID = requestID + "-rating"
        $0.companyID = company
        $0.starRating = stars
        $0.score = score
        $0.period = period
        $0.source = source
      })
    }
    _ = try await call("property") {
      try await property.setCompanyListStatus(.with {
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
    try await call("property") {
      try await property.exitCompany(.with {
        $0.requestID = requestID
        $0.companyID = company
        $0.reason = reason
      })
    }.compounds.map(\.compoundID)
  }

  private func call<Result>(_ peer: String, _ body: () async throws -> Result) async throws -> Result {
    do {
      return try await body()
    } catch let error as RPCError where [.unavailable, .deadlineExceeded, .unknown, .internalError].contains(error.code) {
      throw DomainError.peerUnavailable(peer: peer, detail: "\(error.code): \(error.message)")
    }
  }
}
