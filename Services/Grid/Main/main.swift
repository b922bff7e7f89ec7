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
    // One hub per process: the RPCs publish to it, the hand-over publishes to it and closes it.
    let hub = AssignmentHub()
    try await ServiceRunner.run(
      .grid, options: options, migrator: GridStore.migrator,
      makeServices: { runtime in
        let store = GridStore(writer: runtime.database, vault: runtime.vault)
        try store.finishInterruptedArchiveLoad()
        return [GridService(store: store, hub: hub).routes]
      },
      backgroundServices: { runtime in
        let store = GridStore(writer: runtime.database, vault: runtime.vault)
        return [
          DeadlineSweep(store: store, logger: runtime.logger),
          AlarmHandOver(store: store, hub: hub, logger: runtime.logger),
          DailyDigest(store: store, logger: runtime.logger),
        ]
      })
  }
}
