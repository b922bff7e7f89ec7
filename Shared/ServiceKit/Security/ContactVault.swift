import Crypto
import Foundation
import GovernanceAPI

/// Keeps residents' and members' personal data protected at rest: contacts are sealed with
/// AES-256-GCM before they reach SQLite, and ID numbers that must be matched (the candidate
/// negative list) are stored only as keyed HMAC-SHA256 digests.
///
/// The key comes from `GOVERNANCE_DATA_KEY` (32 bytes, base64) or, failing that, from
/// `data.key` in the data directory, created with mode 0600 on first start. A database file
/// copied without its key reveals no one.
public struct ContactVault: Sendable {
  private let key: SymmetricKey

  public init(key: SymmetricKey) {
    self.key = key
  }

  /// A vault with a fresh random key, for tests and throwaway databases.
  public static func ephemeral() -> ContactVault {
    ContactVault(key: SymmetricKey(size: .bits256))
  }

  /// The vault of a process: the key from the environment, else from `data.key` beside the
  /// databases (made on first start).
  public static func load(dataDirectory: String, environment: [String: String]) throws -> ContactVault {
    let bytes = try KeyFile.load(
      variable: "GOVERNANCE_DATA_KEY", fileName: "data.key", dataDirectory: dataDirectory, environment: environment)
    return ContactVault(key: SymmetricKey(data: bytes))
  }

  public func seal(_ contact: Governance_Common_V1_ResidentContact) throws -> Data {
    try AES.GCM.seal(try contact.serializedData(), using: key).combined!
  }

  public func open(_ sealed: Data) throws -> Governance_Common_V1_ResidentContact {
    try Governance_Common_V1_ResidentContact(
      serializedBytes: try AES.GCM.open(AES.GCM.SealedBox(combined: sealed), using: key))
  }

  /// A digest that matches equal ID numbers without storing them; empty for an empty number.
  public func matchKey(_ idNumber: String) -> String {
    guard !idNumber.isEmpty else { return "" }
    return Hex.lowercase(HMAC<SHA256>.authenticationCode(for: Data(idNumber.utf8), using: key))
  }
}
