import Foundation
import GRDB
import GRPCCore
import GRPCInProcessTransport
import GovernanceAPI
import Grid
import Organisation
import Property
import ServiceKit
import ServiceKitTesting
import SwiftProtobuf
import Testing

@testable import Volunteers

typealias PropertyClient = Governance_Property_V1_PropertyService.Client<InProcessTransport.Client>

/// ImportVolunteers over gRPC: every row checked by CreateVolunteer's and UpdateVolunteer's rules,
/// found by the digest of its ID number, else of its phone.
@Suite("Register of volunteers: each row by CreateVolunteer's and UpdateVolunteer's rules, contacts sealed")
struct VolunteerImportTests {
  typealias Row = Governance_Volunteers_V1_ImportedVolunteer

  /// A volunteers service whose organisation, grid and property peers are the real services on
  /// in-process transports, the property service a peer for compounds named by a register.
  static func withService<Value: Sendable>(
    _ body: @Sendable (VolunteersClient, PropertyClient, VolunteersStore) async throws -> Value
  ) async throws -> Value {
    let propertyStore = PropertyStore(
      writer: try GovernanceDatabase.makeEmptyTestDatabase(migrator: PropertyStore.migrator))
    let organisationStore = OrganisationStore(
      writer: try GovernanceDatabase.makeEmptyTestDatabase(migrator: OrganisationStore.migrator), vault: .ephemeral())
    let gridStore = GridStore(
      writer: try GovernanceDatabase.makeEmptyTestDatabase(migrator: GridStore.migrator), vault: .ephemeral())
    let store = VolunteersStore(
      writer: try GovernanceDatabase.makeEmptyTestDatabase(migrator: VolunteersStore.migrator), vault: .ephemeral())
    return try await withTestServer([PropertyService(store: propertyStore)], caller: .organisation) { directory in
      try await withTestServer([PropertyService(store: propertyStore)], caller: .volunteers) { property in
        try await withTestServer([GridService(store: gridStore).routes], caller: .volunteers) { grid in
          let organisationService = OrganisationService(
            store: organisationStore, property: PropertyDirectory(client: directory), grid: GridDirectory(client: grid))
          return try await withTestServer([organisationService], caller: .volunteers) { organisation in
            let peers = VolunteerPeers(organisation: organisation, grid: grid, property: property)
            return try await withTestServer([VolunteersService(store: store, peers: peers)]) { client in
              try await asTestAdministrator {
                try await body(
                  Governance_Volunteers_V1_VolunteersService.Client(wrapping: client),
                  Governance_Property_V1_PropertyService.Client(wrapping: property), store)
              }
            }
          }
        }
      }
    }
  }

  /// A valid citizen ID number born on 1980-01-01 with sequence `sequence`.
  static func idNumber(_ sequence: Int) -> String {
    let body = "32011319800101" + String(format: "%03d", sequence)
    return body + String(ResidentIDNumber.checkCharacter(Array(body.utf8)))
  }

  static func row(
    _ row: Int32, _ name: String, phone: String = "", idNumber: String = "", community: String = Fixture.community,
    kind: Governance_Volunteers_V1_VolunteerKind = .resident, skills: [String] = []
  ) -> Row {
    .with {
      $0.row = row
      $0.volunteer.divisionCode = community
      $0.volunteer.contact = .with {
        $0.name = name
        $0.phone = phone
        $0.idNumber = idNumber
      }
      $0.volunteer.kind = kind
      $0.volunteer.skills = skills
    }
  }

  static func request(_ rows: [Row], validateOnly: Bool = false) -> Governance_Volunteers_V1_ImportVolunteersRequest {
    .with {
      $0.rows = rows
      $0.validateOnly = validateOnly
    }
  }

  static func stamps(_ volunteers: VolunteersClient) async throws -> [String: Google_Protobuf_Timestamp] {
    let page = try await volunteers.listVolunteers(
      .with {
        $0.pageSize = 100
        $0.includeInactive = true
      })
    return Dictionary(uniqueKeysWithValues: page.volunteers.map { ($0.id, $0.audit.updateTime) })
  }

  static func revealed(_ volunteers: VolunteersClient, _ id: String) async throws -> Governance_Volunteers_V1_Volunteer
  {
    try await volunteers.getVolunteer(
      .with {
        $0.id = id
        $0.revealContact = true
      })
  }

