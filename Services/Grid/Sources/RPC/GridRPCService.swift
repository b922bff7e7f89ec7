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
    router.registerUnary(Method.CreateGrid.descriptor) { (request: Governance_Grid_V1_CreateGridRequest, _) in
      try await store.createGrid(request, by: Principal.current)
    }
    router.registerUnary(Method.GetGrid.descriptor) { (request: Governance_Grid_V1_GetGridRequest, _) in
      switch request.key {
      case .id(let id):
        let id = try FieldValidation.requiredID(id, field: "id")
        return try await store.grid(id: id).orNotFound("grid", id: id)
      case .gridCode(let code):
        let code = try DivisionCode(code, field: "grid_code")
        return try await store.grid(code: code.code).orNotFound("grid", id: code.code)
      case nil:
        throw DomainError.invalidArgument(field: "key", rule: "one of id or grid_code is required")
      }
    }
    router.registerUnary(Method.ListGrids.descriptor) { (request: Governance_Grid_V1_ListGridsRequest, _) in
      try await store.listGrids(request)
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
