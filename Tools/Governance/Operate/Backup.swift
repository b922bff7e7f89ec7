import ArgumentParser
import Foundation
import GRDB

/// `governance backup`: consistent online copies of every database of a running system, taken
/// with SQLite's backup API (readers and writers go on meanwhile), with the keys beside them.
struct Backup: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Copy every database (and the keys) of a system, while it runs, into a new folder.")

  @Option(help: "Directory holding the system's data.")
  var data = "./data"
  @Option(help: "Folder to write the copies into; must not exist yet.")
  var to: String

  func run() async throws {
    guard !FileManager.default.fileExists(atPath: to) else { throw ValidationError("\(to) exists already") }
    try FileManager.default.createDirectory(atPath: to, withIntermediateDirectories: true)
    let copied = try DatabaseCopy.copyAll(from: data, to: to)
    say("backed up \(copied.joined(separator: ", ")) into \(to)")
  }
}

/// `governance restore`: puts a backup back in place of a stopped system's data.
struct Restore: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Replace a stopped system's databases (and keys) with a backup.")

  @Option(help: "The backup folder written by `governance backup`.")
  var from: String
  @Option(help: "Directory holding the system's data.")
  var data = "./data"

  func run() async throws {
    guard FileManager.default.fileExists(atPath: from) else { throw ValidationError("no backup at \(from)") }
    let restored = try DatabaseCopy.copyAll(from: from, to: data)
    say("restored \(restored.joined(separator: ", ")) into \(data)")
  }
}

enum DatabaseCopy {
  static let keys = ["data.key", "token.key"]

  /// Copies each `*.sqlite` of `source` into `destination` through SQLite's backup API, then each
  /// database's attachment files (`<name>.files`, `copyFiles`), and the key files; returns the
  /// names copied.
  static func copyAll(from source: String, to destination: String) throws -> [String] {
    // The gateway's first: its outbox cursors must not be ahead of the services' outboxes in the
    // copy, or the events between would be skipped after a restore.
    let names = try FileManager.default.contentsOfDirectory(atPath: source).filter { $0.hasSuffix(".sqlite") }
      .sorted { ($0 == "gateway.sqlite" ? "" : $0) < ($1 == "gateway.sqlite" ? "" : $1) }
    try FileManager.default.createDirectory(atPath: destination, withIntermediateDirectories: true)
    for name in names {
      let from = try DatabaseQueue(path: "\(source)/\(name)")
      let target = "\(destination)/\(name)"
      // A restored file replaces the old one whole, its write-ahead log included.
      for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: target + suffix) }
      let to = try DatabaseQueue(path: target)
      try from.backup(to: to)
      let check = try to.read { db in try String.fetchOne(db, sql: "PRAGMA integrity_check") }
      guard check == "ok" else { throw ValidationError("\(target) failed its integrity check: \(check ?? "?")") }
    }
    // After the databases: a file is written before the record naming it commits and never
    // changes, so every file a copied record names is already there to copy.
    var copied = names
    for name in names {
      let folder = "\(name.dropLast(".sqlite".count)).files"
      if try copyFiles(from: "\(source)/\(folder)", to: "\(destination)/\(folder)") != nil { copied.append(folder) }
    }
    for key in keys where FileManager.default.fileExists(atPath: "\(source)/\(key)") {
      try copyKey(from: "\(source)/\(key)", to: "\(destination)/\(key)")
    }
    return copied
  }

  /// Copies a key file, readable by its owner only, written aside and renamed into place: a copy
  /// cut short never leaves half a key under the key's name.
  static func copyKey(from source: String, to target: String) throws {
    let aside = "\((target as NSString).deletingLastPathComponent)/.\((target as NSString).lastPathComponent).copy"
    try? FileManager.default.removeItem(atPath: aside)
    try FileManager.default.copyItem(atPath: source, toPath: aside)
    try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: aside)
    if FileManager.default.fileExists(atPath: target) { try FileManager.default.removeItem(atPath: target) }
    try FileManager.default.moveItem(atPath: aside, toPath: target)
  }

  /// Copies a folder of content-addressed files (`AttachmentFiles`): every file not yet at the
  /// destination, each written aside and renamed into place so a copy cut short leaves no
  /// partial file under a digest's name; files being written at the source (named with a
  /// leading dot) are skipped. Returns how many files were copied, nil when the source has no
  /// such folder.
  static func copyFiles(from source: String, to destination: String) throws -> Int? {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: source, isDirectory: &isDirectory), isDirectory.boolValue else {
      return nil
    }
    guard let walker = FileManager.default.enumerator(atPath: source) else { return nil }
    var copied = 0
    try FileManager.default.createDirectory(atPath: destination, withIntermediateDirectories: true)
    while let relative = walker.nextObject() as? String {
      let from = "\(source)/\(relative)"
      let to = "\(destination)/\(relative)"
      guard !(relative as NSString).lastPathComponent.hasPrefix(".") else { continue }
      _ = FileManager.default.fileExists(atPath: from, isDirectory: &isDirectory)
      if isDirectory.boolValue {
        try FileManager.default.createDirectory(atPath: to, withIntermediateDirectories: true)
      } else if !FileManager.default.fileExists(atPath: to) {
        let aside = "\((to as NSString).deletingLastPathComponent)/.\((to as NSString).lastPathComponent).copy"
        try? FileManager.default.removeItem(atPath: aside)
        try FileManager.default.copyItem(atPath: from, toPath: aside)
        try FileManager.default.moveItem(atPath: aside, toPath: to)
        copied += 1
      }
    }
    return copied
  }
}
