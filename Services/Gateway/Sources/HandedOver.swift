/// A value one task hands to a thread of NIO's pool, or takes back from it, and waits for: never
/// used by two threads at once. The gateway's tasks run on its event loops (`EventLoopExecutor`),
/// so work that takes more than a few milliseconds without awaiting goes to NIO's thread pool.
struct HandedOver<Value>: @unchecked Sendable {
  let value: Value
  init(_ value: Value) { self.value = value }
}
