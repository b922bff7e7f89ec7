import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import GovernanceAPI
import ServiceKit
import Testing

/// Raw bytes on the wire, as a broken or hostile client sends them.
struct RawBytes: MessageSerializer, MessageDeserializer {
  func serialize<Bytes: GRPCContiguousBytes>(_ message: [UInt8]) throws -> Bytes { Bytes(message) }
  func deserialize<Bytes: GRPCContiguousBytes>(_ serializedMessageBytes: Bytes) throws -> [UInt8] {
    serializedMessageBytes.withUnsafeBytes { Array($0) }
  }
}

/// Hostile and odd input against the real processes: every Create RPC of every service, broken
/// protobuf, oversize messages, unknown methods, text that looks like SQL or markup.
@Suite("Hostile input and gRPC semantics against the real processes", .serialized)
struct HostileInputTests {
  /// What a service may answer to input it cannot accept; never INTERNAL or UNKNOWN.
  static let acceptableRefusals: Set<RPCError.Code> = [
    .invalidArgument, .failedPrecondition, .notFound, .alreadyExists,
  ]

  static func call(
    _ client: GRPCClient<HTTP2ClientTransport.Posix>, service: String, method: String, bytes: [UInt8]
  ) async throws -> Result<[UInt8], RPCError> {
    do {
      let answer = try await client.unary(
        request: ClientRequest(message: bytes),
        descriptor: MethodDescriptor(fullyQualifiedService: service, method: method),
        serializer: RawBytes(), deserializer: RawBytes(), options: .defaults
      ) { try $0.message }
      return .success(answer)
    } catch let error as RPCError {
      return .failure(error)
    }
  }

  @Test("every Create RPC: malformed bytes and empty messages are refused with a clear status, no process falls over")
  func malformedAndEmptyCreates() async throws {
    let system = try SystemHarness()
    try system.startAll()
    try await system.waitUntilHealthy()
    var generator = SystemRandomNumberGenerator()
    let creates = MethodCatalog.methods.filter { $0.method.hasPrefix("Create") }
    #expect(creates.count >= 25)
    for method in creates {
      let identity = try #require(ServiceIdentity.domainServices.first { $0.grpcServiceName == method.service })
      let inputs: [[UInt8]] = [
        [],  // an empty message: every required field missing
        [0xFF, 0xFF, 0xFF, 0xFF, 0x0F],  // a truncated varint
        [0x0A, 0x7F, 0x41],  // a length-delimited field longer than the bytes that follow
        (0..<64).map { _ in UInt8.random(in: .min ... .max, using: &generator) },
      ]
      for bytes in inputs {
        let result = try await system.withClient(identity) { client in
          try await Self.call(client, service: method.service, method: method.method, bytes: bytes)
        }
        if case .failure(let error) = result {
          #expect(
            Self.acceptableRefusals.contains(error.code),
            "\(method.fullName) \(bytes.prefix(8)): \(error.code) \(error.message)")
        } else {
          Issue.record("\(method.fullName) accepted \(bytes.prefix(8))")
        }
      }
    }
    for identity in ServiceIdentity.domainServices {
      // Fallen over is what this asks: a process slow to answer within a second while the suites
      // beside it load both cores is asked again, a dead one stays unanswered.
      var status = try await system.grpcHealth(of: identity)
      for _ in 0..<4 where status != .serving {
        try await Task.sleep(for: .seconds(1))
        status = try await system.grpcHealth(of: identity)
      }
      #expect(status == .serving, "\(identity.rawValue) fell over")
    }
    for identity in ServiceIdentity.allCases { #expect(try await system.stop(identity) == 0) }
  }

  @Test(
    "SQL-like, markup, control characters, emoji and Chinese: stored as text or refused by name; oversize is RESOURCE_EXHAUSTED"
  )
  func hostileText() async throws {
    let system = try SystemHarness()
    try system.start(.volunteers)
    try await system.waitUntilServing(.volunteers)
    try await system.withClient(.volunteers) { client in
      let volunteers = Governance_Volunteers_V1_VolunteersService.Client(wrapping: client)
      for name in ["'); DROP TABLE team; --", "<img src=x onerror=alert(1)>", "红管家🚒先锋队", "队\"名'\\"] {
        let team = try await volunteers.createTeam(
          .with {
            $0.team.name = name
            $0.team.kind = .other
            $0.team.divisionCode = "320113005001"
          })
        #expect(try await volunteers.getTeam(.with { $0.id = team.id }).name == name)
      }
      for (name, field) in [
        ("tab\tname", "team.name"), ("bell\u{7}", "team.name"), (String(repeating: "长", count: 101), "team.name"),
      ] {
        do {
          _ = try await volunteers.createTeam(
            .with {
              $0.team.name = name
              $0.team.kind = .other
              $0.team.divisionCode = "320113005001"
            })
          Issue.record("accepted \(name.debugDescription)")
        } catch let error as RPCError {
          #expect(error.code == .invalidArgument && error.message.contains(field), "\(error)")
        }
      }
      // A Chinese value echoed in a status message arrives intact.
      do {
        _ = try await volunteers.createTeam(
          .with {
            $0.team.name = "队"
            $0.team.kind = .other
            $0.team.divisionCode = "三二零一一三"
          })
        Issue.record("accepted a Chinese division code")
      } catch let error as RPCError {
        #expect(error.code == .invalidArgument && error.message.contains("三二零一一三"), "\(error.message)")
      }
      // Within the limit a large message works; past the 4 MiB limit it is RESOURCE_EXHAUSTED.
      let teams = try await volunteers.listTeams(.with { $0.pageSize = 500 })
      #expect(teams.teams.count == 4)
      do {
        _ = try await volunteers.createTeam(
          .with {
            $0.team.name = "大"
            $0.team.details = String(repeating: "x", count: 5 * 1024 * 1024)
            $0.team.kind = .other
            $0.team.divisionCode = "320113005001"
          })
        Issue.record("accepted a 5 MiB message")
      } catch let error as RPCError {
        #expect(error.code == .resourceExhausted, "\(error.code): \(error.message)")
      }
      #expect(try await volunteers.listTeams(.with { $0.pageSize = 500 }).teams.count == 4)
    }
    try await system.withClient(.volunteers) { client in
      for (service, method) in [
        ("governance.volunteers.v1.VolunteersService", "DropTables"), ("no.such.Service", "Get"),
      ] {
        let result = try await Self.call(client, service: service, method: method, bytes: [])
        guard case .failure(let error) = result else {
          Issue.record("\(service)/\(method) answered")
          continue
        }
        #expect(error.code == .unimplemented, "\(service)/\(method): \(error.code)")
      }
    }
    #expect(try await system.stop(.volunteers) == 0)
  }
}
