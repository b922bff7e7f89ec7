import ArgumentParser
import Evaluation
import ServiceKit

/// The evaluation service: the "4+5" panels, rectification, ratings and red/black lists.
@main
struct EvaluationServiceCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "evaluation-service",
    abstract: "\"4+5\" evaluation panels, rectification orders, star ratings, red and black lists."
  )

  @OptionGroup var options: ServiceOptions

  func run() async throws {
    try await ServiceRunner.run(.evaluation, options: options, migrator: EvaluationStore.migrator) { runtime in
      [EvaluationRPCService(store: EvaluationStore(writer: runtime.database))]
    }
  }
}
