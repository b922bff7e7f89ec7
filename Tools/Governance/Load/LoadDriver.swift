import Foundation
import GRPCCore
import Histogram
import Synchronization

/// What one run of a scenario measured: latencies in an HDR histogram (microseconds), and the
/// calls that failed, by status code.
final class LoadRecorder: Sendable {
  private struct State {
    var latencies = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
    var errors: [String: Int] = [:]
    var lastError: [String: String] = [:]
  }

  private let state = Mutex(State())

  func record(_ latency: Duration) {
    let microseconds = UInt64(
      max(0, latency.components.seconds * 1_000_000 + latency.components.attoseconds / 1_000_000_000_000))
    state.withLock { _ = $0.latencies.record(min(microseconds, 60_000_000)) }
  }

  func fail(_ error: any Error) {
    let code: String
    switch error {
    case let error as RPCError: code = "\(error.code)"
    case let error as LoadFailure: code = error.code
    default: code = "client: \(type(of: error))"
    }
    state.withLock {
      $0.errors[code, default: 0] += 1
      $0.lastError[code] = "\(error)"
    }
  }

  func report(scenario: String, mode: String, elapsed: Duration) -> LoadReport {
    state.withLock { state in
      let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
      let latencies = state.latencies
      let milliseconds = { (percentile: Double) in Double(latencies.valueAtPercentile(percentile)) / 1000 }
      return LoadReport(
        scenario: scenario, mode: mode, seconds: seconds, completed: Int(state.latencies.totalCount),
        throughput: Double(state.latencies.totalCount) / max(seconds, 0.001),
        p50: milliseconds(50), p90: milliseconds(90), p99: milliseconds(99), p999: milliseconds(99.9),
        max: Double(state.latencies.max) / 1000, mean: state.latencies.mean / 1000,
        errors: state.errors, sampleErrors: state.lastError)
    }
  }
}

/// A failure the load tool itself found in an answer (an HTTP status, a missing event).
struct LoadFailure: Error, CustomStringConvertible {
  let code: String
  let description: String
}

/// The figures of one run, printed as a table row and written as JSON.
struct LoadReport: Codable, Sendable {
  var scenario: String
  var mode: String
  var seconds: Double
  var completed: Int
  var throughput: Double
  var p50: Double
  var p90: Double
  var p99: Double
  var p999: Double
  var max: Double
  var mean: Double
  var errors: [String: Int]
  var sampleErrors: [String: String]

  static let header =
    "scenario                 mode              calls    calls/s   p50 ms   p90 ms   p99 ms p99.9 ms   max ms  errors"

  var row: String {
    func column(_ text: String, _ width: Int) -> String { text.padding(toLength: width, withPad: " ", startingAt: 0) }
    func number(_ value: Double, _ width: Int) -> String {
      let text = String(format: "%.2f", value)
      return String(repeating: " ", count: Swift.max(0, width - text.count)) + text
    }
    let failures =
      errors.isEmpty ? "none" : errors.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
    return column(scenario, 25) + column(mode, 14) + String(format: "%9d", completed) + number(throughput, 11)
      + number(p50, 9) + number(p90, 9) + number(p99, 9) + number(p999, 9) + number(max, 9) + "  " + failures
  }
}

/// How calls are issued: a fixed number in flight (closed loop), or at a target rate whatever the
/// answers take (open loop; latency counts from when a call was due, so a slow server is not
/// hidden by the tool waiting for it).
enum LoadMode: Sendable, CustomStringConvertible {
  case concurrency(Int)
  case rate(Double)

  var description: String {
    switch self {
    case .concurrency(let count): "concurrency \(count)"
    case .rate(let perSecond): "rate \(Int(perSecond))/s"
    }
  }
}

/// A counter shared by the tasks of a run.
final class SharedCounter: Sendable {
  let value = Atomic<Int>(0)
}

enum LoadDriver {
  /// The most calls an open-loop run keeps in flight before it counts further ones as failed.
  static let maximumInFlight = 4096

  /// Runs `call` (given the call's sequence number) in `mode` for `duration`, recording each.
  static func run(
    mode: LoadMode, duration: Duration, recorder: LoadRecorder, _ call: @escaping @Sendable (Int) async throws -> Void
  ) async {
    let clock = ContinuousClock()
    let end = clock.now + duration
    switch mode {
    case .concurrency(let workers):
      let sequence = SharedCounter()
      await withDiscardingTaskGroup { group in
        for _ in 0..<workers {
          group.addTask {
            while clock.now < end {
              let number = sequence.value.wrappingAdd(1, ordering: .relaxed).oldValue
              let started = clock.now
              do {
                try await call(number)
                recorder.record(clock.now - started)
              } catch {
                recorder.fail(error)
              }
            }
          }
        }
      }
    case .rate(let perSecond):
      let interval = Duration.nanoseconds(Int64(1e9 / perSecond))
      let inFlight = SharedCounter()
      await withDiscardingTaskGroup { group in
        var due = clock.now
        var number = 0
        while due < end {
          try? await clock.sleep(until: due)
          let scheduled = due
          if inFlight.value.load(ordering: .relaxed) >= maximumInFlight {
            recorder.fail(
              LoadFailure(code: "client: over \(maximumInFlight) in flight", description: "the server fell behind"))
          } else {
            inFlight.value.add(1, ordering: .relaxed)
            let current = number
            group.addTask {
              do {
                try await call(current)
                recorder.record(clock.now - scheduled)
              } catch {
                recorder.fail(error)
              }
              inFlight.value.subtract(1, ordering: .relaxed)
            }
          }
          number += 1
          due += interval
        }
      }
    }
  }
}
