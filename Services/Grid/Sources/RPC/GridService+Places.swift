import Foundation
import GRPCCore
import GovernanceAPI
import ServiceKit

/// Places: boundaries of divisions and grids, and which grid a point lies in.
extension GridService {
  /// Sets the boundaries of divisions and grids under one division from a GeoJSON FeatureCollection, all or none.
  public func importBoundaries(request: Governance_Grid_V1_ImportBoundariesRequest, context: ServerContext)
    async throws -> Governance_Grid_V1_ImportBoundariesResponse
  {
    try await store.importBoundaries(request, by: Principal.current)
  }

  /// The grid whose boundary holds a point, or, outside every grid, the community whose boundary is nearest.
  public func locatePoint(request: Governance_Grid_V1_LocatePointRequest, context: ServerContext) async throws
    -> Governance_Grid_V1_LocatePointResponse
  {
    guard request.hasPoint else { throw DomainError.invalidArgument(field: "point", rule: "is required") }
    let placement = try await store.locate(request.point)
    return .with {
      $0.gridCode = placement.gridCode
      $0.divisionCode = placement.divisionCode
      $0.outsideGrids = placement.outsideGrids
      $0.distanceMeters = placement.distanceMeters
    }
  }
}
