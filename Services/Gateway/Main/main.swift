import ArgumentParser
import Foundation
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
    do {
      let (application, services) = try buildApplication(configuration: configuration, logger: logger)
      try await ServiceRunner.runGroup(services + [application], configuration: configuration, logger: logger)
    } catch let error as ConfigurationError {
      FileHandle.standardError.write(Data("gateway: \(error)\n".utf8))
      throw ExitCode(78)
    }
  }
}