  @Test("a volunteer row is keyed by the digest of the ID number, else the phone: created once, then unchanged")
  func volunteerRowKeyedByIDNumberElsePhone() async throws {
    try await Self.withService { volunteers, _, _ in
      let rows = [
        Self.row(2, "张伟", phone: "13800000001", idNumber: Self.idNumber(11), skills: ["电工"]),
        Self.row(3, "李娜", phone: "138-0000-0002"), Self.row(4, "王芳", idNumber: Self.idNumber(22)),
      ]
      let first = try await volunteers.importVolunteers(Self.request(rows)).results
      #expect(first.map(\.outcome) == [.created, .created, .created])
      #expect(first.allSatisfy { $0.id.hasPrefix("vol_") })
      let listed = try await volunteers.listVolunteers(.with { $0.pageSize = 10 }).volunteers
      #expect(listed.allSatisfy { $0.contact.masked })
      #expect(listed.map(\.contact.name).sorted() == ["张*", "李*", "王*"])
      let whole = try await Self.revealed(volunteers, first[0].id)
      #expect(whole.contact.idNumber == Self.idNumber(11) && whole.contact.phone == "13800000001")
      #expect(try await Self.revealed(volunteers, first[1].id).contact.phone == "13800000002")
      let stamps = try await Self.stamps(volunteers)

      let again = try await volunteers.importVolunteers(Self.request(rows)).results
      #expect(again.map(\.outcome) == [.unchanged, .unchanged, .unchanged])
      #expect(again.map(\.id) == first.map(\.id))
      #expect(try await Self.stamps(volunteers) == stamps)
    }
  }

  @Test("a volunteer row that differs changes only the fields it gives, by UpdateVolunteer's rules")
  func volunteerRowChangesOnlyTheFieldsItGives() async throws {
    try await Self.withService { volunteers, _, _ in
      let created = try await volunteers.importVolunteers(
        Self.request([Self.row(1, "张伟", phone: "13800000001", idNumber: Self.idNumber(11), skills: ["电工"])])
      ).results[0]
      var changed = Self.row(1, "", phone: "13900000009", idNumber: Self.idNumber(11), kind: .unspecified)
      changed.volunteer.skills = ["First_Aid"]
      let updated = try await volunteers.importVolunteers(Self.request([changed])).results
      #expect(updated.map(\.outcome) == [.updated])
      #expect(updated[0].id == created.id)
      let volunteer = try await Self.revealed(volunteers, created.id)
      #expect(volunteer.contact.name == "张伟")
      #expect(volunteer.contact.phone == "13900000009")
      #expect(volunteer.kind == .resident)
      #expect(volunteer.skills == ["first_aid"])
      // Found again by the ID number, whatever phone the row gives.
      let again = try await volunteers.importVolunteers(Self.request([changed])).results
      #expect(again.map(\.outcome) == [.unchanged])
    }
  }

  @Test("a volunteer row that breaks a rule fails naming its field and rule; the other rows go in")
  func volunteerRowBreakingARuleFails() async throws {
    try await Self.withService { volunteers, _, _ in
      var wrongCheck = Self.idNumber(33)
      wrongCheck = String(wrongCheck.dropLast()) + (wrongCheck.last == "0" ? "1" : "0")
      var member = Self.row(6, "陈红", phone: "13800000006", kind: .inServicePartyMember)
      member.volunteer.partyMemberID = "pm_unknown"
      let rows = [
        Self.row(1, "张伟", phone: "13800000001"), Self.row(2, "李娜", phone: "12ab"),
        Self.row(3, "王芳", idNumber: wrongCheck), Self.row(4, "赵敏"),
        Self.row(5, "钱程", phone: "13800000005", kind: .propertyStaff), member,
        Self.row(7, "孙丽", phone: "13800000007"),
      ]
      let results = try await volunteers.importVolunteers(Self.request(rows)).results
      #expect(results.map(\.outcome) == [.created, .failed, .failed, .failed, .failed, .failed, .created])
      #expect(results[1].reason == "FIELD_INVALID" && results[1].field == "volunteer.contact.phone")
      #expect(results[2].field == "volunteer.contact.id_number")
      #expect(results[2].rule == "the check character (ISO 7064 MOD 11-2) should be {0}, got {1}")
      #expect(results[3].field == "volunteer.contact")
      #expect(results[3].rule == "a register's row gives the volunteer's ID number or phone")
      #expect(results[4].field == "volunteer.property_company_id")
      #expect(results[5].reason == "RULE_NOT_MET")
      #expect(results[5].message.contains("pm_unknown"))
      let listed = try await volunteers.listVolunteers(.with { $0.pageSize = 10 }).volunteers
      #expect(listed.count == 2)
    }
  }

