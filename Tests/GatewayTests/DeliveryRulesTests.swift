import Foundation
import ServiceKit
import Testing

@testable import Gateway

@Suite("Delivery rules: backoff with jitter, dead letters, pausing, kinds, quiet hours, targets, signatures")
struct DeliveryRulesTests {
  @Test("a failed delivery is retried with exponential backoff and jitter")
  func aFailedDeliveryIsRetriedWithExponentialBackoffAndJitter() {
    let settings = DeliveryRules.Settings()
    #expect(DeliveryRules.retryDelay(afterAttempt: 1, settings: settings, unit: 0) == .milliseconds(2_500))
    #expect(DeliveryRules.retryDelay(afterAttempt: 1, settings: settings, unit: 0.999_999) < .seconds(5))
    #expect(DeliveryRules.retryDelay(afterAttempt: 4, settings: settings, unit: 0) == .seconds(20))
    #expect(DeliveryRules.retryDelay(afterAttempt: 4, settings: settings, unit: 1) == .seconds(40))
    // The cap holds however many attempts, and the jitter never goes below half of it.
    #expect(DeliveryRules.retryDelay(afterAttempt: 40, settings: settings, unit: 1) == .seconds(3600))
    #expect(DeliveryRules.retryDelay(afterAttempt: 40, settings: settings, unit: 0) == .seconds(1800))
    // Fifteen attempts take between 2.7 and 5.4 hours in all.
    let least = (1..<15).map { DeliveryRules.retryDelay(afterAttempt: $0, settings: settings, unit: 0) }.reduce(
      .zero, +)
    let most = (1..<15).map { DeliveryRules.retryDelay(afterAttempt: $0, settings: settings, unit: 1) }.reduce(.zero, +)
    #expect(least == .milliseconds(9_757_500) && most == .seconds(19_515))
  }

  @Test("after the last attempt a delivery is a dead letter, kept for an administrator to replay")
  func afterTheLastAttemptADeliveryIsADeadLetter() {
    let settings = DeliveryRules.Settings()
    #expect(!DeliveryRules.isDeadLetter(attempts: 14, permanent: false, settings: settings))
    #expect(DeliveryRules.isDeadLetter(attempts: 15, permanent: false, settings: settings))
    #expect(DeliveryRules.isDeadLetter(attempts: 1, permanent: true, settings: settings))
  }

