import Foundation
import GRPCCore
import GovernanceAPI
import ServiceKit

/// Divisions (行政区划) and the grids (网格) under them.
extension GridService {
  /// Registers a district, street or community by its 12-digit statistical code. The code must be 12 digits and its
  /// parent's code (the code with the lower levels zeroed) must already exist.
  public func createDivision(request: Governance_Grid_V1_CreateDivisionRequest, context: ServerContext) async throws
    -> Governance_Grid_V1_Division
  {
    try await store.createDivision(request, by: Principal.current)
  }

  /// Creates a grid under a community, or a micro-grid under a grid; its code extends the parent's.
  public func createGrid(request: Governance_Grid_V1_CreateGridRequest, context: ServerContext) async throws
    -> Governance_Grid_V1_Grid
  {
    try await store.createGrid(request, by: Principal.current)
  }

  /// One grid by id or by its 15-digit grid code; NOT_FOUND when there is none.
  public func getGrid(request: Governance_Grid_V1_GetGridRequest, context: ServerContext) async throws
    -> Governance_Grid_V1_Grid
  {
    switch request.key {
    case .id(let id):
      let id = try FieldValidation.requiredID(id, field: "id")
      return try await store.grid(id: id).orNotFound(id: id)
    case .gridCode(let code):
      let code = try DivisionCode(code, field: "grid_code")
      return try await store.grid(code: code.code).orNotFound(id: code.code)
    case nil:
      throw DomainError.invalidArgument(field: "key", rule: "one of id or grid_code is required")
    }
  }

  /// The codes of the grids under a division prefix, in code order, up to 20,000 to a page: for a peer that counts
  /// or joins grids by code (party-organisation coverage of a whole city) and needs nothing else of them.
  public func listGridCodes(request: Governance_Grid_V1_ListGridCodesRequest, context: ServerContext) async throws
    -> Governance_Grid_V1_ListGridCodesResponse
  {
    try await store.listGridCodes(request)
  }

  /// A page of grids matching the request's filters, held to the caller's jurisdiction, with the next page's token.
  public func listGrids(request: Governance_Grid_V1_ListGridsRequest, context: ServerContext) async throws
    -> Governance_Grid_V1_ListGridsResponse
  {
    try await store.listGrids(request)
  }

  /// A page of divisions matching the request's filters, held to the caller's jurisdiction, with the next page's token.
  public func listDivisions(request: Governance_Grid_V1_ListDivisionsRequest, context: ServerContext) async throws
    -> Governance_Grid_V1_ListDivisionsResponse
  {
    try await store.listDivisions(request)
  }

  /// Changes a division's name; the code and level never change.
  public func updateDivision(request: Governance_Grid_V1_UpdateDivisionRequest, context: ServerContext) async throws
    -> Governance_Grid_V1_Division
  {
    try await store.updateDivision(request, by: Principal.current)
  }

  /// Changes name, kind, compounds covered, grid branch or active flag.
  public func updateGrid(request: Governance_Grid_V1_UpdateGridRequest, context: ServerContext) async throws
    -> Governance_Grid_V1_Grid
  {
    try await store.updateGrid(request, by: Principal.current)
  }

  /// One division by id or by its division code; NOT_FOUND when there is none.
  public func getDivision(request: Governance_Grid_V1_GetDivisionRequest, context: ServerContext) async throws
    -> Governance_Grid_V1_Division
  {
    switch request.key {
    case .id(let id):
      let id = try FieldValidation.requiredID(id, field: "id")
      return try await store.division(id: id).orNotFound(id: id)
    case .divisionCode(let code):
      let code = try DivisionCode(code, field: "division_code")
      return try await store.division(code: code.code).orNotFound(id: code.code)
    case nil:
      throw DomainError.invalidArgument(field: "key", rule: "one of id or division_code is required")
    }
  }
}

extension GridService {
  /// Takes a register of divisions (区划台账) with their boundaries, at most 500 rows a call: each row matched by its
  /// code, created or renamed by CreateDivision's and UpdateDivision's rules, its boundary checked as ImportBoundaries
  /// checks it; one result per row, a row that breaks a rule FAILED while the others go in.
  public func importDivisions(request: Governance_Grid_V1_ImportDivisionsRequest, context: ServerContext) async throws
    -> Governance_Common_V1_ImportResponse
  {
    try await store.importDivisions(request, by: Principal.current)
  }
}
