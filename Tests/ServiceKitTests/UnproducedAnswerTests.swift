import Synchronization
import Testing

@testable import ServiceKit

@Suite("An answer grpc-swift never produced is still recorded")
struct UnproducedAnswerTests {
  @Test("an answer released unproduced is recorded once as abandoned; a produced one is not")
  func unproducedAnswerIsRecordedAsAbandoned() {
    let abandoned = Atomic<Int>(0)
    do {
      _ = UnproducedAnswer(abandoned: { abandoned.add(1, ordering: .relaxed) })
    }
    #expect(abandoned.load(ordering: .relaxed) == 1)
    do {
      let answer = UnproducedAnswer(abandoned: { abandoned.add(1, ordering: .relaxed) })
      answer.produced()
    }
    #expect(abandoned.load(ordering: .relaxed) == 1)
  }
}
