import Foundation
import GovernanceAPI
import SwiftProtobuf

/// What each role and each service identity may do, in one place: every role reads within its
/// jurisdiction (the auditor only reads); writes are held to the roles below. The platform's own
/// services read one another freely and write to one another only where a cross-service flow
/// needs it. A city administrator may do everything within their jurisdiction.
public enum Authorization {
  /// The rule "Get, List, Watch and Propose calls only read".
  public static func isRead(_ method: String) -> Bool {
    ["Get", "List", "Watch", "Propose"].contains { method.hasPrefix($0) }
  }

  /// Who may write in each service, besides the city administrator.
  static let writers: [String: Set<Role>] = [
    "governance.organisation.v1.OrganisationService": [.district, .street, .community],
    "governance.property.v1.PropertyService": [.district, .street, .community, .propertyStaff],
    "governance.grid.v1.GridService": [.district, .street, .community, .gridWorker],
    "governance.volunteers.v1.VolunteersService": [.district, .street, .community, .gridWorker],
    "governance.evaluation.v1.EvaluationService": [.district, .street, .community],
  ]

  /// Methods whose writers differ from their service's.
  static let methodWriters: [String: Set<Role>] = [
    "governance.grid.v1.GridService/IntakeCityCase": [.cityPlatform, .district, .street, .community, .gridWorker],
    "governance.grid.v1.GridService/RaiseAlarm": [.cityPlatform, .district, .street, .community, .gridWorker],
    "governance.grid.v1.GridService/SetDeadlinePolicy": [.district, .street],
    "governance.grid.v1.GridService/ImportCases": [],
    "governance.grid.v1.GridService/ImportBoundaries": [.district, .street, .community],
    // A resident adds photos to their own report, and only while it waits (ResidentReports).
    "governance.grid.v1.GridService/CreateAttachment": [
      .cityPlatform, .district, .street, .community, .gridWorker, .resident,
    ],
    // A resident reports, evaluates and reopens their own cases from the public page
    // (ResidentReports holds them to their own).
    "governance.grid.v1.GridService/CreateCase": [.district, .street, .community, .gridWorker, .resident],
    "governance.grid.v1.GridService/EvaluateCase": [.district, .street, .community, .gridWorker, .resident],
    "governance.grid.v1.GridService/ReopenCase": [.district, .street, .community, .gridWorker, .resident],
    // A resident posts a wish for themselves, registers themselves as a volunteer and claims a
    // wish as that volunteer (ResidentVolunteering).
    "governance.volunteers.v1.VolunteersService/CreateMicroWish": [
      .district, .street, .community, .gridWorker, .resident,
    ],
    "governance.volunteers.v1.VolunteersService/ClaimMicroWish": [
      .district, .street, .community, .gridWorker, .resident,
    ],
    "governance.volunteers.v1.VolunteersService/CreateVolunteer": [
      .district, .street, .community, .gridWorker, .resident,
    ],
    "governance.organisation.v1.OrganisationService/RevealContact": Set(Role.allCases.filter(\.mayRevealPersonalData)),
    "governance.property.v1.PropertyService/ExitCompany": [.district],
    "governance.evaluation.v1.EvaluationService/SubmitScore": [.evaluator, .district, .street, .community],
    "governance.evaluation.v1.EvaluationService/SubmitSurveyResponse": [.evaluator, .district, .street, .community],
    "governance.evaluation.v1.EvaluationService/ComputeCompositeScores": [.district],
    "governance.evaluation.v1.EvaluationService/PublishLists": [.district],
    "governance.evaluation.v1.EvaluationService/SetRatingPolicy": [.district],
    // The company documents the work it did on an order; evaluators and officials what they found.
    "governance.evaluation.v1.EvaluationService/CreateAttachment": [
      .district, .street, .community, .propertyStaff, .evaluator,
    ],
  ]

  /// The writes one service makes to another: publishing the evaluation lists rates the
  /// companies, lists them and makes those on the exit list leave; the gateway reads and
  /// acknowledges the outboxes.
  static let serviceWriters: [String: Set<ServiceIdentity>] = [
    "governance.property.v1.PropertyService/SetCompanyRating": [.evaluation],
    "governance.property.v1.PropertyService/SetCompanyListStatus": [.evaluation],
    "governance.property.v1.PropertyService/ExitCompany": [.evaluation],
    // The gateway relays every service's outbox to webhooks and people (Outbox).
    "governance.outbox.v1.OutboxService/ReadOutbox": [.gateway],
    "governance.outbox.v1.OutboxService/AcknowledgeOutbox": [.gateway],
  ]

