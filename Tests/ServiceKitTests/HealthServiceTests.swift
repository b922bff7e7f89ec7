import GRPCCore
import GRPCInProcessTransport
import GovernanceAPI
import Testing

@testable import ServiceKit

@Suite("grpc.health.v1 over the in-process transport")
struct HealthServiceTests {
  @Test("Check answers each known service, NOT_FOUND for others; Watch sees changes")
  func checkAndWatch() async throws {
    let status = HealthStatus(services: ["governance.grid.v1.GridService"])
    let inProcess = InProcessTransport()
    try await withGRPCServer(transport: inProcess.server, services: [HealthService(status: status)]) { _ in
      try await withGRPCClient(transport: inProcess.client) { client in
        let health = Grpc_Health_V1_Health.Client(wrapping: client)
        let before = try await health.check(.with { $0.service = "governance.grid.v1.GridService" })
        #expect(before.status == .notServing)

        status.setAll(.serving)
        let after = try await health.check(.with { $0.service = "" })
        #expect(after.status == .serving)

        await #expect {
          try await health.check(.with { $0.service = "no.such.Service" })
        } throws: { error in
          (error as? RPCError)?.code == .notFound
        }

        let seen = try await health.watch(.with { $0.service = "governance.grid.v1.GridService" }) { response in
          var seen: [Grpc_Health_V1_HealthCheckResponse.ServingStatus] = []
          for try await message in response.messages {
            seen.append(message.status)
            if seen.count == 1 {
              status.set("governance.grid.v1.GridService", to: .notServing)
            } else {
              break
            }
          }
          return seen
        }
        #expect(seen == [.serving, .notServing])
      }
    }
  }
}
