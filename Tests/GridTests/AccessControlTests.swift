import Foundation
import GRPCCore
import GRPCInProcessTransport
import GovernanceAPI
import Logging
import ServiceKit
import ServiceKitTesting
import Testing

@testable import Grid

/// Sends whatever `authorization` header a test gives.
struct RawAuthorization: ClientInterceptor {
  let header: String?

  func intercept<Input: Sendable, Output: Sendable>(
    request: StreamingClientRequest<Input>,
    context: ClientContext,
    next: (StreamingClientRequest<Input>, ClientContext) async throws -> StreamingClientResponse<Output>
  ) async throws -> StreamingClientResponse<Output> {
    var request = request
    if let header { request.metadata.replaceOrAddString(header, forKey: "authorization") }
    return try await next(request, context)
  }
}

@Suite("Every service verifies the caller's token and holds them to their role and jurisdiction")
struct AccessControlTests {
  static let otherStreetCommunity = "320113006001"

  /// The grid service behind the production interceptors, called with a raw `authorization`.
  static func withRawClient(
    _ store: GridStore, authority: TokenAuthority, header: String?,
    _ body: @Sendable (Governance_Grid_V1_GridService.Client<InProcessTransport.Client>) async throws -> Void
  ) async throws {
    let transport = InProcessTransport()
    try await withGRPCServer(
      transport: transport.server, services: [GridService(store: store).routes],
      interceptors: [CallObservationInterceptor(logger: Logger(label: "test"), authority: authority)]
    ) { _ in
      try await withGRPCClient(transport: transport.client, interceptors: [RawAuthorization(header: header)]) {
        client in
        try await body(Governance_Grid_V1_GridService.Client(wrapping: client))
      }
    }
  }

  @Test("no token, a forged or tampered one, or an expired one is UNAUTHENTICATED")
  func tokensAreVerified() async throws {
    let store = try await GridFixture.store()
    let authority = TokenAuthority.ephemeral()
    let forger = TokenAuthority.ephemeral()
    let admin = Principal.testAdministrator
    let valid = try await authority.mint(for: admin)
    var parts = valid.split(separator: ".").map(String.init)
    parts[1] = Data(#"{"sub":"user:mallory","role":"city_admin","scope":"","exp":4102444800,"iat":0}"#.utf8)
      .base64EncodedString().replacingOccurrences(of: "=", with: "")
    let cases: [(String?, String)] = [
      (nil, "no access token"),
      ("Bearer " + (try await forger.mint(for: admin)), "not valid"),
      ("Bearer " + parts.joined(separator: "."), "not valid"),
      (
        "Bearer " + (try await authority.mint(for: admin, lifetime: 60, at: Date().addingTimeInterval(-120))), "expired"
      ),
      ("Basic YWRtaW46YWRtaW4=", "no access token"),
    ]
    for (header, reason) in cases {
      try await Self.withRawClient(store, authority: authority, header: header) { grid in
        await expectRPCError(.unauthenticated, mentioning: reason) {
          _ = try await grid.listGrids(.init())
        }
      }
    }
    try await Self.withRawClient(store, authority: authority, header: "Bearer \(valid)") { grid in
      let grids = try await grid.listGrids(.init())
      #expect(grids.grids.count == 3)
    }
  }

  @Test("each role acts only as its table allows")
  func rolesAreHeldToTheirTable() async throws {
    let store = try await GridFixture.store()
    for role in [Role.auditor, .evaluator, .propertyStaff, .cityPlatform] {
      try await withTestServer([GridService(store: store).routes], as: .staff(role)) { client in
        let grid = Governance_Grid_V1_GridService.Client(wrapping: client)
        let grids = try await grid.listGrids(.init())
        #expect(grids.grids.count == 3)
        await expectRPCError(.permissionDenied, mentioning: role.rawValue, "CreateCase") {
          _ = try await grid.createCase(
            .with {
              $0.gridCase.source = .resident
              $0.gridCase.category = "环境卫生"
              $0.gridCase.title = "垃圾"
              $0.gridCase.location.gridCode = GridFixture.grid1
            })
        }
      }
    }
    try await withTestServer([GridService(store: store).routes], as: .staff(.cityPlatform)) { client in
      let grid = Governance_Grid_V1_GridService.Client(wrapping: client)
      let intake = try await grid.intakeCityCase(
        .with {
          $0.externalID = "12345-0001"
          $0.gridCase.category = "市政设施"
          $0.gridCase.title = "井盖缺失"
          $0.gridCase.location.gridCode = GridFixture.grid1
        })
      #expect(intake.created)
    }
  }

  @Test("a street's staff work within their street: others' records are neither read nor written")
  func jurisdictionHoldsInEveryCall() async throws {
    let store = try await GridFixture.store()
    for (code, name) in [("320113006000", "玄武湖街道"), (Self.otherStreetCommunity, "玄武湖社区")] {
      _ = try await store.createDivision(
        .with {
          $0.division.divisionCode = code
          $0.division.name = name
        }, by: .system)
    }
    let elsewhere = try await store.createCase(
      .with {
        $0.gridCase.source = .resident
        $0.gridCase.category = "环境卫生"
        $0.gridCase.title = "湖边垃圾"
        $0.gridCase.divisionCode = Self.otherStreetCommunity
      }, by: .system)
    try await withTestServer([GridService(store: store).routes], as: .staff(.street, scope: "320113005")) { client in
      let grid = Governance_Grid_V1_GridService.Client(wrapping: client)
      let mine = try await grid.createCase(
        .with {
          $0.gridCase.source = .resident
          $0.gridCase.category = "环境卫生"
          $0.gridCase.title = "楼道杂物"
          $0.gridCase.location.gridCode = GridFixture.grid1
        })
      // A list without a prefix is the street; a wider one is narrowed; another street's is refused.
      #expect(try await grid.listCases(.init()).cases.map(\.id) == [mine.id])
      #expect(try await grid.listCases(.with { $0.divisionPrefix = "3201" }).cases.map(\.id) == [mine.id])
      await expectRPCError(.permissionDenied, mentioning: "320113006", "jurisdiction") {
        _ = try await grid.listCases(.with { $0.divisionPrefix = "320113006" })
      }
      await expectRPCError(.permissionDenied, mentioning: Self.otherStreetCommunity) {
        _ = try await grid.getCase(.with { $0.id = elsewhere.id })
      }
      await expectRPCError(.permissionDenied, mentioning: Self.otherStreetCommunity) {
        _ = try await grid.acceptCase(.with { $0.caseID = elsewhere.id })
      }
      await expectRPCError(.permissionDenied, mentioning: Self.otherStreetCommunity) {
        _ = try await grid.createCase(
          .with {
            $0.gridCase.source = .resident
            $0.gridCase.category = "环境卫生"
            $0.gridCase.title = "越界上报"
            $0.gridCase.divisionCode = Self.otherStreetCommunity
          })
      }
      // Statistics are the street's alone.
      #expect(try await grid.getCaseStatistics(.init()).totals.total == 1)
      // The district above is readable as context.
      #expect(try await grid.getDivision(.with { $0.divisionCode = "320113000000" }).name == "玄武区")
    }
    // Nothing was written outside: the other street's case is as it was.
    #expect(try await store.gridCase(id: elsewhere.id)?.status == .reported)
  }
}
