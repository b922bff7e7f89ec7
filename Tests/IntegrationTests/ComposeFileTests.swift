import Foundation
import ServiceKit
import Testing
import Yams

/// No Docker engine runs here, so the deployment file is checked against the code instead:
/// the same names, ports, addresses and variables the processes read.
@Suite("docker-compose.yml agrees with the code")
struct ComposeFileTests {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

  func compose() throws -> [String: Any] {
    let text = try String(contentsOf: Self.root.appendingPathComponent("docker-compose.yml"), encoding: .utf8)
    return try #require(try Yams.load(yaml: text) as? [String: Any])
  }

  @Test("every process is a compose service running its executable with a volume and a health check")
  func everyServicePresent() throws {
    let compose = try compose()
    let services = try #require(compose["services"] as? [String: Any])
    let volumes = try #require(compose["volumes"] as? [String: Any])
    #expect(Set(services.keys) == Set(ServiceIdentity.allCases.map(\.rawValue)))
    for identity in ServiceIdentity.allCases {
      let service = try #require(services[identity.rawValue] as? [String: Any], "\(identity)")
      #expect(service["command"] as? [String] == [identity.executableName])
      let mounts = try #require(service["volumes"] as? [String])
      #expect(mounts.count == 1)
      let volume = String(mounts[0].split(separator: ":")[0])
      #expect(volumes.keys.contains(volume), "volume \(volume) of \(identity) is not declared")
      #expect(mounts[0].hasSuffix(":/data"))
      let healthcheck = try #require(service["healthcheck"] as? [String: Any], "\(identity) has no health check")
      let test = try #require(healthcheck["test"] as? [String])
      #expect(test.contains("probe") && test.contains(identity.rawValue))
      #expect(test.contains("127.0.0.1:\(identity.defaultPort)"))
      // Docker must wait longer than the process's own grace period (10 s) before SIGKILL.
      let grace = try #require(service["stop_grace_period"] as? String, "\(identity) has no stop_grace_period")
      #expect(Int(grace.dropLast()) ?? 0 > 10)
    }
    let volumeNames = try ServiceIdentity.allCases.map { identity -> String in
      let service = try #require(services[identity.rawValue] as? [String: Any])
      return String(try #require((service["volumes"] as? [String])?.first).split(separator: ":")[0])
    }
    #expect(Set(volumeNames).count == volumeNames.count, "services share a volume")
  }

  @Test("peer addresses use service names and default ports; each listens on its own port")
  func addressesConsistent() throws {
    let services = try #require(try compose()["services"] as? [String: Any])
    for identity in ServiceIdentity.allCases {
      let service = try #require(services[identity.rawValue] as? [String: Any])
      let environment = try #require(service["environment"] as? [String: Any], "\(identity) has no environment")
      for peer in identity.peers {
        let address = try #require(
          environment[peer.addressVariable] as? String, "\(identity) lacks \(peer.addressVariable)")
        #expect(address == "\(peer.rawValue):\(peer.defaultPort)")
      }
      let listen = try #require(environment[ServiceConfiguration.Variable.listen(identity)] as? String)
      #expect(listen == "0.0.0.0:\(identity.defaultPort)")
      #expect(environment[ServiceConfiguration.Variable.dataDirectory] as? String == "/data")
      // The configuration the process would resolve from this environment is valid.
      let strings = environment.compactMapValues { $0 as? String }
      let configuration = try ServiceConfiguration.resolve(for: identity, flags: .init(), environment: strings)
      #expect(configuration.listen.port == identity.defaultPort)
    }
    let gateway = try #require(services["gateway"] as? [String: Any])
    #expect(gateway["ports"] as? [String] == ["8080:8080"])
    for identity in ServiceIdentity.domainServices {
      let service = try #require(services[identity.rawValue] as? [String: Any])
      #expect(service["ports"] == nil, "\(identity) must not be published: the gateway is the only door")
    }
  }

  @Test("the Dockerfile builds every executable the compose file runs")
  func dockerfileBuildsEveryExecutable() throws {
    let dockerfile = try String(contentsOf: Self.root.appendingPathComponent("Dockerfile"), encoding: .utf8)
    for identity in ServiceIdentity.allCases {
      #expect(dockerfile.contains(identity.executableName))
    }
    #expect(dockerfile.contains("governance"))
    #expect(dockerfile.contains("-c release"))
  }
}
