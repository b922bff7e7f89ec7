import ArgumentParser
import Foundation
import ServiceKit

/// `governance status`: one line per process with its address and health.
struct Status: AsyncParsableCommand {
  static let configuration = CommandConfiguration(abstract: "Show the health of each of the six processes.")

  @Option(help: "Host the processes listen on.")
  var host = "127.0.0.1"

  @Option(help: "The offset `governance up --port-offset` was given.")
  var portOffset = 0

  func run() async throws {
    let results = await HealthCheck.checkAll(host: host, portOffset: portOffset)
    for result in results {
      let name = result.identity.executableName.padding(toLength: 22, withPad: " ", startingAt: 0)
      let address = result.address.description.padding(toLength: 18, withPad: " ", startingAt: 0)
      print("\(name)\(address)\(result.status)")
    }
    if !results.allSatisfy(\.healthy) {
      throw ExitCode(1)
    }
  }
}
