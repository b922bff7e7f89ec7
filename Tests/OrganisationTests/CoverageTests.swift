import GRDB
import GRPCCore
import GovernanceAPI
import ServiceKit
import ServiceKitTesting
import Testing

@testable import Organisation

@Suite("Coverage: compounds, companies under the 25-staff rule, grids with a branch")
struct CoverageTests {
  @Test(
    "a company is covered by its own party members at 25 staff, else by attaching, joining or an instructor",
    arguments: [
      (true, Governance_Property_V1_CompanyPartyStatus.none, true, true), (true, .none, false, false),
      (true, .attached, false, false), (true, .ownOrganisation, false, true), (false, .attached, false, true),
      (false, .instructor, false, true), (false, .none, false, false), (false, .joint, false, true),
    ])
  func companyCoverageRule(
    large: Bool, status: Governance_Property_V1_CompanyPartyStatus, members: Bool, covered: Bool
  ) {
    #expect(Coverage.isCovered(partyStatus: status, large: large, hasPartyMembers: members) == covered)
  }

  @Test("companies covered are counted from the property service's groups by party status and size")
  func companyCoverageFromCounts() {
    let groups: [(Governance_Property_V1_CompanyPartyStatus, Bool, Int32, Int32)] = [
      (.ownOrganisation, true, 3, 1), (.none, true, 4, 2), (.attached, true, 2, 0), (.attached, false, 5, 0),
      (.none, false, 6, 1), (.instructor, false, 1, 0),
    ]
    let property = Governance_Property_V1_GetPropertyStatisticsResponse.with { statistics in
      statistics.companiesByPartyStatus = groups.map { status, large, count, withMembers in
        .with {
          $0.partyStatus = status
          $0.large = large
          $0.count = count
          $0.withPartyMembers = withMembers
        }
      }
    }
    let figures = Coverage.figures(compounds: [], gridCodes: [], property: property, party: .init())
    // Own organisation 3, large with members 2, small attached 5, small with an instructor 1.
    #expect(figures.companiesCovered == 11)
    #expect(figures.companiesTotal == 21 && figures.companiesLarge == 9 && figures.companiesSmall == 12)
    #expect(figures.companiesLargeWithPartyMembers == 3 && figures.companiesSmallAttached == 5)
    #expect(figures.companiesWithOwnOrganisation == 3 && figures.companiesWithInstructor == 1)
  }

  @Test("a jurisdiction's members are counted by community and standing from one index, in its order, unsorted")
  func memberCountsReadOneIndex() throws {
    let database = try GovernanceDatabase.makeEmptyTestDatabase(migrator: OrganisationStore.migrator)
    let plan = try database.read { db in
      try Row.fetchAll(
        db, sql: "EXPLAIN QUERY PLAN " + OrganisationStore.activeMembersByDivision(where: "division_code GLOB ?"),
        arguments: ["3201*", 1]
      ).map { $0["detail"] as String }
    }
    #expect(plan.count == 1, "\(plan)")
    #expect(plan.first?.contains("USING COVERING INDEX party_member_by_division_standing") == true, "\(plan)")
  }

  @Test("coverage of a street counts across the three services, per community too")
  func coverageAcrossServices() async throws {
    try await withOrganisationService { organisations, property, grid in
      let community = try await BranchFormationTests.committees(organisations)
      for (code, name) in [
        ("320113000000", "栖霞区"), ("320113005000", "尧化街道"), ("320113005001", "仙林社区"),
        ("320113005002", "尧林社区"),
      ] {
        _ = try await grid.createDivision(
          .with {
            $0.division.divisionCode = code
            $0.division.name = name
          })
      }
      for code in ["320113005001001", "320113005001002", "320113005002001"] {
        _ = try await grid.createGrid(
          .with {
            $0.grid.gridCode = code
            $0.grid.name = "网格 \(code)"
            $0.grid.kind = .basic
          })
      }
      var compounds: [String] = []
      for (name, division) in [("甲小区", "320113005001"), ("乙小区", "320113005001"), ("丙小区", "320113005002")] {
        compounds.append(
          try await property.createCompound(
            .with {
              $0.compound.name = name
              $0.compound.divisionCode = division
              $0.compound.kind = .commercialHousing
            }
          ).id)
      }
      for index in 0..<3 {
        _ = try await organisations.createMember(
          BranchFormationTests.member("党员\(index)", organisation: community, compound: compounds[0]))
      }
      // The street's second community, with a probationary member: a district's child (the
      // street) sums its communities' counts.
      let street = try await organisations.getOrganisation(.with { $0.id = community }).parentID
      let secondCommunity = try await organisations.createOrganisation(
        .with {
          $0.organisation.name = "尧林社区党委"
          $0.organisation.level = .communityCommittee
          $0.organisation.divisionCode = "320113005002"
          $0.organisation.parentID = street
        }
      ).id
      _ = try await organisations.createMember(
        BranchFormationTests.member(
          "预备党员", organisation: secondCommunity, compound: compounds[2], standing: .probationary))
      _ = try await organisations.createOrganisation(
        .with {
          $0.organisation.name = "甲小区支部"
          $0.organisation.level = .branch
          $0.organisation.branchKind = .compound
          $0.organisation.divisionCode = "320113005001"
          $0.organisation.parentID = community
          $0.organisation.compoundID = compounds[0]
        })
      _ = try await organisations.createOrganisation(
        .with {
          $0.organisation.name = "第一网格支部"
          $0.organisation.level = .branch
          $0.organisation.branchKind = .grid
          $0.organisation.divisionCode = "320113005001001"
          $0.organisation.parentID = community
        })
      for (name, code, staff, status) in [
        ("大物业", "91350100M000100Y43", Int32(60), Governance_Property_V1_CompanyPartyStatus.ownOrganisation),
        ("小物业", "9144030071526726XG", Int32(8), .none),
      ] {
        _ = try await property.createCompany(
          .with {
            $0.company.name = name
            $0.company.unifiedSocialCreditCode = code
            $0.company.divisionCode = "320113005000"
            $0.company.staffCount = staff
            $0.company.partyStatus = status
          })
      }

      let coverage = try await organisations.getCoverage(
        .with {
          $0.divisionPrefix = "320113005"
          $0.includeChildren = true
        })
      let figures = coverage.figures
      #expect(figures.compoundsTotal == 3)
      #expect(figures.compoundsWithPartyOrganisation == 1)
      #expect(figures.compoundsWithStandaloneBranch == 1)
      #expect(figures.companiesTotal == 2 && figures.companiesCovered == 1 && figures.companiesSmall == 1)
      #expect(figures.gridsTotal == 3 && figures.gridsWithBranch == 1)
      #expect(figures.formalMembers == 3 && figures.probationaryMembers == 1)
      #expect(coverage.children.map(\.figures.probationaryMembers) == [0, 1])
      #expect(coverage.children.map(\.divisionCode) == ["320113005001", "320113005002"])
      #expect(coverage.children.map(\.figures.compoundsTotal) == [2, 1])
      #expect(coverage.children.map(\.figures.gridsWithBranch) == [1, 0])
      // Each child's figures, counted in the parent's one pass, are the child's own coverage.
      for child in coverage.children {
        let own = try await organisations.getCoverage(.with { $0.divisionPrefix = child.divisionCode })
        #expect(child.figures == own.figures, "\(child.divisionCode)")
      }
      let district = try await organisations.getCoverage(
        .with {
          $0.divisionPrefix = "320113"
          $0.includeChildren = true
        })
      #expect(district.children.map(\.divisionCode) == ["320113005000"])
      #expect(district.children.first?.figures == coverage.figures)
    }
  }
}
