import GRPCCore
import GovernanceAPI
import ServiceKit

/// `governance.evaluation.v1.EvaluationService` over gRPC.
///
/// Registers the methods served so far; the others answer UNIMPLEMENTED until they are built.
public struct EvaluationRPCService: RegistrableRPCService {
  typealias Method = Governance_Evaluation_V1_EvaluationService.Method

  private let store: EvaluationStore

  public init(store: EvaluationStore) {
    self.store = store
  }

  public func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
    router.registerUnary(Method.CreateScoringItem.descriptor) {
      (request: Governance_Evaluation_V1_CreateScoringItemRequest, _) in
      try await store.createScoringItem(request, by: Principal.current)
    }
    router.registerUnary(Method.GetScoringItem.descriptor) {
      (request: Governance_Evaluation_V1_GetScoringItemRequest, _) in
      let id = try FieldValidation.requiredID(request.id, field: "id")
      return try await store.scoringItem(id: id).orNotFound("scoring item", id: id)
    }
  }
}
