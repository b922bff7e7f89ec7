import ArgumentParser
import Foundation
import Gateway
import Logging
import ServiceKit
import ServiceLifecycle

/// The gateway: the only door from outside, serving HTTP on port 8080.
@main
struct GatewayCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "gateway",
    abstract: "The governance platform's HTTP gateway in front of the five domain services."
  )

  @OptionGroup var options: ServiceOptions

  @Option(help: "Tile URL template for the map (env GOVERNANCE_MAP_TILE_URL; default none: a plain background).")
  var mapTileURL: String?

  @Option(help: "Attribution the tile provider requires on the map (env GOVERNANCE_MAP_TILE_ATTRIBUTION).")
  var mapTileAttribution: String?

  @Option(help: "wgs84 or gcj02: the datum the tiles are drawn in (env GOVERNANCE_MAP_TILE_DATUM, default wgs84).")
  var mapTileDatum: String?

  @Option(help: "Letters or digits for {s} in the tile URL, e.g. 01234567 (env GOVERNANCE_MAP_TILE_SUBDOMAINS).")
  var mapTileSubdomains: String?

  @Option(help: "Folder holding leaflet.js, served at /vendor/leaflet/ (env GOVERNANCE_MAP_LIBRARY).")
  var mapLibrary: String?

  func run() async throws {
    let configuration = try ServiceRunner.resolveOrExit(.gateway, options: options)
    GovernanceLogging.bootstrap(format: configuration.logFormat, level: configuration.logLevel)
    GovernanceMetrics.bootstrap()
    var logger = Logger(label: "gateway")
    logger[metadataKey: "service"] = "gateway"
    EventLoopExecutor.install(logger: logger)
    do {
      let map = try MapSettings.resolve(
        tileURL: mapTileURL, tileAttribution: mapTileAttribution, tileDatum: mapTileDatum,
        tileSubdomains: mapTileSubdomains, library: mapLibrary, environment: ProcessInfo.processInfo.environment)
      let tracing = try CallTracing.bootstrap(serviceName: "gateway", logger: logger).map { [$0] } ?? []
      let (application, services) = try buildApplication(configuration: configuration, logger: logger, map: map)
      // The span exporter first, so that it stops last and sends the spans of the final requests.
      try await ServiceRunner.runGroup(
        tracing + services + [application], configuration: configuration, logger: logger)
    } catch let error as ConfigurationError {
      FileHandle.standardError.write(Data("gateway: \(error)\n".utf8))
      throw ExitCode(78)
    }
  }
}
