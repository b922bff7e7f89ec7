import GovernanceAPI
import Testing

@testable import ServiceKit

@Suite("Authorization of the platform's own services")
struct AuthorizationTests {
  @Test("services read one another and write to one another only where a flow needs it")
  func servicesWriteToOneAnotherOnlyWhereAFlowNeedsIt() {
    let publicationWrites = ["SetCompanyRating", "SetCompanyListStatus", "ExitCompany"]
    for caller in ServiceIdentity.allCases {
      for entry in MethodCatalog.methods {
        let allowed: Bool
        do {
          try Authorization.check(service: entry.service, method: entry.method, principal: Principal(service: caller))
          allowed = true
        } catch {
          allowed = false
          #expect(error.rpcErrorMessage.contains(caller.rawValue), "\(error.rpcErrorMessage)")
        }
        let publication =
          caller == .evaluation && entry.service.hasSuffix("PropertyService")
          && publicationWrites.contains(entry.method)
        #expect(
          allowed == (Authorization.isRead(entry.method) || publication), "\(caller.rawValue) → \(entry.fullName)")
      }
    }
  }
}