  /// The rule "a role or a service acts only as its table allows": PERMISSION_DENIED naming the
  /// caller and the method otherwise.
  public static func check(service: String, method: String, principal: Principal) throws(DomainError) {
    if let caller = principal.service {
      guard isRead(method) || serviceWriters["\(service)/\(method)"]?.contains(caller) == true else {
        throw DomainError.permissionDenied(
          reason:
            "the \(caller.rawValue) service may not call \(service)/\(method): services write to one another only where a flow needs it"
        )
      }
      return
    }
    guard let role = principal.role else {
      throw DomainError.permissionDenied(reason: "\(principal) holds no role")
    }
    // A write only a flow between services makes (rating a company when lists are published) is
    // no person's to make, a city administrator's neither.
    let name = "\(service)/\(method)"
    if let services = serviceWriters[name], methodWriters[name] == nil {
      throw DomainError.permissionDenied(
        reason: "\(name) is called only by the \(services.map(\.rawValue).sorted().joined(separator: ", ")) service")
    }
    if role == .cityAdministrator || isRead(method) { return }
    let allowed = methodWriters["\(service)/\(method)"] ?? writers[service] ?? []
    guard allowed.contains(role) else {
      throw DomainError.permissionDenied(reason: "the \(role.rawValue) role may not call \(service)/\(method)")
    }
  }

  /// The rule "a request names divisions within the caller's jurisdiction (or above it, to read
  /// what applies there)": PERMISSION_DENIED otherwise.
  public static func checkRequest(_ message: some SwiftProtobuf.Message, by principal: Principal) throws {
    // A register import answers a row outside the jurisdiction with that row's own refusal
    // (ImportBatch), the rest going in, so its handler checks each row instead.
    guard !principal.scope.isEmpty, !(message is any RowWiseJurisdiction) else { return }
    var collector = DivisionCollector()
    try collector.collect(message)
    for code in collector.codes { try Jurisdiction.checkReadable(code, by: principal) }
    for prefix in collector.prefixes where !prefix.isEmpty { _ = try Jurisdiction.narrow(prefix, for: principal) }
  }

  /// The rule "an answer holds only records the caller may read": PERMISSION_DENIED otherwise,
  /// so that nothing outside the jurisdiction leaks even where a handler forgot to narrow.
  public static func checkResponse(_ message: some SwiftProtobuf.Message, by principal: Principal) throws {
    guard !principal.scope.isEmpty else { return }
    var collector = DivisionCollector()
    try collector.collect(message)
    for code in collector.codes { try Jurisdiction.checkReadable(code, by: principal) }
  }
}

/// Walks a message and every message inside it, collecting the division codes of the records
/// and the division prefixes of the queries it holds.
struct DivisionCollector: SwiftProtobuf.Visitor {
  var codes: [String] = []
  var prefixes: [String] = []

  mutating func collect(_ message: some SwiftProtobuf.Message) throws {
    if let scoped = message as? any DivisionScoped, !scoped.divisionCode.isEmpty { codes.append(scoped.divisionCode) }
    if let prefixed = message as? any DivisionPrefixed { prefixes.append(prefixed.divisionPrefix) }
    try message.traverse(visitor: &self)
  }

  mutating func visitSingularMessageField<M: SwiftProtobuf.Message>(value: M, fieldNumber: Int) throws {
    try collect(value)
  }

  mutating func visitSingularGroupField<G: SwiftProtobuf.Message>(value: G, fieldNumber: Int) throws {
    try collect(value)
  }

  mutating func visitUnknown(bytes: Data) throws {}
  mutating func visitSingularDoubleField(value: Double, fieldNumber: Int) throws {}
  mutating func visitSingularInt64Field(value: Int64, fieldNumber: Int) throws {}
  mutating func visitSingularUInt64Field(value: UInt64, fieldNumber: Int) throws {}
  mutating func visitSingularBoolField(value: Bool, fieldNumber: Int) throws {}
  mutating func visitSingularStringField(value: String, fieldNumber: Int) throws {}
  mutating func visitSingularBytesField(value: Data, fieldNumber: Int) throws {}
  mutating func visitSingularEnumField<E: SwiftProtobuf.Enum>(value: E, fieldNumber: Int) throws {}
  mutating func visitMapField<KeyType, ValueType: MapValueType>(
    fieldType: _ProtobufMap<KeyType, ValueType>.Type, value: _ProtobufMap<KeyType, ValueType>.BaseType, fieldNumber: Int
  ) throws {}
  mutating func visitMapField<KeyType, ValueType>(
    fieldType: _ProtobufEnumMap<KeyType, ValueType>.Type, value: _ProtobufEnumMap<KeyType, ValueType>.BaseType,
    fieldNumber: Int
  ) throws {}
  mutating func visitMapField<KeyType, ValueType>(
    fieldType: _ProtobufMessageMap<KeyType, ValueType>.Type, value: _ProtobufMessageMap<KeyType, ValueType>.BaseType,
    fieldNumber: Int
  ) throws {}
}

/// A request whose rows are each checked against the caller's jurisdiction by its handler, one
/// refusal per row (the register imports, `ImportBatch`), rather than refused whole.
public protocol RowWiseJurisdiction {}

extension Governance_Property_V1_ImportCompoundsRequest: RowWiseJurisdiction {}
extension Governance_Property_V1_ImportBuildingsRequest: RowWiseJurisdiction {}
extension Governance_Property_V1_ImportCompaniesRequest: RowWiseJurisdiction {}
extension Governance_Organisation_V1_ImportMembersRequest: RowWiseJurisdiction {}
extension Governance_Grid_V1_ImportDivisionsRequest: RowWiseJurisdiction {}
extension Governance_Grid_V1_ImportGridWorkersRequest: RowWiseJurisdiction {}
extension Governance_Volunteers_V1_ImportVolunteersRequest: RowWiseJurisdiction {}
