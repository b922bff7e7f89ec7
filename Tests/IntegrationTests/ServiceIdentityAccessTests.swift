import GRPCCore
import GovernanceAPI
import ServiceKit
import Testing

/// The authorization matrix for the platform's own service identities, over real HTTP/2: every
/// service reads its peers, and writes to them only where a cross-service flow needs it.
@Suite("Service identities: reads everywhere, writes only where a flow needs them", .serialized)
struct ServiceIdentityAccessTests {
  /// The writes one service makes to another (publishing the evaluation lists).
  static let flowWrites: Set<String> = [
    "governance.property.v1.PropertyService/SetCompanyRating",
    "governance.property.v1.PropertyService/SetCompanyListStatus",
    "governance.property.v1.PropertyService/ExitCompany",
  ]

  static func owner(of service: String) -> ServiceIdentity? {
    ServiceIdentity.allCases.first { service.hasPrefix("governance.\($0.rawValue).") }
  }

  @Test("every unary RPC of every service, called by each service identity")
  func serviceIdentityMatrix() async throws {
    let system = try SystemHarness()
    try system.startAll()
    try await system.waitUntilHealthy()

    var calls = 0
    for caller in ServiceIdentity.allCases {
      for entry in MethodCatalog.methods where !entry.serverStreaming {
        let target = try #require(Self.owner(of: entry.service))
        let answer = try await system.withClient(target, as: Principal(service: caller)) { client in
          // An empty message is a valid request of every type; refused before the handler runs
          // when the caller may not call the method, so nothing is written.
          try await HostileInputTests.call(client, service: entry.service, method: entry.method, bytes: [])
        }
        calls += 1
        let denied: Bool
        if case .failure(let error) = answer, error.code == .permissionDenied {
          denied = true
        } else {
          denied = false
        }
        let allowed =
          Authorization.isRead(entry.method) || (caller == .evaluation && Self.flowWrites.contains(entry.fullName))
        #expect(denied == !allowed, "\(caller.rawValue) → \(entry.fullName): \(answer)")
        if denied, case .failure(let error) = answer {
          #expect(error.message.contains(caller.rawValue) && error.message.contains(entry.method))
        }
      }
    }
    #expect(calls > 6 * 150)
  }
}
