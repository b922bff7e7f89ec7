import ServiceKit
import Testing

/// An alarm's work runs as a high-priority task of its own that its call waits for: it answers,
/// throws and is cancelled as the call is, and keeps the call's task-local values.
@Suite("Urgent work runs at high priority inside its call")
struct UrgentWorkTests {
  @TaskLocal static var caller = ""

  @Test("the work runs at high priority and sees the call's task-local values")
  func runsAtHighPriority() async throws {
    let (priority, caller) = try await Self.$caller.withValue("user:duty") {
      try await UrgentWork.run { (Task.currentPriority, Self.caller) }
    }
    #expect(priority >= .high)
    #expect(caller == "user:duty")
  }

  struct Refused: Error {}

  @Test("an error of the work is the call's error")
  func errorsPassThrough() async throws {
    await #expect(throws: Refused.self) {
      try await UrgentWork.run { () -> Int in throw Refused() }
    }
  }

  @Test("cancelling the call cancels the work")
  func cancellationReachesTheWork() async throws {
    let call = Task {
      try await UrgentWork.run { try await Task.sleep(for: .seconds(60)) }
    }
    call.cancel()
    await #expect(throws: CancellationError.self) { try await call.value }
  }
}
