import ArgumentParser
import Foundation
import ServiceKit

/// `governance status`: one line per process with its address and health, and, where
/// `governance up` keeps its state in the data directory, its pid, restarts and last exit.
struct Status: AsyncParsableCommand {
  static let configuration = CommandConfiguration(abstract: "Show the health of each of the six processes.")

  @Option(help: "Host the processes listen on.")
  var host = "127.0.0.1"

  @Option(help: "The offset `governance up --port-offset` was given.")
  var portOffset = 0

  @Option(help: "The data directory `governance up` was given (for its restart record).")
  var data = "./data"

  func run() async throws {
    let results = await HealthCheck.checkAll(host: host, portOffset: portOffset)
    let states =
      (try? Data(contentsOf: URL(fileURLWithPath: "\(data)/\(Supervisor.stateFileName)")))
      .flatMap { try? JSONDecoder().decode([String: Supervisor.ProcessState].self, from: $0) } ?? [:]
    for result in results {
      let name = result.identity.executableName.padding(toLength: 22, withPad: " ", startingAt: 0)
      let address = result.address.description.padding(toLength: 18, withPad: " ", startingAt: 0)
      var line = "\(name)\(address)\(result.status)"
      if let state = states[result.identity.rawValue] {
        line += "\tpid \(state.pid), restarts \(state.restarts)"
        if let status = state.lastExitStatus { line += ", last exit \(status)" }
        if state.crashLoop { line += ", CRASH LOOP" }
      }
      print(line)
    }
    // The replication of `up --replicate` has no port to ask; its supervisor's record tells.
    if let state = states[ChildProcess.replication.name] {
      var line =
        "litestream".padding(toLength: 40, withPad: " ", startingAt: 0) + "pid \(state.pid), restarts \(state.restarts)"
      if let status = state.lastExitStatus { line += ", last exit \(status)" }
      if state.crashLoop { line += ", CRASH LOOP" }
      print(line)
    }
    if !results.allSatisfy(\.healthy) {
      throw ExitCode(1)
    }
  }
}
