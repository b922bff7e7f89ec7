import Foundation
import Logging
import NIOCore
import NIOPosix

/// Swift concurrency's tasks run on the process's NIO event loops, the threads that read and
/// write the connections, instead of on a pool of their own: the gateway's option, off unless
/// `GOVERNANCE_CONCURRENCY_EXECUTOR=event-loops`.
///
/// A call through the gateway crosses from the HTTP/1.1 connection's event loop to the pool (the
/// handler), to the HTTP/2 connection's event loop (the service), and back twice, each hop a
/// wake-up of another thread. With the event loops as the global executor a job enqueued from an
/// event loop stays on it (a task waking from `Task.sleep` still resumes on Swift's pool: NIO
/// replaces only the ordinary enqueue). Measured on a town (h2load, Connect JSON GetCase, 16
/// connections, alternated rounds), the gateway's CPU a call fell from 640–779 µs to 426–515 µs;
/// on a fresh city from 623–727 µs to 533–657 µs, its calls a second within the noise
/// (docs/PERFORMANCE.md, eighth round). The domain services keep Swift's pool: there GetCase
/// straight over gRPC, 64 calls in flight on 4 connections, cost more on the event loops (277–332
/// µs a call against 196–249 µs).
///
/// Off by default. Its risk: a task that computes without awaiting holds up every connection of
/// its event loop (a grid worker's alarm stream among them), where on the pool it holds up one
/// pool thread. The gateway's long work runs on thread pools for that reason: bcrypt on NIO's
/// shared pool; on the gateway's own (`BulkWork`) an XLSX export's zipping, opening an imported
/// workbook and reading its rows a batch at a time, a map layer's GeoJSON, an import's problems
/// list and the monthly report's workbook. Its gain did not show again: on a town on 2026-12-02,
/// in two runs of three alternated rounds each, the gateway's CPU a relayed GetCase was 469–770 µs
/// on the pool and 520–661 µs on the event loops, and it answered 1,136–2,081 and 1,285–1,666
/// calls a second (docs/PERFORMANCE.md, ninth round).
public enum EventLoopExecutor {
  /// Installs NIO's singleton event loop group as the global executor when
  /// `GOVERNANCE_CONCURRENCY_EXECUTOR=event-loops`, once per process, before the servers start;
  /// logs which executor runs the tasks.
  public static func install(logger: Logger, environment: [String: String] = ProcessInfo.processInfo.environment) {
    guard environment["GOVERNANCE_CONCURRENCY_EXECUTOR"] == "event-loops" else {
      logger.info("concurrency executor", metadata: ["executor": "Swift's global pool"])
      return
    }
    let installed = NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
    logger.info(
      "concurrency executor",
      metadata: ["executor": "\(installed ? "NIO event loops" : "Swift's global pool (the event loops were refused)")"])
  }
}
