import ArgumentParser
import ServiceKit

/// Where the processes of a running system listen: their default ports moved by the offset
/// `governance up --port-offset` was given, or addresses named one by one.
struct SystemAddresses: ParsableArguments {
  @Option(help: "Host the processes listen on.")
  var host = "127.0.0.1"

  @Option(help: "The offset `governance up --port-offset` was given.")
  var portOffset = 0

  @Option(name: .customLong("address"), help: "NAME=HOST:PORT of one process, overriding its default (repeatable).")
  var addresses: [String] = []

  func address(of identity: ServiceIdentity) throws -> NetworkAddress {
    for entry in addresses {
      let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
      guard parts.count == 2, let named = ServiceIdentity(rawValue: parts[0]) else {
        throw ValidationError("--address must be NAME=HOST:PORT with NAME one of the six processes, not '\(entry)'")
      }
      if named == identity { return try NetworkAddress.parse(parts[1], setting: "--address") }
    }
    return NetworkAddress(host: host, port: identity.defaultPort + portOffset)
  }

  func addresses(of identities: [ServiceIdentity]) throws -> [ServiceIdentity: NetworkAddress] {
    var addresses: [ServiceIdentity: NetworkAddress] = [:]
    for identity in identities { addresses[identity] = try address(of: identity) }
    return addresses
  }
}
