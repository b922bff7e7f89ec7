import Foundation
import GRDB
import GRPCCore
import GRPCInProcessTransport
import GovernanceAPI
import Logging
import ServiceKit
import ServiceKitTesting
import Testing

@testable import Property

/// The property service over gRPC on a real SQLite file, as the street office and the
/// evaluation service use it.
@Suite("Property service: contracts, acceptance, exit to fallback, statistics")
struct PropertyServiceTests {
  typealias Client = Governance_Property_V1_PropertyService.Client<InProcessTransport.Client>

  /// A property service on a fresh WAL database file.
  static func withService<Result: Sendable>(
    caller: ServiceIdentity? = nil, _ body: @Sendable (Client, PropertyStore) async throws -> Result
  ) async throws -> Result {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("property-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: directory) }
    let pool = try GovernanceDatabase.openPool(
      path: directory.appendingPathComponent("property.sqlite").path, migrator: PropertyStore.migrator,
      logger: Logger(label: "test"))
    let store = PropertyStore(writer: pool)
    return try await withTestServer([PropertyService(store: store)], caller: caller) { client in
      try await body(Client(wrapping: client), store)
    }
  }

  static let streets = ["320113005000", "320113006000"]

  /// Two streets with a centre each, compounds in three communities, two companies.
  struct City {
    var compounds: [Governance_Property_V1_Compound] = []
    var companies: [Governance_Property_V1_PropertyCompany] = []
  }

  static func makeCity(_ property: Client, withCentres streets: [String] = streets) async throws -> City {
    var city = City()
    for street in streets {
      _ = try await property.createServiceCentre(
        .with {
          $0.centre.divisionCode = street
          $0.centre.name = "物业服务中心 \(street)"
        })
    }
    for (index, community) in ["320113005001", "320113005002", "320113006001"].enumerated() {
      city.compounds.append(
        try await property.createCompound(
          .with {
            $0.compound.name = "小区\(index + 1)"
            $0.compound.divisionCode = community
            $0.compound.kind = .commercialHousing
            $0.compound.householdCount = Int32(100 * (index + 1))
          }))
    }
    for (name, code) in [("南京鸿运物业", "91350100M000100Y43"), ("深圳腾讯物业", "9144030071526726XG")] {
      city.companies.append(
        try await property.createCompany(
          .with {
            $0.company.name = name
            $0.company.unifiedSocialCreditCode = code
            $0.company.divisionCode = "320113000000"
            $0.company.staffCount = 40
          }))
    }
    return city
  }

  static func sign(_ property: Client, compound: String, company: String, requestID: String = "") async throws
    -> Governance_Property_V1_ServiceContract
  {
    try await property.createContract(
      .with {
        $0.requestID = requestID
        $0.contract.compoundID = compound
        $0.contract.companyID = company
        $0.contract.selectionMethod = .streetAgreement
        $0.contract.fee.fenPerSquareMetreMonth = 120
      })
  }

  @Test("a contract starts a trial, blocks a second one, activates and terminates to fallback")
  func contractLifecycle() async throws {
    try await Self.withService { property, _ in
      let city = try await Self.makeCity(property)
      let compound = city.compounds[0].id
      let contract = try await Self.sign(property, compound: compound, company: city.companies[0].id)
      #expect(contract.state == .trial)
      #expect(try await property.getCompound(.with { $0.id = compound }).currentContractID == contract.id)

      await expectRPCError(.alreadyExists, mentioning: "live contract of compound \(compound)") {
        _ = try await Self.sign(property, compound: compound, company: city.companies[1].id)
      }
      let active = try await property.activateContract(.with { $0.id = contract.id })
      #expect(active.state == .active)
      await expectRPCError(.failedPrecondition, mentioning: "cannot become active") {
        _ = try await property.activateContract(.with { $0.id = contract.id })
      }
      let ended = try await property.terminateContract(
        .with {
          $0.id = contract.id
          $0.reason = "合同到期"
        })
      #expect(ended.state == .terminated)
      let after = try await property.getCompound(.with { $0.id = compound })
      #expect(after.managementMode == .fallback)
      #expect(after.currentContractID.isEmpty)
      #expect(after.threeNo.noPropertyCompany)
      let history = try await property.listCompoundHistory(.with { $0.compoundID = compound })
      #expect(history.events.map(\.kind) == [.created, .contractSigned, .contractActivated, .contractTerminated])
    }
  }

  @Test("only the evaluation service rates and lists a company; a blacklisted one cannot sign")
  func evaluationSetsOutcomes() async throws {
    try await Self.withService { property, _ in
      let city = try await Self.makeCity(property)
      await expectRPCError(.permissionDenied, mentioning: "evaluation service") {
        _ = try await property.setCompanyListStatus(
          .with {
            $0.companyID = city.companies[0].id
            $0.listStatus = .black
          })
      }
    }
    try await Self.withService(caller: .evaluation) { property, _ in
      let city = try await asTestAdministrator { try await Self.makeCity(property) }
      let rated = try await property.setCompanyRating(
        .with {
          $0.companyID = city.companies[0].id
          $0.starRating = 2
          $0.score = 58.5
          $0.period = "2026Q3"
        })
      #expect(rated.starRating == 2)
      _ = try await property.setCompanyListStatus(
        .with {
          $0.companyID = city.companies[0].id
          $0.listStatus = .black
          $0.reason = "服务质量差、满意度低"
        })
      await expectRPCError(.failedPrecondition, mentioning: "blacklisted") {
        _ = try await asTestAdministrator {
          try await Self.sign(property, compound: city.compounds[0].id, company: city.companies[0].id)
        }
      }
      await expectRPCError(.permissionDenied, mentioning: "evaluation service", "CreateCompany") {
        _ = try await property.createCompany(
          .with {
            $0.company.name = "南京鸿运物业"
            $0.company.unifiedSocialCreditCode = "91350100M000100Y43"
            $0.company.divisionCode = "320113000000"
          })
      }
      await expectRPCError(.invalidArgument, mentioning: "star_rating", "from 1 to 5") {
        _ = try await property.setCompanyRating(
          .with {
            $0.companyID = city.companies[1].id
            $0.starRating = 6
            $0.period = "2026Q3"
          })
      }
    }
  }

  @Test("four-level acceptance in order sets professional management only at the end")
  func acceptanceSetsProfessionalManagement() async throws {
    try await Self.withService { property, _ in
      let city = try await Self.makeCity(property)
      let compound = city.compounds[1].id
      let contract = try await Self.sign(property, compound: compound, company: city.companies[1].id)
      var acceptance = try await property.createAcceptance(
        .with {
          $0.compoundID = compound
          $0.contractID = contract.id
        })
      await expectRPCError(.alreadyExists, mentioning: "open acceptance") {
        _ = try await property.createAcceptance(
          .with {
            $0.compoundID = compound
            $0.contractID = contract.id
          })
      }
      let acceptanceID = acceptance.id
      await expectRPCError(.failedPrecondition, mentioning: "in order") {
        _ = try await property.recordAcceptanceStep(
          .with {
            $0.acceptanceID = acceptanceID
            $0.step = .districtJointAcceptance
            $0.outcome = .passed
            $0.checklist = .init()
            $0.decidedBy = "区联审组"
          })
      }
      for step in JointAcceptance.order {
        #expect(try await property.getCompound(.with { $0.id = compound }).managementMode == .none)
        acceptance = try await property.recordAcceptanceStep(
          .with {
            $0.acceptanceID = acceptance.id
            $0.step = step
            $0.outcome = .passed
            $0.checklist = PropertyRulesTests.allSevenHaves
            $0.decidedBy = "审核人"
          })
      }
      #expect(acceptance.state == .passed)
      #expect(try await property.getCompound(.with { $0.id = compound }).managementMode == .professional)
    }
  }

  @Test("exiting a company moves all its compounds to fallback at once; repeating changes nothing")
  func exitCompanyToFallback() async throws {
    try await Self.withService { property, _ in
      let city = try await Self.makeCity(property)
      let company = city.companies[0].id
      for compound in city.compounds {
        _ = try await Self.sign(property, compound: compound.id, company: company)
      }
      #expect(try await property.getCompany(.with { $0.id = company }).managedCompoundCount == 3)

      let exit = Governance_Property_V1_ExitCompanyRequest.with {
        $0.requestID = "exit-1"
        $0.companyID = company
        $0.reason = "列入黑榜，依程序退出"
      }
      let first = try await property.exitCompany(exit)
      #expect(first.contracts.count == 3)
      #expect(first.contracts.allSatisfy { $0.state == .exited })
      #expect(Set(first.compounds.map(\.compoundID)) == Set(city.compounds.map(\.id)))
      for compound in city.compounds {
        let now = try await property.getCompound(.with { $0.id = compound.id })
        #expect(now.managementMode == .fallback)
        #expect(!now.fallbackCentreID.isEmpty)
        #expect(now.name == compound.name && now.householdCount == compound.householdCount)
      }
      // The same request answers the same; a new request finds nothing left to exit.
      #expect(try await property.exitCompany(exit) == first)
      let again = try await property.exitCompany(
        .with {
          $0.requestID = "exit-2"
          $0.companyID = company
          $0.reason = "再次退出"
        })
      #expect(again.contracts.isEmpty)
      let history = try await property.listCompoundHistory(
        .with {
          $0.compoundID = city.compounds[0].id
          $0.kinds = [.companyExited]
        })
      #expect(history.events.count == 1)
    }
  }

  @Test("an exit that cannot place every compound changes nothing")
  func interruptedExitChangesNothing() async throws {
    try await Self.withService { property, _ in
      // Only the first street has a service centre: the third compound cannot fall back.
      let city = try await Self.makeCity(property, withCentres: [Self.streets[0]])
      let company = city.companies[0].id
      for compound in city.compounds {
        _ = try await Self.sign(property, compound: compound.id, company: company)
      }
      await expectRPCError(.failedPrecondition, mentioning: "no property service centre", "320113006000") {
        _ = try await property.exitCompany(
          .with {
            $0.companyID = company
            $0.reason = "退出"
          })
      }
      for compound in city.compounds {
        let unchanged = try await property.getCompound(.with { $0.id = compound.id })
        #expect(!unchanged.currentContractID.isEmpty)
        let contract = try await property.getContract(.with { $0.id = unchanged.currentContractID })
        #expect(contract.state == .trial)
      }
      // With the missing centre created, the same exit completes.
      _ = try await property.createServiceCentre(
        .with {
          $0.centre.divisionCode = Self.streets[1]
          $0.centre.name = "仙林街道物业服务中心"
        })
      let done = try await property.exitCompany(
        .with {
          $0.companyID = company
          $0.reason = "退出"
        })
      #expect(done.contracts.count == 3)
    }
  }

  @Test("two companies signing for one compound at the same moment: exactly one wins")
  func concurrentSigning() async throws {
    try await Self.withService { property, _ in
      let city = try await Self.makeCity(property)
      for round in 0..<10 {
        let compound = try await property.createCompound(
          .with {
            $0.compound.name = "竞签小区\(round)"
            $0.compound.divisionCode = "320113005001"
            $0.compound.kind = .old
          })
        let outcomes = await withTaskGroup(of: Bool.self) { group in
          for company in city.companies {
            group.addTask { (try? await Self.sign(property, compound: compound.id, company: company.id)) != nil }
          }
          var outcomes: [Bool] = []
          for await outcome in group { outcomes.append(outcome) }
          return outcomes
        }
        #expect(outcomes.filter { $0 }.count == 1, "round \(round): \(outcomes)")
        let live = try await property.listContracts(
          .with {
            $0.compoundID = compound.id
            $0.state = .trial
          })
        #expect(live.contracts.count == 1)
      }
    }
  }

  @Test("compounds' ids and communities are listed in id order, by prefix, many to a page and paged by id")
  func compoundDivisionsListed() async throws {
    try await Self.withService { property, _ in
      let city = try await Self.makeCity(property)
      let byID = city.compounds.sorted { $0.id < $1.id }
      let all = try await property.listCompoundDivisions(.init())
      #expect(all.compounds.map(\.compoundID) == byID.map(\.id))
      #expect(all.compounds.map(\.divisionCode) == byID.map(\.divisionCode))
      #expect(all.nextPageToken.isEmpty)
      let street = try await property.listCompoundDivisions(.with { $0.divisionPrefix = "320113005" })
      #expect(Set(street.compounds.map(\.compoundID)) == Set(city.compounds.prefix(2).map(\.id)))
      let first = try await property.listCompoundDivisions(.with { $0.pageSize = 2 })
      let second = try await property.listCompoundDivisions(
        .with {
          $0.pageSize = 2
          $0.pageToken = first.nextPageToken
        })
      #expect(first.compounds.count == 2 && second.nextPageToken.isEmpty)
      #expect((first.compounds + second.compounds).map(\.compoundID) == byID.map(\.id))
      #expect(try await property.listCompoundDivisions(.with { $0.divisionPrefix = "320114" }).compounds.isEmpty)
      await expectRPCError(.invalidArgument, mentioning: "division_prefix") {
        _ = try await property.listCompoundDivisions(.with { $0.divisionPrefix = "3201a" })
      }
      await expectRPCError(.invalidArgument, mentioning: "page_token") {
        _ = try await property.listCompoundDivisions(.with { $0.pageToken = "not-a-token" })
      }
      // A token of compounds by name, or of another list, is not a place in this one.
      let byName = try await property.listCompounds(
        .with {
          $0.orderBy = "name"
          $0.pageSize = 1
        })
      let companies = try await property.listCompanies(.with { $0.pageSize = 1 })
      for token in [byName.nextPageToken, companies.nextPageToken] {
        #expect(!token.isEmpty)
        await expectRPCError(.invalidArgument, mentioning: "page_token") {
          _ = try await property.listCompoundDivisions(.with { $0.pageToken = token })
        }
      }
    }
  }

  @Test("lists page through a jurisdiction; statistics match a hand count")
  func listsAndStatistics() async throws {
    try await Self.withService { property, store in
      let city = try await Self.makeCity(property)
      _ = try await Self.sign(property, compound: city.compounds[0].id, company: city.companies[0].id)
      var seen: [String] = []
      var token = ""
      repeat {
        let page = try await property.listCompounds(
          .with {
            $0.divisionPrefix = "320113005"
            $0.pageSize = 1
            $0.pageToken = token
          })
        seen += page.compounds.map(\.name)
        token = page.nextPageToken
      } while !token.isEmpty
      #expect(seen == ["小区1", "小区2"])
      await expectRPCError(.invalidArgument, mentioning: "page_token") {
        _ = try await property.listCompounds(.with { $0.pageToken = "not-a-token" })
      }
      let underContract = try await property.listCompounds(.with { $0.companyID = city.companies[0].id })
      #expect(underContract.compounds.map(\.id) == [city.compounds[0].id])
      // A street lists the companies registered at its district (as it may read them), none of
      // another district's.
      let clerk = Principal(subject: "user:clerk", role: .street, scope: "320113005")
      let seenByStreet = try await Principal.$current.withValue(clerk) {
        try await store.listCompanies(.init()).companies.map(\.id)
      }
      #expect(Set(seenByStreet) == Set(city.companies.map(\.id)))
      let otherDistrict = Principal(subject: "user:other", role: .street, scope: "320114001")
      let seenElsewhere = try await Principal.$current.withValue(otherDistrict) {
        try await store.listCompanies(.init()).companies
      }
      #expect(seenElsewhere.isEmpty)

      // By stars, the rated first either way; the unrated (0) last.
      let evaluation = Principal(service: .evaluation)
      try await Principal.$current.withValue(evaluation) {
        for (company, stars) in zip(city.companies, [Int32(3), 5]) {
          _ = try await store.setCompanyRating(
            .with {
              $0.requestID = "rating-\(company.id)"
              $0.companyID = company.id
              $0.starRating = stars
              $0.period = "2026Q3"
            }, by: evaluation)
        }
      }
      let unrated = Set(city.companies.dropFirst(2).map(\.id))
      for orderBy in ["star_rating", "star_rating desc"] {
        let ordered = try await property.listCompanies(.with { $0.orderBy = orderBy }).companies
        let rated = ordered.prefix { $0.starRating > 0 }.map(\.starRating)
        #expect(rated == (orderBy == "star_rating" ? [3, 5] : [5, 3]), "\(orderBy)")
        #expect(Set(ordered.dropFirst(rated.count).map(\.id)) == unrated)
      }

      // Found by part of the name; ordered by name either way.
      #expect(try await property.listCompounds(.with { $0.nameContains = " 区2 " }).compounds.map(\.name) == ["小区2"])
      #expect(try await property.listCompounds(.with { $0.nameContains = "%" }).compounds.isEmpty)
      let byName = try await property.listCompounds(.with { $0.orderBy = "name desc" })
      #expect(byName.compounds.map(\.name) == ["小区3", "小区2", "小区1"])
      await expectRPCError(.invalidArgument, mentioning: "order_by", "household_count") {
        _ = try await property.listCompounds(.with { $0.orderBy = "kind" })
      }

      // Trials ending soon, for the street office to follow up.
      func trialsEnding(by year: Int32) async throws -> Int {
        try await property.listContracts(
          .with {
            $0.trialEndingBy = .with {
              $0.year = year
              $0.month = 12
              $0.day = 31
            }
          }
        ).contracts.count
      }
      #expect(try await trialsEnding(by: 2099) == 1)
      #expect(try await trialsEnding(by: 2000) == 0)

      let statistics = try await property.getPropertyStatistics(.with { $0.divisionPrefix = "320113" })
      #expect(statistics.compoundsTotal == 3)
      #expect(statistics.householdsTotal == 600)
      #expect(statistics.threeNoCompounds == 2)
      #expect(statistics.companiesTotal == 2)
      #expect(statistics.contractsInTrial == 1)
      let elsewhere = try await property.getPropertyStatistics(.with { $0.divisionPrefix = "320114" })
      #expect(elsewhere.compoundsTotal == 0)
    }
  }

  @Test("bad input names the field: credit code, mode, update mask")
  func badInput() async throws {
    try await Self.withService { property, _ in
      let city = try await Self.makeCity(property)
      await expectRPCError(.invalidArgument, mentioning: "company.unified_social_credit_code", "91350100M000100Y44") {
        _ = try await property.createCompany(
          .with {
            $0.company.name = "假公司"
            $0.company.unifiedSocialCreditCode = "91350100M000100Y44"
            $0.company.divisionCode = "320113000000"
          })
      }
      await expectRPCError(.alreadyExists, mentioning: "91350100M000100Y43") {
        _ = try await property.createCompany(
          .with {
            $0.company.name = "重复"
            $0.company.unifiedSocialCreditCode = "91350100m000100y43"
            $0.company.divisionCode = "320113000000"
          })
      }
      await expectRPCError(.failedPrecondition, mentioning: "district joint acceptance") {
        _ = try await property.changeManagementMode(
          .with {
            $0.compoundID = city.compounds[0].id
            $0.mode = .professional
          })
      }
      await expectRPCError(.invalidArgument, mentioning: "update_mask", "management_mode") {
        _ = try await property.updateCompound(
          .with {
            $0.compound.id = city.compounds[0].id
            $0.updateMask.paths = ["management_mode"]
          })
      }
      let renamed = try await property.updateCompound(
        .with {
          $0.compound.id = city.compounds[0].id
          $0.compound.name = "新名字小区"
          $0.updateMask.paths = ["name"]
        })
      #expect(renamed.name == "新名字小区")
      #expect(renamed.householdCount == city.compounds[0].householdCount)
    }
  }
}
