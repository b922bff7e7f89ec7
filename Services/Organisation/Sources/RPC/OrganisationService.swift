import GRPCCore
import GovernanceAPI
import ServiceKit

/// `governance.organisation.v1.OrganisationService` (组织体系): party organisations and members,
/// governance bodies, joint work, pairings, and the coverage figures read with the property and
/// grid services.
///
/// One method per RPC, grouped by resource in `OrganisationService+<Resource>.swift`; the rules
/// live in Domain/, the transactions in Store/, errors become status codes in ServiceKit.
public struct OrganisationService<PropertyTransport: ClientTransport, GridTransport: ClientTransport>:
  Governance_Organisation_V1_OrganisationService.SimpleServiceProtocol
{
  let store: OrganisationStore
  /// The compounds and property statistics of the property service.
  let property: PropertyDirectory<PropertyTransport>
  /// The grid codes of the grid service.
  let grid: GridDirectory<GridTransport>

  public init(
    store: OrganisationStore, property: PropertyDirectory<PropertyTransport>, grid: GridDirectory<GridTransport>
  ) {
    self.store = store
    self.property = property
    self.grid = grid
  }
}
