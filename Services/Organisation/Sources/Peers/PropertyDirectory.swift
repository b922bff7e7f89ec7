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
    var compounds: [Governance_Property_V1_Compound] = []
    var token = ""
    repeat {
      let page = try await call {
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

  /// Every company registered under `prefix`, all pages.
  public func companies(under prefix: String) async throws -> [Governance_Property_V1_PropertyCompany] {
    var companies: [Governance_Property_V1_PropertyCompany] = []
    var token = ""
    repeat {
      let page = try await call {
        try await property.listCompanies(.with {
          $0.divisionPrefix = prefix
          $0.pageSize = Int32(PageRequest.maximumSize)
          $0.pageToken = token
        })
      }
      companies += page.companies
      token = page.nextPageToken
    } while !token.isEmpty
    return companies
  }

  /// The property service's counts for `prefix` (buildings and building leaders among them).
  public func statistics(under prefix: String) async throws -> Governance_Property_V1_GetPropertyStatisticsResponse {
    try await call { try await property.getPropertyStatistics(.with { $0.divisionPrefix = prefix }) }
  }

  /// One compound; NOT_FOUND when the property service does not know it.
  public func compound(id: String) async throws -> Governance_Property_V1_Compound {
    do {
      return try await call { try await property.getCompound(.with { $0.id = id }) }
    } catch let error as RPCError where error.code == .notFound {
      throw DomainError.notFound(resource: "compound", id: id)
    }
  }

  /// One property company; NOT_FOUND when the property service does not know it.
  public func company(id: String) async throws -> Governance_Property_V1_PropertyCompany {
    do {
      return try await call { try await property.getCompany(.with { $0.id = id }) }
    } catch let error as RPCError where error.code == .notFound {
      throw DomainError.notFound(resource: "property company", id: id)
    }
  }

  private func call<Result>(_ body: () async throws -> Result) async throws -> Result {
    do {
      return try await body()
    } catch let error as RPCError where [.unavailable, .deadlineExceeded, .unknown, .internalError].contains(error.code) {
      throw DomainError.peerUnavailable(peer: "property", detail: "\(error.code): \(error.message)")
    }
  }
}
