import GRPCCore
import GRPCInProcessTransport
import GovernanceAPI
import Grid
import Organisation
import Property
import ServiceKit
import ServiceKitTesting

@testable import Volunteers

typealias VolunteersClient = Governance_Volunteers_V1_VolunteersService.Client<InProcessTransport.Client>
typealias OrganisationClient = Governance_Organisation_V1_OrganisationService.Client<InProcessTransport.Client>
typealias GridClient = Governance_Grid_V1_GridService.Client<InProcessTransport.Client>

/// A volunteers service whose organisation and grid peers are the real services on in-process
/// transports and in-memory databases (the organisation service with its own real peers).
func withVolunteersService<Result: Sendable>(
  as principal: Principal = .testAdministrator,
  _ body: @Sendable (VolunteersClient, OrganisationClient, GridClient, VolunteersStore) async throws -> Result
) async throws -> Result {
  let propertyStore = PropertyStore(
    writer: try GovernanceDatabase.makeEmptyTestDatabase(migrator: PropertyStore.migrator))
  let organisationStore = OrganisationStore(
    writer: try GovernanceDatabase.makeEmptyTestDatabase(migrator: OrganisationStore.migrator), vault: .ephemeral())
  let gridStore = GridStore(
    writer: try GovernanceDatabase.makeEmptyTestDatabase(migrator: GridStore.migrator), vault: .ephemeral())
  let store = VolunteersStore(
    writer: try GovernanceDatabase.makeEmptyTestDatabase(migrator: VolunteersStore.migrator), vault: .ephemeral())
  return try await withTestServer([PropertyService(store: propertyStore)], caller: .organisation) { property in
    try await withTestServer([GridService(store: gridStore).routes], caller: .volunteers) { grid in
      let organisationService = OrganisationService(
        store: organisationStore, property: PropertyDirectory(client: property), grid: GridDirectory(client: grid))
      return try await withTestServer([organisationService], caller: .volunteers) { organisation in
        let service = VolunteersService(store: store, peers: VolunteerPeers(organisation: organisation, grid: grid))
        return try await withTestServer([service], as: principal) { client in
          // The test writes its fixtures in the peers as staff would; the service under test
          // calls them as itself.
          try await asTestAdministrator {
            try await body(
              Governance_Volunteers_V1_VolunteersService.Client(wrapping: client),
              Governance_Organisation_V1_OrganisationService.Client(wrapping: organisation),
              Governance_Grid_V1_GridService.Client(wrapping: grid), store)
          }
        }
      }
    }
  }
}

enum Fixture {
  static let community = "320113005001"
  static let otherCommunity = "320113005002"

  static func volunteer(
    _ name: String, phone: String, community: String = Fixture.community,
    kind: Governance_Volunteers_V1_VolunteerKind = .resident,
    skills: [String] = []
  ) -> Governance_Volunteers_V1_CreateVolunteerRequest {
    .with {
      $0.volunteer.divisionCode = community
      $0.volunteer.contact = .with {
        $0.name = name
        $0.phone = phone
      }
      $0.volunteer.kind = kind
      $0.volunteer.skills = skills
    }
  }

  /// Registers `count` resident volunteers and returns their ids.
  static func volunteers(_ client: VolunteersClient, count: Int, community: String = Fixture.community) async throws
    -> [String]
  {
    var ids: [String] = []
    for index in 0..<count {
      ids.append(
        try await client.createVolunteer(
          volunteer("志愿者\(index)", phone: "1380000\(String(format: "%04d", index))", community: community)
        ).id)
    }
    return ids
  }
}
