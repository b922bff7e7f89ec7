import GRPCCore
import GovernanceAPI
import ServiceKit

/// Each volunteer's call-outs, pushed on WatchMobilisations.
public typealias MobilisationHub = StreamHub<Governance_Volunteers_V1_Mobilisation>

/// `governance.volunteers.v1.VolunteersService` (志愿服务): teams, volunteers, service posts and
/// projects, micro-wishes, service records and hours, and call-outs.
///
/// One method per RPC, grouped by resource in `VolunteersService+<Resource>.swift`; the rules
/// live in Domain/, the transactions in Store/, errors become status codes in ServiceKit.
public struct VolunteersService<PeerTransport: ClientTransport>:
  Governance_Volunteers_V1_VolunteersService.SimpleServiceProtocol
{
  let store: VolunteersStore
  /// The organisation and grid services: a volunteer who is a party member, the case a team is called out to,
  /// the grids of a leaderboard.
  let peers: VolunteerPeers<PeerTransport>
  let hub: MobilisationHub

  public init(store: VolunteersStore, peers: VolunteerPeers<PeerTransport>, hub: MobilisationHub = MobilisationHub()) {
    self.store = store
    self.peers = peers
    self.hub = hub
  }

  /// Pushes a call-out, or its change, to every member it was sent to.
  func publish(_ mobilisation: Governance_Volunteers_V1_Mobilisation) {
    for volunteer in mobilisation.notifiedVolunteerIds { hub.publish(mobilisation, to: volunteer) }
  }
}
