import GRPCCore
import GRPCInProcessTransport
import GovernanceAPI
import Grid
import Logging
import Organisation
import Property
import ServiceKit
import ServiceKitTesting

/// An organisation service whose property and grid peers are the real services, each on its own
/// in-process transport and in-memory database. `body` gets clients of all three.
func withOrganisationService<Result: Sendable>(
  _ body:
    @Sendable (
      Governance_Organisation_V1_OrganisationService.Client<InProcessTransport.Client>,
      Governance_Property_V1_PropertyService.Client<InProcessTransport.Client>,
      Governance_Grid_V1_GridService.Client<InProcessTransport.Client>
    ) async throws -> Result
) async throws -> Result {
  let propertyStore = PropertyStore(
    writer: try GovernanceDatabase.makeEmptyTestDatabase(migrator: PropertyStore.migrator))
  let organisationStore = OrganisationStore(
    writer: try GovernanceDatabase.makeEmptyTestDatabase(migrator: OrganisationStore.migrator), vault: .ephemeral())
  let gridStore = GridStore(
    writer: try GovernanceDatabase.makeEmptyTestDatabase(migrator: GridStore.migrator), vault: .ephemeral())
  return try await withTestServer([PropertyService(store: propertyStore)], caller: .organisation) { propertyClient in
    try await withTestServer([GridService(store: gridStore).routes], caller: .organisation) { gridClient in
      let organisation = OrganisationService(
        store: organisationStore, property: PropertyDirectory(client: propertyClient),
        grid: GridDirectory(client: gridClient))
      return try await withTestServer([organisation]) { client in
        // The test writes its fixtures in the peers as staff would; the service under test
        // calls them as itself.
        try await asTestAdministrator {
          try await body(
            Governance_Organisation_V1_OrganisationService.Client(wrapping: client),
            Governance_Property_V1_PropertyService.Client(wrapping: propertyClient),
            Governance_Grid_V1_GridService.Client(wrapping: gridClient))
        }
      }
    }
  }
}
