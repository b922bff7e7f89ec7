import ArgumentParser
import Property
import ServiceKit

/// The property service: compounds, buildings, companies, contracts, acceptance reviews.
@main
struct PropertyServiceCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "property-service",
    abstract: "Compounds, buildings, property companies, service contracts, four-level acceptance, exit."
  )

  @OptionGroup var options: ServiceOptions

  func run() async throws {
    try await ServiceRunner.run(.property, options: options, migrator: PropertyStore.migrator) { runtime in
      [PropertyService(store: PropertyStore(writer: runtime.database))]
    }
  }
}
