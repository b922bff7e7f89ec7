import Foundation
import Testing

@testable import Gateway

@Suite("The audit trail names the record a call concerns")
struct AuditConcernsTests {
  static func concerns(_ method: String, _ request: String, _ response: String = "{}") -> ConnectController.Concerns {
    ConnectController.Concerns(method: method, request: Data(request.utf8), response: Data(response.utf8))
  }

  @Test("a reveal is audited with the record revealed, its kind and the reason, never the request id")
  func aRevealNamesTheRecordItsKindAndTheReason() {
    let reveal = Self.concerns(
      "RevealContact",
      #"{"requestId":"R1","subject":"CONTACT_SUBJECT_PARTY_MEMBER","subjectId":"mbr_42","reason":"走访核实"}"#,
      #"{"contact":{"name":"张三"},"revealTime":"2026-11-30T00:00:00Z"}"#)
    #expect(reveal.reveals)
    #expect(reveal.target == "CONTACT_SUBJECT_PARTY_MEMBER mbr_42; reason: 走访核实")
    let flag = Self.concerns("GetCase", #"{"id":"case_7","revealReporter":true}"#, #"{"id":"case_7"}"#)
    #expect(flag.reveals && flag.target == "Case case_7")
  }

  @Test("a write is audited with the record it made or changed")
  func aWriteNamesItsRecord() {
    #expect(
      Self.concerns("AcceptCase", #"{"requestId":"R2","caseId":"case_9"}"#, #"{"id":"case_9"}"#).target == "case_9")
    #expect(Self.concerns("AcknowledgeAssignment", #"{"requestId":"R3","assignmentId":"asg_1"}"#).target == "asg_1")
    #expect(!Self.concerns("AcceptCase", #"{"caseId":"case_9"}"#).reveals)
  }
}
