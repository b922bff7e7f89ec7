import Logging
import Metrics
import Synchronization

/// The records a periodic job could not handle because of what is in them (a case whose unit
/// code does not parse, say): each is logged once, counted in
/// `governance_job_records_skipped_total{job}` and left alone until the process restarts, so
/// one bad record neither stops the job nor is retried every round.
public final class PoisonRecords: Sendable {
  private let job: String
  private let skipped = Mutex<Set<String>>([])

  /// - Parameter job: the job's name in logs and the metric.
  public init(job: String) {
    self.job = job
  }

  /// Whether `key` was skipped before.
  public func contains(_ key: String) -> Bool { skipped.withLock { $0.contains(key) } }

  /// How many records were skipped.
  public var count: Int { skipped.withLock { $0.count } }

  /// Records that `key` failed with `error` and is skipped from now on.
  public func skip(_ key: String, error: any Error, logger: Logger) {
    guard skipped.withLock({ $0.insert(key).inserted }) else { return }
    Counter(label: "governance_job_records_skipped_total", dimensions: [("job", job)]).increment()
    logger.error("record skipped by a job", metadata: ["job": "\(job)", "record": "\(key)", "error": "\(error)"])
  }

  /// The rule "an error in what a record holds poisons that record; any other ends the round":
  /// domain errors (a rule the record breaks) are the record's, everything else (a busy
  /// database, cancellation) is the round's and is retried on the next one.
  public static func isRecordsFault(_ error: any Error) -> Bool {
    error is DomainError
  }
}
