import Foundation
import ServiceKit

/// The rules of delivery, in one place: how often and how long a failed delivery is retried,
/// when a webhook subscription is paused, what an event kind and a jurisdiction match, and quiet
/// hours.
public enum DeliveryRules {
  /// The settings the rules take; `GOVERNANCE_DELIVERY_RETRY_BASE_MS` and
  /// `GOVERNANCE_DELIVERY_ATTEMPTS` change the first two (tests shorten the wait).
  public struct Settings: Sendable, Equatable {
    /// The wait after the first failure; each further failure doubles it (5 s).
    public var retryBase: Duration = .seconds(5)
    /// No wait is longer (1 hour).
    public var retryCap: Duration = .seconds(3600)
    /// Attempts before a delivery is a dead letter (15: 2.7 to 5.4 hours of retrying).
    public var attempts = 15
    /// Consecutive failed attempts after which a subscription may be paused (10: within the
    /// first 1.2 hours of a delivery's retries, well before its 15th attempt makes it a dead
    /// letter).
    public var pauseAfterFailures = 10
    /// How long it must have failed without a success before it is paused (1 hour):
    /// `GOVERNANCE_DELIVERY_PAUSE_AFTER_SECONDS`.
    public var pauseAfterFailing: Duration = .seconds(3600)
    /// How long one attempt may take before it counts as failed (10 s).
    public var attemptTimeout: Duration = .seconds(10)

    public init() {}

    /// Reads the three variables; a malformed value is a `ConfigurationError` naming it.
    public static func resolve(environment: [String: String]) throws -> Settings {
      var settings = Settings()
      settings.retryBase = .milliseconds(
        try ConfigurationError.wholeNumber(
          "GOVERNANCE_DELIVERY_RETRY_BASE_MS", in: environment, default: 5_000, range: 10...600_000))
      settings.attempts = try ConfigurationError.wholeNumber(
        "GOVERNANCE_DELIVERY_ATTEMPTS", in: environment, default: 15, range: 1...50)
      settings.pauseAfterFailing = .seconds(
        try ConfigurationError.wholeNumber(
          "GOVERNANCE_DELIVERY_PAUSE_AFTER_SECONDS", in: environment, default: 3600, range: 0...604_800))
      return settings
    }
  }

  /// The rule "a failed delivery is retried with exponential backoff and jitter": the wait
  /// after the `attempt`-th failure (1-based) is `base × 2^(attempt−1)`, capped, then drawn
  /// uniformly from its upper half ("equal jitter"), so receivers that failed together are not
  /// all retried in the same instant. `unit` is a number in [0, 1) (random in production).
  public static func retryDelay(afterAttempt attempt: Int, settings: Settings, unit: Double) -> Duration {
    let exponent = min(max(attempt - 1, 0), 30)
    let full = min(settings.retryBase * (1 << exponent), settings.retryCap)
    return full / 2 + full / 2 * min(max(unit, 0), 1)
  }

  /// The rule "after the last attempt a delivery is a dead letter, kept for an administrator to
  /// replay".
  public static func isDeadLetter(attempts: Int, permanent: Bool, settings: Settings) -> Bool {
    permanent || attempts >= settings.attempts
  }

  /// The rule "a receiver that is unavailable holds back its subscription" (a circuit breaker):
  /// once two attempts in a row have found a webhook's receiver unavailable (no connection, no
  /// answer in time, a 5xx, a 429 or a 408), the subscription's other deliveries, those pending and those
  /// queued meanwhile, wait until the last failed attempt's backoff has passed. A receiver that is
  /// down then costs an attempt per retry, not one per queued event: a city platform offline for
  /// an hour would otherwise be sent every event of that hour, each on its own backoff. Two in a
  /// row, not one: a receiver that fails on one message alone (a 500 for that payload) takes the
  /// others between its retries, which resets the count, and that message is retried on its own.
  /// Any other answer (a 3xx, another 4xx) and a permanent failure hold nothing; a channel's route
  /// (SMS, mail) fails for one recipient as often as for all of them and is not held either.
  /// `consecutiveFailures` counts the subscription's failed attempts since its last success, this
  /// one included.
  public static func holdsSubscription(channel: String, after failure: DeliveryFailure, consecutiveFailures: Int)
    -> Bool
  {
    channel == "webhook" && failure.receiverUnavailable && !failure.permanent
      && consecutiveFailures >= holdAfterFailures
  }

