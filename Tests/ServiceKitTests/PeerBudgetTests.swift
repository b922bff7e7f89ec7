import Testing

@testable import ServiceKit

@Suite("The time a peer call gets of its caller's deadline")
struct PeerBudgetTests {
  @Test("a peer gets a tenth less than the caller has left, at most 250 ms less")
  func peerBudgetLeavesTheCallerTimeToAnswer() {
    #expect(CallDeadline.peerBudget(of: .seconds(2)) == .milliseconds(1_800))
    #expect(CallDeadline.peerBudget(of: .milliseconds(500)) == .milliseconds(450))
    #expect(CallDeadline.peerBudget(of: .seconds(30)) == .milliseconds(29_750))
    #expect(CallDeadline.peerBudget(of: .zero) == .zero)
  }
}
