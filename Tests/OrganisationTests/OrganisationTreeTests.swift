import GRPCCore
import GovernanceAPI
import ServiceKit
import ServiceKitTesting
import Testing

@testable import Organisation

@Suite("Organisation tree: five levels, each under the level above, inside its parent's division")
struct OrganisationTreeTests {
  typealias Organisation = Governance_Organisation_V1_Organisation

  static func organisation(
    _ name: String, level: Governance_Organisation_V1_OrganisationLevel, division: String,
    parent: String = "", kind: Governance_Organisation_V1_BranchKind = .unspecified
  ) -> Organisation {
    .with {
      $0.name = name
      $0.level = level
      $0.divisionCode = division
      $0.parentID = parent
      $0.branchKind = kind
    }
  }

  @Test("an organisation sits in the tree at its level")
  func organisationSitsInTheTreeAtItsLevel() throws {
    var district = Self.organisation("栖霞区委", level: .districtCommittee, division: "320113000000")
    district.id = "org_d"
    district.status = .active
    let street = Self.organisation("尧化街道党工委", level: .streetWorkingCommittee, division: "320113005000", parent: "org_d")
    #expect(try OrganisationTree.validateNew(street, parent: district).status == .active)

    // A branch cannot hang directly under a district committee.
    let branch = Self.organisation("某小区支部", level: .branch, division: "320113005001", parent: "org_d", kind: .compound)
    #expect(throws: DomainError.self) { try OrganisationTree.validateNew(branch, parent: district) }

    // A street committee of another district lies outside its parent's division.
    let foreign = Self.organisation("外区街道", level: .streetWorkingCommittee, division: "320114005000", parent: "org_d")
    #expect(throws: DomainError.failedPrecondition(
      rule: "an organisation lies inside its parent's division", detail: "320114005000 is outside 栖霞区委's 320113000000")
    ) { try OrganisationTree.validateNew(foreign, parent: district) }

    // A branch needs its kind; a committee must not have one.
    #expect(throws: DomainError.invalidArgument(field: "organisation.branch_kind", rule: "is required")) {
      try OrganisationTree.validateNew(
        Self.organisation("b", level: .branch, division: "320113005001", parent: "org_c"),
        parent: .with { $0.level = .communityCommittee; $0.status = .active; $0.divisionCode = "320113005001" })
    }
  }

  @Test("create then get over gRPC; a repeated request_id creates once")
  func createAndGet() async throws {
    try await withOrganisationService { organisations, _ in
      let request = Governance_Organisation_V1_CreateOrganisationRequest.with {
        $0.requestID = "req-1"
        $0.organisation = Self.organisation("栖霞区委", level: .districtCommittee, division: "320113000000")
      }
      let created = try await organisations.createOrganisation(request)
      let repeated = try await organisations.createOrganisation(request)
      #expect(created.id.hasPrefix("org_"))
      #expect(repeated.id == created.id)

      let street = try await organisations.createOrganisation(.with {
        $0.organisation = Self.organisation(
          "尧化街道党工委", level: .streetWorkingCommittee, division: "320113005000", parent: created.id)
      })
      let fetched = try await organisations.getOrganisation(.with { $0.id = street.id })
      #expect(fetched.name == "尧化街道党工委")
      #expect(fetched.parentID == created.id)
      #expect(fetched.audit.createdBy == "anonymous")
    }
  }

  @Test("bad input is INVALID_ARGUMENT naming the field; unknown ids are NOT_FOUND")
  func badInput() async throws {
    try await withOrganisationService { organisations, _ in
      await expectRPCError(.invalidArgument, mentioning: "organisation.division_code", "12 digits") {
        _ = try await organisations.createOrganisation(.with {
          $0.organisation = Self.organisation("区委", level: .districtCommittee, division: "3201")
        })
      }
      await expectRPCError(.invalidArgument, mentioning: "organisation.name", "is required") {
        _ = try await organisations.createOrganisation(.with {
          $0.organisation = Self.organisation("  ", level: .districtCommittee, division: "320113000000")
        })
      }
      await expectRPCError(.notFound, mentioning: "parent organisation", "org_missing") {
        _ = try await organisations.createOrganisation(.with {
          $0.organisation = Self.organisation(
            "街道", level: .streetWorkingCommittee, division: "320113005000", parent: "org_missing")
        })
      }
      await expectRPCError(.notFound, mentioning: "organisation org_nope") {
        _ = try await organisations.getOrganisation(.with { $0.id = "org_nope" })
      }
      await expectRPCError(.unimplemented) {
        _ = try await organisations.listOrganisations(.init())
      }
    }
  }
}
