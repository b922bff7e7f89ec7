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

  /// Every basic grid whose code starts with `prefix`, all pages.
  public func basicGrids(under prefix: String) async throws -> [Governance_Grid_V1_Grid] {
    var grids: [Governance_Grid_V1_Grid] = []
    var token = ""
    repeat {
      let page: Governance_Grid_V1_ListGridsResponse
      do {
        page = try await grid.listGrids(.with {
          $0.divisionPrefix = prefix
          $0.kind = .basic
          $0.pageSize = Int32(PageRequest.maximumSize)
          $0.pageToken = token
        })
      } catch let error as RPCError where [.unavailable, .deadlineExceeded, .unknown, .internalError].contains(error.code) {
        throw DomainError.peerUnavailable(peer: "grid", detail: "\(error.code): \(error.message)")
      }
      grids += page.grids
      token = page.nextPageToken
    } while !token.isEmpty
    return grids
  }
}
