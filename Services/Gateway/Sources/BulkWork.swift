import NIOCore
import NIOPosix

/// The gateway's threads for work on whole files and layers: reading an imported workbook,
/// writing and zipping a workbook, encoding a whole city's map layer. Such work takes from
/// milliseconds to many seconds without awaiting, so it runs on none of the threads that serve
/// calls (Swift's pool, or the event loops under `EventLoopExecutor`), and on none of NIO's
/// shared pool either: bcrypt (a sign-in, about a tenth of a second) and the webhook host checks
/// run there, and would otherwise wait behind a city's export being zipped.
enum BulkWork {
  /// A thread a core, started on first use and kept for the life of the process.
  static let pool: NIOThreadPool = {
    let pool = NIOThreadPool(numberOfThreads: System.coreCount)
    pool.start()
    return pool
  }()

  /// Runs `work` on one of the pool's threads and returns what it returns.
  /// - Throws: what `work` throws, or `NIOThreadPoolError.ThreadPoolInactive` when the pool has
  ///   stopped.
  static func run<Value: Sendable>(_ work: @escaping @Sendable () throws -> Value) async throws -> Value {
    try await pool.runIfActive(work)
  }
}
