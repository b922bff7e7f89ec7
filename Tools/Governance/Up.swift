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

  @Option(help: "Seconds to wait for every process to report healthy.")
  var startTimeout: Double = 60

  @Option(help: "json or text logs from the processes.")
  var logFormat = "text"

  func run() async throws {
    let binDirectory = bin ?? URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
      .deletingLastPathComponent().path
    let dataDirectory = URL(fileURLWithPath: data).standardizedFileURL.path
    try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)

    var environment = ProcessInfo.processInfo.environment
    environment[ServiceConfiguration.Variable.dataDirectory] = dataDirectory
    environment[ServiceConfiguration.Variable.logFormat] = logFormat
    for identity in ServiceIdentity.allCases {
      let address = NetworkAddress(host: host, port: identity.defaultPort).description
      environment[identity.addressVariable] = address
      environment[ServiceConfiguration.Variable.listen(identity)] = address
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

    print("starting the six processes, data in \(dataDirectory) ...")
    let deadline = ContinuousClock.now + .milliseconds(Int64(startTimeout * 1000))
    var health = await HealthCheck.checkAll(host: host)
    while !health.allSatisfy(\.healthy), ContinuousClock.now < deadline, supervisor.exited.isEmpty {
      try await Task.sleep(for: .milliseconds(250))
      health = await HealthCheck.checkAll(host: host)
    }
    for result in health {
      print("  \(result.identity.executableName.padding(toLength: 20, withPad: " ", startingAt: 0))"
        + "\(result.address)\t\(result.status)")
    }
    guard health.allSatisfy(\.healthy) else {
      print("not every process became healthy; stopping them all")
      await supervisor.stopAllGracefully()
      throw ExitCode(1)
    }
    print("all healthy. gateway: http://\(NetworkAddress(host: host, port: ServiceIdentity.gateway.defaultPort))/healthz")
    print("press Ctrl-C to stop")

    await withTaskGroup(of: Void.self) { group in
      group.addTask {
        for await exit in supervisor.exits {
          print("\(exit.identity.executableName) exited with status \(exit.status); the others keep running")
        }
      }
      for await signal in signals {
        print("received \(signal), stopping all processes ...")
        break
      }
      group.cancelAll()
    }
    await supervisor.stopAllGracefully()
    print("stopped")
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
