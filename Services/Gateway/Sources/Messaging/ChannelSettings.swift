import AsyncHTTPClient
import Foundation
import ServiceKit

/// How the gateway reaches Tencent Cloud SMS (腾讯云短信, API 2021-01-11), from
/// `GOVERNANCE_SMS_*` (ChannelSettings.resolve).
public struct SMSSettings: Sendable, Equatable {
  /// The API's address, an http(s) URL: `GOVERNANCE_SMS_ENDPOINT`, by default
  /// `https://sms.tencentcloudapi.com/`.
  public var endpoint: String
  /// The API key's SecretId (`AKID…`): `GOVERNANCE_SMS_SECRET_ID`.
  public var secretID: String
  /// The API key's SecretKey, which signs every request and never leaves the gateway:
  /// `GOVERNANCE_SMS_SECRET_KEY`.
  public var secretKey: String
  /// The SMS application's SdkAppId (digits, e.g. `1400006666`): `GOVERNANCE_SMS_APP_ID`.
  public var appID: String
  /// The approved signature (签名) every text opens with, e.g. `社区治理`: `GOVERNANCE_SMS_SIGN_NAME`.
  public var signName: String
  /// The API region, `GOVERNANCE_SMS_REGION`, by default `ap-guangzhou`.
  public var region: String
  /// The approved template ids by the platform's template names (`OutgoingMessage.template`):
  /// `GOVERNANCE_SMS_TEMPLATES`, e.g. `one_time_code=1234567,case_overdue=2345678`.
  public var templates: [String: String]

  public init(
    endpoint: String = SMSSettings.defaultEndpoint, secretID: String, secretKey: String, appID: String,
    signName: String, region: String = SMSSettings.defaultRegion, templates: [String: String]
  ) {
    self.endpoint = endpoint
    self.secretID = secretID
    self.secretKey = secretKey
    self.appID = appID
    self.signName = signName
    self.region = region
    self.templates = templates
  }

  /// Tencent Cloud's SMS endpoint (the nearest region answers).
  public static let defaultEndpoint = "https://sms.tencentcloudapi.com/"
  /// The region the SMS API is served from for mainland applications.
  public static let defaultRegion = "ap-guangzhou"
}

/// How the gateway hands e-mail to its relay, from `GOVERNANCE_SMTP_*` (ChannelSettings.resolve).
public struct SMTPSettings: Sendable, Equatable {
  /// The relay's host name or address: `GOVERNANCE_SMTP_HOST`.
  public var host: String
  /// The relay's port: `GOVERNANCE_SMTP_PORT`, by default 25.
  public var port: Int
  /// The sender's address (ASCII, `name@domain`), in `MAIL FROM` and the `From` header:
  /// `GOVERNANCE_SMTP_FROM`.
  public var from: String
  /// How long the whole exchange, connection included, may take.
  public var timeout: Duration

  public init(host: String, port: Int = 25, from: String, timeout: Duration = .seconds(10)) {
    self.host = host
    self.port = port
    self.from = from
    self.timeout = timeout
  }
}

/// Which of the gateway's outside channels are configured, from its environment. A channel whose
/// variables are all unset is simply not configured; one with some set and a required one missing
/// is a configuration error. The WeChat Work group robot needs no setting: its address, the
/// robot's webhook URL, carries the robot and its key.
public struct ChannelSettings: Sendable, Equatable {
  /// The SMS channel's settings; nil when it is not configured.
  public var sms: SMSSettings?
  /// The e-mail channel's settings; nil when it is not configured.
  public var smtp: SMTPSettings?
  /// The gateway's address as people reach it (`GOVERNANCE_PUBLIC_URL`, no trailing slash), which
  /// turns a message's console path into a link a robot or an e-mail can carry; nil leaves links
  /// out.
  public var publicURL: String?

  public init(sms: SMSSettings? = nil, smtp: SMTPSettings? = nil, publicURL: String? = nil) {
    self.sms = sms
    self.smtp = smtp
    self.publicURL = publicURL
  }

  /// The variables a channel needs, by the channel's name (`wecom` needs none).
  public static let requiredVariables = [
    "sms": [
      "GOVERNANCE_SMS_SECRET_ID", "GOVERNANCE_SMS_SECRET_KEY", "GOVERNANCE_SMS_APP_ID", "GOVERNANCE_SMS_SIGN_NAME",
      "GOVERNANCE_SMS_TEMPLATES",
    ],
    "email": ["GOVERNANCE_SMTP_HOST", "GOVERNANCE_SMTP_FROM"],
  ]

  /// The template every resident's one-time code is sent with; its parameters are the code and
  /// its lifetime in minutes.
  public static let oneTimeCodeTemplate = "one_time_code"

