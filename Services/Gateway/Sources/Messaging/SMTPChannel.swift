import Foundation
import NIOCore
import NIOExtras
import NIOPosix

/// The e-mail channel, `email`: hands each message to an SMTP relay (RFC 5321) as one plain-text
/// mail (RFC 5322, MIME per RFC 2045 to 2047), one recipient a connection.
///
/// The gateway speaks plain SMTP without AUTH to a relay it trusts, on the host or beside it (a
/// local Postfix, say): encrypting the onward way, authenticating to the provider and retrying
/// are the relay's work, which keeps secrets for a mail provider out of the gateway. The exchange
/// is EHLO (HELO when the relay does not know EHLO), `MAIL FROM`, `RCPT TO`, `DATA` with the
/// message dot-stuffed, and QUIT; every reply is checked, and one the step does not expect is a
/// `DeliveryFailure`: permanent for 5xx, retryable for 4xx and anything else, as is a relay that
/// cannot be reached or does not finish within the timeout (`SMTPSettings.timeout`, 10 s by
/// default, connection included). The message is delivered once the relay accepted its data.
public struct SMTPChannel: MessageChannel {
  public let name = "email"
  let settings: SMTPSettings
  /// Where relative links (`/console/#/…`) are put under; nil leaves them out.
  let publicURL: String?
  let eventLoopGroup: any EventLoopGroup

  /// A channel to the relay in `settings` whose links go under `publicURL`, its connections on
  /// `eventLoopGroup`.
  public init(
    settings: SMTPSettings, publicURL: String? = nil,
    eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
  ) {
    self.settings = settings
    self.publicURL = publicURL
    self.eventLoopGroup = eventLoopGroup
  }

  /// Sends `message` to the e-mail `address` (ASCII, `name@domain`): its title is the subject,
  /// its body (and link) the text.
  /// - Throws: `DeliveryFailure`, permanent for an address that is not one or a 5xx reply.
  public func send(_ message: OutgoingMessage, to address: String) async throws {
    guard let recipient = Self.mailbox(address) else {
      throw DeliveryFailure("'\(address)' is not an ASCII e-mail address (name@domain)", permanent: true)
    }
    guard let sender = Self.mailbox(settings.from) else {
      throw DeliveryFailure("the sender '\(settings.from)' is not an ASCII e-mail address", permanent: true)
    }
    let mail = Self.compose(
      message, link: message.absoluteLink(publicURL: publicURL), from: sender, to: recipient, date: Date(),
      id: UUID().uuidString.lowercased())
    let relay = "\(settings.host):\(settings.port)"
    let timeout = settings.timeout
    try await withThrowingTaskGroup(of: Void.self) { group in
      group.addTask { try await exchange(mail, from: sender, to: recipient) }
      group.addTask {
        try await Task.sleep(for: timeout)
        throw DeliveryFailure("the relay \(relay) did not finish within \(timeout)")
      }
      // The first to finish decides; the other is cancelled (a cancelled read or write ends the
      // exchange and closes the connection).
      defer { group.cancelAll() }
      try await group.next()
    }
  }

