import ArgumentParser
import ServiceKit

/// `governance probe NAME --address HOST:PORT`: exits 0 when that one process is healthy. Used by
/// container health checks, where only the image's own binaries are at hand.
struct Probe: AsyncParsableCommand {
  static let configuration = CommandConfiguration(abstract: "Exit 0 if one process reports healthy.")

  @Argument(help: "organisation, property, grid, volunteers, evaluation or gateway.")
  var service: String

  @Option(help: "HOST:PORT of the process (default: its default port on 127.0.0.1).")
  var address: String?

  func run() async throws {
    guard let identity = ServiceIdentity(rawValue: service) else {
      throw ValidationError("unknown service '\(service)'")
    }
    let target =
      try address.map { try NetworkAddress.parse($0, setting: "--address") }
      ?? NetworkAddress(host: "127.0.0.1", port: identity.defaultPort)
    let health = await HealthCheck.check(identity, at: target)
    print("\(identity.executableName) \(target) \(health.status)")
    if !health.healthy { throw ExitCode(1) }
  }
}
