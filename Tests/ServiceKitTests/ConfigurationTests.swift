import Testing

@testable import ServiceKit

@Suite("Configuration from flags and environment")
struct ConfigurationTests {
  let propertyPeer = ["ORGANISATION_SERVICE_ADDR": "127.0.0.1:50051"]

  @Test("defaults give the service's own port and ./data")
  func defaults() throws {
    let configuration = try ServiceConfiguration.resolve(
      for: .property, flags: ConfigurationFlags(), environment: propertyPeer)
    #expect(configuration.listen == NetworkAddress(host: "127.0.0.1", port: 50052))
    #expect(configuration.metricsListen == NetworkAddress(host: "127.0.0.1", port: 9452))
    #expect(configuration.dataDirectory == "./data")
    #expect(configuration.databasePath == "./data/property.sqlite")
    #expect(configuration.peers[.organisation] == NetworkAddress(host: "127.0.0.1", port: 50051))
    #expect(configuration.logFormat == .text)
  }

  @Test("a flag wins over its environment variable")
  func flagWinsOverEnvironment() throws {
    var environment = propertyPeer
    environment["PROPERTY_LISTEN_ADDR"] = "127.0.0.1:6000"
    environment["GOVERNANCE_DATA_DIR"] = "/var/lib/governance"
    let configuration = try ServiceConfiguration.resolve(
      for: .property,
      flags: ConfigurationFlags(listen: "0.0.0.0:7000", peers: ["organisation=org.internal:9000"]),
      environment: environment)
    #expect(configuration.listen == NetworkAddress(host: "0.0.0.0", port: 7000))
    #expect(configuration.dataDirectory == "/var/lib/governance")
    #expect(configuration.peers[.organisation] == NetworkAddress(host: "org.internal", port: 9000))
  }

  @Test("a missing peer address stops start-up naming the variable")
  func missingPeerIsNamed() {
    #expect(throws: ConfigurationError.self) {
      try ServiceConfiguration.resolve(for: .grid, flags: ConfigurationFlags(), environment: propertyPeer)
    }
    do {
      _ = try ServiceConfiguration.resolve(for: .grid, flags: ConfigurationFlags(), environment: propertyPeer)
    } catch {
      #expect(error.setting == "PROPERTY_SERVICE_ADDR")
      #expect(error.description.contains("the grid service calls the property service"))
    }
  }

  @Test(
    "a malformed address names where it came from",
    arguments: [
      ("no-port", "is not HOST:PORT"),
      ("127.0.0.1:http", "is not a number"),
      ("127.0.0.1:70000", "is not a number from 0 to 65535"),
    ])
  func malformedAddress(text: String, problem: String) {
    do {
      _ = try ServiceConfiguration.resolve(
        for: .property, flags: ConfigurationFlags(),
        environment: propertyPeer.merging(["PROPERTY_LISTEN_ADDR": text]) { $1 })
      Issue.record("accepted \(text)")
    } catch {
      #expect(error.setting == "PROPERTY_LISTEN_ADDR")
      #expect(error.problem.contains(problem))
    }
  }

  @Test("IPv6 addresses in brackets")
  func ipv6() throws {
    let address = try NetworkAddress.parse("[::1]:50051", setting: "x")
    #expect(address == NetworkAddress(host: "::1", port: 50051))
    #expect(address.description == "[::1]:50051")
  }

  @Test("unknown log format, log level and peer name are refused")
  func unknownValues() {
    let cases: [(ConfigurationFlags, String)] = [
      (ConfigurationFlags(logFormat: "xml"), "--log-format"),
      (ConfigurationFlags(logLevel: "loud"), "--log-level"),
      (ConfigurationFlags(peers: ["billing=127.0.0.1:1"]), "--peer"),
      (ConfigurationFlags(peers: ["organisation"]), "--peer"),
      (ConfigurationFlags(shutdownGraceSeconds: "-1"), "--shutdown-grace"),
    ]
    for (flags, setting) in cases {
      do {
        _ = try ServiceConfiguration.resolve(for: .property, flags: flags, environment: propertyPeer)
        Issue.record("accepted \(flags)")
      } catch {
        #expect(error.setting == setting)
      }
    }
  }

  @Test("every process's peers are domain services and ports are distinct")
  func identities() {
    let ports = ServiceIdentity.allCases.map(\.defaultPort) + ServiceIdentity.domainServices.map(\.defaultMetricsPort)
    #expect(Set(ports).count == ports.count)
    for identity in ServiceIdentity.allCases {
      #expect(!identity.peers.contains(identity))
      #expect(!identity.peers.contains(.gateway))
    }
    #expect(ServiceIdentity.organisation.grpcServiceName == "governance.organisation.v1.OrganisationService")
  }
}