  /// One SMTP exchange handing `mail` from `sender` to `recipient`.
  func exchange(_ mail: String, from sender: String, to recipient: String) async throws {
    let relay = "\(settings.host):\(settings.port)"
    let connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>
    do {
      connection = try await ClientBootstrap(group: eventLoopGroup)
        .connectTimeout(TimeAmount(settings.timeout))
        .connect(host: settings.host, port: settings.port) { channel in
          channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LineBasedFrameDecoder()))
            return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
          }
        }
    } catch {
      throw DeliveryFailure("cannot reach the relay \(relay): \(error)")
    }
    // RFC 5321 4.1.4: a client without a domain name of its own greets with its address literal.
    let client =
      switch connection.channel.localAddress {
      case .v4(let address)?: "[\(address.host)]"
      case .v6(let address)?: "[IPv6:\(address.host)]"
      default: "[127.0.0.1]"
      }
    try await connection.executeThenClose { inbound, outbound in
      var conversation = Conversation(replies: inbound.makeAsyncIterator(), outbound: outbound, relay: relay)
      do {
        try await conversation.expect([220], step: "the connection")
        let hello = try await conversation.say("EHLO \(client)")
        if hello.code == 500 || hello.code == 502 {
          try await conversation.say("HELO \(client)", expect: [250], step: "HELO")
        } else if hello.code != 250 {
          throw conversation.failure(hello, step: "EHLO")
        }
        try await conversation.say("MAIL FROM:<\(sender)>", expect: [250], step: "MAIL FROM")
        try await conversation.say("RCPT TO:<\(recipient)>", expect: [250, 251], step: "RCPT TO")
        try await conversation.say("DATA", expect: [354], step: "DATA")
        try await conversation.say(Self.dotStuffed(mail) + ".", expect: [250], step: "the message")
      } catch let failure as DeliveryFailure {
        await conversation.quit()
        throw failure
      } catch {
        throw DeliveryFailure("the exchange with the relay \(relay) broke off: \(error)")
      }
      await conversation.quit()
    }
  }

  /// A reply: its code and its text, the lines of a multiline reply joined with spaces.
  struct Reply {
    var code: Int
    var text: String
  }

  /// The client's side of an exchange: commands out, replies in, as lines.
  struct Conversation {
    var replies: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    /// `host:port`, for the failures' words.
    let relay: String

    /// Sends `command` and a CRLF and reads the reply.
    mutating func say(_ command: String) async throws -> Reply {
      try await outbound.write(ByteBuffer(string: command + "\r\n"))
      return try await read()
    }

    /// Ends the session with QUIT (RFC 5321 4.1.1.10), a refused one too, without waiting for
    /// the reply: the message's fate is decided by then, and a relay slow to say goodbye must not
    /// turn a delivered message into a timeout, or a refusal into a retry.
    func quit() async {
      try? await outbound.write(ByteBuffer(string: "QUIT\r\n"))
    }

    /// Sends `command` and a CRLF and reads the reply, which must have one of `codes`.
    /// - Throws: `failure(_:step:)` for another.
    @discardableResult
    mutating func say(_ command: String, expect codes: Set<Int>, step: String) async throws -> Reply {
      try await outbound.write(ByteBuffer(string: command + "\r\n"))
      return try await expect(codes, step: step)
    }

    /// Reads a reply, which must have one of `codes`.
    /// - Throws: `failure(_:step:)` for another.
    @discardableResult
    mutating func expect(_ codes: Set<Int>, step: String) async throws -> Reply {
      let reply = try await read()
      guard codes.contains(reply.code) else { throw failure(reply, step: step) }
      return reply
    }

    /// The next reply (RFC 5321 4.2): lines of a code and text, all but the last with `-` after
    /// the code.
    /// - Throws: `DeliveryFailure` (retryable) for a line that is not a reply or a connection
    ///   closed before the reply ended.
    mutating func read() async throws -> Reply {
      var text: [String] = []
      while let buffer = try await replies.next() {
        let line = String(buffer: buffer)
        let digits = line.utf8.prefix(3)
        guard digits.count == 3, digits.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
          let code = Int(line.prefix(3))
        else {
          throw DeliveryFailure("the relay \(relay) answered '\(line)', which is not an SMTP reply")
        }
        text.append(String(line.dropFirst(4)))
        if line.dropFirst(3).first != "-" { return Reply(code: code, text: text.joined(separator: " ")) }
      }
      throw DeliveryFailure("the relay \(relay) closed the connection")
    }

    /// The failure a reply unexpected at `step` stands for: permanent for 5xx, retryable for
    /// 4xx and other codes.
    func failure(_ reply: Reply, step: String) -> DeliveryFailure {
      DeliveryFailure(
        "the relay \(relay) refused \(step): \(reply.code) \(reply.text)", permanent: (500...599).contains(reply.code))
    }
  }

  /// `text` as an address for `MAIL FROM`, `RCPT TO` and a header: `local@domain` in printable
  /// ASCII without spaces, quotes, brackets, commas, colons or semicolons (nothing that could
  /// end a command or a header, or add a recipient), at most 254 bytes (RFC 5321 4.5.3.1.3); nil
  /// otherwise.
  static func mailbox(_ text: String) -> String? {
    let address = text.trimmingCharacters(in: .whitespaces)
    let forbidden = Set("<>()[],;:\\\"".utf8)
    guard (3...254).contains(address.utf8.count),
      address.utf8.allSatisfy({ (0x21...0x7E).contains($0) && !forbidden.contains($0) })
    else { return nil }
    let parts = address.split(separator: "@", omittingEmptySubsequences: false)
    guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return nil }
    return address
  }

  /// The mail, lines ending in CRLF: the headers `From`, `To`, `Subject` (the title as RFC 2047
  /// encoded words), `Date`, `Message-ID` (`<id@sender's domain>`), `MIME-Version`,
  /// `Content-Type: text/plain; charset=UTF-8` and `Content-Transfer-Encoding: base64`, then the
  /// body and the link (`打开：…`) with CRLF line breaks, in base64 lines of 76 characters
  /// (RFC 2045 6.8).
  static func compose(
    _ message: OutgoingMessage, link: String?, from sender: String, to recipient: String, date: Date, id: String
  ) -> String {
    let text = message.body + (link.map { "\n\n打开：\($0)" } ?? "")
    let lines = text.replacingOccurrences(of: "\r\n", with: "\n").split(
      separator: "\n", omittingEmptySubsequences: false)
    let body = Array(Data(lines.joined(separator: "\r\n").utf8).base64EncodedString().utf8)
    let title = message.title.split(whereSeparator: \.isNewline).joined(separator: " ")
    let headers = [
      "From: \(sender)", "To: \(recipient)", "Subject: \(encodedWords(title))", "Date: \(rfc5322Date(date))",
      "Message-ID: <\(id)@\(sender.split(separator: "@").last ?? "localhost")>", "MIME-Version: 1.0",
      "Content-Type: text/plain; charset=UTF-8", "Content-Transfer-Encoding: base64",
    ]
    let bodyLines = stride(from: 0, to: body.count, by: 76).map { start in
      String(decoding: body[start..<min(start + 76, body.count)], as: UTF8.self)
    }
    return (headers + [""] + bodyLines).map { $0 + "\r\n" }.joined()
  }

  /// `text` as RFC 2047 `=?UTF-8?B?…?=` words of at most 39 bytes of UTF-8 each (whole Unicode
  /// scalars), so each word is 64 characters and a header line stays under 78; words are folded
  /// onto lines of their own, which a reader joins without the space between them.
  static func encodedWords(_ text: String) -> String {
    var words: [[UInt8]] = [[]]
    for scalar in text.unicodeScalars {
      let bytes = Array(String(scalar).utf8)
      if words[words.count - 1].count + bytes.count > 39 { words.append([]) }
      words[words.count - 1] += bytes
    }
    return words.map { "=?UTF-8?B?\(Data($0).base64EncodedString())?=" }.joined(separator: "\r\n ")
  }

  /// `date` as RFC 5322 3.3 writes it, in UTC: `Tue, 01 Dec 2026 08:00:00 +0000`.
  static func rfc5322Date(_ date: Date) -> String {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(secondsFromGMT: 0)!
    let parts = calendar.dateComponents([.weekday, .day, .month, .year, .hour, .minute, .second], from: date)
    let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    let two = { (number: Int?) in String(format: "%02d", number ?? 0) }
    return
      "\(days[(parts.weekday ?? 1) - 1]), \(two(parts.day)) \(months[(parts.month ?? 1) - 1]) \(parts.year ?? 1970) "
      + "\(two(parts.hour)):\(two(parts.minute)):\(two(parts.second)) +0000"
  }

  /// `mail` as `DATA` carries it (RFC 5321 4.5.2): a line that starts with a period gets another,
  /// so no line of it reads as the end of the data.
  static func dotStuffed(_ mail: String) -> String {
    mail.split(separator: "\r\n", omittingEmptySubsequences: false).map { $0.hasPrefix(".") ? "." + $0 : $0 }
      .joined(separator: "\r\n")
  }
}
