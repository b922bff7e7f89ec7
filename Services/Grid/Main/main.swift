import ArgumentParser
import Grid
import ServiceKit

/// The grid service: divisions, grids, workers, patrols, cases and alarms.
@main
struct GridServiceCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "grid-service",
    abstract: "Divisions, grids, grid workers, patrols, the case workflow with escalation, sensor alarms."
  )

  @OptionGroup var options: ServiceOptions

  func run() async throws {
    try await ServiceRunner.run(
      .grid, options: options, migrator: GridStore.migrator,
      makeServices: { runtime in [GridRPCService(store: GridStore(writer: runtime.database, vault: runtime.vault))] },
      backgroundServices: { runtime in
        [DeadlineSweep(store: GridStore(writer: runtime.database, vault: runtime.vault), logger: runtime.logger)]
      })
  }
}
