import Foundation
import GRDB
import GRPCCore
import GovernanceAPI
import ServiceKit
import ServiceKitTesting
import Testing

@testable import Organisation

/// A register of party members (党员台账) taken in batches: each row matched by the digest of
/// its ID number, created by CreateMember's rules or updated by UpdateMember's, a row that breaks
/// a rule FAILED while the others go in.
@Suite("Register imports: members by the digest of their ID number, by CreateMember's and UpdateMember's rules")
struct MemberImportTests {
  static let setup = Principal.testAdministrator

  /// A valid citizen ID number (GB 11643) of someone born in 320113: `number` picks the birth
  /// date and the sequence, so each number up to 3,650,000 is another person.
  static func idNumber(_ number: Int) -> String {
    let birth = Calendar(identifier: .gregorian).date(
      byAdding: .day, value: number / 1000, to: ISO8601DateFormatter().date(from: "1950-01-01T12:00:00Z")!)!
    let components = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC")!, from: birth)
    let first17 =
      "320113" + String(format: "%04d%02d%02d", components.year!, components.month!, components.day!)
      + String(format: "%03d", number % 1000)
    return first17 + String(ResidentIDNumber.checkCharacter(Array(first17.utf8)))
  }

  struct Fixture {
    let store: OrganisationStore
    /// 栖霞区委 › 尧化街道党工委 › 仙林社区党委, and 马群街道党工委 in another street.
    let district: String
    let street: String
    let community: String
    let otherStreet: String
  }

  static func fixture() async throws -> Fixture {
    let store = OrganisationStore(
      writer: try GovernanceDatabase.makeEmptyTestDatabase(migrator: OrganisationStore.migrator), vault: .ephemeral())
    func create(_ name: String, _ level: Governance_Organisation_V1_OrganisationLevel, _ code: String, parent: String)
      async throws -> String
    {
      try await store.createOrganisation(
        .with {
          $0.organisation.name = name
          $0.organisation.level = level
          $0.organisation.divisionCode = code
          $0.organisation.parentID = parent
        }, by: setup
      ).id
    }
    let district = try await create("栖霞区委", .districtCommittee, "320113000000", parent: "")
    let street = try await create("尧化街道党工委", .streetWorkingCommittee, "320113005000", parent: district)
    let community = try await create("仙林社区党委", .communityCommittee, "320113005001", parent: street)
    let otherStreet = try await create("马群街道党工委", .streetWorkingCommittee, "320113006000", parent: district)
    return Fixture(store: store, district: district, street: street, community: community, otherStreet: otherStreet)
  }

  static func row(
    _ number: Int32, _ name: String, id: Int, organisation: String = "仙林社区党委", division: String = "320113005001",
    standing: Governance_Organisation_V1_MemberStanding = .formal
  ) -> Governance_Organisation_V1_ImportedMember {
    .with {
      $0.row = number
      $0.organisationName = organisation
      $0.member.divisionCode = division
      $0.member.contact = .with {
        $0.name = name
        $0.phone = "1391234\(String(format: "%04d", id % 10_000))"
        $0.idNumber = idNumber(id)
      }
      $0.member.kind = .inService
      $0.member.standing = standing
    }
  }

  static var register: [Governance_Organisation_V1_ImportedMember] {
    [
      row(2, "张建国", id: 1),
      row(3, "李秀英", id: 2, standing: .probationary),
      // A member of the street's own organisation, named from the community.
      row(4, "王志强", id: 3, organisation: "尧化街道党工委"),
    ]
  }

  static func importMembers(
    _ store: OrganisationStore, _ rows: [Governance_Organisation_V1_ImportedMember], validateOnly: Bool = false,
    by principal: Principal = setup, at time: Date = Date()
  ) async throws -> [Governance_Common_V1_ImportRowResult] {
    try await store.importMembers(
      .with {
        $0.rows = rows
        $0.validateOnly = validateOnly
      }, by: principal, at: time
    ).results
  }

  static func members(_ store: OrganisationStore) async throws -> [Governance_Organisation_V1_PartyMember] {
    try await store.listMembers(
      .with {
        $0.pageSize = 500
        $0.includeLeft = true
      }
    ).members
  }

  static func contact(_ store: OrganisationStore, _ id: String) async throws -> Governance_Common_V1_ResidentContact {
    try await store.revealContact(
      .with {
        $0.subject = .partyMember
        $0.subjectID = id
        $0.reason = "核对台账"
      }, by: setup
    ).contact
  }

