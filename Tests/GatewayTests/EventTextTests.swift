import Foundation
import GovernanceAPI
import ServiceKit
import SwiftProtobuf
import Testing

@testable import Gateway

@Suite("Event text: what people read of an event, in Chinese, with the SMS template's parameters")
struct EventTextTests {
  static func event(_ kind: String, _ data: some SwiftProtobuf.Message) throws -> Outbox.Event {
    try .with {
      $0.kind = kind
      $0.record = "case_1"
      $0.divisionCode = "320102001001"
      $0.dataJson = try data.jsonString()
    }
  }

  @Test("a case's reminder names its number, title and deadline in the city's time")
  func caseReminder() throws {
    let notice = Governance_Grid_V1_CaseNotice.with {
      $0.gridCase.caseNumber = "20261201-0007"
      $0.gridCase.title = "楼道堆物"
      // 2026-12-02 09:00 in the city.
      $0.gridCase.deadline = .init(seconds: 1_796_173_200)
    }
    let message = EventText.message(for: try Self.event("case.deadline_approaching", notice))
    #expect(message.title == "案件 20261201-0007 即将到期，请抓紧办理")
    #expect(message.body.contains("办理时限：2026-12-02 09:00"))
    #expect(message.template == "case_deadline_approaching" && message.parameters == ["20261201-0007", "楼道堆物"])
    #expect(message.link == "#case/case_1")
  }

  @Test("a digest gives the day's new, resolved and overdue cases and the satisfaction")
  func digest() throws {
    let digest = Governance_Grid_V1_CaseDigest.with {
      $0.divisionCode = "320102001001"
      $0.divisionName = "樱花社区"
      $0.day = .with {
        $0.year = 2026
        $0.month = 11
        $0.day = 30
      }
      $0.statistics.total = 12
      $0.statistics.byStatus = [
        .with {
          $0.status = .resolved
          $0.count = 3
        },
        .with {
          $0.status = .closed
          $0.count = 4
        },
        .with {
          $0.status = .reported
          $0.count = 5
        },
      ]
      $0.statistics.overdue = 1
      $0.statistics.meanSatisfaction = 4.5
    }
    let message = EventText.message(for: try Self.event("digest.daily", digest))
    #expect(message.title == "樱花社区 2026-11-30 案件日报")
    #expect(message.body == "新增 12 件，已办结 7 件，超时 1 件，满意度 4.5")
  }
}
