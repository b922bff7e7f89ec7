import Crypto
import ExtrasBase64
import Foundation

/// Second factors as every authenticator app reads them: a random 160-bit key (RFC 4226 §4
/// recommends 160 bits), shown as RFC 4648 Base32 and as an `otpauth://totp/` URI (the Key Uri
/// Format of Google Authenticator, read by Microsoft Authenticator and the others), codes per
/// RFC 6238 (HMAC-SHA1, 30-second steps, 6 digits).
///
/// The codes are computed here over the decoded key with swift-crypto's HMAC: HummingbirdOTP
/// keys its HMAC with the secret string's UTF-8 bytes, which cannot carry a random binary key.
public enum SecondFactor {
  /// Bytes of a new key.
  public static let keyLength = 20
  /// Seconds a code lives (RFC 6238 §4.1, X).
  public static let step: TimeInterval = 30
  /// Who the authenticator app shows the account under.
  public static let issuer = "community-governance"

  /// A new random key as Base32 without padding (32 characters, A–Z and 2–7).
  public static func newSecret() -> String {
    var generator = SystemRandomNumberGenerator()
    let key = (0..<keyLength).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    return String(base32Encoding: key, options: .omitPaddingCharacter)
  }

  /// The key a stored secret stands for: the Base32 it is shown as. A secret from before Base32
  /// (not 32 Base32 characters) keys its codes with its own UTF-8 bytes, as it always did, until
  /// an administrator resets it.
  public static func key(of secret: String) -> [UInt8] {
    if secret.utf8.count == 32, let key = try? secret.base32decoded(), key.count == keyLength { return key }
    return Array(secret.utf8)
  }

  /// The code at `time` for `secret` (RFC 6238 §4.2: T = floor(unix time / 30)).
  public static func code(secret: String, at time: Date) -> Int {
    code(key: key(of: secret), counter: UInt64(max(0, time.timeIntervalSince1970) / step))
  }

  /// RFC 4226 §5.3: HMAC-SHA1 over the big-endian counter, dynamic truncation, six digits.
  static func code(key: [UInt8], counter: UInt64) -> Int {
    let message = withUnsafeBytes(of: counter.bigEndian) { Array($0) }
    let mac = Array(HMAC<Insecure.SHA1>.authenticationCode(for: message, using: SymmetricKey(data: key)))
    let offset = Int(mac[mac.count - 1] & 0x0F)
    let binary =
      (UInt32(mac[offset] & 0x7F) << 24) | (UInt32(mac[offset + 1]) << 16) | (UInt32(mac[offset + 2]) << 8)
      | UInt32(mac[offset + 3])
    return Int(binary % 1_000_000)
  }

  /// The `otpauth://totp/ISSUER:ACCOUNT?secret=...&issuer=...` URI an app takes from a QR code
  /// or a link.
  public static func uri(secret: String, account: String) -> String {
    // RFC 3986 unreserved characters only (CharacterSet.alphanumerics would pass Chinese letters).
    let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
    // The colon between issuer and account stays literal: some readers (pyotp) split only on it.
    let label = [issuer, account].map { $0.addingPercentEncoding(withAllowedCharacters: allowed) ?? $0 }
      .joined(separator: ":")
    return "otpauth://totp/\(label)?secret=\(secret)&issuer=\(issuer)&algorithm=SHA1&digits=6&period=30"
  }
}
