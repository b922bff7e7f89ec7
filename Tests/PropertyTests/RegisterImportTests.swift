import Foundation
import GRPCCore
import GRPCInProcessTransport
import GovernanceAPI
import ServiceKit
import ServiceKitTesting
import SwiftProtobuf
import Testing

@testable import Property

/// ImportCompounds, ImportBuildings and ImportCompanies over gRPC: every row checked by the rules
/// of its Create and Update RPCs, found by its natural key, reported in order.
@Suite("Registers of compounds, buildings and companies: each row by its Create and Update rules")
struct RegisterImportTests {
  typealias Client = Governance_Property_V1_PropertyService.Client<InProcessTransport.Client>
  typealias RowResult = Governance_Common_V1_ImportRowResult

  static let community = "320113005001"
  static let otherCommunity = "320113005002"
  static let district = "320113000000"

  static func withService<Value: Sendable>(
    as principal: Principal = .testAdministrator, _ body: @Sendable (Client, PropertyStore) async throws -> Value
  ) async throws -> Value {
    let store = PropertyStore(writer: try GovernanceDatabase.makeEmptyTestDatabase(migrator: PropertyStore.migrator))
    return try await withTestServer([PropertyService(store: store)], as: principal) { client in
      try await body(Client(wrapping: client), store)
    }
  }

  static func compoundRow(
    _ row: Int32, _ name: String, community: String = community, households: Int32 = 300,
    address: String = "玄武大道 1 号"
  ) -> Governance_Property_V1_ImportedCompound {
    .with {
      $0.row = row
      $0.compound.name = name
      $0.compound.divisionCode = community
      $0.compound.kind = .commercialHousing
      $0.compound.householdCount = households
      $0.compound.address = address
      $0.compound.gridCodes = [community + "001"]
    }
  }

  static func compounds(_ rows: [Governance_Property_V1_ImportedCompound], validateOnly: Bool = false)
    -> Governance_Property_V1_ImportCompoundsRequest
  {
    .with {
      $0.rows = rows
      $0.validateOnly = validateOnly
    }
  }

  static func buildingRow(_ row: Int32, _ name: String, compound: String, floors: Int32 = 6)
    -> Governance_Property_V1_ImportedBuilding
  {
    .with {
      $0.row = row
      $0.compoundName = compound
      $0.building.divisionCode = community
      $0.building.name = name
      $0.building.units = [
        .with {
          $0.name = "1单元"
          $0.floors = floors
          $0.householdCount = 24
        }
      ]
    }
  }

  /// A valid unified social credit code ending in `serial` (6 digits), its check character computed.
  static func creditCode(_ serial: Int) -> String {
    let body = "91320113MA" + String(format: "%07d", serial)
    return body + String(UnifiedSocialCreditCode.checkCharacter(for: body)!)
  }

  /// `code` with a wrong check character.
  static func wrongCheck(_ code: String) -> String {
    String(code.dropLast()) + (code.last == "0" ? "1" : "0")
  }

  static func companyRow(_ row: Int32, _ name: String, code: String, staff: Int32 = 40)
    -> Governance_Property_V1_ImportedCompany
  {
    .with {
      $0.row = row
      $0.company.name = name
      $0.company.unifiedSocialCreditCode = code
      $0.company.divisionCode = district
      $0.company.staffCount = staff
    }
  }

  /// Every compound's update time, by id.
  static func compoundStamps(_ property: Client) async throws -> [String: Google_Protobuf_Timestamp] {
    let page = try await property.listCompounds(.with { $0.pageSize = 100 })
    return Dictionary(uniqueKeysWithValues: page.compounds.map { ($0.id, $0.audit.updateTime) })
  }

  static func outcomes(_ results: [RowResult]) -> [Governance_Common_V1_ImportOutcome] { results.map(\.outcome) }

  // MARK: Compounds

  @Test("a compound row is keyed by its community and name: created once, then unchanged without a write")
  func compoundRowKeyedByCommunityAndName() async throws {
    try await Self.withService { property, _ in
      let rows = [
        Self.compoundRow(2, "翠竹园"), Self.compoundRow(3, "梅花山庄"),
        Self.compoundRow(4, "翠竹园", community: Self.otherCommunity),
      ]
      let first = try await property.importCompounds(Self.compounds(rows)).results
      #expect(Self.outcomes(first) == [.created, .created, .created])
      #expect(first.map(\.row) == [2, 3, 4])
      #expect(Set(first.map(\.id)).count == 3 && first.allSatisfy { $0.id.hasPrefix("cmp_") })
      let stamps = try await Self.compoundStamps(property)

      let again = try await property.importCompounds(Self.compounds(rows)).results
      #expect(Self.outcomes(again) == [.unchanged, .unchanged, .unchanged])
      #expect(again.map(\.id) == first.map(\.id))
      #expect(try await Self.compoundStamps(property) == stamps)
      let history = try await property.listCompoundHistory(.with { $0.compoundID = first[0].id })
      #expect(history.events.map(\.kind) == [.created])
    }
  }

