import Synchronization
import Testing

@testable import ServiceKit

@Suite("Abandoned work: a call's work stops when the call is abandoned, before, during or after it runs")
struct AbandonableWorkTests {
  @Test("work abandoned before it starts does not run")
  func abandonedBeforeStart() async throws {
    let work = AbandonableWork()
    let ran = Atomic(false)
    work.abandon()
    await #expect(throws: CancellationError.self) {
      try await work.run { ran.store(true, ordering: .relaxed) }
    }
    let didRun = ran.load(ordering: .relaxed)
    #expect(!didRun)
  }

  @Test("work abandoned while it runs is cancelled")
  func abandonedWhileRunning() async throws {
    let work = AbandonableWork()
    let started = AsyncStream<Void>.makeStream()
    async let outcome: Void = work.run {
      started.continuation.yield()
      try await Task.sleep(for: .seconds(30))
    }
    for await _ in started.stream { break }
    let asked = ContinuousClock.now
    work.abandon()
    let stopped: Bool
    do {
      try await outcome
      stopped = false
    } catch {
      stopped = error is CancellationError
    }
    #expect(stopped)
    #expect(ContinuousClock.now - asked < .seconds(10))
  }

  @Test("work abandoned after it ended is left alone, however the two race")
  func abandonedAfterEnd() async throws {
    // A cancel that reached a finished task would touch freed memory: thousands of races make
    // that crash here rather than in a server.
    for _ in 0..<2_000 {
      let work = AbandonableWork()
      async let answer = work.run { 42 }
      async let abandoned: Void = Task.detached { work.abandon() }.value
      // Either the work ran whole or it was stopped before it started: nothing else.
      do {
        #expect(try await answer == 42)
      } catch is CancellationError {}
      await abandoned
      work.abandon()
    }
    let work = AbandonableWork()
    #expect(try await work.run { 7 } == 7)
    work.abandon()
  }
}
