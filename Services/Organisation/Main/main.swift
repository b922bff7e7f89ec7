import ArgumentParser
import Organisation
import ServiceKit

/// The organisation service: party organisations, members, self-governance bodies.
@main
struct OrganisationServiceCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "organisation-service",
    abstract: "Party organisations, members, self-governance bodies, cross-appointments, conferences, paired units."
  )

  @OptionGroup var options: ServiceOptions

  func run() async throws {
    try await ServiceRunner.run(
      .organisation, options: options, migrator: OrganisationStore.migrator,
      makeServices: { runtime in
        [
          OrganisationService(
            store: OrganisationStore(writer: runtime.database, vault: runtime.vault),
            property: PropertyDirectory(client: runtime.peers.client(for: .property)),
            grid: GridDirectory(client: runtime.peers.client(for: .grid)))
        ]
      },
      backgroundServices: { runtime in
        [
          ConferenceGapReminder(
            store: OrganisationStore(writer: runtime.database, vault: runtime.vault), logger: runtime.logger)
        ]
      })
  }
}