  @Test("a receiver that is unavailable holds back its subscription")
  func aReceiverThatIsUnavailableHoldsBackItsSubscription() {
    let down = DeliveryFailure("no answer from the receiver: connection refused", receiverUnavailable: true)
    // Two failed attempts in a row, not one: a single failure may be one message's own.
    #expect(!DeliveryRules.holdsSubscription(channel: "webhook", after: down, consecutiveFailures: 1))
    #expect(DeliveryRules.holdsSubscription(channel: "webhook", after: down, consecutiveFailures: 2))
    #expect(
      !DeliveryRules.holdsSubscription(
        channel: "webhook", after: DeliveryFailure("the receiver answered 422"), consecutiveFailures: 5))
    #expect(
      !DeliveryRules.holdsSubscription(
        channel: "webhook", after: DeliveryFailure("resolves to a private address", permanent: true),
        consecutiveFailures: 5))
    #expect(!DeliveryRules.holdsSubscription(channel: "sms", after: down, consecutiveFailures: 5))
    #expect([500, 502, 503, 504, 429, 408].allSatisfy { DeliveryRules.receiverUnavailable(status: $0) })
    #expect(![400, 401, 404, 410, 422, 307].contains { DeliveryRules.receiverUnavailable(status: $0) })
  }

  @Test("a subscription whose endpoint keeps failing is paused, not dropped")
  func aSubscriptionWhoseEndpointKeepsFailingIsPaused() {
    let settings = DeliveryRules.Settings()
    #expect(!DeliveryRules.shouldPause(consecutiveFailures: 9, failingFor: .seconds(7200), settings: settings))
    #expect(DeliveryRules.shouldPause(consecutiveFailures: 10, failingFor: .seconds(3600), settings: settings))
    // One delivery alone has failed for an hour by its 12th attempt at the latest, before its 15th
    // makes it a dead letter: a receiver that is down pauses rather than losing its events.
    let beforeTwelfth = (1..<12).map { DeliveryRules.retryDelay(afterAttempt: $0, settings: settings, unit: 0) }
      .reduce(.zero, +)
    #expect(beforeTwelfth >= .seconds(3600) && 12 < settings.attempts)
    // Twenty fast failures of a queue of records, after a minute's outage, do not pause it.
    #expect(!DeliveryRules.shouldPause(consecutiveFailures: 40, failingFor: .seconds(60), settings: settings))
  }

  @Test("kinds match exactly, by family or all")
  func kindsMatch() {
    #expect(DeliveryRules.kindMatches(["case.*"], "case.overdue"))
    #expect(!DeliveryRules.kindMatches(["case.*"], "cases.overdue"))
    #expect(DeliveryRules.kindMatches(["digest.daily", "*"], "list.published"))
    #expect(!DeliveryRules.kindMatches(["case.overdue"], "case.reported"))
  }

  @Test("quiet hours hold back all but urgent messages")
  func quietHoursHoldBackAllButUrgentMessages() {
    // 23:30 in the city (15:30 UTC), quiet from 22:00 to 07:00: out at 07:00.
    let late = Date(timeIntervalSince1970: 1_796_139_000 + 30)
    let release = DeliveryRules.releaseTime(at: late, quietStart: 22 * 60, quietEnd: 7 * 60, urgent: false)
    #expect(release == Date(timeIntervalSince1970: 1_796_166_000))
    #expect(DeliveryRules.releaseTime(at: late, quietStart: 22 * 60, quietEnd: 7 * 60, urgent: true) == late)
    #expect(DeliveryRules.releaseTime(at: late, quietStart: 0, quietEnd: 0, urgent: false) == late)
    // 12:00 is outside the window.
    let noon = Date(timeIntervalSince1970: 1_796_097_600)
    #expect(DeliveryRules.releaseTime(at: noon, quietStart: 22 * 60, quietEnd: 7 * 60, urgent: false) == noon)
    // A window within the day: 12:00–14:00, at 12:00 out at 14:00.
    #expect(
      DeliveryRules.releaseTime(at: noon, quietStart: 12 * 60, quietEnd: 14 * 60, urgent: false)
        == noon.addingTimeInterval(7200))
  }

  @Test("a webhook goes to a public HTTPS address")
  func aWebhookGoesToAPublicHTTPSAddress() throws {
    #expect(try WebhookTarget.check("https://city.example.cn/hooks", field: "url", allowPrivate: false) != "")
    for refused in [
      "http://city.example.cn/hooks", "https://127.0.0.1:50053/", "https://10.1.2.3/", "https://[::1]/",
      "https://localhost/x", "https://192.168.1.1/", "https://169.254.169.254/latest", "ftp://x.cn/", "hooks",
      "https://user:pw@example.cn/",
    ] {
      #expect(throws: DomainError.self, "\(refused)") {
        try WebhookTarget.check(refused, field: "url", allowPrivate: false)
      }
    }
    #expect(try WebhookTarget.check("http://127.0.0.1:9/", field: "url", allowPrivate: true) == "http://127.0.0.1:9/")
    // Checked again before each attempt, by what the name resolves to now.
    #expect(WebhookTarget.resolvesPrivate("localhost") && WebhookTarget.resolvesPrivate("127.0.0.1"))
    #expect(!WebhookTarget.resolvesPrivate("203.0.113.7"))
    #expect(throws: DomainError.self) { try WebhookTarget.checkKinds(["case.nonsense"]) }
    #expect(throws: DomainError.self) { try WebhookTarget.checkKinds([]) }
    #expect(try WebhookTarget.checkKinds(["case.*", "digest.daily"]).count == 2)
  }

  @Test("signatures follow the Standard Webhooks scheme (the convention's own example)")
  func signaturesFollowStandardWebhooks() throws {
    let signature = try WebhookSignature.sign(
      id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330, body: Data(#"{"test": 2432232314}"#.utf8),
      secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    #expect(signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
    #expect(WebhookSignature.newSecret().hasPrefix("whsec_"))
  }
}
