import GRPCCore
import GRPCNIOTransportHTTP2
import ServiceKit

/// Where the services are and the key that signs the operator's calls to them.
struct SeedConnections: Sendable {
  let addresses: [ServiceIdentity: NetworkAddress]
  let authority: TokenAuthority

  func connect<Result: Sendable>(
    _ identity: ServiceIdentity, _ body: @Sendable (CitySeed.Client) async throws -> Result
  ) async throws -> Result {
    guard let address = addresses[identity] else {
      throw SeedError(description: "no address for the \(identity.rawValue) service")
    }
    return try await OperatorClient.connect(to: address, authority: authority, body)
  }
}

/// Why a seed stopped: a scale its codes or name lists cannot hold, or the call that failed.
struct SeedError: Error, CustomStringConvertible {
  let description: String
}

/// How big a seeded city is.
struct CityScale: Sendable {
  var districts: Int
  var streets: Int
  var communities: Int
  var compounds: Int
  var propertyCompanies: Int
  var contractedCompounds: Int
  var grids: Int
  var gridWorkers: Int
  var partyBranches: Int
  var partyMembers: Int
  var volunteerTeams: Int
  var volunteers: Int
  /// At most this many; the monthly panels share them equally.
  var scoreSubmissions: Int

  /// A city of Nanjing's order.
  static let city = CityScale(
    districts: 10, streets: 101, communities: 589, compounds: 3_800, propertyCompanies: 2_900,
    contractedCompounds: 754, grids: 18_100, gridWorkers: 39_300, partyBranches: 1_583, partyMembers: 57_200,
    volunteerTeams: 278, volunteers: 6_000, scoreSubmissions: 40_000)

  /// The same city in miniature: one district, for tests of the generator and quick trials.
  static let town = CityScale(
    districts: 1, streets: 3, communities: 10, compounds: 60, propertyCompanies: 40, contractedCompounds: 12,
    grids: 200, gridWorkers: 400, partyBranches: 30, partyMembers: 600, volunteerTeams: 6, volunteers: 100,
    scoreSubmissions: 400)
}