  @Test("a compound row that differs changes only the fields it gives, by UpdateCompound's rules")
  func compoundRowChangesOnlyTheFieldsItGives() async throws {
    try await Self.withService { property, _ in
      let created = try await property.importCompounds(Self.compounds([Self.compoundRow(1, "翠竹园")])).results[0]
      var changed = Self.compoundRow(1, "翠竹园", households: 320, address: "")
      changed.compound.managementMode = .selfGoverned
      changed.compound.currentCompanyID = "co_ignored"
      let updated = try await property.importCompounds(Self.compounds([changed])).results
      #expect(Self.outcomes(updated) == [.updated])
      #expect(updated[0].id == created.id)
      let compound = try await property.getCompound(.with { $0.id = created.id })
      #expect(compound.householdCount == 320)
      #expect(compound.address == "玄武大道 1 号")
      #expect(compound.managementMode == .none)
      #expect(compound.currentCompanyID.isEmpty)
      let history = try await property.listCompoundHistory(.with { $0.compoundID = created.id })
      #expect(history.events.map(\.kind) == [.created, .updated])
      #expect(history.events[1].changedFields == ["household_count"])
    }
  }

  @Test("a compound row that breaks a rule fails naming its field and rule; the other rows go in")
  func compoundRowBreakingARuleFails() async throws {
    try await Self.withService { property, _ in
      let rows = [
        Self.compoundRow(1, "翠竹园"), Self.compoundRow(2, "负数小区", households: -5),
        Self.compoundRow(3, "街道小区", community: "320113005000"), Self.compoundRow(4, "梅花山庄"),
      ]
      let results = try await property.importCompounds(Self.compounds(rows)).results
      #expect(Self.outcomes(results) == [.created, .failed, .failed, .created])
      #expect(results[1].reason == "FIELD_INVALID")
      #expect(results[1].field == "compound.household_count")
      #expect(results[1].rule == "from 0 to {0}, got {1}")
      #expect(results[1].ruleArguments == ["50000", "-5"])
      #expect(results[1].message.contains("compound.household_count"))
      #expect(results[1].id.isEmpty)
      #expect(results[2].field == "compound.division_code")
      let listed = try await property.listCompounds(.with { $0.pageSize = 100 })
      #expect(Set(listed.compounds.map(\.name)) == ["翠竹园", "梅花山庄"])
    }
  }

  @Test("a compound row outside the caller's jurisdiction fails PERMISSION_DENIED as its result")
  func compoundRowOutsideJurisdictionFails() async throws {
    let store = PropertyStore(writer: try GovernanceDatabase.makeEmptyTestDatabase(migrator: PropertyStore.migrator))
    let elsewhere = try await store.importCompounds(
      Self.compounds([Self.compoundRow(1, "梅花山庄", community: Self.otherCommunity)]), by: .testAdministrator)
    let clerk = Principal.staff(.community, scope: Self.community)
    let results = try await store.importCompounds(
      Self.compounds([
        Self.compoundRow(1, "翠竹园"), Self.compoundRow(2, "新小区", community: Self.otherCommunity),
        Self.compoundRow(3, "梅花山庄", community: Self.otherCommunity),
      ]),
      by: clerk)
    #expect(Self.outcomes(results.results) == [.created, .failed, .failed])
    for failed in results.results.dropFirst() {
      #expect(failed.reason == "NOT_PERMITTED")
      #expect(failed.rule == "division {0} is outside the jurisdiction {1} of {2}")
      #expect(failed.ruleArguments.first == Self.otherCommunity)
    }
    // Found but outside: not even reported unchanged.
    #expect(results.results[2].id.isEmpty && !elsewhere.results[0].id.isEmpty)
  }

