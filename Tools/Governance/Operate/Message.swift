import ArgumentParser
import Foundation
import Gateway
import ServiceKit

/// `governance message …`: the gateway's outside channels, from the operator's side.
struct MessageCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "message", abstract: "Try the gateway's message channels.", subcommands: [MessageSend.self])
}

/// `governance message send --channel sms|wecom|email --to ADDRESS --title T --body B
/// [--link PATH] [--template K --parameter P …]`: sends one message through the real channel,
/// configured from the same environment as the gateway (ChannelSettings), and prints `sent`, or
/// the failure (`failed (permanent|retryable): …`) on standard error and exits 1. How an
/// administrator checks a channel's configuration.
struct MessageSend: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "send", abstract: "Send one message through a channel configured from the environment.")

  @Option(help: "sms, wecom or email.")
  var channel: String

  @Option(help: "A mobile number (sms), a group robot's webhook URL (wecom) or an e-mail address (email).")
  var to: String

  @Option(help: "The title: the e-mail's subject, the robot message's first line.")
  var title: String

  @Option(help: "The text.")
  var body: String

  @Option(help: "A console path or URL the message links to (under GOVERNANCE_PUBLIC_URL when a path).")
  var link = ""

  @Option(help: "The SMS template's name in GOVERNANCE_SMS_TEMPLATES, e.g. one_time_code.")
  var template = ""

  @Option(name: .customLong("parameter"), help: "A template parameter, in the template's order (repeatable).")
  var parameters: [String] = []

  func validate() throws {
    guard MessageChannels.names.contains(channel) else {
      throw ValidationError(
        "unknown channel '\(channel)'; one of \(MessageChannels.names.joined(separator: ", "))")
    }
  }

  func run() async throws {
    let settings: ChannelSettings
    do {
      settings = try ChannelSettings.resolve(environment: ProcessInfo.processInfo.environment)
    } catch {
      complain("\(error)")
      throw ExitCode(1)
    }
    guard let target = MessageChannels(settings: settings).channel(named: channel) else {
      let needed = ChannelSettings.requiredVariables[channel, default: []].joined(separator: ", ")
      complain("the \(channel) channel is not configured: set \(needed)")
      throw ExitCode(1)
    }
    let message = OutgoingMessage(
      kind: "operator.check", title: title, body: body, link: link, template: template, parameters: parameters)
    do {
      try await target.send(message, to: to)
    } catch let failure as DeliveryFailure {
      complain("failed (\(failure.permanent ? "permanent" : "retryable")): \(failure.reason)")
      throw ExitCode(1)
    }
    print("sent")
  }

  private func complain(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
  }
}
