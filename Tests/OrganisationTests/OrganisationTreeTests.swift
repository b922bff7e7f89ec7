import GRPCCore
import GRPCInProcessTransport
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
    #expect(
      throws: DomainError.failedPrecondition(
        rule: "an organisation lies inside its parent's division", detail: "320114005000 is outside 栖霞区委's 320113000000"
      )
    ) { try OrganisationTree.validateNew(foreign, parent: district) }

    // A branch needs its kind; a committee must not have one.
    #expect(throws: DomainError.invalidArgument(field: "organisation.branch_kind", rule: "is required")) {
      try OrganisationTree.validateNew(
        Self.organisation("b", level: .branch, division: "320113005001", parent: "org_c"),
        parent: .with {
          $0.level = .communityCommittee
          $0.status = .active
          $0.divisionCode = "320113005001"
        })
    }
  }

  @Test("create then get over gRPC; a repeated request_id creates once")
  func createAndGet() async throws {
    try await withOrganisationService { organisations, _, _ in
      let request = Governance_Organisation_V1_CreateOrganisationRequest.with {
        $0.requestID = "req-1"
        $0.organisation = Self.organisation("栖霞区委", level: .districtCommittee, division: "320113000000")
      }
      let created = try await organisations.createOrganisation(request)
      let repeated = try await organisations.createOrganisation(request)
      #expect(created.id.hasPrefix("org_"))
      #expect(repeated.id == created.id)

      let street = try await organisations.createOrganisation(
        .with {
          $0.organisation = Self.organisation(
            "尧化街道党工委", level: .streetWorkingCommittee, division: "320113005000", parent: created.id)
        })
      let fetched = try await organisations.getOrganisation(.with { $0.id = street.id })
      #expect(fetched.name == "尧化街道党工委")
      #expect(fetched.parentID == created.id)
      #expect(fetched.audit.createdBy == "user:test-admin")
    }
  }

  @Test("bad input is INVALID_ARGUMENT naming the field; unknown ids are NOT_FOUND")
  func badInput() async throws {
    try await withOrganisationService { organisations, _, _ in
      await expectRPCError(.invalidArgument, mentioning: "organisation.division_code", "12 digits") {
        _ = try await organisations.createOrganisation(
          .with {
            $0.organisation = Self.organisation("区委", level: .districtCommittee, division: "3201")
          })
      }
      await expectRPCError(.invalidArgument, mentioning: "organisation.name", "is required") {
        _ = try await organisations.createOrganisation(
          .with {
            $0.organisation = Self.organisation("  ", level: .districtCommittee, division: "320113000000")
          })
      }
      await expectRPCError(.invalidArgument, mentioning: "organisation.name", "at most 100 characters") {
        _ = try await organisations.createOrganisation(
          .with {
            $0.organisation = Self.organisation(
              String(repeating: "党", count: 101), level: .districtCommittee, division: "320113000000")
          })
      }
      await expectRPCError(.invalidArgument, mentioning: "organisation.level", "unknown value") {
        var unknown = Self.organisation("区委", level: .districtCommittee, division: "320113000000")
        unknown.level = .UNRECOGNIZED(42)
        _ = try await organisations.createOrganisation(.with { $0.organisation = unknown })
      }
      await expectRPCError(.notFound, mentioning: "parent organisation", "org_missing") {
        _ = try await organisations.createOrganisation(
          .with {
            $0.organisation = Self.organisation(
              "街道", level: .streetWorkingCommittee, division: "320113005000", parent: "org_missing")
          })
      }
      await expectRPCError(.notFound, mentioning: "organisation org_nope") {
        _ = try await organisations.getOrganisation(.with { $0.id = "org_nope" })
      }
      await expectRPCError(.invalidArgument, mentioning: "update_mask") {
        _ = try await organisations.updateMember(.init())
      }
    }
  }

  @Test("move, dissolve with a successor, subtree listing and history keep the tree whole")
  func treeOperations() async throws {
    try await withOrganisationService { organisations, _, _ in
      let community = try await BranchFormationTests.committees(organisations)
      let district = try await organisations.listOrganisations(.with { $0.level = .districtCommittee }).organisations[0]
      let street2 = try await organisations.createOrganisation(
        .with {
          $0.organisation = Self.organisation(
            "仙林街道党工委", level: .streetWorkingCommittee, division: "320113006000", parent: district.id)
        })
      let gridBranch = try await organisations.createOrganisation(
        .with {
          $0.organisation = Self.organisation(
            "网格支部", level: .branch, division: "320113005001001", parent: community, kind: .grid)
        })
      let member = try await organisations.createMember(
        BranchFormationTests.member("赵六", organisation: gridBranch.id, compound: "cmp_1"))

      // The whole subtree of the district: two streets, the community, the branch.
      let subtree = try await organisations.listOrganisations(.with { $0.ancestorID = district.id })
      #expect(subtree.organisations.count == 4)

      // A community cannot move under a street whose division does not contain it.
      await expectRPCError(.failedPrecondition, mentioning: "inside its parent's division") {
        _ = try await organisations.moveOrganisation(
          .with {
            $0.id = community
            $0.newParentID = street2.id
          })
      }
      let moved = try await organisations.moveOrganisation(
        .with {
          $0.id = community
          $0.newParentID = street2.id
          $0.newDivisionCode = "320113006001"
          $0.reason = "区划调整"
        })
      #expect(moved.parentID == street2.id)

      // Dissolving needs a successor for the members, and refuses while children are active.
      await expectRPCError(.failedPrecondition, mentioning: "successor_id") {
        _ = try await organisations.dissolveOrganisation(
          .with {
            $0.id = gridBranch.id
            $0.reason = "网格调整"
          })
      }
      await expectRPCError(.failedPrecondition, mentioning: "sub-organisation") {
        _ = try await organisations.dissolveOrganisation(
          .with {
            $0.id = community
            $0.reason = "撤并"
            $0.successorID = street2.id
          })
      }
      let dissolved = try await organisations.dissolveOrganisation(
        .with {
          $0.id = gridBranch.id
          $0.reason = "网格调整"
          $0.successorID = community
        })
      #expect(dissolved.status == .dissolved)
      #expect(try await organisations.getMember(.with { $0.id = member.id }).organisationID == community)
      let active = try await organisations.listOrganisations(.with { $0.parentID = community })
      #expect(active.organisations.isEmpty)
      let all = try await organisations.listOrganisations(
        .with {
          $0.parentID = community
          $0.includeDissolved = true
        })
      #expect(all.organisations.map(\.id) == [gridBranch.id])
      let history = try await organisations.listOrganisationHistory(.with { $0.organisationID = community })
      #expect(history.events.map(\.kind) == [.created, .moved])
    }
  }

  @Test("an organisation's member counts are its formal and probationary members in the register")
  func anOrganisationsMemberCountsAreItsMembersInTheRegister() async throws {
    try await withOrganisationService { organisations, _, _ in
      let community = try await BranchFormationTests.committees(organisations)
      for (name, standing) in [
        ("正式甲", Governance_Organisation_V1_MemberStanding.formal), ("正式乙", .formal), ("预备丙", .probationary),
      ] {
        _ = try await organisations.createMember(
          BranchFormationTests.member(name, organisation: community, compound: "cmp_1", standing: standing))
      }
      let fetched = try await organisations.getOrganisation(.with { $0.id = community })
      #expect(fetched.formalMemberCount == 2 && fetched.probationaryMemberCount == 1)
      let listed = try await organisations.listOrganisations(.with { $0.divisionPrefix = "320113" })
      let counted = listed.organisations.first { $0.id == community }
      #expect(counted?.formalMemberCount == 2 && counted?.probationaryMemberCount == 1)
      #expect(listed.organisations.filter { $0.id != community }.allSatisfy { $0.formalMemberCount == 0 })
    }
  }

  @Test("dual registration: in-service members register once, counted by community and street")
  func dualRegistration() async throws {
    try await withOrganisationService { organisations, _, _ in
      let community = try await BranchFormationTests.committees(organisations)
      var members: [String] = []
      for index in 0..<3 {
        members.append(
          try await organisations.createMember(
            BranchFormationTests.member("在职党员\(index)", organisation: community, compound: "cmp_1")
          ).id)
      }
      for (member, code) in zip(members, ["320113005001", "320113005001", "320113005002"]) {
        _ = try await organisations.registerAtCommunity(
          .with {
            $0.memberID = member
            $0.communityDivisionCode = code
          })
      }
      let first = members[0]
      await expectRPCError(.alreadyExists, mentioning: "registration of member") {
        _ = try await organisations.registerAtCommunity(
          .with {
            $0.memberID = first
            $0.communityDivisionCode = "320113005001"
          })
      }
      let byCommunity = try await organisations.countCommunityRegistrations(.with { $0.divisionPrefix = "320113" })
      #expect(byCommunity.total == 3)
      #expect(byCommunity.groups.map(\.count) == [2, 1])
      let byStreet = try await organisations.countCommunityRegistrations(
        .with {
          $0.divisionPrefix = "320113"
          $0.groupBy = .street
        })
      #expect(byStreet.groups.map(\.divisionCode) == ["320113005000"])
      #expect(byStreet.groups.map(\.count) == [3])
      var retired = BranchFormationTests.member("退休党员", organisation: community, compound: "cmp_1")
      retired.member.kind = .retired
      let retiredID = try await organisations.createMember(retired).id
      await expectRPCError(.failedPrecondition, mentioning: "in-service") {
        _ = try await organisations.registerAtCommunity(
          .with {
            $0.memberID = retiredID
            $0.communityDivisionCode = "320113005001"
          })
      }
    }
  }
}
