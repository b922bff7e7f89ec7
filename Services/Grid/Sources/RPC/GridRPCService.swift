import GRPCCore
import GovernanceAPI
import ServiceKit

/// `governance.grid.v1.GridService` over gRPC.
///
/// Registers the methods served so far; the others answer UNIMPLEMENTED until they are built.
public struct GridRPCService: RegistrableRPCService {
  typealias Method = Governance_Grid_V1_GridService.Method

  private let store: GridStore

  public init(store: GridStore) {
    self.store = store
  }

  public func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
    router.registerUnary(Method.CreateDivision.descriptor) { (request: Governance_Grid_V1_CreateDivisionRequest, _) in
      try await store.createDivision(request, by: Principal.current)
    }
    router.registerUnary(Method.GetDivision.descriptor) { (request: Governance_Grid_V1_GetDivisionRequest, _) in
      switch request.key {
      case .id(let id):
        let id = try FieldValidation.requiredID(id, field: "id")
        return try await store.division(id: id).orNotFound("division", id: id)
      case .divisionCode(let code):
        let code = try DivisionCode(code, field: "division_code")
        return try await store.division(code: code.code).orNotFound("division", id: code.code)
      case nil:
        throw DomainError.invalidArgument(field: "key", rule: "one of id or division_code is required")
      }
    }
  }
}