  @Test("a register's members are created once, keyed by their ID number; the same batch again is UNCHANGED")
  func membersAreKeyedByTheirIDNumber() async throws {
    let fixture = try await Self.fixture()
    let store = fixture.store
    let first = try await Self.importMembers(store, Self.register)
    #expect(first.map(\.outcome) == [.created, .created, .created])
    #expect(first.map(\.row) == [2, 3, 4] && first.allSatisfy { !$0.id.isEmpty })
    let members = try await Self.members(store)
    #expect(members.map(\.organisationID) == [fixture.community, fixture.community, fixture.street])
    #expect(members.allSatisfy { $0.contact.masked && $0.status == .active })
    #expect(try await Self.contact(store, first[0].id).idNumber == Self.idNumber(1))
    // The organisations' member counts, as CreateMember keeps them.
    let community = try #require(try await store.organisation(id: fixture.community))
    #expect(community.formalMemberCount == 1 && community.probationaryMemberCount == 1)

    // The same people, their names and phones written another way, a minute later.
    var again = Self.register
    again[0].member.contact.name = " 张建国 "
    again[0].member.contact.phone = "139-1234-0001"
    again[1].member.contact.phone = ""
    let second = try await Self.importMembers(store, again, at: Date().addingTimeInterval(60))
    #expect(second.map(\.outcome) == [.unchanged, .unchanged, .unchanged])
    #expect(second.map(\.id) == first.map(\.id))
    #expect(try await Self.members(store) == members)
  }

