import GRPCCore

/// Who is making the current call, as far as the receiving service knows.
///
/// Peer services identify themselves with the `x-governance-caller` metadata their clients add;
/// the handler reads `Principal.current` to enforce rules such as "only the evaluation service
/// sets a company's star rating". The header is not signed yet, so it only holds while the
/// service ports are reachable by the platform's own processes alone (loopback, or the compose
/// network without published ports); the gateway's signed tokens replace it.
public struct Principal: Sendable, Equatable, CustomStringConvertible {
  /// The metadata key carrying the calling service's name.
  public static let callerMetadataKey = "x-governance-caller"

  /// The calling service, when a peer service is calling.
  public var service: ServiceIdentity?

  public init(service: ServiceIdentity?) {
    self.service = service
  }

  public static let anonymous = Principal(service: nil)

  @TaskLocal public static var current: Principal = .anonymous

  public var description: String { service.map { "service:\($0.rawValue)" } ?? "anonymous" }

  /// Reads the principal from request metadata; an unknown caller name is anonymous.
  static func from(_ metadata: Metadata) -> Principal {
    let name = metadata[stringValues: callerMetadataKey].first(where: { _ in true })
    return Principal(service: name.flatMap(ServiceIdentity.init(rawValue:)))
  }

  /// Fails unless the current call comes from `service`.
  public static func require(_ service: ServiceIdentity, for action: String) throws(DomainError) {
    guard current.service == service else {
      throw DomainError.permissionDenied(
        reason: "\(action) may only be called by the \(service.rawValue) service, not by \(current)")
    }
  }
}
