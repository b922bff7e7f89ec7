import ArgumentParser
import Foundation
import ServiceKit
import Synchronization
import UnixSignals

#if canImport(Glibc)
  import Glibc
#endif

/// `governance up`: starts the six executables that sit beside this one, waits until all are
/// healthy, prints their addresses, restarts any that dies (with growing pauses, a crash loop
/// reported), and stops them all on Ctrl-C.
struct Up: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Start the five services and the gateway on their default ports."
  )

  @Option(help: "Directory for the services' SQLite files.")
  var data = "./data"

  @Option(help: "Host every process listens on.")
  var host = "127.0.0.1"

  @Option(help: "Directory holding the six executables (default: the one holding governance).")
  var bin: String?

  @Option(help: "Added to every default port, to run a second system beside the first.")
  var portOffset = 0

  @Option(help: "Seconds to wait for every process to report healthy.")
  var startTimeout: Double = 60

  @Flag(
    help:
      "Load the demo city (a town with live cases and a published quarter) once everything is healthy (safe to repeat)."
  )
  var demo = false

  @Option(
    help: ArgumentHelp(
      "Folder to replicate every database into, continuously, with Litestream; a database missing from --data is restored from it before the start.",
      valueName: "dir"))
  var replicate: String?

  @Option(help: "The litestream executable for --replicate (default: litestream on PATH).")
  var litestream: String?

  @Option(help: "json or text logs from the processes.")
  var logFormat = "text"

  @Option(help: "Folder holding Leaflet (leaflet.js), which the gateway serves for the console's map.")
  var mapLibrary: String?

  @Option(help: "Tile URL template for the console's map (default none: a plain background); see docs/MAP.md.")
  var mapTileURL: String?

  @Option(help: "Attribution the tile provider requires on the map.")
  var mapTileAttribution: String?

  @Option(help: "wgs84 or gcj02: the datum the tiles are drawn in.")
  var mapTileDatum: String?

  @Option(help: "Letters or digits for {s} in the tile URL, e.g. 01234567.")
  var mapTileSubdomains: String?

  /// This `governance` executable, which runs the replication (`ReplicateChild`) too.
  static var thisExecutable: URL {
    (Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])).resolvingSymlinksInPath()
  }

  func run() async throws {
    let binDirectory = bin ?? Self.thisExecutable.deletingLastPathComponent().path
    let highest = ServiceIdentity.allCases.map { max($0.defaultPort, $0.defaultMetricsPort) }.max()! + portOffset
    guard portOffset >= 0, highest <= 65535 else {
      throw ValidationError(
        "--port-offset \(portOffset) moves ports past 65535; use 0 to \(65535 - highest + portOffset)")
    }
    guard LogFormat(rawValue: logFormat) != nil else {
      throw ValidationError("--log-format must be json or text, not '\(logFormat)'")
    }
    for identity in ServiceIdentity.allCases {
      let path = "\(binDirectory)/\(identity.executableName)"
      guard FileManager.default.isExecutableFile(atPath: path) else {
        throw ValidationError("\(path) not found: build first with `swift build` (or pass --bin DIR)")
      }
    }
    let dataDirectory = URL(fileURLWithPath: data).standardizedFileURL.path
    // The replica is checked before anything is made: a refused start leaves no folder behind.
    let replication = try replicate.map {
      try Replication(replicaDirectory: $0, dataDirectory: dataDirectory, executable: litestream)
    }
    try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
    for line in try replication?.prepare() ?? [] {
      say(line)
    }

    // The children run in process groups of their own, so a Ctrl-C or a closed terminal reaches
    // them only through this process.
    let signals = await UnixSignalsSequence(trapping: .sigint, .sigterm, .sighup)
    let latch = SignalLatch()
    let signalWatcher = Task {
      for await signal in signals { latch.received(signal) }
    }
    defer { signalWatcher.cancel() }
    let supervisor = Supervisor(stateFile: "\(dataDirectory)/\(Supervisor.stateFileName)")
    let started = await withTaskGroup(of: Bool.self) { group in
      group.addTask {
        do {
          try await startAndWait(
            supervisor: supervisor, binDirectory: binDirectory, dataDirectory: dataDirectory, replication: replication)
          return true
        } catch is CancellationError {
          return false
        } catch {
          say("\(error)")
          return false
        }
      }
      group.addTask {
        guard let signal = await latch.wait() else { return false }
        say("received \(signal) while starting, stopping all processes ...")
        return false
      }
      let first = await group.next()!
      group.cancelAll()
      return first
    }
    guard started else {
      await supervisor.stopAllGracefully()
      say("stopped")
      throw ExitCode(1)
    }

    await withTaskGroup(of: Void.self) { group in
      if let replication {
        group.addTask { await Self.shipAttachments(replication) }
      }
      group.addTask {
        // A process that dies is started again after a pause that grows while it keeps dying;
        // a crash loop is said once, loudly, and the restarts go on at the longest pause.
        for await exit in supervisor.exits {
          let plan = supervisor.planRestart(after: exit)
          say(
            "\(exit.child.executableName) exited with status \(exit.status); restarting in "
              + "\(plan.delay.components.seconds) s (restart \(plan.restarts))")
          if plan.crashLoop {
            say(
              "CRASH LOOP: \(exit.child.executableName) exited \(RestartPolicy.loopCount) times within "
                + "\(RestartPolicy.loopWindow.components.seconds) s; see its log above. Still retrying every "
                + "\(RestartPolicy.longest.components.seconds) s")
          }
          // Unstructured, since a child task cannot add to its group; once stopping has begun
          // the restart does nothing.
          Task {
            try? await Task.sleep(for: plan.delay)
            do {
              if let pid = try supervisor.restart(exit.child) {
                say("\(exit.child.executableName) restarted, pid \(pid)")
              }
            } catch {
              say("\(exit.child.executableName) could not be restarted: \(error)")
            }
          }
        }
      }
      if let signal = await latch.wait() {
        say("received \(signal), stopping all processes ...")
      }
      supervisor.beginStopping()
      group.cancelAll()
    }
    await supervisor.stopAllGracefully()
    if let replication {
      do { try replication.shipAttachments() } catch {
        say("copying attachment files into the replica failed: \(error)")
      }
    }
    say("stopped")
  }

  /// Copies new attachment files into the replica every half second until cancelled; a failure
  /// is said when it first happens, not every half second.
  private static func shipAttachments(_ replication: Replication) async {
    var lastFailure: String?
    while !Task.isCancelled {
      do {
        try replication.shipAttachments()
        lastFailure = nil
      } catch {
        let failure = "\(error)"
        if failure != lastFailure { say("copying attachment files into the replica failed: \(failure)") }
        lastFailure = failure
      }
      try? await Task.sleep(for: .milliseconds(500))
    }
  }

  /// Starts the six, waits until all are healthy, loads the demo city if asked, and prints where
  /// everything is.
  private func startAndWait(
    supervisor: Supervisor, binDirectory: String, dataDirectory: String, replication: Replication?
  ) async throws {
    var environment = ProcessInfo.processInfo.environment
    environment[ServiceConfiguration.Variable.dataDirectory] = dataDirectory
    environment[ServiceConfiguration.Variable.logFormat] = logFormat
    // The children stop if this process dies without stopping them (SIGKILL, a crash).
    environment[ServiceRunner.stopWithParentVariable] = "1"
    // The map's options reach the gateway as its environment (the gateway checks them).
    for (value, variable) in [
      (mapLibrary.map { URL(fileURLWithPath: $0).standardizedFileURL.path }, "GOVERNANCE_MAP_LIBRARY"),
      (mapTileURL, "GOVERNANCE_MAP_TILE_URL"), (mapTileAttribution, "GOVERNANCE_MAP_TILE_ATTRIBUTION"),
      (mapTileDatum, "GOVERNANCE_MAP_TILE_DATUM"), (mapTileSubdomains, "GOVERNANCE_MAP_TILE_SUBDOMAINS"),
    ] {
      if let value { environment[variable] = value }
    }
    for identity in ServiceIdentity.allCases {
      let address = NetworkAddress(host: host, port: identity.defaultPort + portOffset).description
      environment[identity.addressVariable] = address
      environment[ServiceConfiguration.Variable.listen(identity)] = address
      if identity != .gateway {
        environment[ServiceConfiguration.Variable.metricsListen(identity)] =
          NetworkAddress(host: host, port: identity.defaultMetricsPort + portOffset).description
      }
    }
    // Litestream starts first and waits for each database to appear, so no write goes unshipped.
    if let replication {
      try supervisor.start(
        .replication, executable: Self.thisExecutable.path, arguments: replication.childArguments,
        environment: ProcessInfo.processInfo.environment)
    }
    for identity in ServiceIdentity.allCases {
      try supervisor.start(
        .service(identity), executable: "\(binDirectory)/\(identity.executableName)", environment: environment)
    }

    say("starting the six processes, data in \(dataDirectory) ...")
    let deadline = ContinuousClock.now + .milliseconds(Int64(startTimeout * 1000))
    var health = await HealthCheck.checkAll(host: host, portOffset: portOffset)
    while !health.allSatisfy(\.healthy), ContinuousClock.now < deadline, supervisor.exited.isEmpty {
      try await Task.sleep(for: .milliseconds(250))
      health = await HealthCheck.checkAll(host: host, portOffset: portOffset)
    }
    for result in health {
      say(
        "  \(result.identity.executableName.padding(toLength: 22, withPad: " ", startingAt: 0))"
          + "\(result.address)\t\(result.status)")
    }
    guard health.allSatisfy(\.healthy) else {
      for exit in supervisor.exited {
        say("\(exit.child.executableName) exited with status \(exit.status) while starting; its log is above")
      }
      throw ValidationError("not every process became healthy")
    }
    if demo {
      let addresses = Dictionary(
        uniqueKeysWithValues: ServiceIdentity.domainServices.map {
          ($0, NetworkAddress(host: host, port: $0.defaultPort + portOffset))
        })
      do {
        let authority = try TokenAuthority.load(
          dataDirectory: dataDirectory, environment: ProcessInfo.processInfo.environment)
        say(try await DemoCity.load(addresses: addresses, authority: authority))
      } catch {
        throw ValidationError("loading the demo city failed: \(error)")
      }
    }
    if let replication {
      // The processes made the keys on their first start; the replica keeps them beside the databases.
      try replication.keepKeys()
      say(
        "replicating every database into \(replication.replicaDirectory) "
          + "(writes older than \(Replication.recoveryPoint.components.seconds) s survive a crash)")
    }
    let gateway = NetworkAddress(host: host, port: ServiceIdentity.gateway.defaultPort + portOffset)
    say("all healthy. gateway: http://\(gateway)/healthz")
    say("press Ctrl-C to stop")
  }
}

