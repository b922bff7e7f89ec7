import Foundation
import GRDB
import SwiftProtobuf

/// A protobuf message kept whole in a BLOB column beside the columns a store indexes and queries,
/// so that every field a caller sent survives even before the store gives it a column of its own.
public enum StoredMessage {
  public static func encode(_ message: some SwiftProtobuf.Message) throws -> Data {
    var options = BinaryEncodingOptions()
    options.useDeterministicOrdering = true
    return try message.serializedData(options: options)
  }

  public static func decode<M: SwiftProtobuf.Message>(_ type: M.Type, from data: Data) throws -> M {
    try M(serializedBytes: data)
  }
}
