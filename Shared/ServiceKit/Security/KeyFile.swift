import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// A secret every process of one system must share (the data key, the token key): from an
/// environment variable (base64), else from a file in the data directory, created once with mode
/// 0600. Creation is exclusive and whole (written aside, then linked into place), so processes
/// starting together all end up with the same key and none reads it half written.
enum KeyFile {
  static func load(variable: String, fileName: String, dataDirectory: String, environment: [String: String])
    throws -> Data
  {
    if let encoded = environment[variable], !encoded.isEmpty {
      guard let bytes = Data(base64Encoded: encoded), bytes.count == 32 else {
        throw ConfigurationError(setting: variable, problem: "must be 32 bytes in base64")
      }
      return bytes
    }
    try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
    let path = "\(dataDirectory)/\(fileName)"
    if let bytes = FileManager.default.contents(atPath: path), bytes.count == 32 { return bytes }
    var fresh = Data(count: 32)
    fresh.withUnsafeMutableBytes { buffer in
      var generator = SystemRandomNumberGenerator()
      for index in buffer.indices { buffer[index] = UInt8.random(in: .min ... .max, using: &generator) }
    }
    // The key is written whole to a file of this process's own, then published under its name
    // with link(2), which fails when the name exists: a process starting beside the one that
    // publishes it never finds the file half written, however long the writer is held up.
    let staging = "\(path).\(getpid()).\(UInt32.random(in: .min ... .max))"
    let descriptor = open(staging, O_CREAT | O_EXCL | O_WRONLY, 0o600)
    guard descriptor >= 0 else { throw ConfigurationError(setting: path, problem: "cannot be written") }
    let written = fresh.withUnsafeBytes { write(descriptor, $0.baseAddress, 32) }
    fsync(descriptor)
    close(descriptor)
    defer { unlink(staging) }
    guard written == 32 else { throw ConfigurationError(setting: path, problem: "cannot be written") }
    if link(staging, path) == 0 { return fresh }
    // Another process published its key first (or it was there already): that one is the key.
    if let bytes = FileManager.default.contents(atPath: path), bytes.count == 32 { return bytes }
    let size = FileManager.default.contents(atPath: path)?.count ?? 0
    throw ConfigurationError(setting: path, problem: "holds \(size) bytes, not a 32-byte key")
  }
}
