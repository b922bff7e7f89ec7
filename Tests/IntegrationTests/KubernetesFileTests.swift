import Foundation
import ServiceKit
import Testing
import Yams

/// No cluster runs here, so the Kubernetes files are rendered with `kubectl kustomize`, as
/// `kubectl apply -k` would render them, and held to the code: the names, executables, ports,
/// peers, probes, network policies, database files and grace periods the processes expect.
/// (Tests/Deploy/test_kubernetes.py validates the same renderings against Kubernetes' schemas.)
@Suite("deploy/kubernetes agrees with the code")
struct KubernetesFileTests {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

  /// What the processes do after their own grace period: the service group cancels what still
  /// runs within 2 s (`ServiceRunner.runGroup`, `maximumCancellationDuration`).
  static let cancellationSeconds = 2.0

  /// The objects one kustomization renders.
  struct Rendered {
    let documents: [[String: Any]]

    /// The objects of `kind`, by name.
    func objects(_ kind: String) -> [String: [String: Any]] {
      var found: [String: [String: Any]] = [:]
      for document in documents where document["kind"] as? String == kind {
        if let name = (document["metadata"] as? [String: Any])?["name"] as? String {
          found[name] = document
        }
      }
      return found
    }

    /// The workload of a process: a StatefulSet per domain service, a Deployment for the gateway.
    func workload(_ identity: ServiceIdentity) throws -> Workload {
      let kind = identity == .gateway ? "Deployment" : "StatefulSet"
      return Workload(object: try #require(objects(kind)[identity.rawValue], "no \(kind) \(identity.rawValue)"))
    }

    /// The Litestream configs by process name (the ConfigMap `litestream`, whatever its hash).
    func litestreamConfigs() throws -> [String: [String: Any]] {
      let configMaps = objects("ConfigMap").filter {
        $0.key.hasPrefix("litestream-") && !$0.key.hasPrefix("litestream-replica")
      }
      #expect(configMaps.count == 1, "one ConfigMap of Litestream configs")
      let data = try #require(configMaps.first?.value["data"] as? [String: String], "no Litestream configs")
      var configs: [String: [String: Any]] = [:]
      for (key, text) in data where key.hasSuffix(".yml") {
        configs[String(key.dropLast(4))] = try #require(try Yams.load(yaml: text) as? [String: Any], "\(key)")
      }
      return configs
    }
  }

  /// A StatefulSet or Deployment, read through its pod template.
  struct Workload {
    let object: [String: Any]

    var spec: [String: Any] { object["spec"] as? [String: Any] ?? [:] }
    var template: [String: Any] { spec["template"] as? [String: Any] ?? [:] }
    var podSpec: [String: Any] { template["spec"] as? [String: Any] ?? [:] }
    var labels: [String: String] {
      (template["metadata"] as? [String: Any])?["labels"] as? [String: String] ?? [:]
    }
    var containers: [[String: Any]] { podSpec["containers"] as? [[String: Any]] ?? [] }
    var initContainers: [[String: Any]] { podSpec["initContainers"] as? [[String: Any]] ?? [] }
    /// The process's own container, first in the pod.
    var main: [String: Any] { containers.first ?? [:] }

    /// The main container's plain variables (those from Secrets left out).
    var environment: [String: String] {
      var result: [String: String] = [:]
      for entry in main["env"] as? [[String: Any]] ?? [] {
        if let name = entry["name"] as? String, let value = entry["value"] as? String {
          result[name] = value
        }
      }
      return result
    }

    /// The main container's variables given from a Secret, with the Secret's name.
    var secretVariables: [String: String] {
      var result: [String: String] = [:]
      for entry in main["env"] as? [[String: Any]] ?? [] {
        let reference = (entry["valueFrom"] as? [String: Any])?["secretKeyRef"] as? [String: Any]
        if let name = entry["name"] as? String, let secret = reference?["name"] as? String {
          result[name] = secret
        }
      }
      return result
    }

