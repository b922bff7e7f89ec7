import Foundation
import ServiceKit

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The rules a webhook's URL, kinds and division prefix keep.
public enum WebhookTarget {
  /// The event kinds the services produce (outbox.proto); a subscription names some of them, a
  /// `resource.*` family or `*`.
  public static let kinds = [
    "case.reported", "case.accepted", "case.assigned", "case.started", "case.resolved", "case.evaluated",
    "case.closed", "case.rejected", "case.reopened", "case.escalated", "case.transferred", "case.reassigned",
    "case.acknowledged", "case.noted", "case.duplicate_intake", "case.deadline_approaching", "case.overdue",
    "digest.daily", "micro_wish.created", "rectification.deadline_approaching", "rectification.overdue",
    "list.published", "conference.gap",
  ]

  /// The rule "a subscription names known kinds": each a kind, `resource.*` of a known resource,
  /// or `*`; 1 to 30 of them.
  /// - Throws: INVALID_ARGUMENT naming `kinds`.
  public static func checkKinds(_ requested: [String]) throws(DomainError) -> [String] {
    guard (1...30).contains(requested.count) else {
      throw DomainError.invalidArgument(field: "kinds", rule: "1 to 30 event kinds, e.g. [\"case.*\"]")
    }
    for kind in requested {
      let known =
        kind == "*" || kinds.contains(kind)
        || (kind.hasSuffix(".*") && kinds.contains { $0.hasPrefix(kind.dropLast()) })
      guard known else {
        throw DomainError.invalidArgument(
          field: "kinds", rule: "'\(kind)' is not an event kind; known: \(kinds.joined(separator: ", ")), or *")
      }
    }
    return requested
  }

  /// The rule "a webhook goes to a public HTTPS address": an absolute `https` URL of at most
  /// 2,000 characters whose host is a name or a public address. Loopback, private and link-local
  /// hosts (and plain `http`) would let a subscriber make the gateway call the platform's own
  /// services; they are allowed only with `allowPrivate` (`GOVERNANCE_WEBHOOK_ALLOW_PRIVATE=1`,
  /// for tests and a city's internal network).
  /// - Throws: INVALID_ARGUMENT naming `field`.
  public static func check(_ url: String, field: String, allowPrivate: Bool) throws(DomainError) -> String {
    guard url.utf8.count <= 2000, let parsed = URLComponents(string: url), let scheme = parsed.scheme?.lowercased(),
      let host = parsed.host?.lowercased(), !host.isEmpty, parsed.user == nil, parsed.password == nil
    else {
      throw DomainError.invalidArgument(field: field, rule: "an absolute URL such as https://example.cn/hooks")
    }
    if allowPrivate {
      guard scheme == "https" || scheme == "http" else {
        throw DomainError.invalidArgument(field: field, rule: "an http or https URL")
      }
      return url
    }
    guard scheme == "https" else {
      throw DomainError.invalidArgument(field: field, rule: "an https URL: deliveries are signed, not secret")
    }
    guard !isPrivate(host) else {
      throw DomainError.invalidArgument(
        field: field, rule: "a public host: \(host) is loopback, private or link-local")
    }
    return url
  }

  /// Loopback, private (RFC 1918, RFC 4193), link-local, unspecified and `localhost` hosts, in
  /// every spelling the resolver reads as that address: `127.1`, `2130706433`, `0x7f000001` and
  /// `0177.0.0.1` are 127.0.0.1 to `getaddrinfo` (inet_aton's forms), `[::ffff:127.0.0.1]` and
  /// `[0:0:0:0:0:0:0:1]` are loopback too, and `localhost.` is `localhost`. (A public name that
  /// resolves to a private address is not caught here.)
  static func isPrivate(_ host: String) -> Bool {
    var bare = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")).lowercased()
    if let zone = bare.firstIndex(of: "%") { bare = String(bare[..<zone]) }
    while bare.hasSuffix(".") { bare.removeLast() }
    if bare.isEmpty || bare == "localhost" || bare.hasSuffix(".localhost") { return true }
    if bare.contains(":") {
      var address = in6_addr()
      // Not an IPv6 address either: nothing to connect to, refused.
      guard inet_pton(AF_INET6, bare, &address) == 1 else { return true }
      let bytes = withUnsafeBytes(of: &address) { Array($0) }
      let embedded = UInt32(bytes[12]) << 24 | UInt32(bytes[13]) << 16 | UInt32(bytes[14]) << 8 | UInt32(bytes[15])
      // ::/96 (::, ::1, IPv4-compatible), ::ffff:0:0/96 (IPv4-mapped), 64:ff9b::/96 (NAT64).
      if bytes[0..<12].allSatisfy({ $0 == 0 })
        || (bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xff
          && bytes[11] == 0xff)
        || (bytes[0..<4] == [0, 0x64, 0xff, 0x9b] && bytes[4..<12].allSatisfy({ $0 == 0 }))
      {
        return isPrivate(ipv4: embedded)
      }
      // 2002::/16 (6to4) carries an IPv4 address in its next four bytes.
      if bytes[0] == 0x20 && bytes[1] == 0x02 {
        return isPrivate(
          ipv4: UInt32(bytes[2]) << 24 | UInt32(bytes[3]) << 16 | UInt32(bytes[4]) << 8 | UInt32(bytes[5]))
      }
      // fc00::/7 unique local, fe80::/10 link-local, fec0::/10 site-local, ff00::/8 multicast.
      return bytes[0] & 0xfe == 0xfc || bytes[0] == 0xfe || bytes[0] == 0xff
    }
    var address = in_addr()
    guard inet_aton(bare, &address) != 0 else { return false }  // a name
    return isPrivate(ipv4: UInt32(bigEndian: address.s_addr))
  }

  static func isPrivate(ipv4 address: UInt32) -> Bool {
    let (a, b) = (address >> 24, (address >> 16) & 0xff)
    switch (a, b) {
    case (127, _), (10, _), (0, _), (169, 254), (192, 168): return true
    case (172, 16...31), (100, 64...127), (198, 18...19): return true
    // Multicast and reserved (224.0.0.0/4, 240.0.0.0/4).
    case (224...255, _): return true
    default: return false
    }
  }

  /// Whether a name resolves to a loopback, private or link-local address: checked before every
  /// attempt, since a public name (`127.0.0.1.nip.io`) may point anywhere, and where it points
  /// may change after the subscription was checked. Unresolvable names are not private (the
  /// attempt then fails to connect).
  static func resolvesPrivate(_ host: String) -> Bool {
    let bare = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
    if isPrivate(bare) { return true }
    var hints = addrinfo()
    hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
    var results: UnsafeMutablePointer<addrinfo>?
    guard getaddrinfo(bare, nil, &hints, &results) == 0, let first = results else { return false }
    defer { freeaddrinfo(first) }
    var cursor: UnsafeMutablePointer<addrinfo>? = first
    while let entry = cursor {
      var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
      if let address = entry.pointee.ai_addr {
        if entry.pointee.ai_family == AF_INET {
          var ipv4 = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr }
          inet_ntop(AF_INET, &ipv4, &text, socklen_t(text.count))
        } else if entry.pointee.ai_family == AF_INET6 {
          var ipv6 = address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee.sin6_addr }
          inet_ntop(AF_INET6, &ipv6, &text, socklen_t(text.count))
        }
      }
      let resolved = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
      if !resolved.isEmpty && isPrivate(resolved) { return true }
      cursor = entry.pointee.ai_next
    }
    return false
  }
}
