import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import GovernanceAPI
import ServiceKit
import Synchronization

#if canImport(FoundationNetworking)
  import FoundationNetworking
#endif
#if canImport(Glibc)
  import Glibc
#endif

/// The six real executables started as separate processes on free loopback ports with their own
/// data directory, as an operator would run them.
final class SystemHarness: @unchecked Sendable {
  struct Failure: Error, CustomStringConvertible {
    var description: String
  }

  let dataDirectory: URL
  let ports: [ServiceIdentity: Int]
  let metricsPorts: [ServiceIdentity: Int]
  private(set) var processes: [ServiceIdentity: Process] = [:]
  private var logs: [ServiceIdentity: URL] = [:]

  /// The folder holding the built executables: `GOVERNANCE_BIN_DIR`, else the folder of the test
  /// bundle, which SwiftPM puts beside the executables.
  static var binDirectory: URL {
    if let given = ProcessInfo.processInfo.environment["GOVERNANCE_BIN_DIR"] {
      return URL(fileURLWithPath: given)
    }
    var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    while url.path != "/" {
      url.deleteLastPathComponent()
      if FileManager.default.isExecutableFile(atPath: url.appendingPathComponent("gateway").path) {
        return url
      }
    }
    return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent(".build/debug")
  }

  init() throws {
    dataDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("governance-it-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dataDirectory, withIntermediateDirectories: true)
    var ports: [ServiceIdentity: Int] = [:]
    var metricsPorts: [ServiceIdentity: Int] = [:]
    // Suites start their systems side by side: a port free now may be drawn by another harness
    // before either process binds it, so no port is handed out twice in this test process.
    func draw() throws -> Int {
      while true {
        let port = try Self.freePort()
        if Self.handedOut.withLock({ $0.insert(port).inserted }) { return port }
      }
    }
    for identity in ServiceIdentity.allCases {
      ports[identity] = try draw()
      metricsPorts[identity] = try draw()
    }
    self.ports = ports
    self.metricsPorts = metricsPorts
  }

  deinit {
    for process in processes.values where process.isRunning {
      kill(process.processIdentifier, SIGKILL)
    }
    try? FileManager.default.removeItem(at: dataDirectory)
  }

  func address(of identity: ServiceIdentity) -> NetworkAddress {
    NetworkAddress(host: "127.0.0.1", port: ports[identity]!)
  }

  var environment: [String: String] {
    var environment = ProcessInfo.processInfo.environment
    environment[ServiceConfiguration.Variable.dataDirectory] = dataDirectory.path
    environment[ServiceConfiguration.Variable.logFormat] = "json"
    environment[ServiceConfiguration.Variable.shutdownGraceSeconds] = "5"
    // A test process that dies (a crash, a timeout's SIGKILL) takes its system with it rather
    // than leaving six services running on orphaned.
    environment[ServiceRunner.stopWithParentVariable] = "1"
    for identity in ServiceIdentity.allCases {
      environment[identity.addressVariable] = address(of: identity).description
      environment[ServiceConfiguration.Variable.listen(identity)] = address(of: identity).description
      environment[ServiceConfiguration.Variable.metricsListen(identity)] = "127.0.0.1:\(metricsPorts[identity]!)"
    }
    return environment
  }

  func start(_ identity: ServiceIdentity) throws {
    let executable = Self.binDirectory.appendingPathComponent(identity.executableName)
    guard FileManager.default.isExecutableFile(atPath: executable.path) else {
      throw Failure(description: "\(executable.path) is missing: run `swift build` before the tests")
    }
    let log = dataDirectory.appendingPathComponent("\(identity.rawValue).log")
    FileManager.default.createFile(atPath: log.path, contents: nil)
    let process = Process()
    process.executableURL = executable
    process.environment = environment
    let handle = try FileHandle(forWritingTo: log)
    handle.seekToEndOfFile()
    process.standardOutput = handle
    process.standardError = handle
    try process.run()
    processes[identity] = process
    logs[identity] = log
  }

  func startAll() throws {
    for identity in ServiceIdentity.allCases {
      try start(identity)
    }
  }

  func log(of identity: ServiceIdentity) -> String {
    logs[identity].flatMap { try? String(contentsOf: $0, encoding: .utf8) } ?? ""
  }

  /// Waits until every process reports healthy; fails with the logs of those that do not.
  func waitUntilHealthy(timeout: Duration = .seconds(60)) async throws {
    let deadline = ContinuousClock.now + timeout
    while true {
      var unhealthy: [ServiceIdentity] = []
      for identity in ServiceIdentity.domainServices where try await grpcHealth(of: identity) != .serving {
        unhealthy.append(identity)
      }
      if try await httpGet("/healthz").status != 200 {
        unhealthy.append(.gateway)
      }
      if unhealthy.isEmpty { return }
      if ContinuousClock.now > deadline {
        let logs = unhealthy.map { "\($0.rawValue):\n\(log(of: $0))" }.joined(separator: "\n")
        throw Failure(description: "not healthy in time: \(unhealthy.map(\.rawValue))\n\(logs)")
      }
      try await Task.sleep(for: .milliseconds(200))
    }
  }

  /// Waits until one process answers its health check as SERVING.
  func waitUntilServing(_ identity: ServiceIdentity, timeout: Duration = .seconds(30)) async throws {
    let deadline = ContinuousClock.now + timeout
    while try await grpcHealth(of: identity) != .serving {
      guard ContinuousClock.now < deadline else {
        throw Failure(description: "\(identity.executableName) not serving in time:\n\(log(of: identity))")
      }
      try await Task.sleep(for: .milliseconds(100))
    }
  }

  /// Kills a process with SIGKILL, as a crash or a power cut of the process would, and waits.
  func crash(_ identity: ServiceIdentity) async throws {
    guard let process = processes[identity] else { throw Failure(description: "\(identity) not started") }
    kill(process.processIdentifier, SIGKILL)
    while process.isRunning { try await Task.sleep(for: .milliseconds(20)) }
  }

  /// Sends SIGTERM and waits for the exit status.
  func stop(_ identity: ServiceIdentity, timeout: Duration = .seconds(15)) async throws -> Int32 {
    guard let process = processes[identity] else { throw Failure(description: "\(identity) not started") }
    kill(process.processIdentifier, SIGTERM)
    let deadline = ContinuousClock.now + timeout
    while process.isRunning {
      if ContinuousClock.now > deadline {
        kill(process.processIdentifier, SIGKILL)
        throw Failure(description: "\(identity.executableName) did not stop within \(timeout) of SIGTERM")
      }
      try await Task.sleep(for: .milliseconds(50))
    }
    return process.terminationStatus
  }

  /// A client of one domain service over real HTTP/2, signing as an administrator of everything
  /// (as the operator tool does) unless told otherwise.
  func withClient<Result: Sendable>(
    _ identity: ServiceIdentity,
    as principal: Principal = Principal(subject: "user:harness", role: .cityAdministrator, scope: ""),
    _ body: @Sendable (GRPCClient<HTTP2ClientTransport.Posix>) async throws -> Result
  ) async throws -> Result {
    let address = address(of: identity)
    // The processes share the token key in the data directory.
    let authority = try TokenAuthority.load(dataDirectory: dataDirectory.path, environment: [:])
    return try await withGRPCClient(
      transport: .http2NIOPosix(target: .ipv4(host: address.host, port: address.port), transportSecurity: .plaintext),
      interceptors: [
        AccessTokenInterceptor(authority: authority, identity: principal)
      ],
      handleClient: body)
  }

  /// The `grpc.health.v1` status of a domain service, nil when it cannot be reached.
  func grpcHealth(of identity: ServiceIdentity) async throws -> Grpc_Health_V1_HealthCheckResponse.ServingStatus? {
    try await withClient(identity) { client in
      var options = CallOptions.defaults
      options.timeout = .seconds(1)
      return try? await Grpc_Health_V1_Health.Client(wrapping: client).check(
        .with { $0.service = identity.grpcServiceName }, options: options
      ).status
    }
  }

  /// A GET on the gateway (or on another process's HTTP port): status code and body.
  func httpGet(_ path: String, port: Int? = nil) async throws -> (status: Int, body: String) {
    let url = URL(string: "http://127.0.0.1:\(port ?? ports[.gateway]!)\(path)")!
    var request = URLRequest(url: url)
    request.timeoutInterval = 5
    do {
      let (data, response) = try await URLSession.shared.data(for: request)
      return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    } catch {
      return (0, "\(error)")
    }
  }

  /// A port free now, drawn below the kernel's range for outgoing connections (32768 and up), so
  /// that the many client sockets of tests running side by side cannot take it before the
  /// process binds it.
  /// Every port a harness of this test process has drawn.
  static let handedOut = Mutex<Set<Int>>([])

  static func freePort() throws -> Int {
    for _ in 0..<200 {
      // Above 24000: GovernanceUpTests' system takes its gateway and metrics ports from 19080 to
      // 23445 (its offsets 11000 to 13990), and a port drawn there could be taken from under it.
      let port = Int.random(in: 24000..<32000)
      if try isFree(port) { return port }
    }
    throw Failure(description: "no free port between 24000 and 32000")
  }

  static func isFree(_ port: Int) throws -> Bool {
    let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard socketFD >= 0 else { throw Failure(description: "socket() failed") }
    defer { close(socketFD) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = UInt16(port).bigEndian
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let bound = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        bind(socketFD, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
      }
    }
    return bound == 0
  }
}