    /// Where each volume is mounted in `container`, by volume name.
    static func mounts(_ container: [String: Any]) -> [String: String] {
      var result: [String: String] = [:]
      for mount in container["volumeMounts"] as? [[String: Any]] ?? [] {
        if let name = mount["name"] as? String, let path = mount["mountPath"] as? String {
          result[name] = path
        }
      }
      return result
    }

    /// The container's ports by name.
    static func ports(_ container: [String: Any]) -> [String: Int] {
      var result: [String: Int] = [:]
      for port in container["ports"] as? [[String: Any]] ?? [] {
        if let name = port["name"] as? String, let number = port["containerPort"] as? Int {
          result[name] = number
        }
      }
      return result
    }
  }

  /// `kubectl` from PATH.
  static func kubectl() -> String? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
    for directory in path.split(separator: ":") {
      let candidate = "\(directory)/kubectl"
      if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return nil
  }

  /// Renders `deploy/kubernetes/<kustomization>` with `kubectl kustomize`.
  static func render(_ kustomization: String) throws -> Rendered {
    let kubectl = try #require(
      Self.kubectl(), "kubectl is missing: these tests render deploy/kubernetes with `kubectl kustomize`")
    let process = Process()
    process.executableURL = URL(fileURLWithPath: kubectl)
    process.arguments = ["kustomize", root.appendingPathComponent("deploy/kubernetes/\(kustomization)").path]
    let output = Pipe()
    let errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    try #require(process.terminationStatus == 0, "kubectl kustomize \(kustomization) failed: \(message)")

    var sequence = try Yams.load_all(yaml: text)
    var documents: [[String: Any]] = []
    while let document = sequence.next() {
      documents.append(try #require(document as? [String: Any], "a rendered document is not a mapping"))
    }
    if let error = sequence.error { throw error }
    #expect(!documents.isEmpty, "\(kustomization) renders nothing")
    return Rendered(documents: documents)
  }

  @Test(
    "every process is one workload running its executable on /data",
    arguments: ["base", "overlays/demo", "overlays/production"])
  func everyProcessPresent(kustomization: String) throws {
    let rendered = try Self.render(kustomization)
    #expect(Set(rendered.objects("StatefulSet").keys) == Set(ServiceIdentity.domainServices.map(\.rawValue)))
    #expect(Set(rendered.objects("Deployment").keys) == Set(["gateway"]))
    for identity in ServiceIdentity.allCases {
      let workload = try rendered.workload(identity)
      // One writer per SQLite file.
      #expect(workload.spec["replicas"] as? Int == 1, "\(identity)")
      #expect(workload.main["command"] as? [String] == [identity.executableName], "\(identity)")
      #expect(Workload.mounts(workload.main)["data"] == "/data", "\(identity)")
      #expect(workload.environment[ServiceConfiguration.Variable.dataDirectory] == "/data", "\(identity)")
      #expect(workload.labels["app.kubernetes.io/component"] == identity.rawValue)
      #expect(workload.labels["app.kubernetes.io/name"] == identity.executableName)
      #expect(workload.labels["app.kubernetes.io/part-of"] == "community-governance")
      // The keys every process shares come from the Secret, never from a file on the volume.
      #expect(workload.secretVariables["GOVERNANCE_TOKEN_KEY"] != nil, "\(identity)")
      #expect(workload.secretVariables["GOVERNANCE_DATA_KEY"] != nil, "\(identity)")
      if identity == .gateway {
        let strategy = workload.spec["strategy"] as? [String: Any]
        #expect(strategy?["type"] as? String == "Recreate", "the old gateway lets go of gateway.sqlite first")
        let volumes = workload.podSpec["volumes"] as? [[String: Any]] ?? []
        let claims = volumes.compactMap { ($0["persistentVolumeClaim"] as? [String: Any])?["claimName"] as? String }
        #expect(claims.contains("gateway-data"))
        #expect(rendered.objects("PersistentVolumeClaim")["gateway-data"] != nil)
      } else {
        #expect(workload.spec["serviceName"] as? String == identity.rawValue)
        let templates = workload.spec["volumeClaimTemplates"] as? [[String: Any]] ?? []
        let names = templates.compactMap { ($0["metadata"] as? [String: Any])?["name"] as? String }
        #expect(names.contains("data"), "\(identity) has no volume claim for /data")
      }
    }
  }

