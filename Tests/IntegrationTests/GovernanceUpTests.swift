import Foundation
import ServiceKit
import Testing

#if canImport(Glibc)
  import Glibc
#endif

@Suite("governance up: starts the six, waits for health, stops them all on Ctrl-C")
struct GovernanceUpTests {
  @Test("up brings every process to healthy and SIGINT stops them within seconds")
  func upAndInterrupt() async throws {
    let data = FileManager.default.temporaryDirectory.appendingPathComponent("governance-up-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: data) }
    // An offset keeps this system off the default ports a developer's own may be using, and
    // above the kernel's ephemeral range (32768-60999), where other tests' free ports come from.
    let offset = 11000 + Int.random(in: 0..<300) * 10
    let process = Process()
    process.executableURL = SystemHarness.binDirectory.appendingPathComponent("governance")
    process.arguments = [
      "up", "--data", data.path, "--port-offset", "\(offset)", "--bin", SystemHarness.binDirectory.path,
      "--log-format", "json",
    ]
    let output = Pipe()
    process.standardOutput = output
    // The processes' own logs come on `up`'s standard error: kept with its output, so that a
    // process that does not start is named with its reason.
    process.standardError = output
    try process.run()
    defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }

    let reader = LineCollector(output.fileHandleForReading)
    let healthy = await reader.wait(for: "all healthy", timeout: .seconds(90))
    #expect(healthy, "output:\n\(reader.text)")

    let status = Process()
    status.executableURL = process.executableURL
    status.arguments = ["status", "--port-offset", "\(offset)"]
    status.standardOutput = FileHandle.nullDevice
    try status.run()
    status.waitUntilExit()
    #expect(status.terminationStatus == 0)

    let interrupted = ContinuousClock.now
    kill(process.processIdentifier, SIGINT)
    while process.isRunning, ContinuousClock.now - interrupted < .seconds(20) {
      try await Task.sleep(for: .milliseconds(100))
    }
    #expect(!process.isRunning, "governance up still running 20 s after SIGINT")
    #expect(ContinuousClock.now - interrupted < .seconds(20))
    #expect(await reader.wait(for: "stopped", timeout: .seconds(2)), "output:\n\(reader.text)")

    // Nothing is left listening: every health check now fails.
    let after = Process()
    after.executableURL = process.executableURL
    after.arguments = ["status", "--port-offset", "\(offset)"]
    after.standardOutput = FileHandle.nullDevice
    try after.run()
    after.waitUntilExit()
    #expect(after.terminationStatus != 0)
  }
}

/// Collects a child's output lines as they arrive.
final class LineCollector: @unchecked Sendable {
  private let lock = NSLock()
  private var buffer = ""

  init(_ handle: FileHandle) {
    handle.readabilityHandler = { [weak self] handle in
      let data = handle.availableData
      guard let self, !data.isEmpty else {
        handle.readabilityHandler = nil
        return
      }
      lock.withLock { buffer += String(decoding: data, as: UTF8.self) }
    }
  }

  var text: String { lock.withLock { buffer } }

  func wait(for fragment: String, timeout: Duration) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
      if text.contains(fragment) { return true }
      try? await Task.sleep(for: .milliseconds(100))
    }
    return text.contains(fragment)
  }
}
