import GRDB
import Synchronization

/// Group commit: the writes of calls arriving together run in one transaction, each in its own
/// savepoint, and every caller hears its outcome once that transaction has committed.
///
/// SQLite has one writer. A call that waits for it alone pays for a hop to GRDB's writer queue,
/// its own BEGIN and COMMIT, and the WAL frames of the pages every write touches (the case
/// tally, the ends of the indexes, the idempotency ledger); under load the grid service's writer
/// thread spent more on that than on the cases (docs/PERFORMANCE.md). Here, while one
/// transaction runs, the calls that arrive meanwhile wait, and the next transaction takes them
/// all (at most `maximumBatch`). Nothing waits on a timer: a lone call is written at once.
///
/// A write that throws rolls back its own savepoint and its caller gets the error; the others
/// are committed. If the transaction itself fails (the disk is full, the commit fails), every
/// caller in it gets that error and none of their writes is kept.
public final class GroupCommit: Sendable {
  private struct Waiting: Sendable {
    /// Runs the caller's writes in a savepoint and returns what tells the caller, to be called
    /// after the commit.
    let run: @Sendable (Database) -> @Sendable () -> Void
    /// Tells the caller that the transaction failed.
    let fail: @Sendable (any Error) -> Void
  }

  private struct Queue {
    var waiting: [Waiting] = []
    var draining = false
  }

  private let writer: any DatabaseWriter
  private let queue = Mutex(Queue())
  /// The most calls one transaction takes.
  public let maximumBatch: Int

  /// Writes through `writer`, at most `maximumBatch` calls a transaction.
  public init(writer: any DatabaseWriter, maximumBatch: Int = 64) {
    self.writer = writer
    self.maximumBatch = max(1, maximumBatch)
  }

  /// Runs `work` in a savepoint of the next transaction and returns its value once that
  /// transaction has committed. Throws what `work` throws (its writes undone), or the
  /// transaction's own error.
  public func write<T: Sendable>(_ work: @escaping @Sendable (Database) throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
      let waiting = Waiting(
        run: { db in
          do {
            var value: T?
            try db.inSavepoint {
              value = try work(db)
              return .commit
            }
            guard let value else { return { continuation.resume(throwing: CancellationError()) } }
            return { continuation.resume(returning: value) }
          } catch {
            return { continuation.resume(throwing: error) }
          }
        },
        fail: { continuation.resume(throwing: $0) })
      let starts = queue.withLock { queue in
        queue.waiting.append(waiting)
        guard !queue.draining else { return false }
        queue.draining = true
        return true
      }
      if starts { drain() }
    }
  }

  /// Writes the calls waiting now in one transaction on the writer's queue, then goes on with
  /// those that arrived meanwhile, behind any other write queued in between.
  private func drain() {
    writer.asyncWriteWithoutTransaction { db in
      let batch = self.queue.withLock { queue in
        let taken = Array(queue.waiting.prefix(self.maximumBatch))
        queue.waiting.removeFirst(taken.count)
        return taken
      }
      var outcomes: [@Sendable () -> Void] = []
      do {
        try db.inTransaction(.immediate) {
          outcomes = batch.map { $0.run(db) }
          return .commit
        }
        for outcome in outcomes { outcome() }
      } catch {
        for waiting in batch { waiting.fail(error) }
      }
      let more = self.queue.withLock { queue in
        queue.draining = !queue.waiting.isEmpty
        return queue.draining
      }
      if more { self.drain() }
    }
  }
}
