import ServiceKit
import Testing

@testable import Gateway

@Suite("The writes a console user may make: the role's row of the table every service checks")
struct ConsoleWritesTests {
  static func writes(_ role: Role, scope: String = "320102") -> Set<String> {
    Set(SessionController.writes(of: Principal(subject: "user:test", role: role, scope: scope)))
  }

  @Test("a role is offered exactly the writes its row of the authorization table allows")
  func aRoleIsOfferedTheWritesItsRowAllows() {
    #expect(Self.writes(.auditor).isEmpty)
    let gridWorker = Self.writes(.gridWorker)
    #expect(gridWorker.contains("GridService/AcceptCase") && gridWorker.contains("GridService/ResolveCase"))
    #expect(!gridWorker.contains("GridService/SetDeadlinePolicy"))
    #expect(!gridWorker.contains("EvaluationService/PublishLists"))
    let district = Self.writes(.district)
    #expect(district.contains("EvaluationService/PublishLists") && district.contains("PropertyService/ExitCompany"))
    #expect(!gridWorker.contains(where: { $0.hasPrefix("OrganisationService/Create") }))
    // Rating a company is the evaluation service's alone, when it publishes the lists.
    for role in [Role.district, .cityAdministrator, .propertyStaff] {
      #expect(!Self.writes(role).contains("PropertyService/SetCompanyRating"), "\(role)")
      #expect(!Self.writes(role).contains("PropertyService/SetCompanyListStatus"), "\(role)")
    }
    // An evaluator scores, surveys and documents what a rectification order is about.
    #expect(
      Self.writes(.evaluator) == [
        "EvaluationService/SubmitScore", "EvaluationService/SubmitSurveyResponse", "EvaluationService/CreateAttachment",
      ])
  }
}
