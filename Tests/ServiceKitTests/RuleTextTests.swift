import GRPCCore
import GRPCProtobuf
import GovernanceAPI
import SwiftProtobuf
import Testing

@testable import ServiceKit

@Suite("Refusals carry their rule as a template and values, for clients in another language")
struct RuleTextTests {
  @Test("an interpolated rule keeps its literal text as the template and its values apart")
  func templateAndArguments() {
    let days = 7
    let state = "published"
    let rule: RuleText = "a case is reopened within \(days) days, period \(state) is \(state)"
    #expect(rule.template == "a case is reopened within {0} days, period {1} is {2}")
    #expect(rule.arguments == ["7", "published", "published"])
    #expect(rule.description == "a case is reopened within 7 days, period published is published")
  }

  @Test("a value that looks like a placeholder is put in as written, not expanded again")
  func placeholdersInValues() {
    let first = "{1}"
    let second = "x"
    let rule: RuleText = "\(first) then \(second) {9}"
    #expect(rule.description == "{1} then x {9}")
  }

  @Test("a broken rule reaches the caller as google.rpc.ErrorInfo with the template and values")
  func errorInfoOfAFailedPrecondition() throws {
    let label = "2026Q3"
    let error = DomainError.failedPrecondition(
      rule: "a published period never changes", detail: "period \(label) is published")
    let status = try #require(try RPCError(error).unpackGoogleRPCStatus())
    #expect(status.code == .failedPrecondition)
    #expect(status.message == "a published period never changes: period 2026Q3 is published")
    let info = try #require(status.details.compactMap(\.errorInfo).first)
    #expect(info.reason == "RULE_NOT_MET")
    #expect(info.domain == DomainError.errorDomain)
    #expect(
      info.metadata == [
        "rule": "a published period never changes", "detail": "period {0} is published", "detail_0": "2026Q3",
      ])
  }

  @Test("a bad field is named in ErrorInfo and in google.rpc.BadRequest")
  func errorInfoOfABadField() throws {
    let error = DomainError.invalidArgument(field: "grid_case.title", rule: "at most \(200) characters, got \(201)")
    let status = try #require(try RPCError(error).unpackGoogleRPCStatus())
    let info = try #require(status.details.compactMap(\.errorInfo).first)
    #expect(info.reason == "FIELD_INVALID")
    #expect(info.metadata["field"] == "grid_case.title")
    #expect(info.metadata["rule"] == "at most {0} characters, got {1}")
    #expect(info.metadata["rule_1"] == "201")
    let violation = try #require(status.details.compactMap(\.badRequest).first?.violations.first)
    #expect(violation.field == "grid_case.title")
    #expect(violation.violationDescription == "at most 200 characters, got 201")
  }

  @Test("a value quoting what the caller sent is cut in ErrorInfo as in the message")
  func longValuesAreCut() throws {
    let sent = String(repeating: "长", count: 5000)
    let error = DomainError.invalidArgument(field: "category", rule: "has an unknown value '\(sent)'")
    let status = try #require(try RPCError(error).unpackGoogleRPCStatus())
    let info = try #require(status.details.compactMap(\.errorInfo).first)
    let value = try #require(info.metadata["rule_0"])
    #expect(value == String(repeating: "长", count: DomainError.maximumArgumentBytes / 3) + "…")
    let description = try #require(
      status.details.compactMap(\.badRequest).first?.violations.first?.violationDescription)
    #expect(description.utf8.count <= DomainError.maximumArgumentBytes * 4 + 3)
    // The details header, base64 on the wire, stays well within a client's 8 KiB for all headers.
    let headerBytes = RPCError(error).metadata.reduce(0) { total, entry in
      switch entry.value {
      case .string(let text): total + entry.key.utf8.count + text.utf8.count
      case .binary(let bytes): total + entry.key.utf8.count + (bytes.count + 2) / 3 * 4
      }
    }
    #expect(headerBytes < 4096)
  }

  @Test("a record not found names its kind as a template")
  func errorInfoOfNotFound() throws {
    let company = "pc_1"
    let missing: Int? = nil
    #expect(throws: DomainError.notFound(resource: "composite score of \(company) in", id: "2026Q3")) {
      try missing.orNotFound("composite score of \(company) in", id: "2026Q3")
    }
    let status = try #require(
      try RPCError(DomainError.notFound(resource: "composite score of \(company) in", id: "2026Q3"))
        .unpackGoogleRPCStatus())
    let info = try #require(status.details.compactMap(\.errorInfo).first)
    #expect(info.metadata == ["resource": "composite score of {0} in", "resource_0": "pc_1", "id": "2026Q3"])
  }
}

@Suite("A contract's enum value in a refusal is sent by its proto name, as protobuf JSON writes it")
struct RuleTextEnumTests {
  /// Every value of `values` set on a message by `set`: the name RuleText sends appears in the
  /// message's JSON as swift-protobuf writes it.
  func check<Message: SwiftProtobuf.Message, Value: SwiftProtobuf.Enum & CaseIterable>(
    _ values: Value.Type, _ set: (inout Message, Value) -> Void
  ) throws {
    for value in Value.allCases where value.rawValue != 0 {
      var message = Message()
      set(&message, value)
      let rule: RuleText = "case is \(value)"
      let name = try #require(rule.arguments.first)
      #expect(try message.jsonString().contains("\"\(name)\""), "\(value) sent as \(name)")
      #expect(rule.description == "case is \(String(describing: value))")
    }
  }

  @Test("case statuses, priorities, sources, acceptance states and steps, list statuses")
  func enumValuesAreSentByTheirProtoNames() throws {
    try check(Governance_Grid_V1_CaseStatus.self) { (message: inout Governance_Grid_V1_Case, value) in
      message.status = value
    }
    try check(Governance_Grid_V1_CasePriority.self) { (message: inout Governance_Grid_V1_Case, value) in
      message.priority = value
    }
    try check(Governance_Grid_V1_CaseSource.self) { (message: inout Governance_Grid_V1_Case, value) in
      message.source = value
    }
    try check(Governance_Property_V1_AcceptanceState.self) {
      (message: inout Governance_Property_V1_Acceptance, value) in
      message.state = value
    }
    try check(Governance_Property_V1_AcceptanceStep.self) { (message: inout Governance_Property_V1_Acceptance, value) in
      message.currentStep = value
    }
    try check(Governance_Property_V1_ListStatus.self) {
      (message: inout Governance_Property_V1_PropertyCompany, value) in message.listStatus = value
    }
  }
}
