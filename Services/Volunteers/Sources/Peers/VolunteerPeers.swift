import GRPCCore
import GovernanceAPI
import ServiceKit

/// What the volunteers service asks its peers: whether a party member exists (organisation),
/// what state a grid case is in (grid) and which compound a register names (property). A peer
/// that cannot answer is UNAVAILABLE naming it; a record it does not know is FAILED_PRECONDITION
/// naming the field that referred to it.
public struct VolunteerPeers<Transport: ClientTransport>: Sendable {
  private let organisation: Governance_Organisation_V1_OrganisationService.Client<Transport>
  private let grid: Governance_Grid_V1_GridService.Client<Transport>
  /// Nil while the process has no property peer configured (`ServiceIdentity.peers`): a register
  /// row naming its compound by name then fails, naming `compound_name`.
  private let property: Governance_Property_V1_PropertyService.Client<Transport>?

  public init(organisation: GRPCClient<Transport>, grid: GRPCClient<Transport>, property: GRPCClient<Transport>? = nil)
  {
    self.organisation = Governance_Organisation_V1_OrganisationService.Client(wrapping: organisation)
    self.grid = Governance_Grid_V1_GridService.Client(wrapping: grid)
    self.property = property.map { Governance_Property_V1_PropertyService.Client(wrapping: $0) }
  }

  /// The id of the one compound called `name` in `community`, as the property service has it:
  /// INVALID_ARGUMENT naming `compound_name` when there is none, FAILED_PRECONDITION when there
  /// are two or the property service is not a peer of this process.
  public func compoundID(named name: String, in community: String) async throws -> String {
    guard let property else {
      throw DomainError.failedPrecondition(
        rule: "compound_name is looked up with the property service",
        detail: "the volunteers service has no property service peer; give volunteer.compound_id")
    }
    let compounds = try await PeerCall.allPages(.property) { token in
      let page = try await property.listCompounds(
        .with {
          $0.divisionPrefix = community
          $0.nameContains = name
          $0.pageSize = Int32(PageRequest.maximumSize)
          $0.pageToken = token
        })
      return (page.compounds, page.nextPageToken)
    }
    let ids = compounds.filter { $0.divisionCode == community && $0.name == name }.map(\.id)
    guard let id = ids.first else {
      throw DomainError.invalidArgument(
        field: "compound_name", rule: "no compound of that name in community \(community)")
    }
    guard ids.count == 1 else {
      throw DomainError.failedPrecondition(
        rule: "a register's compound is one compound of its name in its community",
        detail: "\(ids[0]) and \(ids[1]) are both called \(name) in community \(community)")
    }
    return id
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
