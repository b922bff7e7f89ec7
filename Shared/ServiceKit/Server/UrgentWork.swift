/// Work that should not wait among the ordinary calls' jobs for Swift's threads: an alarm's
/// handling and its push to the worker on duty.
///
/// Swift's global executor on Linux queues a job by its task's priority, a queue with threads of
/// its own for each, so a `.high` task's jobs do not wait behind the medium-priority jobs of a
/// thousand reads a second. The database's single writer still takes writes in arrival order.
/// The work runs as a task of its own: a child task of a task group runs at its parent's
/// priority whatever it is given (`addTask(priority: .high)` in a medium call reports
/// `Task.currentPriority` medium). Cancelling the call cancels the work, the call waits for it,
/// and the work keeps the call's task-local values (the caller's `Principal`, the call's
/// deadline), which a task copies from the one that makes it. Measured with 1,000 reads a second
/// beside 200 alarms a second (docs/PERFORMANCE.md, fifth round): p99 117 and 124 ms without,
/// 21 and 38 ms with; a child task, at medium priority as found afterwards, measured 31 and
/// 34 ms, so how much of the gain is the priority is not settled.
public enum UrgentWork {
  /// Runs `body` as a high-priority task and answers what it answers or throws what it throws.
  public static func run<Result: Sendable>(_ body: @escaping @Sendable () async throws -> Result) async throws -> Result
  {
    let work = Task(priority: .high) { try await body() }
    return try await withTaskCancellationHandler {
      try await work.value
    } onCancel: {
      work.cancel()
    }
  }
}
