import ArgumentParser
import Foundation
import GRDB
import GRPCCore
import Logging
import ServiceLifecycle

#if canImport(Glibc)
  import Glibc
#endif

/// What a domain service's library gets to build its RPC handlers: its configuration, its open
/// database, clients of its peers and a logger.
public struct ServiceRuntime: Sendable {
  public let configuration: ServiceConfiguration
  public let database: DatabasePool
  public let peers: PeerClients
  /// Seals personal data before it is stored.
  public let vault: ContactVault
  public let logger: Logger
}

/// Runs one domain service process from start-up to a clean exit.
public enum ServiceRunner {
  /// Resolves the configuration (stopping with a message that names a missing or malformed
  /// setting), sets up logs and metrics, opens and migrates the database, and serves gRPC, health
  /// and `/metrics` until SIGTERM or SIGINT, then shuts down gracefully within the grace period.
  public static func run(
    _ identity: ServiceIdentity,
    options: ServiceOptions,
    migrator: DatabaseMigrator,
    makeServices: @Sendable (ServiceRuntime) throws -> [any RegistrableRPCService],
    backgroundServices: @Sendable (ServiceRuntime) -> [any Service] = { _ in [] }
  ) async throws {
    let configuration = try resolveOrExit(identity, options: options)
    GovernanceLogging.bootstrap(format: configuration.logFormat, level: configuration.logLevel)
    GovernanceMetrics.bootstrap()
    var logger = Logger(label: identity.rawValue)
    logger[metadataKey: "service"] = "\(identity.rawValue)"

    let database: DatabasePool
    do {
      database = try GovernanceDatabase.openPool(path: configuration.databasePath, migrator: migrator, logger: logger)
    } catch {
      logger.critical(
        "cannot open the database", metadata: ["path": "\(configuration.databasePath)", "error": "\(error)"])
      throw ExitCode.failure
    }
    let vault: ContactVault
    let authority: TokenAuthority
    do {
      vault = try ContactVault.load(
        dataDirectory: configuration.dataDirectory, environment: ProcessInfo.processInfo.environment)
      authority = try TokenAuthority.load(
        dataDirectory: configuration.dataDirectory, environment: ProcessInfo.processInfo.environment)
    } catch {
      logger.critical("cannot load the data or token key", metadata: ["error": "\(error)"])
      throw ExitCode(78)
    }
    let peers = try PeerClients(
      caller: identity, peers: configuration.peers, timeout: configuration.peerCallTimeout, authority: authority)
    let runtime = ServiceRuntime(
      configuration: configuration, database: database, peers: peers, vault: vault, logger: logger)

    let limits: ServerLimits
    do {
      limits = try ServerLimits.resolve(environment: ProcessInfo.processInfo.environment)
    } catch {
      FileHandle.standardError.write(Data("\(identity.executableName): \(error)\n".utf8))
      throw ExitCode(78)
    }
    let health = HealthStatus(services: [identity.grpcServiceName])
    let server = GRPCServerService(
      listen: configuration.listen,
      services: try makeServices(runtime) + [OutboxService(database: database, identity: identity)], health: health,
      authority: authority,
      limits: limits, logger: logger)
    // Started in order, stopped in reverse: the gRPC server drains first, while metrics and the
    // clients its in-flight calls may use are still up.
    // The span exporter first, so that it stops last and sends the spans of the final calls.
    var services: [any Service] = []
    do {
      if let tracing = try CallTracing.bootstrap(serviceName: identity.rawValue, logger: logger) {
        services.append(tracing)
      }
    } catch {
      FileHandle.standardError.write(Data("\(identity.executableName): \(error)\n".utf8))
      throw ExitCode(78)
    }
    services.append(peers)
    if let metricsListen = configuration.metricsListen {
      services.append(GovernanceMetrics.endpoint(listen: metricsListen, logger: logger))
    }
    services += housekeeping(databasePath: configuration.databasePath, logger: logger)
    services.append(LedgerPruning(database: database, logger: logger))
    services += backgroundServices(runtime)
    services.append(server)
    try await runGroup(services, configuration: configuration, logger: logger)
    logger.info("stopped")
  }

  /// What every process that owns a database runs beside its work, the gateway included: freed
  /// memory handed back (`MemoryTrim`) and the log checkpointed beside the writer
  /// (`WALCheckpoints`). Put before the jobs that write, so that they stop after them.
  public static func housekeeping(databasePath: String, logger: Logger) -> [any Service] {
    [MemoryTrim(), WALCheckpoints(path: databasePath, logger: logger)]
  }

  /// The variable `governance up` sets for the processes it supervises.
  public static let stopWithParentVariable = "GOVERNANCE_STOP_WITH_PARENT"

  /// Under `governance up` (`GOVERNANCE_STOP_WITH_PARENT=1`), watches the supervisor: once it
  /// is gone, however it went (SIGKILL, a crash), this process is re-parented and sends itself
  /// SIGTERM within a second, shutting down gracefully instead of running on orphaned.
  /// Elsewhere it does nothing.
  static func stopWithParent() {
    guard ProcessInfo.processInfo.environment[stopWithParentVariable] == "1" else { return }
    let parent = getppid()
    Task.detached {
      while getppid() == parent {
        try? await Task.sleep(for: .seconds(1))
      }
      kill(getpid(), SIGTERM)
    }
  }

  /// Resolves configuration from the options and the process environment; on a bad setting prints
  /// the message and exits with EX_CONFIG (78).
  public static func resolveOrExit(_ identity: ServiceIdentity, options: ServiceOptions) throws -> ServiceConfiguration
  {
    stopWithParent()
    do {
      return try ServiceConfiguration.resolve(
        for: identity, flags: options.flags, environment: ProcessInfo.processInfo.environment)
    } catch {
      FileHandle.standardError.write(Data("\(identity.executableName): \(error)\n".utf8))
      throw ExitCode(78)
    }
  }

  /// Runs `services` in one group (started in order, stopped in reverse) with graceful shutdown
  /// on SIGTERM and SIGINT, bounded by the configured grace period.
  public static func runGroup(_ services: [any Service], configuration: ServiceConfiguration, logger: Logger)
    async throws
  {
    var groupConfiguration = ServiceGroupConfiguration(
      services: services.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) },
      gracefulShutdownSignals: [.sigterm, .sigint],
      logger: logger
    )
    groupConfiguration.maximumGracefulShutdownDuration = configuration.shutdownGracePeriod
    groupConfiguration.maximumCancellationDuration = .seconds(2)
    try await ServiceGroup(configuration: groupConfiguration).run()
  }
}