  @Test(
    "ports, Services and probes are those of ServiceIdentity",
    arguments: ["base", "overlays/demo", "overlays/production"])
  func portsAndProbes(kustomization: String) throws {
    let rendered = try Self.render(kustomization)
    let services = rendered.objects("Service")
    for identity in ServiceIdentity.domainServices {
      let workload = try rendered.workload(identity)
      let expectedPorts: [String: Int] = ["grpc": identity.defaultPort, "metrics": identity.defaultMetricsPort]
      #expect(Workload.ports(workload.main) == expectedPorts, "\(identity)")
      for probe in ["startupProbe", "livenessProbe", "readinessProbe"] {
        let grpc = try #require(
          (workload.main[probe] as? [String: Any])?["grpc"] as? [String: Any], "\(identity) \(probe) is not gRPC")
        #expect(grpc["port"] as? Int == identity.defaultPort, "\(identity) \(probe)")
        // The health service answers for the whole server under the empty name.
        #expect((grpc["service"] as? String ?? "") == "", "\(identity) \(probe)")
      }
      let service = try #require(services[identity.rawValue], "no Service \(identity)")
      let spec = try #require(service["spec"] as? [String: Any])
      #expect(spec["clusterIP"] as? String == "None", "\(identity)'s Service is headless")
      var ports: [String: Int] = [:]
      for port in spec["ports"] as? [[String: Any]] ?? [] {
        if let name = port["name"] as? String, let number = port["port"] as? Int { ports[name] = number }
      }
      #expect(ports == expectedPorts, "\(identity)")
    }

