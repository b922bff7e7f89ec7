import ArgumentParser
import Foundation
import ServiceKit
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
    let binDirectory = bin ?? URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
      .deletingLastPathComponent().path
    let highest = ServiceIdentity.allCases.map { max($0.defaultPort, $0.defaultMetricsPort) }.max()! + portOffset
    guard portOffset >= 0, highest <= 65535 else {
      throw ValidationError("--port-offset \(portOffset) moves ports past 65535; use 0 to \(65535 - highest + portOffset)")
    }
    let dataDirectory = URL(fileURLWithPath: data).standardizedFileURL.path
    try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)

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

    let signals = await UnixSignalsSequence(trapping: .sigint, .sigterm)
    let supervisor = Supervisor()
    for identity in ServiceIdentity.allCases {
      let path = "\(binDirectory)/\(identity.executableName)"
      guard FileManager.default.isExecutableFile(atPath: path) else {
        supervisor.stopAll()
        throw ValidationError("\(path) not found: build first with `swift build` (or pass --bin DIR)")
      }
      try supervisor.start(identity, executable: path, environment: environment)
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
      say("not every process became healthy; stopping them all")
      await supervisor.stopAllGracefully()
      throw ExitCode(1)
    }
    if demo {
      let addresses = Dictionary(uniqueKeysWithValues: ServiceIdentity.domainServices.map {
        ($0, NetworkAddress(host: host, port: $0.defaultPort + portOffset))
      })
      do {
        say(try await DemoCity.load(addresses: addresses))
      } catch {
        say("loading the demo city failed: \(error); stopping")
        await supervisor.stopAllGracefully()
        throw ExitCode(1)
      }
    }
    let gateway = NetworkAddress(host: host, port: ServiceIdentity.gateway.defaultPort + portOffset)
    say("all healthy. gateway: http://\(gateway)/healthz")
    say("press Ctrl-C to stop")

    await withTaskGroup(of: Void.self) { group in
      group.addTask {
        for await exit in supervisor.exits {
          say("\(exit.identity.executableName) exited with status \(exit.status); the others keep running")
        }
      }
      for await signal in signals {
        say("received \(signal), stopping all processes ...")
        break
      }
      group.cancelAll()
    }
    await supervisor.stopAllGracefully()
    say("stopped")
  }
}

/// The child processes of `up`, with their exits as a stream.
final class Supervisor: @unchecked Sendable {
  struct Exit: Sendable {
    var identity: ServiceIdentity
    var status: Int32
  }

  private let lock = NSLock()
  private var processes: [(ServiceIdentity, Process)] = []
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
      lock.withLock { exitedProcesses.append(exit) }
      exitContinuation.yield(exit)
    }
    try process.run()
    lock.withLock { processes.append((identity, process)) }
  }

  /// SIGTERM to every running child, then up to 15 seconds for them to finish their calls and
  /// exit, then SIGKILL for any still running.
  func stopAllGracefully() async {
    let running = lock.withLock { processes.map(\.1) }.filter(\.isRunning)
    for process in running {
      kill(process.processIdentifier, SIGTERM)
    }
    let deadline = ContinuousClock.now + .seconds(15)
    while running.contains(where: \.isRunning), ContinuousClock.now < deadline {
      try? await Task.sleep(for: .milliseconds(100))
    }
    for process in running where process.isRunning {
      kill(process.processIdentifier, SIGKILL)
    }
    exitContinuation.finish()
  }

  func stopAll() {
    for (_, process) in lock.withLock({ processes }) where process.isRunning {
      kill(process.processIdentifier, SIGTERM)
    }
  }
}

/// Writes a progress line straight to standard output, unbuffered, so a pipe or a log file sees
/// it when it happens.
func say(_ line: String) {
  FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
