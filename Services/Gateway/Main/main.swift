import ArgumentParser
import Gateway
import Logging
import ServiceKit

/// The gateway: the only door from outside, serving HTTP on port 8080.
@main
struct GatewayCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "gateway",
    abstract: "The governance platform's HTTP gateway in front of the five domain services."
  )

  @OptionGroup var options: ServiceOptions

  func run() async throws {
    let configuration = try ServiceRunner.resolveOrExit(.gateway, options: options)
    GovernanceLogging.bootstrap(format: configuration.logFormat, level: configuration.logLevel)
    GovernanceMetrics.bootstrap()
    var logger = Logger(label: "gateway")
    logger[metadataKey: "service"] = "gateway"
    let (application, peers) = try buildApplication(configuration: configuration, logger: logger)
    try await ServiceRunner.runGroup([peers, application], configuration: configuration, logger: logger)
  }
}