  /// Failed attempts in a row, each finding the receiver unavailable, before its subscription is
  /// held (2).
  public static let holdAfterFailures = 2

  /// Whether an HTTP answer's status says the receiver is unavailable (5xx, 429 Too Many
  /// Requests, 408 Request Timeout) rather than refusing the message (RFC 9110 sections 15.5.9
  /// and 15.6; RFC 6585 section 4).
  public static func receiverUnavailable(status: Int) -> Bool {
    status >= 500 || status == 429 || status == 408
  }

  /// The rule "a subscription whose endpoint keeps failing is paused, not dropped": true once it
  /// has failed 10 attempts in a row and for an hour without a success. Counting attempts alone
  /// would pause a receiver with many records queued after a minute's outage.
  public static func shouldPause(consecutiveFailures: Int, failingFor: Duration, settings: Settings) -> Bool {
    consecutiveFailures >= settings.pauseAfterFailures && failingFor >= settings.pauseAfterFailing
  }

  /// Whether a subscription's or route's kinds (`case.*`, `case.overdue`, `*`) match `kind`.
  public static func kindMatches(_ patterns: [String], _ kind: String) -> Bool {
    patterns.contains { pattern in
      pattern == "*" || pattern == kind || (pattern.hasSuffix(".*") && kind.hasPrefix(pattern.dropLast()))
    }
  }

  /// The rule "quiet hours hold back all but urgent messages": the instant a message arriving
  /// at `time` may go out, given a quiet window from `start` to `end` minutes after midnight in
  /// the city (Asia/Shanghai; a window may cross midnight, 22:00–07:00). Urgent messages and an
  /// empty window (start == end) go at once.
  public static func releaseTime(at time: Date, quietStart start: Int, quietEnd end: Int, urgent: Bool) -> Date {
    guard !urgent, start != end else { return time }
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = CalendarDate.timeZone
    let parts = calendar.dateComponents([.hour, .minute], from: time)
    let minute = (parts.hour ?? 0) * 60 + (parts.minute ?? 0)
    let quiet = start < end ? (minute >= start && minute < end) : (minute >= start || minute < end)
    guard quiet else { return time }
    let wait = (end - minute + 1440) % 1440
    // The city's offset is whole hours, so a minute starts at the same instant everywhere.
    let startOfMinute = (time.timeIntervalSince1970 / 60).rounded(.down) * 60
    return Date(timeIntervalSince1970: startOfMinute + Double(wait) * 60)
  }

  /// The rule "a city platform hears of the cases it pushed", as the change feed does: a
  /// `case.*` event reaches a city-platform key only for a case with an external id (one that
  /// came in by IntakeCityCase); its other kinds reach it as any key.
  public static func cityPlatformHears(kind: String, externalID: String?) -> Bool {
    !kind.hasPrefix("case.") || !(externalID ?? "").isEmpty
  }

  /// The routes a new system starts with, all to the console's bell (administrators change
  /// them on the console's 消息投递 page): each case's worker hears of its assignment, deadline and overdue;
  /// communities and streets of escalations, daily digests, rectification reminders and
  /// conference gaps; communities of new micro-wishes; districts and streets of published lists.
  public static let defaultRoutes: [(kinds: [String], role: String)] = [
    (["case.assigned", "case.deadline_approaching", "case.overdue"], "recipient"),
    (["case.escalated", "digest.daily", "rectification.*", "conference.gap"], "community"),
    (["case.escalated", "digest.daily", "rectification.*", "conference.gap", "list.published"], "street"),
    (["micro_wish.created"], "community"),
    (["list.published"], "district"),
  ]

  /// The rule "a digest reaches the officials of its own division only": a street's accounts get
  /// the street's digest, not each of its communities' as well. Other kinds reach every account
  /// whose jurisdiction holds the event's division.
  public static func reachesOnlyItsOwnDivision(_ kind: String) -> Bool {
    kind == "digest.daily"
  }
}
