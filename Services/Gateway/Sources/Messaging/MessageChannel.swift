import AsyncHTTPClient
import Foundation
import NIOCore

/// A message to a person, as every channel receives it: the same words go out by SMS (as a
/// template and its parameters), by WeChat Work (企业微信) group robot, by e-mail and to the
/// console's bell.
public struct OutgoingMessage: Sendable, Codable, Equatable {
  /// The event kind it tells of, e.g. `case.overdue`.
  public var kind: String
  /// One line, e.g. `案件 20261130-0007 已超时`.
  public var title: String
  /// The whole text, plain, in Chinese; lines separated by `\n`.
  public var body: String
  /// Where the console shows the record, a hash route such as `#case/case_…`; may be empty.
  public var link: String
  /// The SMS template this message is sent with (`case_overdue`), mapped to the provider's
  /// template id by configuration.
  public var template: String
  /// The template's parameters, in the template's order.
  public var parameters: [String]

  public init(
    kind: String, title: String, body: String, link: String = "", template: String = "", parameters: [String] = []
  ) {
    self.kind = kind
    self.title = title
    self.body = body
    self.link = link
    self.template = template
    self.parameters = parameters
  }
}

/// Why a channel did not deliver a message. `permanent` failures (an address the provider
/// refuses, a template it does not know) are dead letters at once; the others are retried.
/// `receiverUnavailable`: the receiver itself could not take anything (no connection, no answer
/// in time, `DeliveryRules.receiverUnavailable(status:)`), as opposed to refusing this one message.
public struct DeliveryFailure: Error, Sendable, Equatable, CustomStringConvertible {
  public var reason: String
  public var permanent: Bool
  public var receiverUnavailable: Bool

  public init(_ reason: String, permanent: Bool = false, receiverUnavailable: Bool = false) {
    self.reason = reason
    self.permanent = permanent
    self.receiverUnavailable = receiverUnavailable
  }

  public var description: String { reason }
}

/// One way of reaching a person: SMS, a WeChat Work group robot, e-mail. A channel hands the
/// message to its provider and returns once the provider acknowledged it.
public protocol MessageChannel: Sendable {
  /// The channel's name in routes and the delivery log: `sms`, `wecom`, `email`.
  var name: String { get }
  /// Sends `message` to `address` (a mainland mobile, a robot's webhook URL, an e-mail address).
  /// - Throws: `DeliveryFailure` when the provider did not acknowledge it.
  func send(_ message: OutgoingMessage, to address: String) async throws
}

extension HTTPClient {
  /// Sends `request` to a provider's HTTP API and answers its status and the first 64 KiB of its
  /// body, which the channel judges by the provider's own rules.
  /// - Throws: `DeliveryFailure` (retryable) naming `provider` when no answer came.
  func answer(to request: HTTPClientRequest, timeout: TimeAmount, from provider: String) async throws
    -> (status: UInt, body: Data)
  {
    do {
      let response = try await execute(request, timeout: timeout)
      let body = try await response.body.collect(upTo: 64 * 1024)
      return (response.status.code, Data(body.readableBytesView))
    } catch {
      throw DeliveryFailure("\(provider) did not answer: \(error)")
    }
  }
}
