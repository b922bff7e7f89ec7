import ArgumentParser
import ServiceKit
import Volunteers

/// The volunteers service: teams, volunteers, posts, micro-wishes, service records, mobilisation.
@main
struct VolunteersServiceCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "volunteers-service",
    abstract: "Volunteer teams, volunteers, service posts, micro-wishes, service hours, mobilisation."
  )

  @OptionGroup var options: ServiceOptions

  func run() async throws {
    try await ServiceRunner.run(
      .volunteers, options: options, migrator: VolunteersStore.migrator,
      makeServices: { runtime in
        [
          VolunteersService(
            store: VolunteersStore(writer: runtime.database, vault: runtime.vault),
            peers: VolunteerPeers(
              organisation: runtime.peers.client(for: .organisation), grid: runtime.peers.client(for: .grid),
              property: runtime.peers.client(for: .property)))
        ]
      },
      backgroundServices: { runtime in
        [WishExpiry(store: VolunteersStore(writer: runtime.database, vault: runtime.vault), logger: runtime.logger)]
      })
  }
}
