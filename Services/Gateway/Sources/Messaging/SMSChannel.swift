import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import ServiceKit

/// The SMS channel, `sms`: Tencent Cloud SMS (腾讯云短信), API version 2021-01-11, action
/// `SendSms` (https://cloud.tencent.com/document/api/382/55981), one number a call. A text in
/// mainland China must be an approved template under an approved signature, so the message goes
/// as its `template`, mapped to the template id by `SMSSettings.templates`, and its `parameters`
/// (`TemplateParamSet`); its title and body are not sent.
///
/// The request is `POST` of JSON to the endpoint, signed with TC3-HMAC-SHA256 (signature v3,
/// https://cloud.tencent.com/document/api/382/52071). Delivered only when the answer is HTTP 200
/// and `Response.SendStatusSet[0].Code` is `Ok`. A `Response.Error` or another status code is a
/// `DeliveryFailure`, permanent for the codes Tencent documents as the caller's fault (a wrong
/// parameter, number, template or signature, an unauthorised or unsupported operation, a failed
/// authentication; `permanentCodes`), retryable for the others (limits, balance, internal errors),
/// as are timeouts, an unreachable endpoint and HTTP 5xx.
public struct SMSChannel: MessageChannel {
  public let name = "sms"
  let settings: SMSSettings
  let client: HTTPClient
  /// How long one call may take, answer included.
  let timeout: TimeAmount

  /// A channel with `settings` over `client`; a call gives up after `timeout`.
  public init(settings: SMSSettings, client: HTTPClient = .shared, timeout: TimeAmount = .seconds(10)) {
    self.settings = settings
    self.client = client
    self.timeout = timeout
  }

  /// Sends `message` as its template to the mobile `address`: 11 mainland digits (sent as
  /// `+86…`) or an E.164 number with its `+`.
  /// - Throws: `DeliveryFailure`, permanent for a number that is neither, a template with no id
  ///   in `SMSSettings.templates` or a refusal that is the caller's fault.
  public func send(_ message: OutgoingMessage, to address: String) async throws {
    guard let phone = Self.phoneNumber(address) else {
      throw DeliveryFailure("'\(address)' is not a mobile number (11 mainland digits or +country…)", permanent: true)
    }
    guard let templateID = settings.templates[message.template] else {
      throw DeliveryFailure(
        "no SMS template id for '\(message.template)' (GOVERNANCE_SMS_TEMPLATES)", permanent: true)
    }
    guard let url = URL(string: settings.endpoint), let host = url.host else {
      throw DeliveryFailure("the SMS endpoint '\(settings.endpoint)' is not a URL", permanent: true)
    }
    let payload = try JSONEncoder().encode(
      SendSmsRequest(
        phoneNumberSet: [phone], smsSdkAppId: settings.appID, signName: settings.signName, templateId: templateID,
        templateParamSet: message.parameters))
    // The Host header is set here, as signed: AsyncHTTPClient would write the same (the port only
    // when it is not the scheme's), but the signature must not depend on that.
    let hostHeader = url.port.map { "\(host):\($0)" } ?? host
    let timestamp = Int(Date().timeIntervalSince1970)
    var request = HTTPClientRequest(url: settings.endpoint)
    request.method = .POST
    request.headers.add(name: "Host", value: hostHeader)
    request.headers.add(name: "Content-Type", value: Self.contentType)
    request.headers.add(name: "X-TC-Action", value: "SendSms")
    request.headers.add(name: "X-TC-Version", value: "2021-01-11")
    request.headers.add(name: "X-TC-Timestamp", value: String(timestamp))
    request.headers.add(name: "X-TC-Region", value: settings.region)
    request.headers.add(
      name: "Authorization",
      value: Self.authorization(
        secretID: settings.secretID, secretKey: settings.secretKey, host: hostHeader,
        path: url.path.isEmpty ? "/" : url.path,
        payload: payload, timestamp: timestamp))
    request.body = .bytes(ByteBuffer(bytes: payload))
    let (status, answer) = try await client.answer(to: request, timeout: timeout, from: "Tencent Cloud SMS")
    try Self.verdict(status: status, answer: answer)
  }

  /// The content type sent and signed, as Tencent's own SDKs send it.
  static let contentType = "application/json"

  /// The body of `SendSms`.
  struct SendSmsRequest: Encodable {
    var phoneNumberSet: [String]
    var smsSdkAppId: String
    var signName: String
    var templateId: String
    var templateParamSet: [String]

    enum CodingKeys: String, CodingKey {
      case phoneNumberSet = "PhoneNumberSet"
      case smsSdkAppId = "SmsSdkAppId"
      case signName = "SignName"
      case templateId = "TemplateId"
      case templateParamSet = "TemplateParamSet"
    }
  }

  /// The part of `SendSms`'s answer read here: `{"Response": {"Error": {"Code", "Message"}}}` or
  /// `{"Response": {"SendStatusSet": [{"Code", "Message", …}]}}`, with `RequestId` either way.
  struct SendSmsAnswer: Decodable {
    struct Status: Decodable {
      var code: String
      var message: String?
      enum CodingKeys: String, CodingKey {
        case code = "Code"
        case message = "Message"
      }
    }
    struct Body: Decodable {
      var error: Status?
      var sendStatusSet: [Status]?
      var requestId: String?
      enum CodingKeys: String, CodingKey {
        case error = "Error"
        case sendStatusSet = "SendStatusSet"
        case requestId = "RequestId"
      }
    }
    var response: Body
    enum CodingKeys: String, CodingKey { case response = "Response" }
  }