  @Test("a volunteer row outside the caller's jurisdiction fails PERMISSION_DENIED as its result")
  func volunteerRowOutsideJurisdictionFails() async throws {
    let store = VolunteersStore(
      writer: try GovernanceDatabase.makeEmptyTestDatabase(migrator: VolunteersStore.migrator), vault: .ephemeral())
    let elsewhere = try await store.importVolunteers(
      Self.request([Self.row(1, "李娜", phone: "13800000002", community: Fixture.otherCommunity)]),
      lookups: VolunteerRegisterLookups(), by: .testAdministrator)
    #expect(elsewhere.results.map(\.outcome) == [.created])
    let clerk = Principal.staff(.community, scope: Fixture.community)
    let results = try await store.importVolunteers(
      Self.request([
        Self.row(1, "张伟", phone: "13800000001"),
        Self.row(2, "王芳", phone: "13800000003", community: Fixture.otherCommunity),
        Self.row(3, "李娜", phone: "13800000002", community: Fixture.community),
      ]),
      lookups: VolunteerRegisterLookups(), by: clerk
    ).results
    #expect(results.map(\.outcome) == [.created, .failed, .failed])
    #expect(results[1].reason == "NOT_PERMITTED")
    #expect(results[1].ruleArguments.first == Fixture.otherCommunity)
    // Found by the phone but registered in another community: not the clerk's to change.
    #expect(results[2].reason == "NOT_PERMITTED" && results[2].id.isEmpty)
  }

  @Test("a row naming its compound by name gets its id from the property service")
  func compoundNamedByTheRowIsFound() async throws {
    try await Self.withService { volunteers, property, _ in
      let compound = try await property.createCompound(
        .with {
          $0.compound.name = "翠竹园"
          $0.compound.divisionCode = Fixture.community
          $0.compound.kind = .commercialHousing
        })
      var found = Self.row(1, "张伟", phone: "13800000001")
      found.compoundName = "翠竹园"
      var missing = Self.row(2, "李娜", phone: "13800000002")
      missing.compoundName = "翠竹"
      let results = try await volunteers.importVolunteers(Self.request([found, missing])).results
      #expect(results.map(\.outcome) == [.created, .failed])
      #expect(results[1].field == "compound_name")
      #expect(results[1].rule == "no compound of that name in community {0}")
      let volunteer = try await volunteers.getVolunteer(.with { $0.id = results[0].id })
      #expect(volunteer.compoundID == compound.id)
    }
  }

  @Test("validate_only reports every row by the same rules and stores nothing")
  func validateOnlyStoresNothing() async throws {
    try await Self.withService { volunteers, _, store in
      let rows = [
        Self.row(1, "张伟", phone: "13800000001"), Self.row(2, "张伟", phone: "13800000001", skills: ["电工"]),
        Self.row(3, "李娜", phone: "12ab"),
      ]
      let results = try await volunteers.importVolunteers(Self.request(rows, validateOnly: true)).results
      #expect(results.map(\.outcome) == [.created, .updated, .failed])
      #expect(results[0].id.isEmpty && !results[1].id.isEmpty)
      #expect(try await volunteers.listVolunteers(.with { $0.includeInactive = true }).volunteers.isEmpty)
      let stored = try await store.writer.read { db in
        try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM volunteer_contact")
      }
      #expect(stored == 0)
    }
  }

  @Test("a batch holds 1 to 500 rows: more is INVALID_ARGUMENT naming rows")
  func batchHoldsOneTo500Rows() async throws {
    try await Self.withService { volunteers, _, _ in
      let rows = (1...501).map { Self.row(Int32($0), "志愿者", phone: "138" + String(format: "%08d", $0)) }
      await expectRPCError(.invalidArgument, mentioning: "rows", "501") {
        _ = try await volunteers.importVolunteers(Self.request(rows))
      }
      let listed = try await volunteers.listVolunteers(.with { $0.includeInactive = true })
      #expect(listed.volunteers.isEmpty)
    }
  }

  @Test("volunteers stored before their digest was kept are found once an import fills it in")
  func digestsOfEarlierVolunteersAreFilledIn() async throws {
    try await Self.withService { volunteers, _, store in
      let earlier = try await volunteers.createVolunteer(Fixture.volunteer("周杰", phone: "13700000001"))
      try await store.writer.write { db in try db.execute(sql: "UPDATE volunteer SET contact_key = NULL") }
      let results = try await volunteers.importVolunteers(
        Self.request([Self.row(1, "周杰", phone: "+86 137 0000 0001")])
      ).results
      #expect(results.map(\.outcome) == [.unchanged])
      #expect(results[0].id == earlier.id)
    }
  }
}
