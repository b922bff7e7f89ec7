import Crypto
import Foundation

/// Webhook signatures in the Standard Webhooks convention (standardwebhooks.com, "Signature
/// scheme"): the receiver gets `webhook-id` (the same on every retry, to de-duplicate),
/// `webhook-timestamp` (Unix seconds, to refuse replays) and `webhook-signature`, `v1,` and the
/// Base64 HMAC-SHA256 of `<id>.<timestamp>.<body>` under the subscription's secret.
public enum WebhookSignature {
  /// The prefix of a secret as the convention writes it: `whsec_` and the Base64 key.
  public static let secretPrefix = "whsec_"

  /// A new secret: 32 random bytes, `whsec_<Base64>`.
  public static func newSecret() -> String {
    var generator = SystemRandomNumberGenerator()
    let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    return secretPrefix + Data(bytes).base64EncodedString()
  }

  /// The `webhook-signature` value for one delivery.
  /// - Throws: `DeliveryFailure` (permanent) for a secret that is not `whsec_<Base64>`.
  public static func sign(id: String, timestamp: Int64, body: Data, secret: String) throws -> String {
    guard secret.hasPrefix(secretPrefix), let key = Data(base64Encoded: String(secret.dropFirst(secretPrefix.count)))
    else { throw DeliveryFailure("the subscription's secret is not whsec_<Base64>", permanent: true) }
    var signed = Data("\(id).\(timestamp).".utf8)
    signed.append(body)
    let mac = HMAC<SHA256>.authenticationCode(for: signed, using: SymmetricKey(data: key))
    return "v1," + Data(mac).base64EncodedString()
  }
}
