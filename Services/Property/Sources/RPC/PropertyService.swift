import GRPCCore
import GovernanceAPI
import ServiceKit

/// `governance.property.v1.PropertyService` (物业管理): compounds, buildings and service centres,
/// property companies, contracts and joint acceptance.
///
/// One method per RPC, grouped by resource in `PropertyService+<Resource>.swift`; the rules live
/// in Domain/, the transactions in Store/, errors become status codes in ServiceKit.
public struct PropertyService: Governance_Property_V1_PropertyService.SimpleServiceProtocol {
  let store: PropertyStore

  public init(store: PropertyStore) {
    self.store = store
  }
}