  @Test("validate_only reports every row by the same rules and stores nothing")
  func validateOnlyStoresNothing() async throws {
    try await Self.withService { property, _ in
      let existing = try await property.importCompounds(Self.compounds([Self.compoundRow(1, "翠竹园")])).results[0]
      let stamps = try await Self.compoundStamps(property)
      let rows = [
        Self.compoundRow(1, "翠竹园", households: 999), Self.compoundRow(2, "梅花山庄"),
        Self.compoundRow(3, "梅花山庄", households: 400), Self.compoundRow(4, "负数小区", households: -1),
      ]
      let results = try await property.importCompounds(Self.compounds(rows, validateOnly: true)).results
      // Later rows see earlier ones in a dry run too: row 3 updates what row 2 would create.
      #expect(Self.outcomes(results) == [.updated, .created, .updated, .failed])
      #expect(results[0].id == existing.id)
      #expect(results[1].id.isEmpty)
      #expect(results[3].field == "compound.household_count")
      #expect(try await Self.compoundStamps(property) == stamps)
      #expect(try await property.getCompound(.with { $0.id = existing.id }).householdCount == 300)
      let buildings = try await property.importBuildings(
        .with {
          $0.rows = [Self.buildingRow(1, "1栋", compound: "翠竹园")]
          $0.validateOnly = true
        }
      ).results
      #expect(Self.outcomes(buildings) == [.created])
      #expect(try await property.listBuildings(.with { $0.pageSize = 10 }).buildings.isEmpty)
      #expect(try await property.getCompound(.with { $0.id = existing.id }).buildingCount == 0)
    }
  }

  @Test("a batch holds 1 to 500 rows: more or none is INVALID_ARGUMENT naming rows")
  func batchHoldsOneTo500Rows() async throws {
    try await Self.withService { property, _ in
      let rows = (1...501).map { Self.compoundRow(Int32($0), "小区\($0)") }
      await expectRPCError(.invalidArgument, mentioning: "rows", "500", "501") {
        _ = try await property.importCompounds(Self.compounds(rows))
      }
      await expectRPCError(.invalidArgument, mentioning: "rows", "got 0") {
        _ = try await property.importCompounds(Self.compounds([]))
      }
      await expectRPCError(.invalidArgument, mentioning: "rows", "501") {
        _ = try await property.importBuildings(
          .with { $0.rows = (1...501).map { Self.buildingRow(Int32($0), "\($0)栋", compound: "翠竹园") } })
      }
      await expectRPCError(.invalidArgument, mentioning: "rows", "501") {
        _ = try await property.importCompanies(
          .with { $0.rows = (1...501).map { Self.companyRow(Int32($0), "物业\($0)", code: Self.creditCode($0)) } })
      }
      let listed = try await property.listCompounds(.with { $0.pageSize = 10 })
      #expect(listed.compounds.isEmpty)
    }
  }

  @Test("ten thousand compounds in twenty batches import twice, the second time all unchanged")
  func tenThousandCompoundsImportTwice() async throws {
    try await Self.withService { property, _ in
      let communities = (1...10).map { "32011300500\($0 - 1)" }.map { $0 == "320113005000" ? "320113005010" : $0 }
      let batches = (0..<20).map { batch in
        (0..<500).map { index in
          let number = batch * 500 + index
          return Self.compoundRow(
            Int32(index + 2), "小区\(number)", community: communities[number % communities.count],
            households: Int32(number % 3000))
        }
      }
      for (run, expected) in [(1, Governance_Common_V1_ImportOutcome.created), (2, .unchanged)] {
        var counted = 0
        for batch in batches {
          let results = try await property.importCompounds(Self.compounds(batch)).results
          #expect(results.count == 500)
          counted += results.filter { $0.outcome == expected }.count
        }
        #expect(counted == 10_000, "run \(run)")
      }
    }
  }

  // MARK: Buildings

  @Test("a building row finds its compound by name in its community, one created by an earlier call")
  func buildingRowFindsItsCompoundByName() async throws {
    try await Self.withService { property, _ in
      let compound = try await property.importCompounds(Self.compounds([Self.compoundRow(1, "翠竹园")])).results[0]
      let rows = [
        Self.buildingRow(2, "1栋", compound: "翠竹园"), Self.buildingRow(3, "2栋", compound: "翠竹园"),
        Self.buildingRow(4, "3栋", compound: "没有的小区"),
      ]
      let first = try await property.importBuildings(.with { $0.rows = rows }).results
      #expect(Self.outcomes(first) == [.created, .created, .failed])
      #expect(first[2].field == "compound_name")
      #expect(first[2].rule == "no compound of that name in community {0}")
      #expect(first[2].ruleArguments == [Self.community])
      let counted = try await property.getCompound(.with { $0.id = compound.id })
      #expect(counted.buildingCount == 2)

      let again = try await property.importBuildings(.with { $0.rows = Array(rows.prefix(2)) }).results
      #expect(Self.outcomes(again) == [.unchanged, .unchanged])
      #expect(again.map(\.id) == first.prefix(2).map(\.id))
      #expect(try await property.getCompound(.with { $0.id = compound.id }).audit == counted.audit)
      let building = try await property.getBuilding(.with { $0.id = first[0].id })

      var byID = Self.buildingRow(2, "1栋", compound: "", floors: 7)
      byID.building.compoundID = compound.id
      let taller = try await property.importBuildings(.with { $0.rows = [byID] }).results
      #expect(Self.outcomes(taller) == [.updated])
      #expect(taller[0].id == first[0].id)
      let changed = try await property.getBuilding(.with { $0.id = first[0].id })
      #expect(changed.units[0].floors == 7)
      #expect(changed.audit.createTime == building.audit.createTime)
      #expect(changed.audit.updateTime != building.audit.updateTime)
    }
  }

