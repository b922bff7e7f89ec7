import GRPCCore

/// How a service calls its peers: a peer that cannot answer (down, timed out, failing) is
/// UNAVAILABLE naming it, never an empty or partial answer; a list is read whole, page by page.
public enum PeerCall {
  static let unavailableCodes: Set<RPCError.Code> = [.unavailable, .deadlineExceeded, .unknown, .internalError]

  /// Runs one call to `peer`, turning a transport failure or timeout into UNAVAILABLE naming it.
  public static func run<Result>(_ peer: ServiceIdentity, _ body: () async throws -> Result) async throws -> Result {
    do {
      return try await body()
    } catch let error as RPCError where unavailableCodes.contains(error.code) {
      throw DomainError.peerUnavailable(peer: peer.rawValue, detail: "\(error.code): \(error.message)")
    }
  }

  /// Every item of a paged list of `peer`: `page` gets a page token (empty for the first) and
  /// answers the page's items and the next token (empty after the last).
  public static func allPages<Item>(
    _ peer: ServiceIdentity, _ page: (_ token: String) async throws -> (items: [Item], next: String)
  ) async throws -> [Item] {
    var items: [Item] = []
    var token = ""
    repeat {
      let (pageItems, next) = try await run(peer) { try await page(token) }
      items += pageItems
      token = next
    } while !token.isEmpty
    return items
  }
}