  /// The rule "delivered only on HTTP 200 with `SendStatusSet[0].Code == "Ok"`".
  /// - Throws: `DeliveryFailure` otherwise: retryable for HTTP 5xx, 408 and 429 and an answer
  ///   that is not the API's; permanent for another HTTP status (the endpoint is wrong); as
  ///   `failure(code:message:)` says for an error or status code.
  static func verdict(status: UInt, answer: Data) throws(DeliveryFailure) {
    guard status == 200 else {
      throw DeliveryFailure(
        "Tencent Cloud SMS answered HTTP \(status)", permanent: status < 500 && status != 408 && status != 429)
    }
    guard let body = try? JSONDecoder().decode(SendSmsAnswer.self, from: answer).response else {
      throw DeliveryFailure("Tencent Cloud SMS answered with something that is not its JSON")
    }
    let request = body.requestId.map { " (RequestId \($0))" } ?? ""
    if let error = body.error {
      throw failure(code: error.code, message: (error.message ?? "") + request)
    }
    guard let first = body.sendStatusSet?.first else {
      throw DeliveryFailure("Tencent Cloud SMS answered with no send status\(request)")
    }
    guard first.code == "Ok" else { throw failure(code: first.code, message: (first.message ?? "") + request) }
  }

  /// The error codes (and the families, before their dot) that are the caller's fault, from the
  /// SMS error code list (https://cloud.tencent.com/document/api/382/52075): sending the same
  /// again fails the same way, so the message is a dead letter at once.
  static let permanentCodes = [
    "AuthFailure", "InvalidParameter", "InvalidParameterValue", "MissingParameter", "UnknownParameter",
    "UnauthorizedOperation", "UnsupportedOperation", "FailedOperation.TemplateIncorrectOrUnapproved",
    "FailedOperation.SignatureIncorrectOrUnapproved", "FailedOperation.PhoneNumberInBlacklist",
    "FailedOperation.PhoneNumberParseFail", "FailedOperation.ContainSensitiveWord",
    "FailedOperation.TemplateParamSetNotMatchApprovedTemplate",
  ]

  /// The failure for Tencent's error or status `code`: permanent when it is one of
  /// `permanentCodes` or in one of their families, retryable otherwise.
  static func failure(code: String, message: String) -> DeliveryFailure {
    let permanent = permanentCodes.contains { code == $0 || code.hasPrefix($0 + ".") }
    return DeliveryFailure("Tencent Cloud SMS refused it: \(code): \(message)", permanent: permanent)
  }

  /// The number as `SendSms` takes it, E.164 with its `+`: 11 mainland digits (spaces and
  /// hyphens dropped) get `+86`; `+` and 7 to 15 digits stay; nil for anything else.
  static func phoneNumber(_ address: String) -> String? {
    let text = address.filter { $0 != " " && $0 != "-" }
    let isDigits = { (digits: Substring) in
      !digits.isEmpty && digits.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }
    if text.utf8.count == 11, text.hasPrefix("1"), isDigits(text[...]) { return "+86" + text }
    if text.hasPrefix("+"), (8...16).contains(text.utf8.count), isDigits(text.dropFirst()) { return text }
    return nil
  }

  /// The `Authorization` header of signature v3 (TC3-HMAC-SHA256) for a `POST` of `payload` to
  /// `path` on `host` at `timestamp` (seconds since 1970), signing `content-type` and `host`:
  /// the canonical request (method, path, empty query, the two headers, their names, the
  /// payload's SHA-256 in hex) is hashed into the string to sign (algorithm, timestamp,
  /// `date/sms/tc3_request`, that hash), which is signed with the key derived from
  /// `"TC3" + secretKey` through the UTC date, the service `sms` and `tc3_request`.
  static func authorization(
    secretID: String, secretKey: String, host: String, path: String, payload: Data, timestamp: Int
  ) -> String {
    let date = utcDate(timestamp)
    let canonicalRequest = [
      "POST", path, "", "content-type:\(contentType)\nhost:\(host)\n", "content-type;host",
      Hex.lowercase(SHA256.hash(data: payload)),
    ].joined(separator: "\n")
    let scope = "\(date)/sms/tc3_request"
    let stringToSign = [
      "TC3-HMAC-SHA256", String(timestamp), scope, Hex.lowercase(SHA256.hash(data: Data(canonicalRequest.utf8))),
    ].joined(separator: "\n")
    var key = SymmetricKey(data: Data(("TC3" + secretKey).utf8))
    for part in [date, "sms", "tc3_request"] {
      key = SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Data(part.utf8), using: key)))
    }
    let signature = Hex.lowercase(HMAC<SHA256>.authenticationCode(for: Data(stringToSign.utf8), using: key))
    return "TC3-HMAC-SHA256 Credential=\(secretID)/\(scope), SignedHeaders=content-type;host, Signature=\(signature)"
  }

  /// `yyyy-MM-dd` of `timestamp` in UTC, the date in the credential scope.
  static func utcDate(_ timestamp: Int) -> String {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(secondsFromGMT: 0)!
    let day = calendar.dateComponents(
      [.year, .month, .day], from: Date(timeIntervalSince1970: TimeInterval(timestamp)))
    return String(format: "%04d-%02d-%02d", day.year ?? 0, day.month ?? 0, day.day ?? 0)
  }
}

/// Residents' one-time codes go out by SMS when it is configured: the channel is the sender.
extension SMSChannel: MessageSender {}
