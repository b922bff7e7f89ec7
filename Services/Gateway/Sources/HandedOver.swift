/// A value one task hands to a thread of NIO's pool, or takes back from it, and waits for: never
/// used by two threads at once. Work that takes more than a few milliseconds without awaiting
/// goes to a thread pool (`BulkWork`), so that it holds up no thread that serves calls (Swift's
/// pool of a thread a core, or the event loops under `EventLoopExecutor`).
struct HandedOver<Value>: @unchecked Sendable {
  let value: Value
  init(_ value: Value) { self.value = value }
}