  /// The settings from `environment`; an empty variable counts as unset.
  /// - Throws: `ConfigurationError` naming the variable when a channel is configured in part (a
  ///   required variable of it is missing), a URL is not http(s), the SMS app id is not digits,
  ///   the template list is not `name=digits,…` or lacks `one_time_code` (the gateway sends
  ///   residents' codes with it), the SMTP port is not 1 to 65535, or the sender is not an ASCII
  ///   address.
  public static func resolve(environment: [String: String]) throws(ConfigurationError) -> ChannelSettings {
    let value = { (name: String) -> String? in
      guard let text = environment[name]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
      return text
    }
    var settings = ChannelSettings()
    if let url = value("GOVERNANCE_PUBLIC_URL") {
      settings.publicURL = try httpURL(url, setting: "GOVERNANCE_PUBLIC_URL")
      if settings.publicURL?.hasSuffix("/") == true { settings.publicURL?.removeLast() }
    }
    let smsVariables = [
      "GOVERNANCE_SMS_ENDPOINT", "GOVERNANCE_SMS_SECRET_ID", "GOVERNANCE_SMS_SECRET_KEY", "GOVERNANCE_SMS_APP_ID",
      "GOVERNANCE_SMS_SIGN_NAME", "GOVERNANCE_SMS_REGION", "GOVERNANCE_SMS_TEMPLATES",
    ]
    if smsVariables.contains(where: { value($0) != nil }) {
      let required = { (name: String) throws(ConfigurationError) -> String in
        guard let text = value(name) else {
          throw ConfigurationError(setting: name, problem: "unset, while other GOVERNANCE_SMS_ variables are set")
        }
        return text
      }
      let appID = try required("GOVERNANCE_SMS_APP_ID")
      guard appID.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else {
        throw ConfigurationError(setting: "GOVERNANCE_SMS_APP_ID", problem: "'\(appID)' is not an SdkAppId (digits)")
      }
      settings.sms = SMSSettings(
        endpoint: try httpURL(
          value("GOVERNANCE_SMS_ENDPOINT") ?? SMSSettings.defaultEndpoint, setting: "GOVERNANCE_SMS_ENDPOINT"),
        secretID: try required("GOVERNANCE_SMS_SECRET_ID"), secretKey: try required("GOVERNANCE_SMS_SECRET_KEY"),
        appID: appID, signName: try required("GOVERNANCE_SMS_SIGN_NAME"),
        region: value("GOVERNANCE_SMS_REGION") ?? SMSSettings.defaultRegion,
        templates: try templates(try required("GOVERNANCE_SMS_TEMPLATES")))
    }
    if value("GOVERNANCE_SMTP_HOST") != nil || value("GOVERNANCE_SMTP_PORT") != nil
      || value("GOVERNANCE_SMTP_FROM") != nil
    {
      guard let host = value("GOVERNANCE_SMTP_HOST") else {
        throw ConfigurationError(
          setting: "GOVERNANCE_SMTP_HOST", problem: "unset, while other GOVERNANCE_SMTP_ variables are set")
      }
      guard let from = value("GOVERNANCE_SMTP_FROM") else {
        throw ConfigurationError(
          setting: "GOVERNANCE_SMTP_FROM", problem: "unset, while GOVERNANCE_SMTP_HOST is set")
      }
      guard SMTPChannel.mailbox(from) != nil else {
        throw ConfigurationError(
          setting: "GOVERNANCE_SMTP_FROM", problem: "'\(from)' is not an ASCII e-mail address (name@domain)")
      }
      let port = try ConfigurationError.wholeNumber(
        "GOVERNANCE_SMTP_PORT", in: environment, default: 25, range: 1...65_535)
      settings.smtp = SMTPSettings(host: host, port: port, from: from)
    }
    return settings
  }

  /// `text` when it is an http:// or https:// URL with a host.
  private static func httpURL(_ text: String, setting: String) throws(ConfigurationError) -> String {
    guard text.hasPrefix("http://") || text.hasPrefix("https://"), URL(string: text)?.host != nil else {
      throw ConfigurationError(setting: setting, problem: "'\(text)' is not an http:// or https:// URL")
    }
    return text
  }

  /// `one_time_code=1234567,case_overdue=2345678` as a dictionary.
  private static func templates(_ text: String) throws(ConfigurationError) -> [String: String] {
    var templates: [String: String] = [:]
    for pair in text.split(separator: ",") {
      let parts = pair.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
      guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty,
        parts[1].utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) })
      else {
        throw ConfigurationError(
          setting: "GOVERNANCE_SMS_TEMPLATES",
          problem: "'\(pair)' is not NAME=TEMPLATE_ID (e.g. one_time_code=1234567, the id in digits)")
      }
      templates[parts[0]] = parts[1]
    }
    guard templates[oneTimeCodeTemplate] != nil else {
      throw ConfigurationError(
        setting: "GOVERNANCE_SMS_TEMPLATES",
        problem: "names no \(oneTimeCodeTemplate) template, which residents' one-time codes are sent with")
    }
    return templates
  }
}

/// The gateway's outside channels, made from their settings: SMS and e-mail when configured, the
/// WeChat Work group robot always.
public struct MessageChannels: Sendable {
  /// Every channel's name, configured or not.
  public static let names = ["sms", "wecom", "email"]

  /// Tencent Cloud SMS; nil when not configured.
  public let sms: SMSChannel?
  /// WeChat Work group robots.
  public let wecom: WeComRobotChannel
  /// E-mail through the SMTP relay; nil when not configured.
  public let email: SMTPChannel?

  /// The channels `settings` configure; the HTTP channels share `client` (by default the
  /// process-wide one that follows no redirect, which needs no shutdown).
  public init(settings: ChannelSettings, client: HTTPClient = .withoutRedirects) {
    sms = settings.sms.map { SMSChannel(settings: $0, client: client) }
    wecom = WeComRobotChannel(publicURL: settings.publicURL, client: client)
    email = settings.smtp.map { SMTPChannel(settings: $0, publicURL: settings.publicURL) }
  }

  /// The configured channel called `name` (`sms`, `wecom`, `email`); nil when it is not
  /// configured or there is none of that name.
  public func channel(named name: String) -> (any MessageChannel)? {
    switch name {
    case "sms": sms
    case "wecom": wecom
    case "email": email
    default: nil
    }
  }
}

extension OutgoingMessage {
  /// The message's link as a reader outside the console follows it: `link` under `publicURL`
  /// when it is a path, as it is when already absolute; nil when there is none or no
  /// public address to put a path under.
  func absoluteLink(publicURL: String?) -> String? {
    if link.hasPrefix("https://") || link.hasPrefix("http://") { return link }
    guard !link.isEmpty, let publicURL else { return nil }
    return publicURL + (link.hasPrefix("/") ? link : "/" + link)
  }
}
