import ArgumentParser
import Evaluation
import GRPCCore
import ServiceKit

/// The evaluation service: "4+5" panels, scores, rectification, ratings, red/black lists.
@main
struct EvaluationServiceCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "evaluation-service",
    abstract:
      "The \"4+5\" evaluation of property companies: panels, scores, rectification, star ratings, red/black lists."
  )

  @OptionGroup var options: ServiceOptions

  func run() async throws {
    try await ServiceRunner.run(
      .evaluation, options: options, migrator: EvaluationStore.migrator,
      makeServices: { runtime in
        [
          EvaluationService(
            store: EvaluationStore(writer: runtime.database, vault: runtime.vault), peers: Self.peers(runtime))
        ]
      },
      backgroundServices: { runtime in
        [
          PublicationResumer(
            publisher: ListPublisher(
              store: EvaluationStore(writer: runtime.database, vault: runtime.vault), peers: Self.peers(runtime)),
            logger: runtime.logger),
          RectificationReminders(
            store: EvaluationStore(writer: runtime.database, vault: runtime.vault), logger: runtime.logger),
        ]
      })
  }

  static func peers(_ runtime: ServiceRuntime) -> EvaluationPeers<some ClientTransport> {
    EvaluationPeers(
      property: runtime.peers.client(for: .property), grid: runtime.peers.client(for: .grid),
      organisation: runtime.peers.client(for: .organisation))
  }
}
