import Foundation
import Logging

/// Writes one JSON object per line to standard error: timestamp, severity, service, message and
/// the metadata, the shape log collectors (Loki, Cloud Logging, ELK) parse without rules.
public struct JSONLogHandler: LogHandler {
  public var metadata: Logger.Metadata = [:]
  public var logLevel: Logger.Level
  private let label: String

  public init(label: String, level: Logger.Level) {
    self.label = label
    self.logLevel = level
  }

  public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
    get { metadata[key] }
    set { metadata[key] = newValue }
  }

  public func log(event: LogEvent) {
    var object: [String: Any] = [
      "timestamp": Date().formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)),
      "severity": event.level.rawValue.uppercased(),
      "logger": label,
      "message": event.message.description,
    ]
    let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
    for (key, value) in merged {
      object[key] = Self.jsonValue(value)
    }
    guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return }
    var line = data
    line.append(0x0A)
    FileHandle.standardError.write(line)
  }

  private static func jsonValue(_ value: Logger.MetadataValue) -> Any {
    switch value {
    case .string(let text): text
    case .stringConvertible(let convertible): convertible.description
    case .array(let values): values.map(jsonValue)
    case .dictionary(let values): values.mapValues(jsonValue)
    }
  }
}

/// Sets up the process-wide logging once, in the executable, before anything logs.
public enum GovernanceLogging {
  public static func bootstrap(format: LogFormat, level: Logger.Level) {
    LoggingSystem.bootstrap { label in
      switch format {
      case .json:
        return JSONLogHandler(label: label, level: level)
      case .text:
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = level
        return handler
      }
    }
  }
}
