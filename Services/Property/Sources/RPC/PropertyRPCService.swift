import GRPCCore
import GovernanceAPI
import ServiceKit

/// `governance.property.v1.PropertyService` over gRPC.
///
/// Registers the methods served so far; the others answer UNIMPLEMENTED until they are built.
public struct PropertyRPCService: RegistrableRPCService {
  typealias Method = Governance_Property_V1_PropertyService.Method

  private let store: PropertyStore

  public init(store: PropertyStore) {
    self.store = store
  }

  public func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
    router.registerUnary(Method.CreateCompound.descriptor) {
      (request: Governance_Property_V1_CreateCompoundRequest, _) in
      try await store.createCompound(request, by: Principal.current)
    }
    router.registerUnary(Method.GetCompound.descriptor) { (request: Governance_Property_V1_GetCompoundRequest, _) in
      let id = try FieldValidation.requiredID(request.id, field: "id")
      return try await store.compound(id: id).orNotFound("compound", id: id)
    }
  }
}