/// When `up` starts a process that died again: after 1 s, doubling with each further exit of a
/// run shorter than a minute, up to 30 s; five such exits in a row are a crash loop. A run of a
/// minute or more starts the count again.
enum RestartPolicy {
  static let shortest = Duration.seconds(1)
  static let longest = Duration.seconds(30)
  static let loopCount = 5
  static let loopWindow = Duration.seconds(60)

  /// Exits in a row, counting this one, after a run of `uptime` that followed `previous` such exits.
  static func consecutive(previous: Int, uptime: Duration) -> Int {
    uptime >= loopWindow ? 1 : previous + 1
  }

  /// The pause before the next start after `consecutive` exits in a row, and whether they make a
  /// crash loop.
  static func plan(consecutive: Int) -> (delay: Duration, crashLoop: Bool) {
    var delay = shortest
    for _ in 1..<max(consecutive, 1) where delay < longest { delay *= 2 }
    return (min(delay, longest), consecutive >= loopCount)
  }
}

/// One process `up` supervises: one of the six, or the replication of their databases.
enum ChildProcess: Hashable, Sendable {
  case service(ServiceIdentity)
  case replication

  /// Its key in `up-state.json`: the process's name, `litestream` for the replication.
  var name: String {
    switch self {
    case .service(let identity): identity.rawValue
    case .replication: "litestream"
    }
  }

