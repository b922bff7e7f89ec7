/// Work that must not queue behind the ordinary calls: an alarm's write and its delivery to the
/// worker on duty.
///
/// Swift's global executor keeps one queue per task priority, each with threads of its own, so a
/// task at `.high` priority is taken up before the medium-priority jobs of a thousand reads a
/// second waiting in theirs. The work runs as a task of its own: a child task of a task group
/// runs at its parent's priority whatever it is given (measured: `addTask(priority: .high)` in a
/// medium call reports `Task.currentPriority` medium). Cancelling the call cancels the work, and
/// the work keeps the call's task-local values (the caller's `Principal`, the call's deadline),
/// which a task copies from the one that makes it.
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
