import ArgumentParser
import ServiceKit
import Volunteers

/// The volunteers service: teams, volunteers, posts, micro-wishes, service records.
@main
struct VolunteersServiceCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "volunteers-service",
    abstract: "Volunteer teams, volunteers, service posts, micro-wishes, service hours, mobilisation."
  )

  @OptionGroup var options: ServiceOptions

  func run() async throws {
    try await ServiceRunner.run(.volunteers, options: options, migrator: VolunteersStore.migrator) { runtime in
      [VolunteersRPCService(store: VolunteersStore(writer: runtime.database))]
    }
  }
}
