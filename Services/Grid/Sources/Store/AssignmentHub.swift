import GovernanceAPI
import Synchronization

/// Delivers new assignments to the workers watching their stream, in this process, the moment
/// they are made. What was missed while a worker was away is read from the database when they
/// come back (WatchAssignments with include_pending).
public final class AssignmentHub: Sendable {
  private struct Watchers {
    var byWorker: [String: [Int: AsyncStream<Governance_Grid_V1_Assignment>.Continuation]] = [:]
    var next = 0
    var closed = false
  }

  private let watchers = Mutex(Watchers())

  public init() {}

  public func publish(_ assignment: Governance_Grid_V1_Assignment) {
    let continuations = watchers.withLock { Array(($0.byWorker[assignment.workerID] ?? [:]).values) }
    for continuation in continuations { continuation.yield(assignment) }
  }

  /// A stream of `worker`'s new assignments, open until `stop(id)` or the reader goes away.
  public func watch(worker: String) -> (stream: AsyncStream<Governance_Grid_V1_Assignment>, id: Int) {
    let (stream, continuation) = AsyncStream.makeStream(of: Governance_Grid_V1_Assignment.self)
    let id = watchers.withLock { state -> Int in
      let id = state.next
      state.next += 1
      if !state.closed { state.byWorker[worker, default: [:]][id] = continuation }
      return id
    }
    if watchers.withLock({ $0.closed }) { continuation.finish() }
    continuation.onTermination = { [weak self] _ in
      self?.watchers.withLock { _ = $0.byWorker[worker]?.removeValue(forKey: id) }
    }
    return (stream, id)
  }

  /// Ends one watcher's stream, when its call is cancelled.
  public func stop(_ id: Int) {
    let continuation = watchers.withLock { state -> AsyncStream<Governance_Grid_V1_Assignment>.Continuation? in
      for worker in state.byWorker.keys {
        if let found = state.byWorker[worker]?.removeValue(forKey: id) { return found }
      }
      return nil
    }
    continuation?.finish()
  }

  /// Ends every stream and refuses new ones, so a shutting-down server is not held open by
  /// watchers.
  public func finishAll() {
    let all = watchers.withLock { state in
      state.closed = true
      let all = state.byWorker.values.flatMap(\.values)
      state.byWorker.removeAll()
      return all
    }
    for continuation in all { continuation.finish() }
  }
}
