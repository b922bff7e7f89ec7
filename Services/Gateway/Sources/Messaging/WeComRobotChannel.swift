import AsyncHTTPClient
import Foundation
import NIOCore

/// The WeChat Work group robot channel, `wecom` (企业微信群机器人,
/// https://developer.work.weixin.qq.com/document/path/91770): the address is the robot's webhook
/// URL, `https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…`, which a group's owner copies
/// from the robot, so the channel needs no setting of its own.
///
/// The message goes as one markdown message, `{"msgtype":"markdown","markdown":{"content":…}}`,
/// its title in bold, its body, and its link as `[打开](…)` when there is a public address to put
/// it under, cut to fit the 4096 bytes WeChat takes. WeChat answers HTTP 200 even when it refuses,
/// with a non-zero `errcode`: delivered only on HTTP 200 with `errcode` 0. A refusal is a
/// `DeliveryFailure`, retryable for -1 (busy) and 45009 (the robot's limit of 20 messages a
/// minute), as are timeouts, an unreachable server and HTTP 5xx; permanent for the others (93000,
/// an invalid webhook URL or key; 40xxx, a malformed message).
public struct WeComRobotChannel: MessageChannel {
  public let name = "wecom"
  /// Where relative links (`/console/#/…`) are put under; nil leaves them out.
  let publicURL: String?
  let client: HTTPClient
  /// How long one call may take, answer included.
  let timeout: TimeAmount

  /// A channel over `client` whose links go under `publicURL`; a call gives up after `timeout`.
  public init(publicURL: String? = nil, client: HTTPClient = .shared, timeout: TimeAmount = .seconds(10)) {
    self.publicURL = publicURL
    self.client = client
    self.timeout = timeout
  }

  /// Sends `message` to the robot whose webhook URL is `address` (http or https, with its `key`).
  /// - Throws: `DeliveryFailure`, permanent for an address that is not a webhook URL or a refusal
  ///   that is the caller's fault.
  public func send(_ message: OutgoingMessage, to address: String) async throws {
    guard let url = URLComponents(string: address), url.scheme == "https" || url.scheme == "http",
      url.host?.isEmpty == false,
      url.queryItems?.contains(where: { $0.name == "key" && $0.value?.isEmpty == false }) == true
    else {
      throw DeliveryFailure("'\(address)' is not a group robot's webhook URL (…/webhook/send?key=…)", permanent: true)
    }
    let content = Self.content(message, link: message.absoluteLink(publicURL: publicURL))
    let payload = try JSONEncoder().encode(Markdown(markdown: .init(content: content)))
    var request = HTTPClientRequest(url: address)
    request.method = .POST
    request.headers.add(name: "Content-Type", value: "application/json")
    request.body = .bytes(ByteBuffer(bytes: payload))
    let (status, answer) = try await client.answer(to: request, timeout: timeout, from: "the WeChat Work robot")
    try Self.verdict(status: status, answer: answer)
  }

  /// The most bytes (UTF-8) of a markdown message's content.
  static let contentLimit = 4096

  /// The request body.
  struct Markdown: Encodable {
    struct Content: Encodable { var content: String }
    var msgtype = "markdown"
    var markdown: Content
  }

  /// The answer, `{"errcode": 0, "errmsg": "ok"}`.
  struct Answer: Decodable {
    var errcode: Int
    var errmsg: String?
  }

  /// `**title**`, the body and `[打开](link)` on lines of their own; when that is over
  /// `contentLimit` bytes, the body (and then the title) is cut on a character boundary and
  /// ends with `…`, so the title and the link stay.
  static func content(_ message: OutgoingMessage, link: String?) -> String {
    let tail = link.map { "\n[打开](\($0))" } ?? ""
    let whole = "**\(message.title)**\n\(message.body)" + tail
    guard whole.utf8.count > contentLimit else { return whole }
    let ellipsis = "…"
    let title = prefix(message.title, bytes: contentLimit / 4)
    let head = "**\(title)**\n"
    let room = contentLimit - head.utf8.count - tail.utf8.count - ellipsis.utf8.count
    return head + prefix(message.body, bytes: max(room, 0)) + ellipsis + tail
  }

  /// The longest run of whole characters from the start of `text` within `bytes` bytes of UTF-8.
  static func prefix(_ text: String, bytes: Int) -> String {
    var used = 0
    var end = text.startIndex
    for index in text.indices {
      let size = text[index].utf8.count
      guard used + size <= bytes else { break }
      used += size
      end = text.index(after: index)
    }
    return String(text[..<end])
  }

  /// The rule "delivered only on HTTP 200 with `errcode` 0".
  /// - Throws: `DeliveryFailure` otherwise: retryable for HTTP 5xx and 429, errcode -1 and 45009
  ///   and an answer that is not WeChat's JSON; permanent for another HTTP status or errcode.
  static func verdict(status: UInt, answer: Data) throws(DeliveryFailure) {
    guard status == 200 else {
      throw DeliveryFailure("the WeChat Work robot answered HTTP \(status)", permanent: status < 500 && status != 429)
    }
    guard let answer = try? JSONDecoder().decode(Answer.self, from: answer) else {
      throw DeliveryFailure("the WeChat Work robot answered with something that is not its JSON")
    }
    guard answer.errcode != 0 else { return }
    throw DeliveryFailure(
      "the WeChat Work robot refused it: errcode \(answer.errcode): \(answer.errmsg ?? "")",
      permanent: answer.errcode != -1 && answer.errcode != 45009)
  }
}
