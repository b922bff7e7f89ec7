import ArgumentParser

/// The operator's tool: starts the whole system, reports its health.
@main
struct GovernanceCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "governance",
    abstract: "Operate the community-governance platform.",
    subcommands: [
      Up.self, Status.self, Probe.self, UserCommand.self, APIKeyCommand.self, TokenCommand.self, Backup.self,
      Restore.self, Seed.self,
      Load.self,
      EchoServerCommand.self, MessageCommand.self, ReplicateChild.self,
    ]
  )
}
