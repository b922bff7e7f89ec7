import ArgumentParser
import Foundation
import Gateway
import Logging
import ServiceKit

/// `governance user create`: people who sign in to the console. There is no default account:
/// the first administrator is made here, on the host that holds the data directory.
struct UserCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "user", abstract: "Manage console accounts.",
    subcommands: [CreateUser.self, ResetSecondFactor.self, Contact.self])

  struct CreateUser: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "create",
      abstract: "Create an account; administrators and auditors get a TOTP secret for their authenticator app.")

    @Option(help: "Directory holding the system's data.")
    var data = "./data"
    @Option(help: "The sign-in name.")
    var username: String
    @Option(help: "city_admin, district, street, community, grid_worker, property, evaluator or auditor.")
    var role: String
    @Option(help: "The division-code prefix the account is held to, e.g. 3201 (empty: everything).")
    var scope = ""
    @Flag(help: "Read the password from standard input instead of GOVERNANCE_PASSWORD.")
    var passwordStdin = false

    func run() async throws {
      guard let role = Role(rawValue: role), role != .cityPlatform, role.isAccountRole else {
        throw ValidationError(
          "--role must be one of \(Role.allCases.filter { $0 != .cityPlatform && $0.isAccountRole }.map(\.rawValue).joined(separator: ", "))"
        )
      }
      let password =
        passwordStdin
        ? (readLine(strippingNewline: true) ?? "") : (ProcessInfo.processInfo.environment["GOVERNANCE_PASSWORD"] ?? "")
      let store = try GatewayStore.open(dataDirectory: data, logger: Logger(label: "governance"))
      do {
        let user = try await store.createUser(username: username, password: password, role: role, scope: scope)
        say("created \(user.username) (\(user.role.rawValue), scope '\(user.scope)')")
        if let secret = user.totpSecret { showSecondFactor(secret, account: user.username) }
      } catch let error as DomainError {
        throw ValidationError("\(error)")
      }
    }
  }

  struct ResetSecondFactor: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "reset-second-factor",
      abstract: "Give an administrator or auditor who lost their authenticator a new TOTP secret (audited).")

    @Option(help: "Directory holding the system's data.")
    var data = "./data"
    @Option(help: "The account whose second factor is replaced.")
    var username: String
    @Option(help: "The administrator doing it, as the audit trail records them.")
    var by: String

    func run() async throws {
      guard !by.trimmingCharacters(in: .whitespaces).isEmpty else { throw ValidationError("--by names who resets it") }
      let store = try GatewayStore.open(dataDirectory: data, logger: Logger(label: "governance"))
      do {
        let secret = try await store.resetSecondFactor(username: username, by: "operator:\(by)")
        say("the old second factor of \(username) no longer works")
        showSecondFactor(secret, account: username)
      } catch let error as DomainError {
        throw ValidationError("\(error)")
      }
    }
  }

  struct Contact: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "contact",
      abstract: "Set the mobile and e-mail address an account's messages go to (message routes' sms and email).")

    @Option(help: "Directory holding the system's data.")
    var data = "./data"
    @Option(help: "The account.")
    var username: String
    @Option(help: "A mainland mobile, 11 digits; empty for none.")
    var phone = ""
    @Option(help: "An e-mail address; empty for none.")
    var email = ""

    func run() async throws {
      let store = try GatewayStore.open(dataDirectory: data, logger: Logger(label: "governance"))
      do {
        try await store.setContact(username: username, phone: phone, email: email)
        say(
          "messages to \(username) go to \(phone.isEmpty ? "no phone" : phone) and \(email.isEmpty ? "no e-mail" : email)"
        )
      } catch let error as DomainError {
        throw ValidationError("\(error)")
      }
    }
  }
}

/// Prints a second-factor secret the ways an authenticator app takes it: Base32 to type in, the
/// otpauth:// URI, and that URI as a QR code in the terminal when Debian's `qrencode` is installed.
func showSecondFactor(_ secret: String, account: String) {
  let uri = SecondFactor.uri(secret: secret, account: account)
  say("second factor (TOTP, RFC 6238) secret, Base32: \(secret)")
  say("authenticator URI: \(uri)")
  let qrencode = ["/usr/bin/qrencode", "/usr/local/bin/qrencode"].first {
    FileManager.default.isExecutableFile(atPath: $0)
  }
  guard let qrencode else {
    say("(install qrencode to see it as a QR code here)")
    return
  }
  let process = Process()
  process.executableURL = URL(fileURLWithPath: qrencode)
  process.arguments = ["-t", "ANSIUTF8", uri]
  try? process.run()
  process.waitUntilExit()
}

/// `governance apikey create|revoke|list`: keys for systems such as the city platform, stored
/// hashed, each with a role and a jurisdiction.
struct APIKeyCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "apikey", abstract: "Manage API keys for systems.", subcommands: [Create.self, Revoke.self, List.self])

  struct Create: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Create a key; it is printed once and stored only hashed.")
    @Option(help: "Directory holding the system's data.")
    var data = "./data"
    @Option(help: "A name for the system, e.g. city-platform.")
    var name: String
    @Option(help: "The role, e.g. city (the city platform) or any console role.")
    var role: String
    @Option(help: "The division-code prefix the key is held to, e.g. 3201.")
    var scope = ""

    func run() async throws {
      let role = role == "city" ? Role.cityPlatform : Role(rawValue: role)
      guard let role, role.isAccountRole else {
        throw ValidationError(
          "--role must be city or one of \(Role.allCases.filter(\.isAccountRole).map(\.rawValue).joined(separator: ", "))"
        )
      }
      let store = try GatewayStore.open(dataDirectory: data, logger: Logger(label: "governance"))
      do {
        let key = try await store.createAPIKey(name: name, role: role, scope: scope)
        say(key)
      } catch let error as DomainError {
        throw ValidationError("\(error)")
      }
    }
  }

  struct Revoke: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Revoke a key at once.")
    @Option(help: "Directory holding the system's data.")
    var data = "./data"
    @Option(help: "The key's name.")
    var name: String

    func run() async throws {
      let store = try GatewayStore.open(dataDirectory: data, logger: Logger(label: "governance"))
      do {
        try await store.revokeAPIKey(name: name)
        say("revoked \(name)")
      } catch let error as DomainError {
        throw ValidationError("\(error)")
      }
    }
  }

  struct List: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the keys (never the keys themselves).")
    @Option(help: "Directory holding the system's data.")
    var data = "./data"

    func run() async throws {
      let store = try GatewayStore.open(dataDirectory: data, logger: Logger(label: "governance"))
      for key in try await store.apiKeys() {
        say("\(key.name)\t\(key.role.rawValue)\tscope '\(key.scope)'\t\(key.revoked ? "revoked" : "live")")
      }
    }
  }
}
