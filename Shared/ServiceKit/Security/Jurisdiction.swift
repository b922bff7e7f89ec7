/// Jurisdiction (辖区): each person or system is held to a division-code prefix. A record lies
/// within it when its division code starts with the prefix. Records of the divisions above it
/// (a district's scoring items, a city-wide policy) are readable as context, never writable.
public enum Jurisdiction {
  /// The rule "a record within the scope is in jurisdiction": whether `code` lies within `scope`.
  public static func contains(scope: String, code: String) -> Bool {
    scope.isEmpty || code.hasPrefix(scope)
  }

  /// The 12-digit codes of the divisions above and at `scope` (the province, city, district,
  /// street whose significant digits the scope starts with).
  public static func ancestors(of scope: String) -> [String] {
    [2, 4, 6, 9, 12].filter { $0 <= scope.utf8.count }.map { digits in
      String(scope.prefix(digits)) + String(repeating: "0", count: 12 - digits)
    }
  }

  /// The rule "a record is readable within the scope or above it": whether `code` may be read.
  public static func readable(scope: String, code: String) -> Bool {
    contains(scope: scope, code: code) || code.isEmpty || ancestors(of: scope).contains(code)
  }

  /// PERMISSION_DENIED unless `code` lies within the principal's scope (a write).
  public static func checkWritable(_ code: String, by principal: Principal) throws(DomainError) {
    guard contains(scope: principal.scope, code: code) else {
      throw DomainError.permissionDenied(
        reason: "division \(code) is outside the jurisdiction \(principal.scope) of \(principal)")
    }
  }

  /// PERMISSION_DENIED unless `code` may be read by the principal.
  public static func checkReadable(_ code: String, by principal: Principal) throws(DomainError) {
    guard readable(scope: principal.scope, code: code) else {
      throw DomainError.permissionDenied(
        reason: "division \(code) is outside the jurisdiction \(principal.scope) of \(principal)")
    }
  }

  /// The prefix a query asked for, held to the principal's scope: no prefix means the whole
  /// scope, a wider one is narrowed to it, one elsewhere is PERMISSION_DENIED.
  public static func narrow(_ prefix: String, for principal: Principal) throws(DomainError) -> String {
    let scope = principal.scope
    if scope.isEmpty || prefix.hasPrefix(scope) { return prefix }
    if scope.hasPrefix(prefix) { return scope }
    throw DomainError.permissionDenied(
      reason: "division prefix \(prefix) is outside the jurisdiction \(scope) of \(principal)")
  }
}

extension Jurisdiction {
  /// Whether reading a person's own records (their assignment or call-out stream) needs the
  /// person's record: not for a service identity or a city administrator over the whole city.
  public static func personalReadNeedsRecord(by principal: Principal) -> Bool {
    principal.service == nil && !(principal.role == .cityAdministrator && principal.scope.isEmpty)
  }

  /// The rule "a person's own stream and records are read by that person, or by staff whose
  /// jurisdiction holds them": a grid worker, volunteer or resident reads only the record whose
  /// `ownerPrincipal` (the gateway principal recorded on it) is theirs; city, district, street and
  /// community staff read those in their jurisdiction; other roles none.
  /// - Throws: `DomainError.permissionDenied` naming the caller and the record.
  public static func checkPersonal(
    ownerPrincipal: String, divisionCode: String, record: String, by principal: Principal
  ) throws(DomainError) {
    if principal.service != nil { return }
    switch principal.role {
    case .cityAdministrator, .district, .street, .community:
      guard contains(scope: principal.scope, code: divisionCode) else {
        throw DomainError.permissionDenied(
          reason: "\(record) lies outside \(principal.subject)'s jurisdiction \(principal.scope)")
      }
    default:
      guard !ownerPrincipal.isEmpty, ownerPrincipal == principal.subject else {
        throw DomainError.permissionDenied(
          reason: "\(record) belongs to another person; \(principal.subject) reads only their own")
      }
    }
  }
}

extension Jurisdiction {
  /// The rule "only staff bind a person's record to a sign-in principal": the `principal_id` on a
  /// grid worker or volunteer decides whose streams and acts are theirs, so a grid worker setting
  /// it (on their own record or another's) could take over someone else's. City, district,
  /// street and community staff and service identities may set it.
  /// - Throws: `DomainError.permissionDenied` naming `field`.
  public static func checkMayBindPrincipal(field: String, by principal: Principal) throws(DomainError) {
    if principal.service != nil { return }
    switch principal.role {
    case .cityAdministrator, .district, .street, .community: return
    default:
      throw DomainError.permissionDenied(
        reason: "\(field) binds a record to a sign-in; only community, street, district or city staff set it")
    }
  }
}
