import GRPCCore
import GovernanceAPI
import ServiceKit

/// `governance.organisation.v1.OrganisationService` over gRPC: protobuf in, protobuf out, domain
/// errors mapped to status codes by ServiceKit.
///
/// Registers the methods served so far; the others answer UNIMPLEMENTED until they are built.
public struct OrganisationRPCService: RegistrableRPCService {
  typealias Method = Governance_Organisation_V1_OrganisationService.Method

  private let store: OrganisationStore

  public init(store: OrganisationStore) {
    self.store = store
  }

  public func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
    router.registerUnary(Method.CreateOrganisation.descriptor) {
      (request: Governance_Organisation_V1_CreateOrganisationRequest, _) in
      try await store.createOrganisation(request, by: Principal.current)
    }
    router.registerUnary(Method.GetOrganisation.descriptor) {
      (request: Governance_Organisation_V1_GetOrganisationRequest, _) in
      let id = try FieldValidation.requiredID(request.id, field: "id")
      return try await store.organisation(id: id).orNotFound("organisation", id: id)
    }
  }
}
