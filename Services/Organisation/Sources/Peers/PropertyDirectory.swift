import GRPCCore
import GovernanceAPI
import ServiceKit

/// The organisation service's view of the property service: compounds, read over gRPC with the
/// deadline the peer client sets. A property service that cannot answer is UNAVAILABLE naming
/// it, never an empty or partial answer.
public struct PropertyDirectory<Transport: ClientTransport>: Sendable {
  private let property: Governance_Property_V1_PropertyService.Client<Transport>

  public init(client: GRPCClient<Transport>) {
    self.property = Governance_Property_V1_PropertyService.Client(wrapping: client)
  }

  /// Every compound whose division code starts with `prefix`, all pages.
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

  /// The id and community of every compound under `prefix`, from the property service's
  /// ListCompoundDivisions (up to 20,000 a page, nothing else of the compounds read).
  public func compoundDivisions(under prefix: String) async throws -> [Governance_Property_V1_CompoundDivision] {
    try await PeerCall.allPages(.property) { token in
      let page = try await property.listCompoundDivisions(
        .with {
          $0.divisionPrefix = prefix
          $0.pageSize = 20_000
          $0.pageToken = token
        })
      return (page.compounds, page.nextPageToken)
    }
  }

  /// The property service's counts for `prefix`: buildings and building leaders, companies by
  /// party status and size among them.
  public func statistics(under prefix: String) async throws -> Governance_Property_V1_GetPropertyStatisticsResponse {
    try await PeerCall.run(.property) { try await property.getPropertyStatistics(.with { $0.divisionPrefix = prefix }) }
  }

  /// One compound; NOT_FOUND when the property service does not know it.
  public func compound(id: String) async throws -> Governance_Property_V1_Compound {
    do {
      return try await PeerCall.run(.property) { try await property.getCompound(.with { $0.id = id }) }
    } catch let error as RPCError where error.code == .notFound {
      throw DomainError.notFound(resource: "compound", id: id)
    }
  }

  /// One property company; NOT_FOUND when the property service does not know it.
  public func company(id: String) async throws -> Governance_Property_V1_PropertyCompany {
    do {
      return try await PeerCall.run(.property) { try await property.getCompany(.with { $0.id = id }) }
    } catch let error as RPCError where error.code == .notFound {
      throw DomainError.notFound(resource: "property company", id: id)
    }
  }

}
