import GRPCCore

/// The roles people and systems hold, each held to a division-code prefix (its jurisdiction).
public enum Role: String, Sendable, CaseIterable, Codable {
  case cityAdministrator = "city_admin"
  case district
  case street
  case community
  case gridWorker = "grid_worker"
  case propertyStaff = "property"
  case evaluator
  case auditor
  /// A system such as the city-level governance platform (市域社会治理平台), with an API key.
  case cityPlatform = "city_platform"
  /// A resident (居民) on the public page, known by a phone number proved with a one-time code:
  /// never an account or an API key. The subject is `resident:<key>`, a keyed hash of the number.
  case resident

  /// Whether an account (a console user) or an API key may hold the role: every role but the
  /// resident's, whose principal only the gateway's public page makes.
  public var isAccountRole: Bool { self != .resident }

  /// Staff who may see a resident's or member's whole personal data, each time recorded.
  public var mayRevealPersonalData: Bool {
    [.cityAdministrator, .district, .street, .community, .gridWorker].contains(self)
  }
}

/// Who is making the current call, as the signed token presented with it says: a person or a
/// system with a role and a jurisdiction, or one of the platform's own services.
public struct Principal: Sendable, Hashable, CustomStringConvertible {
  /// Who: `user:NAME`, `apikey:NAME` or `service:NAME`.
  public var subject: String
  /// A person's or system's role; nil for a service.
  public var role: Role?
  /// The division-code prefix the principal is held to; empty for the whole system.
  public var scope: String
  /// The calling service, when a peer service is calling.
  public var service: ServiceIdentity?
  /// The W3C `traceparent` of the span serving the call, when traces are on (`CallTracing`):
  /// the events the call appends carry it (`Outbox.Entry`), so their deliveries join the trace.
  /// Not part of who the principal is: equality and hashing leave it out.
  public var traceparent = ""

  public init(subject: String, role: Role?, scope: String, service: ServiceIdentity? = nil) {
    self.subject = subject
    self.role = role
    self.scope = scope
    self.service = service
  }

  /// One of the platform's services, unrestricted in jurisdiction.
  public init(service: ServiceIdentity) {
    self.init(subject: "service:\(service.rawValue)", role: nil, scope: "", service: service)
  }

  /// Work a process does on its own (a sweep, a migration, a test calling a store directly).
  public static let system = Principal(subject: "system", role: nil, scope: "")

  /// The principal of the call being served; work outside a call runs as `system`.
  @TaskLocal public static var current: Principal = .system

  public var description: String { subject }

  public static func == (lhs: Principal, rhs: Principal) -> Bool {
    lhs.subject == rhs.subject && lhs.role == rhs.role && lhs.scope == rhs.scope && lhs.service == rhs.service
  }

  public func hash(into hasher: inout Hasher) {
    hasher.combine(subject)
    hasher.combine(role)
    hasher.combine(scope)
    hasher.combine(service)
  }

  /// Fails unless the current call comes from `service`.
  public static func require(_ service: ServiceIdentity, for action: String) throws(DomainError) {
    guard current.service == service else {
      throw DomainError.permissionDenied(
        reason: "\(action) may only be called by the \(service.rawValue) service, not by \(current)")
    }
  }
}