  /// The executable, as messages name it.
  var executableName: String {
    switch self {
    case .service(let identity): identity.executableName
    case .replication: "litestream"
    }
  }
}

/// The child processes of `up`, with their exits as a stream, restarted when they die; what it
/// knows of each is also written to `up-state.json` in the data directory for `governance status`.
///
/// Which children still run is tracked here, under the lock, from their termination handlers,
/// so that a signal is only ever sent to a process this supervisor knows to be alive.
final class Supervisor: @unchecked Sendable {
  struct Exit: Sendable {
    var child: ChildProcess
    var status: Int32
  }

  /// The states file's name in the data directory.
  static let stateFileName = "up-state.json"

  /// What `governance status` shows of one process.
  struct ProcessState: Codable {
    var pid: Int32
    var restarts: Int
    var lastExitStatus: Int32?
    var crashLoop: Bool
  }

  private let lock = NSLock()
  private let stateFile: String?
  private var launches: [ChildProcess: (executable: String, arguments: [String], environment: [String: String])] = [:]
  private var live: [pid_t: ChildProcess] = [:]
  private var exitedProcesses: [Exit] = []
  private var startTimes: [ChildProcess: ContinuousClock.Instant] = [:]
  private var consecutiveExits: [ChildProcess: Int] = [:]
  private var states: [ChildProcess: ProcessState] = [:]
  private var stopping = false
  let exits: AsyncStream<Exit>
  private let exitContinuation: AsyncStream<Exit>.Continuation

  /// - Parameter stateFile: where to write each process's state, if anywhere.
  init(stateFile: String? = nil) {
    self.stateFile = stateFile
    (exits, exitContinuation) = AsyncStream.makeStream(of: Exit.self)
  }

  var exited: [Exit] { lock.withLock { exitedProcesses } }

  func start(
    _ child: ChildProcess, executable: String, arguments: [String] = [], environment: [String: String]
  ) throws {
    try lock.withLock {
      launches[child] = (executable, arguments, environment)
      try launch(child)
    }
  }

