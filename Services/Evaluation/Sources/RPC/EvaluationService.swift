import GRPCCore
import GovernanceAPI
import ServiceKit

/// `governance.evaluation.v1.EvaluationService` (物业服务考评): scoring items, periods and panels,
/// the scores and surveys that go in, composite scores and the published red and black lists.
///
/// One method per RPC, grouped in `EvaluationService+<Setup|Inputs|Outcomes>.swift`; the rules
/// live in Domain/, the transactions in Store/, errors become status codes in ServiceKit.
public struct EvaluationService<PeerTransport: ClientTransport>:
  Governance_Evaluation_V1_EvaluationService.SimpleServiceProtocol
{
  let store: EvaluationStore
  /// The property, grid and organisation services the outcomes read.
  let peers: EvaluationPeers<PeerTransport>
  let publisher: ListPublisher<PeerTransport>

  public init(store: EvaluationStore, peers: EvaluationPeers<PeerTransport>) {
    self.store = store
    self.peers = peers
    self.publisher = ListPublisher(store: store, peers: peers)
  }
}
