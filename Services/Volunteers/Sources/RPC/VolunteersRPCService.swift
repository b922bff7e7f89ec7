import GRPCCore
import GovernanceAPI
import ServiceKit

/// `governance.volunteers.v1.VolunteersService` over gRPC.
///
/// Registers the methods served so far; the others answer UNIMPLEMENTED until they are built.
public struct VolunteersRPCService: RegistrableRPCService {
  typealias Method = Governance_Volunteers_V1_VolunteersService.Method

  private let store: VolunteersStore

  public init(store: VolunteersStore) {
    self.store = store
  }

  public func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
    router.registerUnary(Method.CreateTeam.descriptor) { (request: Governance_Volunteers_V1_CreateTeamRequest, _) in
      try await store.createTeam(request, by: Principal.current)
    }
    router.registerUnary(Method.GetTeam.descriptor) { (request: Governance_Volunteers_V1_GetTeamRequest, _) in
      let id = try FieldValidation.requiredID(request.id, field: "id")
      return try await store.team(id: id).orNotFound("team", id: id)
    }
  }
}
