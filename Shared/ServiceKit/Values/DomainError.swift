import GRPCCore
import GRPCProtobuf

/// A broken rule or a bad request, stated in the domain's words.
///
/// Every service throws these from its domain and store layers; the conversion to a gRPC status
/// is written here once, so the same kind of failure always reaches a caller with the same code.
public enum DomainError: Error, Equatable, Sendable {
  /// A field is missing or malformed: INVALID_ARGUMENT.
  case invalidArgument(field: String, rule: RuleText)
  /// The record asked for does not exist: NOT_FOUND.
  case notFound(resource: RuleText, id: String)
  /// A record with the same identity already exists: ALREADY_EXISTS.
  case alreadyExists(resource: RuleText, id: String, detail: RuleText = "")
  /// The request is well formed but a domain rule forbids it now: FAILED_PRECONDITION.
  case failedPrecondition(rule: RuleText, detail: RuleText)
  /// The caller may not act on this record, e.g. it lies outside their jurisdiction: PERMISSION_DENIED.
  case permissionDenied(reason: RuleText)
  /// The call carries no valid credentials: UNAUTHENTICATED.
  case unauthenticated(reason: RuleText)
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

  public var rpcErrorMessage: String { Self.cut(fullMessage, toBytes: Self.maximumMessageBytes) }

  /// `text` cut at a character boundary to at most `bytes` UTF-8 bytes, `…` marking a cut.
  static func cut(_ text: String, toBytes bytes: Int) -> String {
    guard text.utf8.count > bytes else { return text }
    var cut = ""
    var count = 0
    for character in text {
      count += character.utf8.count
      guard count <= bytes else { break }
      cut.append(character)
    }
    return cut + "…"
  }

  /// The error's details, sent as google.rpc.Status in `grpc-status-details-bin`
  /// (grpc.io "Richer error model", AIP-193): its `errorInfo` and, for a bad field, a
  /// google.rpc.BadRequest naming it.
  public var rpcErrorMetadata: Metadata {
    var details: [ErrorDetails] = [.errorInfo(errorInfo)]
    if case .invalidArgument(let field, let rule) = self {
      details.append(
        .badRequest(violations: [
          .init(field: field, description: Self.cut(rule.description, toBytes: Self.maximumArgumentBytes * 4))
        ]))
    }
    return GoogleRPCStatus(code: rpcErrorCode, message: rpcErrorMessage, details: details).rpcErrorMetadata
  }

  /// The error domain of `errorInfo`.
  public static let errorDomain = "governance.community"

  /// The longest argument put in `errorInfo`, in UTF-8 bytes: arguments quote what the caller
  /// sent, and the details travel in a header beside the message, within the 8 KiB that common
  /// clients accept for all headers.
  public static let maximumArgumentBytes = 80

  /// The refusal as google.rpc.ErrorInfo, for clients that show it in their own language.
  ///
  /// `reason` names the kind (`FIELD_INVALID`, `NOT_FOUND`, `ALREADY_EXISTS`, `RULE_NOT_MET`,
  /// `NOT_PERMITTED`, `NOT_AUTHENTICATED`, `PEER_UNAVAILABLE`); `metadata` holds `field`, `id`,
  /// `peer` and each text (`rule`, `detail`, `reason`, `resource`) as its `RuleText` template,
  /// with the arguments as `rule_0`, `rule_1`, … (each, and `id`, cut to `maximumArgumentBytes`
  /// and a `…`).
  public var errorInfo: ErrorDetails.ErrorInfo {
    var metadata: [String: String] = [:]
    func put(_ name: String, _ text: RuleText) {
      metadata[name] = text.template
      for (index, argument) in text.arguments.enumerated() {
        metadata["\(name)_\(index)"] = Self.cut(argument, toBytes: Self.maximumArgumentBytes)
      }
    }
    let reason: String
    switch self {
    case .invalidArgument(let field, let rule):
      reason = "FIELD_INVALID"
      metadata["field"] = field
      put("rule", rule)
    case .notFound(let resource, let id):
      reason = "NOT_FOUND"
      put("resource", resource)
      metadata["id"] = Self.cut(id, toBytes: Self.maximumArgumentBytes)
    case .alreadyExists(let resource, let id, let detail):
      reason = "ALREADY_EXISTS"
      put("resource", resource)
      metadata["id"] = Self.cut(id, toBytes: Self.maximumArgumentBytes)
      if !detail.template.isEmpty { put("detail", detail) }
    case .failedPrecondition(let rule, let detail):
      reason = "RULE_NOT_MET"
      put("rule", rule)
      put("detail", detail)
    case .permissionDenied(let text):
      reason = "NOT_PERMITTED"
      put("reason", text)
    case .unauthenticated(let text):
      reason = "NOT_AUTHENTICATED"
      put("reason", text)
    case .peerUnavailable(let peer, _):
      reason = "PEER_UNAVAILABLE"
      metadata["peer"] = peer
    }
    return ErrorDetails.ErrorInfo(reason: reason, domain: Self.errorDomain, metadata: metadata)
  }

  private var fullMessage: String {
    switch self {
    case .invalidArgument(let field, let rule):
      "\(field): \(rule)"
    case .notFound(let resource, let id):
      "\(resource) \(id) not found"
    case .alreadyExists(let resource, let id, let detail):
      detail.template.isEmpty ? "\(resource) \(id) already exists" : "\(resource) \(id) already exists: \(detail)"
    case .failedPrecondition(let rule, let detail):
      "\(rule): \(detail)"
    case .permissionDenied(let reason):
      reason.description
    case .unauthenticated(let reason):
      reason.description
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
  public func orNotFound(_ resource: RuleText, id: String) throws(DomainError) -> Wrapped {
    guard let self else { throw DomainError.notFound(resource: resource, id: id) }
    return self
  }
}

extension Optional where Wrapped: StoredRecord {
  /// The value, or NOT_FOUND naming the record type's resource and `id`.
  public func orNotFound(id: String) throws(DomainError) -> Wrapped {
    try orNotFound(RuleText(verbatim: Wrapped.resourceName), id: id)
  }
}