  /// Starts `child` again as it was first started; nil once stopping has begun. A start that
  /// fails (the executable being replaced, say) counts as another exit and is planned again.
  func restart(_ child: ChildProcess) throws -> pid_t? {
    do {
      return try lock.withLock {
        guard !stopping else { return nil }
        return try launch(child)
      }
    } catch {
      lock.withLock { startTimes[child] = .now }
      exitContinuation.yield(Exit(child: child, status: -1))
      throw error
    }
  }

  /// Records an exit and says when to start the process again.
  func planRestart(after exit: Exit) -> (delay: Duration, crashLoop: Bool, restarts: Int) {
    lock.withLock {
      let uptime = startTimes[exit.child].map { ContinuousClock.now - $0 } ?? .zero
      let consecutive = RestartPolicy.consecutive(previous: consecutiveExits[exit.child, default: 0], uptime: uptime)
      consecutiveExits[exit.child] = consecutive
      let plan = RestartPolicy.plan(consecutive: consecutive)
      states[exit.child]?.restarts += 1
      states[exit.child]?.lastExitStatus = exit.status
      states[exit.child]?.crashLoop = plan.crashLoop
      writeState()
      return (plan.delay, plan.crashLoop, states[exit.child]?.restarts ?? 0)
    }
  }

  /// From now on no process is started again.
  func beginStopping() {
    lock.withLock { stopping = true }
  }

  /// Runs the process; the caller holds the lock.
  @discardableResult
  private func launch(_ child: ChildProcess) throws -> pid_t {
    guard let (executable, arguments, environment) = launches[child] else {
      preconditionFailure("never started \(child)")
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.environment = environment
    process.terminationHandler = { [weak self] process in
      guard let self else { return }
      let exit = Exit(child: child, status: process.terminationStatus)
      let report = lock.withLock {
        live.removeValue(forKey: process.processIdentifier)
        exitedProcesses.append(exit)
        return !stopping
      }
      if report { exitContinuation.yield(exit) }
    }
    try process.run()
    startTimes[child] = .now
    live[process.processIdentifier] = child
    var state = states[child] ?? ProcessState(pid: 0, restarts: 0, lastExitStatus: nil, crashLoop: false)
    state.pid = process.processIdentifier
    states[child] = state
    writeState()
    return process.processIdentifier
  }

  /// Writes the states file; the caller holds the lock.
  private func writeState() {
    guard let stateFile else { return }
    let byName = Dictionary(uniqueKeysWithValues: states.map { ($0.key.name, $0.value) })
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
    if let data = try? encoder.encode(byName) {
      try? data.write(to: URL(fileURLWithPath: stateFile), options: .atomic)
    }
  }

  /// SIGTERM to every running process, then up to 15 seconds (beyond the services' own 10 s
  /// grace period) for them to finish their calls and exit, SIGKILL for any still running; then
  /// SIGTERM to the replication, which ships their last writes (within its own
  /// `Replication.shutdownSyncTimeout`), and SIGKILL if it still runs 13 seconds later.
  func stopAllGracefully() async {
    beginStopping()
    signalLive(SIGTERM) { $0 != .replication }
    await waitUntilGone(within: .seconds(15)) { $0 != .replication }
    // A process still running now is killed before the replication stops, so that nothing is
    // written after Litestream's last sync.
    signalLive(SIGKILL) { $0 != .replication }
    await waitUntilGone(within: .seconds(2)) { $0 != .replication }
    signalLive(SIGTERM) { $0 == .replication }
    await waitUntilGone(within: .seconds(13)) { _ in true }
    signalLive(SIGKILL) { _ in true }
    exitContinuation.finish()
  }

  private func waitUntilGone(within limit: Duration, _ included: (ChildProcess) -> Bool) async {
    let deadline = ContinuousClock.now + limit
    while lock.withLock({ live.values.contains(where: included) }), ContinuousClock.now < deadline {
      try? await Task.sleep(for: .milliseconds(100))
    }
  }

  private func signalLive(_ signal: Int32, _ included: (ChildProcess) -> Bool) {
    lock.withLock {
      for (pid, child) in live where included(child) {
        kill(pid, signal)
      }
    }
  }
}

/// The first shutdown signal received, read by whichever phase of `up` is running.
final class SignalLatch: Sendable {
  private let signal = Mutex<UnixSignal?>(nil)

  func received(_ signal: UnixSignal) {
    self.signal.withLock { if $0 == nil { $0 = signal } }
  }

  /// Waits for a signal; nil if the waiting task is cancelled first.
  func wait() async -> UnixSignal? {
    while !Task.isCancelled {
      if let received = signal.withLock({ $0 }) { return received }
      try? await Task.sleep(for: .milliseconds(50))
    }
    return nil
  }
}

/// Writes a progress line straight to standard output, unbuffered, so a pipe or a log file sees
/// it when it happens.
func say(_ line: String) {
  FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
