import Foundation
import GovernanceAPI
import Synchronization
import Testing

@testable import ServiceKit

@Suite("Personal data is stored protected")
struct ContactVaultTests {
  @Test("a sealed contact opens only with its key and shows no plain text")
  func sealedContact() throws {
    let vault = ContactVault.ephemeral()
    let contact = Governance_Common_V1_ResidentContact.with {
      $0.name = "张建国"
      $0.phone = "13912345678"
      $0.idNumber = "320113198001011237"
    }
    let sealed = try vault.seal(contact)
    #expect(try vault.open(sealed) == contact)
    #expect(sealed.range(of: Data("13912345678".utf8)) == nil)
    #expect(sealed.range(of: Data("张建国".utf8)) == nil)
    #expect(throws: (any Error).self) { try ContactVault.ephemeral().open(sealed) }
    #expect(vault.matchKey("320113198001011237") == vault.matchKey("320113198001011237"))
    #expect(vault.matchKey("320113198001011237") != ContactVault.ephemeral().matchKey("320113198001011237"))
    #expect(!vault.matchKey("320113198001011237").contains("3201131980"))
  }

  @Test("the key is made once in the data directory, readable by its owner only, and reused")
  func keyFile() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vault-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let first = try ContactVault.load(dataDirectory: directory, environment: [:])
    let sealed = try first.seal(.with { $0.name = "李四" })
    let again = try ContactVault.load(dataDirectory: directory, environment: [:])
    #expect(try again.open(sealed).name == "李四")
    let attributes = try FileManager.default.attributesOfItem(atPath: "\(directory)/data.key")
    #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
    #expect(throws: ConfigurationError.self) {
      try ContactVault.load(dataDirectory: directory, environment: ["GOVERNANCE_DATA_KEY": "short"])
    }
  }

  @Test("processes starting together make one key, and none reads it half written")
  func keyFileRace() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vault-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let keys = Mutex<[Data]>([])
    DispatchQueue.concurrentPerform(iterations: 16) { _ in
      let key = try? KeyFile.load(
        variable: "UNSET_IN_THIS_TEST", fileName: "data.key", dataDirectory: directory, environment: [:])
      keys.withLock { $0.append(key ?? Data()) }
    }
    let loaded = keys.withLock { $0 }
    #expect(loaded.count == 16 && Set(loaded).count == 1 && loaded[0].count == 32)
    #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["data.key"])
  }
}
