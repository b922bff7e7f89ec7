import GRPCCore
import ServiceKit
import Testing

@Suite("Status messages stay within what clients accept")
struct StatusMessageTests {
  @Test("a message quoting a huge value is cut at 1000 UTF-8 bytes, whole characters only")
  func longMessagesAreCut() {
    let huge = String(repeating: "中", count: 20_000)
    let error = DomainError.invalidArgument(field: "team.name", rule: "at most 100 characters, got '\(huge)'")
    let message = error.rpcErrorMessage
    #expect(message.utf8.count <= DomainError.maximumMessageBytes + "…".utf8.count)
    #expect(message.utf8.count > DomainError.maximumMessageBytes - 3)
    #expect(message.dropLast().allSatisfy { $0 != "\u{FFFD}" })
    #expect(
      error.rpcErrorMessage.hasPrefix("team.name: at most 100 characters") && error.rpcErrorMessage.hasSuffix("…"))
    #expect(DomainError.notFound(resource: "case", id: "case_1").rpcErrorMessage == "case case_1 not found")
  }
}