  @Test("a changed row updates the member by UpdateMember's rules, only in the fields it gives")
  func aChangedMemberRowIsUpdated() async throws {
    let fixture = try await Self.fixture()
    let store = fixture.store
    var register = Self.register
    register[1].member.workUnit = "南京市栖霞区卫健委"
    let first = try await Self.importMembers(store, register)
    let later = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 + 60).rounded())
    // Made a full member, with a new phone; the work unit not given.
    var changed = Self.register[1]
    changed.member.standing = .formal
    changed.member.contact.phone = "13800138000"
    changed.member.contact.name = ""
    let results = try await Self.importMembers(store, [changed, Self.register[0]], at: later)
    #expect(results.map(\.outcome) == [.updated, .unchanged])
    #expect(results.map(\.id) == [first[1].id, first[0].id])
    let member = try #require(try await store.member(id: first[1].id))
    #expect(member.standing == .formal && member.workUnit == "南京市栖霞区卫健委")
    #expect(member.audit.updateTime.date == later && member.contact.name == "李**")
    let contact = try await Self.contact(store, first[1].id)
    #expect(contact.phone == "13800138000" && contact.name == "李秀英" && contact.idNumber == Self.idNumber(2))
    let community = try #require(try await store.organisation(id: fixture.community))
    #expect(community.formalMemberCount == 2 && community.probationaryMemberCount == 0)
    let untouched = try #require(try await store.member(id: first[0].id))
    #expect(untouched.audit.updateTime == untouched.audit.createTime)
  }

  @Test("a register's member who left is registered as having left; the same row again is UNCHANGED")
  func aMemberWhoLeftIsRegisteredAsLeft() async throws {
    let store = try await Self.fixture().store
    var left = Self.row(2, "陈离开", id: 4)
    left.member.status = .left
    let first = try await Self.importMembers(store, [left])
    #expect(first.map(\.outcome) == [.created])
    let member = try #require(try await store.member(id: first[0].id))
    #expect(member.status == .left)
    let again = try await Self.importMembers(store, [left])
    #expect(again.map(\.outcome) == [.unchanged])
    #expect(try await store.member(id: first[0].id) == member)
  }

  @Test("a member row breaking a rule fails naming its field and rule while the others go in")
  func badMemberRowsFailAlone() async throws {
    let fixture = try await Self.fixture()
    let store = fixture.store
    // Two organisations of one name at the community and above.
    _ = try await store.createOrganisation(
      .with {
        $0.organisation.name = "尧化街道党工委"
        $0.organisation.level = .communityCommittee
        $0.organisation.divisionCode = "320113005001"
        $0.organisation.parentID = fixture.street
      }, by: Self.setup)
    _ = try await Self.importMembers(store, [Self.register[0]])
    var noID = Self.row(2, "赵无号", id: 10)
    noID.member.contact.idNumber = ""
    var badID = Self.row(3, "钱错号", id: 11)
    let good = Self.idNumber(11)
    badID.member.contact.idNumber = good.dropLast() + (good.last == "0" ? "1" : "0")
    var otherStreet = Self.row(5, "孙外街", id: 13, organisation: "")
    otherStreet.member.divisionCode = ""
    otherStreet.member.organisationID = fixture.otherStreet
    var transferred = Self.register[0]
    transferred.organisationName = "尧化街道党工委"
    transferred.member.divisionCode = "320113005000"
    let results = try await Self.importMembers(
      store,
      [
        noID, badID, Self.row(4, "周无组织", id: 12, organisation: "不存在的党委"),
        // Outside the street clerk's jurisdiction.
        otherStreet,
        Self.row(6, "吴重名", id: 14, organisation: "尧化街道党工委"),
        transferred,
        Self.row(8, "郑新党员", id: 15),
      ], by: .staff(.street, scope: "320113005"))
    #expect(results.map(\.outcome) == [.failed, .failed, .failed, .failed, .failed, .failed, .created])
    #expect(results.map(\.row) == [2, 3, 4, 5, 6, 2, 8])
    #expect(results[0].reason == "FIELD_INVALID" && results[0].field == "member.contact.id_number")
    #expect(results[0].rule == "is required")
    #expect(results[1].field == "member.contact.id_number" && results[1].rule.hasPrefix("the check character"))
    #expect(results[2].field == "organisation_name")
    #expect(results[2].rule == "names an organisation at division {0} or above; none is called {1}")
    #expect(results[2].ruleArguments == ["320113005001", "不存在的党委"])
    #expect(results[3].reason == "NOT_PERMITTED" && results[3].message.contains("320113006000"))
    #expect(results[4].field == "organisation_name")
    #expect(results[4].rule == "names one organisation at division {0} or above; {1} are called {2}")
    #expect(results[4].ruleArguments == ["320113005001", "2", "尧化街道党工委"])
    #expect(results[5].reason == "RULE_NOT_MET")
    #expect(results[5].rule == "a member moves to another organisation by a transfer (TransferMember)")
    let names = try await Self.members(store).map(\.contact.name)
    #expect(names == ["张**", "郑***"])
  }

  @Test("validate_only checks every member row by the same rules and writes nothing")
  func memberDryRunWritesNothing() async throws {
    let fixture = try await Self.fixture()
    let store = fixture.store
    let first = try await Self.importMembers(store, [Self.register[0]])
    let before = try await Self.members(store)
    var changed = Self.register[0]
    changed.member.standing = .probationary
    let results = try await Self.importMembers(
      store, [changed, Self.register[1], Self.row(4, "周无组织", id: 12, organisation: "不存在的党委"), Self.register[1]],
      validateOnly: true)
    // The row repeated later sees what the earlier one would have created.
    #expect(results.map(\.outcome) == [.updated, .created, .failed, .unchanged])
    #expect(results[0].id == first[0].id && results[1].id.isEmpty)
    #expect(try await Self.members(store) == before)
  }

  @Test("a batch holds 1 to 500 rows")
  func aBatchHoldsOneTo500Rows() async throws {
    try await withOrganisationService { organisations, _, _ in
      _ = try await BranchFormationTests.committees(organisations)
      let rows = (0..<501).map { Self.row(Int32($0 + 2), "党员\($0)", id: 100 + $0) }
      await expectRPCError(.invalidArgument, mentioning: "rows", "1 to 500 rows a call, got 501") {
        _ = try await organisations.importMembers(.with { $0.rows = rows })
      }
      await expectRPCError(.invalidArgument, mentioning: "rows", "got 0") {
        _ = try await organisations.importMembers(.init())
      }
      // 500 rows are taken, over gRPC, each with its result.
      let results = try await organisations.importMembers(.with { $0.rows = Array(rows.prefix(500)) }).results
      #expect(results.count == 500 && results.allSatisfy { $0.outcome == .created })
    }
  }

  @Test("members stored before the digest was kept are matched once an import fills it in")
  func membersStoredBeforeTheDigestAreMatched() async throws {
    let fixture = try await Self.fixture()
    let store = fixture.store
    let first = try await Self.importMembers(store, Self.register)
    // As the migration leaves a member stored before it.
    try await store.writer.write { db in try db.execute(sql: "UPDATE party_member SET id_number_digest = NULL") }
    let dryRun = try await Self.importMembers(store, Self.register, validateOnly: true)
    #expect(dryRun.map(\.outcome) == [.unchanged, .unchanged, .unchanged])
    let again = try await Self.importMembers(store, Self.register)
    #expect(again.map(\.outcome) == [.unchanged, .unchanged, .unchanged])
    #expect(again.map(\.id) == first.map(\.id))
    #expect(try await Self.members(store).count == 3)
  }

  /// 6,000 members in 12 batches of 500, then the same batches again: the second time every row
  /// is UNCHANGED. The city's 60,000 in 120 batches take some 2 minutes in a debug build, so they
  /// run end to end elsewhere; `GOVERNANCE_IMPORT_MEMBERS=60000` takes them here.
  @Test("a register goes in by batches of 500 and, sent again, is all UNCHANGED (6,000 members)")
  func aLargeRegisterTwice() async throws {
    let fixture = try await Self.fixture()
    let store = fixture.store
    let total = Int(ProcessInfo.processInfo.environment["GOVERNANCE_IMPORT_MEMBERS"] ?? "") ?? 6_000
    let batches = stride(from: 0, to: total, by: ImportBatch.maximumRows).map { start in
      (start..<min(start + ImportBatch.maximumRows, total)).map { index in
        Self.row(Int32(index + 2), "党员\(index)", id: index, standing: index % 10 == 0 ? .probationary : .formal)
      }
    }
    for outcome in [Governance_Common_V1_ImportOutcome.created, .unchanged] {
      var counted = 0
      for batch in batches {
        let results = try await Self.importMembers(store, batch)
        counted += results.filter { $0.outcome == outcome }.count
      }
      #expect(counted == total)
    }
    let community = try #require(try await store.organisation(id: fixture.community))
    #expect(Int(community.formalMemberCount + community.probationaryMemberCount) == total)
    #expect(Int(community.probationaryMemberCount) == (total + 9) / 10)
  }
}
