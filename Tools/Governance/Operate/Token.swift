import ArgumentParser
import Foundation
import ServiceKit

/// `governance token`: an access token for calling a domain service over gRPC directly (grpcurl,
/// Postman, a script), signed with the system's token key as every process's tokens are. The
/// gateway takes API keys instead (`governance apikey create`).
struct TokenCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "token",
    abstract: "Print an access token for calling the services over gRPC (authorization: Bearer <token>).")

  @Option(help: "Directory holding the system's data (its token.key), as given to governance up.")
  var data = "./data"
  @Option(help: "Who the token stands for, recorded in the services' audit fields as user:NAME.")
  var name: String
  @Option(help: "The role, e.g. city_admin, district, street, community, grid_worker, auditor.")
  var role: String
  @Option(help: "The division-code prefix the token is held to, e.g. 3201 (empty: everything).")
  var scope = ""
  @Option(help: "Seconds the token is valid, 1 to 86400.")
  var lifetime = 3600

  /// The longest lifetime a printed token may have: a day.
  static let longestLifetime = 86_400

  func run() async throws {
    guard let role = Role(rawValue: role) else {
      throw ValidationError("--role must be one of \(Role.allCases.map(\.rawValue).joined(separator: ", "))")
    }
    guard (1...Self.longestLifetime).contains(lifetime) else {
      throw ValidationError("--lifetime must be 1 to \(Self.longestLifetime) seconds, not \(lifetime)")
    }
    guard !name.isEmpty, name.count <= 100, name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
      throw ValidationError("--name must be 1 to 100 letters, digits, '-', '_' or '.'")
    }
    guard scope.allSatisfy(\.isASCII), scope.allSatisfy(\.isNumber), scope.count <= 12 else {
      throw ValidationError("--scope must be a division-code prefix of at most 12 digits, e.g. 3201")
    }
    // Loading makes a key where there is none; a token signed with a new key is refused everywhere.
    let environment = ProcessInfo.processInfo.environment
    guard environment["GOVERNANCE_TOKEN_KEY"] != nil || FileManager.default.fileExists(atPath: "\(data)/token.key")
    else {
      throw ValidationError("--data \(data) holds no token.key: give the data directory governance up was given")
    }
    let authority = try TokenAuthority.load(dataDirectory: data, environment: environment)
    print(
      try await authority.mint(
        for: Principal(subject: "user:\(name)", role: role, scope: scope), lifetime: TimeInterval(lifetime)))
  }
}
