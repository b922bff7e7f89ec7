import Foundation
import GovernanceAPI
import Logging
import ServiceKit
import ServiceKitTesting
import Testing

@testable import Organisation

@Suite("The joint-conference gap reminder, on a clock the test sets")
struct ConferenceGapReminderTests {
  /// An instant in the city's calendar (Asia/Shanghai).
  static func city(_ year: Int, _ month: Int, _ day: Int) -> Date {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = CalendarDate.timeZone
    return calendar.date(from: DateComponents(year: year, month: month, day: day, hour: 9))!
  }

  @Test("committees that have not met are reminded when the quarter's last month begins")
  func committeesThatHaveNotMetAreRemindedWhenTheQuartersLastMonthBegins() {
    #expect(JointConferences.gapReminderQuarter(at: Self.city(2026, 10, 15)) == nil)
    #expect(JointConferences.gapReminderQuarter(at: Self.city(2026, 11, 30)) == nil)
    let due = JointConferences.gapReminderQuarter(at: Self.city(2026, 12, 1))
    #expect(due?.year == 2026 && due?.quarter == 4)
    #expect(JointConferences.gapReminderQuarter(at: Self.city(2027, 3, 31))?.quarter == 1)
  }

  @Test("each committee without a conference is reminded once per quarter; one that met is not")
  func remindedOncePerQuarter() async throws {
    let store = OrganisationStore(
      writer: try GovernanceDatabase.makeEmptyTestDatabase(migrator: OrganisationStore.migrator), vault: .ephemeral())
    var parent = ""
    var committees: [String] = []
    for (name, level, code) in [
      ("栖霞区委", Governance_Organisation_V1_OrganisationLevel.districtCommittee, "320113000000"),
      ("尧化街道党工委", .streetWorkingCommittee, "320113005000"), ("仙林社区党委", .communityCommittee, "320113005001"),
    ] {
      parent = try await store.createOrganisation(
        .with {
          $0.organisation.name = name
          $0.organisation.level = level
          $0.organisation.divisionCode = code
          $0.organisation.parentID = parent
        }, by: .testAdministrator
      ).id
      if level == .streetWorkingCommittee {
        committees.append(
          try await store.createOrganisation(
            .with {
              $0.organisation.name = "尧林仙居社区党委"
              $0.organisation.level = .communityCommittee
              $0.organisation.divisionCode = "320113005002"
              $0.organisation.parentID = parent
            }, by: .testAdministrator
          ).id)
      }
    }
    committees.append(parent)
    let job = ConferenceGapReminder(store: store, logger: Logger(label: "test"))
    #expect(try await job.round(at: Self.city(2026, 11, 20)) == 0)
    #expect(try await job.round(at: Self.city(2026, 12, 1)) == 2)
    #expect(try await job.round(at: Self.city(2026, 12, 2)) == 0)
    let events = try await store.writer.read { db in
      try Outbox.read(db, after: 0, limit: 10, service: .organisation)
    }
    #expect(events.map(\.kind) == ["conference.gap", "conference.gap"])
    #expect(Set(events.map(\.record)) == Set(committees))
  }
}
