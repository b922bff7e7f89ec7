import ArgumentParser
import Foundation
import ServiceKit
import Synchronization
import UnixSignals

#if canImport(Glibc)
  import Glibc
#endif

/// `governance up`: starts the six executables that sit beside this one, waits until all are
/// healthy, prints their addresses, reports any that dies, and stops them all on Ctrl-C.
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

  @Flag(help: "Load a small demo city once everything is healthy (safe to repeat).")
  var demo = false

  @Option(help: "json or text logs from the processes.")
  var logFormat = "text"

  func run() async throws {
    let binDirectory = bin ?? (Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0]))
      .resolvingSymlinksInPath().deletingLastPathComponent().path
    let highest = ServiceIdentity.allCases.map { max($0.defaultPort, $0.defaultMetricsPort) }.max()! + portOffset
    guard portOffset >= 0, highest <= 65535 else {
      throw ValidationError("--port-offset \(portOffset) moves ports past 65535; use 0 to \(65535 - highest + portOffset)")
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
    try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)

    // The children run in process groups of their own, so a Ctrl-C or a closed terminal reaches
    // them only through this process.
    let signals = await UnixSignalsSequence(trapping: .sigint, .sigterm, .sighup)
    let latch = SignalLatch()
    let signalWatcher = Task {
      for await signal in signals { latch.received(signal) }
    }
    defer { signalWatcher.cancel() }
    let supervisor = Supervisor()
    let started = await withTaskGroup(of: Bool.self) { group in
      group.addTask {
        do {
          try await startAndWait(supervisor: supervisor, binDirectory: binDirectory, dataDirectory: dataDirectory)
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
      group.addTask {
        for await exit in supervisor.exits {
          say("\(exit.identity.executableName) exited with status \(exit.status); the others keep running")
        }
      }
      if let signal = await latch.wait() {
        say("received \(signal), stopping all processes ...")
      }
      group.cancelAll()
    }
    await supervisor.stopAllGracefully()
    say("stopped")
  }

  /// Starts the six, waits until all are healthy, loads the demo city if asked, and prints where
  /// everything is.
  private func startAndWait(supervisor: Supervisor, binDirectory: String, dataDirectory: String) async throws {
    var environment = ProcessInfo.processInfo.environment
    environment[ServiceConfiguration.Variable.dataDirectory] = dataDirectory
    environment[ServiceConfiguration.Variable.logFormat] = logFormat
    for identity in ServiceIdentity.allCases {
      let address = NetworkAddress(host: host, port: identity.defaultPort + portOffset).description
      environment[identity.addressVariable] = address
      environment[ServiceConfiguration.Variable.listen(identity)] = address
      if identity != .gateway {
        environment[ServiceConfiguration.Variable.metricsListen(identity)] =
          NetworkAddress(host: host, port: identity.defaultMetricsPort + portOffset).description
      }
    }
    for identity in ServiceIdentity.allCases {
      try supervisor.start(identity, executable: "\(binDirectory)/\(identity.executableName)", environment: environment)
    }

    say("starting the six processes, data in \(dataDirectory) ...")
    let deadline = ContinuousClock.now + .milliseconds(Int64(startTimeout * 1000))
    var health = await HealthCheck.checkAll(host: host, portOffset: portOffset)
    while !health.allSatisfy(\.healthy), ContinuousClock.now < deadline, supervisor.exited.isEmpty {
      try await Task.sleep(for: .milliseconds(250))
      health = await HealthCheck.checkAll(host: host, portOffset: portOffset)
    }
    for result in health {
      say("  \(result.identity.executableName.padding(toLength: 22, withPad: " ", startingAt: 0))"
        + "\(result.address)\t\(result.status)")
    }
    guard health.allSatisfy(\.healthy) else {
      for exit in supervisor.exited {
        say("\(exit.identity.executableName) exited with status \(exit.status) while starting; its log is above")
      }
      throw ValidationError("not every process became healthy")
    }
    if demo {
      let addresses = Dictionary(uniqueKeysWithValues: ServiceIdentity.domainServices.map {
        ($0, NetworkAddress(host: host, port: $0.defaultPort + portOffset))
      })
      do {
        let authority = try TokenAuthority.load(dataDirectory: dataDirectory, environment: ProcessInfo.processInfo.environment)
        say(try await DemoCity.load(addresses: addresses, authority: authority))
      } catch {
        throw ValidationError("loading the demo city failed: \(error)")
      }
    }
    let gateway = NetworkAddress(host: host, port: ServiceIdentity.gateway.defaultPort + portOffset)
    say("all healthy. gateway: http://\(gateway)/healthz")
    say("press Ctrl-C to stop")
  }
}

/// The child processes of `up`, with their exits as a stream.
///
/// Which children still run is tracked here, under the lock, from their termination handlers,
/// so that a signal is only ever sent to a process this supervisor knows to be alive.
final class Supervisor: @unchecked Sendable {
  struct Exit: Sendable {
    var identity: ServiceIdentity
    var status: Int32
  }

  private let lock = NSLock()
  private var processes: [Process] = []
  private var live: [pid_t: ServiceIdentity] = [:]
  private var exitedProcesses: [Exit] = []
  let exits: AsyncStream<Exit>
  private let exitContinuation: AsyncStream<Exit>.Continuation

  init() {
    (exits, exitContinuation) = AsyncStream.makeStream(of: Exit.self)
  }

  var exited: [Exit] { lock.withLock { exitedProcesses } }

  func start(_ identity: ServiceIdentity, executable: String, environment: [String: String]) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.environment = environment
    process.terminationHandler = { [weak self] process in
      guard let self else { return }
      let exit = Exit(identity: identity, status: process.terminationStatus)
      lock.withLock {
        live.removeValue(forKey: process.processIdentifier)
        exitedProcesses.append(exit)
      }
      exitContinuation.yield(exit)
    }
    try lock.withLock {
      try process.run()
      processes.append(process)
      live[process.processIdentifier] = identity
    }
  }

  /// SIGTERM to every running child, then up to 15 seconds (beyond the services' own 10 s grace
  /// period) for them to finish their calls and exit, then SIGKILL for any still running.
  func stopAllGracefully() async {
    signalLive(SIGTERM)
    let deadline = ContinuousClock.now + .seconds(15)
    while lock.withLock({ !live.isEmpty }), ContinuousClock.now < deadline {
      try? await Task.sleep(for: .milliseconds(100))
    }
    signalLive(SIGKILL)
    exitContinuation.finish()
  }

  private func signalLive(_ signal: Int32) {
    lock.withLock {
      for pid in live.keys {
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
