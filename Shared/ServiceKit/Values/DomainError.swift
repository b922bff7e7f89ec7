import GRPCCore

/// A broken rule or a bad request, stated in the domain's words.
///
/// Every service throws these from its domain and store layers; the conversion to a gRPC status
/// is written here once, so the same kind of failure always reaches a caller with the same code.
public enum DomainError: Error, Equatable, Sendable {
  /// A field is missing or malformed: INVALID_ARGUMENT.
  case invalidArgument(field: String, rule: String)
  /// The record asked for does not exist: NOT_FOUND.
  case notFound(resource: String, id: String)
  /// A record with the same identity already exists: ALREADY_EXISTS.
  case alreadyExists(resource: String, id: String, detail: String = "")
  /// The request is well formed but a domain rule forbids it now: FAILED_PRECONDITION.
  case failedPrecondition(rule: String, detail: String)
  /// The caller may not act on this record, e.g. it lies outside their jurisdiction: PERMISSION_DENIED.
  case permissionDenied(reason: String)
  /// The call carries no valid credentials: UNAUTHENTICATED.
  case unauthenticated(reason: String)
  /// A peer service needed for the answer cannot be reached: UNAVAILABLE, safe to retry.
  case peerUnavailable(peer: String, detail: String)
}

extension DomainError: RPCErrorConvertible {
  public var rpcErrorCode: RPCError.Code {
    switch self {
    case .invalidArgument: .invalidArgument
    case .notFound: .notFound
    case .alreadyExists: .alreadyExists
    case .failedPrecondition: .failedPrecondition
    case .permissionDenied: .permissionDenied
    case .unauthenticated: .unauthenticated
    case .peerUnavailable: .unavailable
    }
  }

  /// The longest status message sent, in UTF-8 bytes: messages quote what the caller sent, and
  /// the header carries them percent-encoded, three bytes for each byte outside ASCII; 1,000
  /// bytes stay within the 8 KiB that common clients accept for all headers.
  public static let maximumMessageBytes = 1000

  public var rpcErrorMessage: String {
    let message = fullMessage
    guard message.utf8.count > Self.maximumMessageBytes else { return message }
    var cut = ""
    var bytes = 0
    for character in message {
      bytes += character.utf8.count
      guard bytes <= Self.maximumMessageBytes else { break }
      cut.append(character)
    }
    return cut + "…"
  }

  private var fullMessage: String {
    switch self {
    case .invalidArgument(let field, let rule):
      "\(field): \(rule)"
    case .notFound(let resource, let id):
      "\(resource) \(id) not found"
    case .alreadyExists(let resource, let id, let detail):
      detail.isEmpty ? "\(resource) \(id) already exists" : "\(resource) \(id) already exists: \(detail)"
    case .failedPrecondition(let rule, let detail):
      "\(rule): \(detail)"
    case .permissionDenied(let reason):
      reason
    case .unauthenticated(let reason):
      reason
    case .peerUnavailable(let peer, let detail):
      "\(peer) service unavailable: \(detail)"
    }
  }
}

extension DomainError: CustomStringConvertible {
  public var description: String { "\(rpcErrorCode): \(rpcErrorMessage)" }
}

extension Optional {
  /// The value, or NOT_FOUND naming the resource and id asked for.
  public func orNotFound(_ resource: String, id: String) throws(DomainError) -> Wrapped {
    guard let self else { throw DomainError.notFound(resource: resource, id: id) }
    return self
  }
}

extension Optional where Wrapped: StoredRecord {
  /// The value, or NOT_FOUND naming the record type's resource and `id`.
  public func orNotFound(id: String) throws(DomainError) -> Wrapped {
    try orNotFound(Wrapped.resourceName, id: id)
  }
}
