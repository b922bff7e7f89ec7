import GRPCCore

/// How a service calls its peers: a peer that cannot answer (down, timed out, failing) is
/// UNAVAILABLE naming it, never an empty or partial answer; a list is read whole, page by page.
public enum PeerCall {
  static let unavailableCodes: Set<RPCError.Code> = [.unavailable, .deadlineExceeded, .unknown, .internalError]

  /// Runs one call to `peer`, turning a transport failure or timeout into UNAVAILABLE naming it.
  /// Under a call with a deadline, the peer gets `CallDeadline.peerBudget` of the time left and no
  /// more: the transport does not bound its wait by the `grpc-timeout` sent, and a peer cut off
  /// from the network never answers, so the wait is bounded here, and the caller answers with the
  /// peer's name before its own deadline.
  public static func run<Result: Sendable>(
    _ peer: ServiceIdentity, _ body: @escaping @Sendable () async throws -> Result
  ) async throws -> Result {
    do {
      guard let remaining = CallDeadline.remaining else { return try await body() }
      let budget = CallDeadline.peerBudget(of: max(remaining, .zero))
      return try await withThrowingTaskGroup(of: Result?.self) { group in
        group.addTask { try await body() }
        group.addTask {
          try await Task.sleep(for: budget)
          return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let answer = first else {
          throw DomainError.peerUnavailable(
            peer: peer.rawValue, detail: "no answer within \(budget), the time its caller's deadline leaves")
        }
        return answer
      }
    } catch let error as RPCError where unavailableCodes.contains(error.code) {
      throw DomainError.peerUnavailable(peer: peer.rawValue, detail: "\(error.code): \(error.message)")
    }
  }

  /// Every item of a paged list of `peer`: `page` gets a page token (empty for the first) and
  /// answers the page's items and the next token (empty after the last).
  public static func allPages<Item: Sendable>(
    _ peer: ServiceIdentity, _ page: @escaping @Sendable (_ token: String) async throws -> (items: [Item], next: String)
  ) async throws -> [Item] {
    var items: [Item] = []
    var token = ""
    repeat {
      let asked = token
      let (pageItems, next) = try await run(peer) { try await page(asked) }
      items += pageItems
      token = next
    } while !token.isEmpty
    return items
  }
}
