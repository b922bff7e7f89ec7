import Foundation
import GRPCCore
import GovernanceAPI
import ServiceKit

/// Use cases across services: branch plans and party-building coverage, read with the property and grid services.
extension OrganisationService {
  /// Party-organisation coverage for a division prefix (compounds, property companies under the 25-staff rule,
  /// grids, red butlers). Read-only.
  ///
  /// Compounds (their ids and communities) and basic grid codes are listed by their services,
  /// companies and buildings counted by the property service (again per child division when
  /// children are asked for, those calls side by side), the party side counted here in one pass
  /// for the whole and every child.
  public func getCoverage(request: Governance_Organisation_V1_GetCoverageRequest, context: ServerContext) async throws
    -> Governance_Organisation_V1_GetCoverageResponse
  {
    var check = RecordFilter()
    let prefix = try check.divisionPrefix(request.divisionPrefix)
    let childLength = request.includeChildren ? Coverage.childPrefixLength(after: prefix.utf8.count) : nil
    async let compounds = property.compoundDivisions(under: prefix)
    async let gridCodes = grid.basicGridCodes(under: prefix)
    async let statistics = property.statistics(under: prefix)
    let facts = try await store.partyFacts(under: prefix, childLength: childLength)
    let (allCompounds, allGridCodes) = try await (compounds, gridCodes)
    var response = Governance_Organisation_V1_GetCoverageResponse.with {
      $0.divisionPrefix = prefix
      $0.computedTime = .init(date: .now)
    }
    response.figures = Coverage.figures(
      compounds: allCompounds, gridCodes: allGridCodes, property: try await statistics, party: facts.whole)
    guard let childLength else { return response }
    let children = Set(
      (allCompounds.map(\.divisionCode) + allGridCodes).filter { $0.utf8.count >= childLength }
        .map { String($0.prefix(childLength)) })
    // The children's property statistics side by side, at most 8 calls at once: under a
    // community the children are its grids, dozens of them.
    let childStatistics = try await withThrowingTaskGroup(
      of: (String, Governance_Property_V1_GetPropertyStatisticsResponse).self
    ) { group in
      var pending = children.sorted().makeIterator()
      var answers: [String: Governance_Property_V1_GetPropertyStatisticsResponse] = [:]
      for _ in 0..<8 {
        guard let child = pending.next() else { break }
        group.addTask { (child, try await self.property.statistics(under: child)) }
      }
      while let (child, answer) = try await group.next() {
        answers[child] = answer
        if let next = pending.next() { group.addTask { (next, try await self.property.statistics(under: next)) } }
      }
      return answers
    }
    let compoundsByChild = Dictionary(grouping: allCompounds) { String($0.divisionCode.prefix(childLength)) }
    let gridCodesByChild = Dictionary(grouping: allGridCodes) { String($0.prefix(childLength)) }
    for child in children.sorted() {
      let figures = Coverage.figures(
        compounds: compoundsByChild[child] ?? [], gridCodes: gridCodesByChild[child] ?? [],
        property: childStatistics[child] ?? .init(), party: facts.children[child] ?? Coverage.PartyFacts())
      response.children.append(
        .with {
          $0.divisionCode = child.utf8.count < 12 ? child + String(repeating: "0", count: 12 - child.utf8.count) : child
          $0.figures = figures
        })
    }
    return response
  }

  /// For each compound of a community or street (read from the property service): the formal members living there
  /// and the kind of branch the formation rule asks for. Read-only.
  ///
  /// Reads the compounds from the property service, counts their members here in one query, and
  /// applies the formation rule (`BranchFormation`).
  public func proposeBranchPlan(request: Governance_Organisation_V1_ProposeBranchPlanRequest, context: ServerContext)
    async throws -> Governance_Organisation_V1_ProposeBranchPlanResponse
  {
    let division = try BranchFormation.planDivision(request.divisionCode)
    let compounds = try await property.compounds(under: division.prefix)
    let counts = try await store.memberCounts(compounds: compounds.map(\.id))
    let proposals = BranchFormation.propose(
      compounds.map {
        .init(compound: $0, formal: counts.formal[$0.id] ?? 0, probationary: counts.probationary[$0.id] ?? 0)
      })
    let existing = try await store.branchesByCompound(under: division.prefix)
    return .with {
      $0.divisionCode = division.code
      $0.proposals = BranchFormation.compare(proposals, with: existing)
    }

  }
}
