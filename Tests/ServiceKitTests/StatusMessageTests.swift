import GRPCCore
import ServiceKit
import Testing

@Suite("Status messages stay within what clients accept")
struct StatusMessageTests {
  @Test("a message quoting a huge value is cut at 1000 characters")
  func longMessagesAreCut() {
    let huge = String(repeating: "中", count: 20_000)
    let error = DomainError.invalidArgument(field: "team.name", rule: "at most 100 characters, got '\(huge)'")
    #expect(error.rpcErrorMessage.count == DomainError.maximumMessageLength + 1)
    #expect(error.rpcErrorMessage.hasPrefix("team.name: at most 100 characters") && error.rpcErrorMessage.hasSuffix("…"))
    #expect(DomainError.notFound(resource: "case", id: "case_1").rpcErrorMessage == "case case_1 not found")
  }
}
