import GovernanceAPI
import ServiceKit
import Testing

@testable import Property

@Suite("Acceptance files document its step decisions")
struct AcceptanceAttachmentTests {
  @Test("a file of an acceptance documents one of its step decisions, the latest by default")
  func aFileOfAnAcceptanceDocumentsOneOfItsStepDecisions() throws {
    var acceptance = Governance_Property_V1_Acceptance()
    #expect(try JointAcceptance.attachmentStep("", of: acceptance) == "")
    acceptance.steps = [.init(), .init(), .init()]
    #expect(try JointAcceptance.attachmentStep("", of: acceptance) == "steps/2")
    #expect(try JointAcceptance.attachmentStep("steps/0", of: acceptance) == "steps/0")
    for bad in ["steps/3", "steps/-1", "steps/x", "evt_1", "steps/"] {
      #expect(
        throws: DomainError.invalidArgument(
          field: "event_id", rule: "is steps/{index} of a recorded decision, from 0 to 2")
      ) { try JointAcceptance.attachmentStep(bad, of: acceptance) }
    }
  }
}
