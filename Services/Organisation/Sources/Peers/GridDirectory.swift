import GRPCCore
import GovernanceAPI
import ServiceKit

/// The organisation service's view of the grid service: the grids of a jurisdiction, read over
/// gRPC. A grid service that cannot answer is UNAVAILABLE naming it.
public struct GridDirectory<Transport: ClientTransport>: Sendable {
  private let grid: Governance_Grid_V1_GridService.Client<Transport>

  public init(client: GRPCClient<Transport>) {
    self.grid = Governance_Grid_V1_GridService.Client(wrapping: client)
  }

  /// The codes of every basic grid whose code starts with `prefix`, all pages of the largest size
  /// the grid service gives (20,000: a city's 18,100 in one answer).
  public func basicGridCodes(under prefix: String) async throws -> [String] {
    try await PeerCall.allPages(.grid) { token in
      let page = try await grid.listGridCodes(
        .with {
          $0.divisionPrefix = prefix
          $0.kind = .basic
          $0.pageSize = 20_000
          $0.pageToken = token
        })
      return (page.gridCodes, page.nextPageToken)
    }
  }
}