  @Test("a building row that breaks a rule fails naming its field; the other rows go in")
  func buildingRowBreakingARuleFails() async throws {
    try await Self.withService { property, _ in
      _ = try await property.importCompounds(Self.compounds([Self.compoundRow(1, "翠竹园")]))
      var negative = Self.buildingRow(3, "2栋", compound: "翠竹园")
      negative.building.units = []
      negative.building.householdCount = -3
      var unnamed = Self.buildingRow(4, " ", compound: "翠竹园")
      unnamed.building.householdCount = 10
      let results = try await property.importBuildings(
        .with { $0.rows = [Self.buildingRow(2, "1栋", compound: "翠竹园"), negative, unnamed] }
      ).results
      #expect(Self.outcomes(results) == [.created, .failed, .failed])
      #expect(results[1].field == "building.household_count")
      #expect(results[1].rule == "from 0 to 10000, got {0}")
      #expect(results[2].field == "building.name")
      #expect(try await property.listBuildings(.with { $0.pageSize = 10 }).buildings.map(\.name) == ["1栋"])
    }
  }

  // MARK: Companies

  @Test("a company row is keyed by its credit code, checked by its check character as CreateCompany checks it")
  func companyRowKeyedByCreditCode() async throws {
    try await Self.withService { property, _ in
      let rows = [
        Self.companyRow(2, "鸿运物业", code: Self.creditCode(1)), Self.companyRow(3, "安居物业", code: Self.creditCode(2)),
        Self.companyRow(4, "假物业", code: Self.wrongCheck(Self.creditCode(3))),
      ]
      let first = try await property.importCompanies(.with { $0.rows = rows }).results
      #expect(Self.outcomes(first) == [.created, .created, .failed])
      #expect(first[2].reason == "FIELD_INVALID")
      #expect(first[2].field == "company.unified_social_credit_code")
      #expect(first[2].message.contains(Self.wrongCheck(Self.creditCode(3))))
      let stored = try await property.getCompany(.with { $0.id = first[0].id })

      var lowerCase = Self.companyRow(2, "鸿运物业", code: Self.creditCode(1).lowercased())
      lowerCase.company.starRating = 5
      lowerCase.company.managedCompoundCount = 9
      let again = try await property.importCompanies(.with { $0.rows = [lowerCase, rows[1]] }).results
      #expect(Self.outcomes(again) == [.unchanged, .unchanged])
      #expect(try await property.getCompany(.with { $0.id = first[0].id }) == stored)

      var grown = Self.companyRow(2, "", code: Self.creditCode(1), staff: 60)
      grown.company.legalRepresentative = "王经理"
      let updated = try await property.importCompanies(.with { $0.rows = [grown] }).results
      #expect(Self.outcomes(updated) == [.updated])
      let company = try await property.getCompany(.with { $0.id = first[0].id })
      #expect(company.name == "鸿运物业" && company.staffCount == 60 && company.legalRepresentative == "王经理")
      #expect(company.starRating == 0 && company.managedCompoundCount == 0)

      var overfull = Self.companyRow(5, "党员多物业", code: Self.creditCode(4), staff: 10)
      overfull.company.partyMemberCount = 11
      let refused = try await property.importCompanies(.with { $0.rows = [overfull] }).results
      #expect(Self.outcomes(refused) == [.failed])
      #expect(refused[0].field == "company.party_member_count")
    }
  }

  @Test("a company row the caller may read but not write fails PERMISSION_DENIED as its result")
  func companyRowAboveTheCallersCommunityFails() async throws {
    try await Self.withService(as: .staff(.community, scope: Self.community)) { property, _ in
      var local = Self.companyRow(2, "社区物业", code: Self.creditCode(7))
      local.company.divisionCode = Self.community
      let results = try await property.importCompanies(
        .with { $0.rows = [Self.companyRow(1, "区属物业", code: Self.creditCode(6)), local] }
      ).results
      #expect(Self.outcomes(results) == [.failed, .created])
      #expect(results[0].reason == "NOT_PERMITTED")
      #expect(results[0].ruleArguments.first == Self.district)
    }
  }
}
