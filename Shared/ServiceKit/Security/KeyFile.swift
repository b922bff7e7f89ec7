import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// A secret every process of one system must share (the data key, the token key): from an
/// environment variable (base64), else from a file in the data directory, created once with mode
/// 0600. Creation is exclusive, so processes starting together all end up with the same key.
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
    var fresh = Data(count: 32)
    fresh.withUnsafeMutableBytes { buffer in
      var generator = SystemRandomNumberGenerator()
      for index in buffer.indices { buffer[index] = UInt8.random(in: .min ... .max, using: &generator) }
    }
    let descriptor = open(path, O_CREAT | O_EXCL | O_WRONLY, 0o600)
    if descriptor >= 0 {
      let written = fresh.withUnsafeBytes { write(descriptor, $0.baseAddress, 32) }
      fsync(descriptor)
      close(descriptor)
      guard written == 32 else { throw ConfigurationError(setting: path, problem: "cannot be written") }
      return fresh
    }
    // Another process made it first: wait for its 32 bytes.
    for _ in 0..<50 {
      if let bytes = FileManager.default.contents(atPath: path), bytes.count == 32 { return bytes }
      usleep(20_000)
    }
    let size = FileManager.default.contents(atPath: path)?.count ?? 0
    throw ConfigurationError(setting: path, problem: "holds \(size) bytes, not a 32-byte key")
  }
}
