import GRPCCore
import GovernanceAPI
import ServiceKit

/// What the volunteers service asks its peers: whether a party member exists (organisation) and
/// what state a grid case is in (grid). A peer that cannot answer is UNAVAILABLE naming it; a
/// record it does not know is FAILED_PRECONDITION naming the field that referred to it.
public struct VolunteerPeers<Transport: ClientTransport>: Sendable {
  private let organisation: Governance_Organisation_V1_OrganisationService.Client<Transport>
  private let grid: Governance_Grid_V1_GridService.Client<Transport>

  public init(organisation: GRPCClient<Transport>, grid: GRPCClient<Transport>) {
    self.organisation = Governance_Organisation_V1_OrganisationService.Client(wrapping: organisation)
    self.grid = Governance_Grid_V1_GridService.Client(wrapping: grid)
  }

  /// The party member `id`, which must be registered and not have left.
  public func partyMember(id: String, field: String) async throws -> Governance_Organisation_V1_PartyMember {
    let member: Governance_Organisation_V1_PartyMember
    do {
      member = try await PeerCall.run(.organisation) { try await organisation.getMember(.with { $0.id = id }) }
    } catch let error as RPCError where error.code == .notFound {
      throw DomainError.failedPrecondition(
        rule: "\(field) names a party member registered with the organisation service", detail: "no member \(id)")
    }
    guard member.status != .left else {
      throw DomainError.failedPrecondition(
        rule: "\(field) names a current party member", detail: "member \(id) has left")
    }
    return member
  }

  /// The grid case `id`.
  public func gridCase(id: String) async throws -> Governance_Grid_V1_Case {
    do {
      return try await PeerCall.run(.grid) { try await grid.getCase(.with { $0.id = id }) }
    } catch let error as RPCError where error.code == .notFound {
      throw DomainError.failedPrecondition(rule: "case_id names a case of the grid service", detail: "no case \(id)")
    }
  }

  /// Names of the divisions under `prefix` at `level`, by code.
  public func divisionNames(under prefix: String, level: Governance_Common_V1_DivisionLevel) async throws -> [String:
    String]
  {
    let divisions = try await PeerCall.allPages(.grid) { token in
      let page = try await grid.listDivisions(
        .with {
          $0.divisionPrefix = prefix
          $0.level = level
          $0.pageSize = Int32(PageRequest.maximumSize)
          $0.pageToken = token
        })
      return (page.divisions, page.nextPageToken)
    }
    return Dictionary(divisions.map { ($0.divisionCode, $0.name) }, uniquingKeysWith: { first, _ in first })
  }

}