    let gateway = try rendered.workload(.gateway)
    let gatewayPorts: [String: Int] = ["http": ServiceIdentity.gateway.defaultPort]
    #expect(Workload.ports(gateway.main) == gatewayPorts)
    let readiness = (gateway.main["readinessProbe"] as? [String: Any])?["httpGet"] as? [String: Any]
    let liveness = (gateway.main["livenessProbe"] as? [String: Any])?["httpGet"] as? [String: Any]
    #expect(
      readiness?["path"] as? String == "/metrics",
      "one service down must not take the gateway (the console, the other four) out of the Ingress")
    #expect(liveness?["path"] as? String == "/metrics", "liveness does not depend on the services")
    #expect(readiness?["port"] as? String == "http")
    #expect(liveness?["port"] as? String == "http")
    let service = try #require(services["gateway"]?["spec"] as? [String: Any])
    #expect(service["clusterIP"] == nil)
    let servicePorts = (service["ports"] as? [[String: Any]] ?? []).compactMap { $0["port"] as? Int }
    #expect(servicePorts == [ServiceIdentity.gateway.defaultPort])
    // The Ingress leads to the gateway and to nothing else.
    for (name, ingress) in rendered.objects("Ingress") {
      let rules = (ingress["spec"] as? [String: Any])?["rules"] as? [[String: Any]] ?? []
      for rule in rules {
        let paths = (rule["http"] as? [String: Any])?["paths"] as? [[String: Any]] ?? []
        for path in paths {
          let backend = (path["backend"] as? [String: Any])?["service"] as? [String: Any]
          #expect(backend?["name"] as? String == "gateway", "Ingress \(name)")
        }
      }
    }
  }

  @Test(
    "peer addresses use the Services' names and default ports; the configuration resolves",
    arguments: ["base", "overlays/demo", "overlays/production"])
  func addressesConsistent(kustomization: String) throws {
    let rendered = try Self.render(kustomization)
    for identity in ServiceIdentity.allCases {
      let environment = try rendered.workload(identity).environment
      for peer in identity.peers {
        let address = try #require(environment[peer.addressVariable], "\(identity) lacks \(peer.addressVariable)")
        #expect(address == "\(peer.rawValue):\(peer.defaultPort)")
      }
      // Only the addresses of the services it calls: the network policies admit no others.
      let addresses = Set(environment.keys.filter { $0.hasSuffix("_SERVICE_ADDR") })
      #expect(addresses == Set(identity.peers.map(\.addressVariable)), "\(identity)")
      #expect(environment[ServiceConfiguration.Variable.listen(identity)] == "0.0.0.0:\(identity.defaultPort)")
      #expect(environment[ServiceConfiguration.Variable.logFormat] == "json")
      // The configuration the process would resolve from this environment is valid.
      let configuration = try ServiceConfiguration.resolve(for: identity, flags: .init(), environment: environment)
      #expect(configuration.listen.port == identity.defaultPort)
      #expect(configuration.dataDirectory == "/data")
      #expect(configuration.databasePath == "/data/\(identity.databaseFileName)")
      #expect(configuration.logFormat == .json)
      if identity == .gateway {
        #expect(configuration.metricsListen == nil)
      } else {
        let metrics = NetworkAddress(host: "0.0.0.0", port: identity.defaultMetricsPort)
        #expect(configuration.metricsListen == metrics)
      }
      for peer in identity.peers {
        let address = NetworkAddress(host: peer.rawValue, port: peer.defaultPort)
        #expect(configuration.address(of: peer) == address)
      }
    }
  }

  @Test(
    "each service's gRPC port admits exactly the processes that call it",
    arguments: ["base", "overlays/demo", "overlays/production"])
  func networkPolicies(kustomization: String) throws {
    let policies = try Self.render(kustomization).objects("NetworkPolicy")
    let deny = try #require(policies["default-deny-ingress"]?["spec"] as? [String: Any], "no default deny")
    #expect((deny["podSelector"] as? [String: Any])?.isEmpty == true)
    #expect(deny["policyTypes"] as? [String] == ["Ingress"])
    #expect(deny["ingress"] == nil)

    let gateway = try #require(policies["gateway"]?["spec"] as? [String: Any], "no policy for the gateway")
    let gatewayRules = gateway["ingress"] as? [[String: Any]] ?? []
    #expect(gatewayRules.count == 1)
    #expect(gatewayRules.first?["from"] == nil, "the gateway is reachable from anywhere")
    let gatewayPorts = (gatewayRules.first?["ports"] as? [[String: Any]] ?? []).compactMap { $0["port"] as? Int }
    #expect(gatewayPorts == [ServiceIdentity.gateway.defaultPort])

    for identity in ServiceIdentity.domainServices {
      let spec = try #require(policies[identity.rawValue]?["spec"] as? [String: Any], "no policy for \(identity)")
      let selected = (spec["podSelector"] as? [String: Any])?["matchLabels"] as? [String: String]
      #expect(selected?["app.kubernetes.io/component"] == identity.rawValue)
      var admitted: [String: [Int]] = [:]
      var monitoring: [String: String]?
      for rule in spec["ingress"] as? [[String: Any]] ?? [] {
        let ports = (rule["ports"] as? [[String: Any]] ?? []).compactMap { $0["port"] as? Int }
        for source in rule["from"] as? [[String: Any]] ?? [] {
          if let namespaces = source["namespaceSelector"] as? [String: Any] {
            #expect(ports == [identity.defaultMetricsPort], "\(identity): only metrics from another namespace")
            monitoring = namespaces["matchLabels"] as? [String: String]
          } else {
            let pods = try #require(source["podSelector"] as? [String: Any], "\(identity): an unknown source")
            let expressions = pods["matchExpressions"] as? [[String: Any]] ?? []
            #expect(!expressions.isEmpty, "\(identity): a selector of all the platform's pods")
            for expression in expressions {
              #expect(expression["key"] as? String == "app.kubernetes.io/component")
              #expect(expression["operator"] as? String == "In")
              for caller in expression["values"] as? [String] ?? [] {
                admitted[caller, default: []] += ports
              }
            }
          }
        }
      }
      // Called by every process that has it among its peers; the gateway has them all.
      let callers = Set(ServiceIdentity.allCases.filter { $0.peers.contains(identity) }.map(\.rawValue))
      #expect(callers.contains("gateway"))
      #expect(Set(admitted.keys) == callers, "\(identity)")
      for (caller, ports) in admitted {
        #expect(ports == [identity.defaultPort], "\(caller) reaches \(identity) on its gRPC port only")
      }
      let monitoringNamespace: [String: String] = ["kubernetes.io/metadata.name": "monitoring"]
      #expect(monitoring == monitoringNamespace, "\(identity)")
    }
  }

  @Test(
    "Litestream restores and replicates each process's own database file",
    arguments: ["base", "overlays/demo", "overlays/production"])
  func litestream(kustomization: String) throws {
    let rendered = try Self.render(kustomization)
    let configs = try rendered.litestreamConfigs()
    #expect(Set(configs.keys) == Set(ServiceIdentity.allCases.map(\.rawValue)))
    for identity in ServiceIdentity.allCases {
      let config = try #require(configs[identity.rawValue], "no Litestream config for \(identity)")
      let databases = config["dbs"] as? [[String: Any]] ?? []
      #expect(databases.count == 1, "\(identity)")
      #expect(databases.first?["path"] as? String == "/data/\(identity.databaseFileName)")
      let replica = databases.first?["replica"] as? [String: Any]
      #expect((replica?["url"] as? String)?.hasSuffix("/\(identity.rawValue)") == true, "\(identity)'s replica")

      let workload = try rendered.workload(identity)
      let volumes = workload.podSpec["volumes"] as? [[String: Any]] ?? []
      let configVolume = volumes.first { $0["name"] as? String == "litestream-config" }
      let items = (configVolume?["configMap"] as? [String: Any])?["items"] as? [[String: Any]] ?? []
      #expect(items.first?["key"] as? String == "\(identity.rawValue).yml", "\(identity) mounts another's config")

      var byName: [String: [String: Any]] = [:]
      for container in workload.initContainers {
        if let name = container["name"] as? String { byName[name] = container }
      }
      let restore = try #require(byName["litestream-restore"], "\(identity) has no restore")
      let replicate = try #require(byName["litestream"], "\(identity) has no replication sidecar")
      let restoreArguments = restore["args"] as? [String] ?? []
      #expect(restoreArguments.first == "restore")
      #expect(restoreArguments.contains("-if-db-not-exists"))
      #expect(restoreArguments.contains("-if-replica-exists"))
      #expect(restoreArguments.last == "/data/\(identity.databaseFileName)")
      #expect((replicate["args"] as? [String])?.first == "replicate")
      #expect(replicate["restartPolicy"] as? String == "Always", "a native sidecar outlives the process")
      for container in [restore, replicate] {
        #expect((container["image"] as? String)?.hasPrefix("litestream/litestream:0.5.") == true)
        #expect(Workload.mounts(container)["data"] == "/data")
        #expect(Workload.mounts(container)["litestream-config"] == "/etc/litestream")
      }
    }
  }

  @Test(
    "Kubernetes waits longer than the process's grace period and Litestream's last sync",
    arguments: ["base", "overlays/demo", "overlays/production"])
  func terminationGrace(kustomization: String) throws {
    let rendered = try Self.render(kustomization)
    let configs = try rendered.litestreamConfigs()
    for identity in ServiceIdentity.allCases {
      let workload = try rendered.workload(identity)
      let configuration = try ServiceConfiguration.resolve(
        for: identity, flags: .init(), environment: workload.environment)
      let grace = configuration.shutdownGracePeriod.components
      let processSeconds = Double(grace.seconds) + Double(grace.attoseconds) / 1e18 + Self.cancellationSeconds
      let timeout = try #require(
        configs[identity.rawValue]?["shutdown-sync-timeout"] as? String, "\(identity): no shutdown-sync-timeout")
      let syncSeconds = try #require(Double(timeout.dropLast()), "\(identity): '\(timeout)' is not seconds")
      #expect(timeout.hasSuffix("s"))
      let termination = try #require(
        workload.podSpec["terminationGracePeriodSeconds"] as? Int, "\(identity) has no terminationGracePeriodSeconds")
      #expect(Double(termination) > processSeconds + syncSeconds, "\(identity)")
    }
  }
}
