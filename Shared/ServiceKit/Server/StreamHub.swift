import Synchronization

/// Delivers events to the subscribers watching them in this process, the moment they happen:
/// a grid worker's new assignments, a volunteer's call-outs. What a subscriber missed while
/// away is read from the database when they come back, so the hub keeps nothing itself.
public final class StreamHub<Event: Sendable>: Sendable {
  private struct Watchers {
    var bySubscriber: [String: [Int: AsyncStream<Event>.Continuation]] = [:]
    var next = 0
    var closed = false
  }

  private let watchers = Mutex(Watchers())

  public init() {}

  /// Sends `event` to every open stream of `subscriber`.
  public func publish(_ event: Event, to subscriber: String) {
    let continuations = watchers.withLock { Array(($0.bySubscriber[subscriber] ?? [:]).values) }
    for continuation in continuations { continuation.yield(event) }
  }

  /// A stream of `subscriber`'s events, open until `stop(id)`, the reader going away, or
  /// `finishAll()`.
  public func watch(_ subscriber: String) -> (stream: AsyncStream<Event>, id: Int) {
    let (stream, continuation) = AsyncStream.makeStream(of: Event.self)
    let (id, closed) = watchers.withLock { state -> (Int, Bool) in
      let id = state.next
      state.next += 1
      if !state.closed { state.bySubscriber[subscriber, default: [:]][id] = continuation }
      return (id, state.closed)
    }
    if closed { continuation.finish() }
    continuation.onTermination = { [weak self] _ in
      self?.watchers.withLock { _ = $0.bySubscriber[subscriber]?.removeValue(forKey: id) }
    }
    return (stream, id)
  }

  /// Ends one stream, when its call is cancelled or the server begins shutting down.
  public func stop(_ id: Int) {
    let continuation = watchers.withLock { state -> AsyncStream<Event>.Continuation? in
      for subscriber in state.bySubscriber.keys {
        if let found = state.bySubscriber[subscriber]?.removeValue(forKey: id) { return found }
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
      let all = state.bySubscriber.values.flatMap(\.values)
      state.bySubscriber.removeAll()
      return all
    }
    for continuation in all { continuation.finish() }
  }
}
