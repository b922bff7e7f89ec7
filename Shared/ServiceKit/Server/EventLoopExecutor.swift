import Foundation
import Logging
import NIOCore
import NIOPosix

/// Swift concurrency's tasks run on the process's NIO event loops, the threads that read and
/// write the connections, instead of on a pool of their own: the gateway's choice.
///
/// A call through the gateway crosses from the HTTP/1.1 connection's event loop to the pool (the
/// handler), to the HTTP/2 connection's event loop (the service), and back twice, each hop a
/// wake-up of another thread. With the event loops as the global executor a job enqueued from an
/// event loop stays on it. Measured on a town (h2load, Connect JSON GetCase, 16 connections, two
/// rounds each, alternated): the gateway's CPU a call 640–779 µs → 553–559 µs, the grid
/// service's for those calls 458–539 µs → 394–412 µs, 963–1,507 → 1,661–1,743 calls/s
/// (docs/PERFORMANCE.md, eighth round). The domain services keep Swift's pool: there GetCase
/// straight over gRPC, 64 calls in flight on 4 connections, cost more on the event loops
/// (277–332 µs a call against 196–249 µs), the handlers then sharing each connection's thread.
///
/// The price: a task that computes without awaiting holds up the connections of its event loop,
/// where before it held up one pool thread. The gateway's long work (exports, imports) awaits
/// page by page; its reads on the calling thread are by key (`InlineReads`).
public enum EventLoopExecutor {
  /// Installs NIO's singleton event loop group as the global executor, once per process, before
  /// the servers start; `GOVERNANCE_CONCURRENCY_EXECUTOR=pool` keeps Swift's own pool. Logs which.
  public static func install(logger: Logger, environment: [String: String] = ProcessInfo.processInfo.environment) {
    guard environment["GOVERNANCE_CONCURRENCY_EXECUTOR"] != "pool" else {
      logger.info("concurrency executor", metadata: ["executor": "Swift's global pool"])
      return
    }
    let installed = NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
    logger.info(
      "concurrency executor",
      metadata: ["executor": "\(installed ? "NIO event loops" : "Swift's global pool (the event loops were refused)")"])
  }
}
