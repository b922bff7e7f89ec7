import Foundation
import GovernanceAPI
import Testing

@Suite("Generated code matches the contracts")
struct GeneratedCodeTests {
  @Test("proto/ has not changed since Shared/GovernanceAPI was generated")
  func protoDigestMatches() throws {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent()
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/bash")
    process.arguments = [root.appendingPathComponent("scripts/proto-digest.sh").path]
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    process.waitUntilExit()
    let digest = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
      .trimmingCharacters(in: .whitespacesAndNewlines)
    #expect(process.terminationStatus == 0)
    #expect(
      digest == ProtoDigest.sha256,
      "proto/ changed after code generation: run scripts/generate-code.sh and commit Shared/GovernanceAPI")
  }
}
