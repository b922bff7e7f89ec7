import Foundation
import GovernanceAPI
import ServiceKit
import Testing

@testable import Grid

@Suite("Case and patrol attachments: kept with their step, shown whole only to the handlers")
struct CaseAttachmentTests {
  static let setup = Principal(service: .grid)
  static let worker = Principal(subject: "user:wang", role: .gridWorker, scope: GridFixture.community)
  static let propertyStaff = Principal(subject: "user:li", role: .propertyStaff, scope: GridFixture.community)
  static let pdf = Data("%PDF-1.7\n1 0 obj<</Author(resident)>>endobj\n%%EOF".utf8)

  static func reportedCase(_ store: GridStore) async throws -> Governance_Grid_V1_Case {
    try await store.createCase(
      .with {
        $0.gridCase.source = .resident
        $0.gridCase.category = "设施维修"
        $0.gridCase.title = "单元门禁损坏"
        $0.gridCase.location.gridCode = GridFixture.grid1
      }, by: setup)
  }

  @Test("a photo comes with the case's latest step; handlers get it whole, others without its EXIF")
  func aPhotoComesWithTheLatestStep() async throws {
    let store = try await GridFixture.store()
    let reported = try await Self.reportedCase(store)
    // A JPEG's structure: an EXIF block naming the home's position, then the scan.
    let exif = Array("Exif".utf8) + [0, 0] + Array("GPS 32.0603N 118.7969E".utf8)
    let original = Data(
      [0xFF, 0xD8, 0xFF, 0xE1, 0x00, UInt8(exif.count + 2)] + exif + [0xFF, 0xDA, 0x00, 0x02, 0x12, 0x34, 0xFF, 0xD9])
    let attachment = try await store.createAttachment(
      .with {
        $0.parent = "cases/\(reported.id)"
        $0.filename = "门禁.jpg"
        $0.content = original
      }, by: Self.worker)
    let events = try await store.listCaseEvents(.with { $0.caseID = reported.id }).events
    #expect(attachment.eventID == events.last?.id)
    #expect(attachment.mediaType == "image/jpeg" && attachment.sizeBytes == Int64(original.count))
    #expect(attachment.sha256 == Attachments.sha256(original) && attachment.publicSha256 != attachment.sha256)
    #expect(attachment.divisionCode == GridFixture.community)

    let whole = try await store.attachmentContent(id: attachment.id, for: Self.worker)
    #expect(whole.content == original && !whole.stripped)
    let shown = try await store.attachmentContent(id: attachment.id, for: Self.propertyStaff)
    #expect(shown.stripped && [UInt8](shown.content).firstRange(of: Array("GPS".utf8)) == nil)
    let listed = try await store.listAttachments(.with { $0.parent = "cases/\(reported.id)" })
    #expect(listed.attachments.map(\.id) == [attachment.id])
  }

  @Test("a PDF is shown only to the staff who handle its record")
  func aPDFIsShownOnlyToTheStaffWhoHandleIt() async throws {
    let store = try await GridFixture.store()
    let reported = try await Self.reportedCase(store)
    let attachment = try await store.createAttachment(
      .with {
        $0.parent = "cases/\(reported.id)"
        $0.content = Self.pdf
      }, by: Self.worker)
    #expect(try await store.attachmentContent(id: attachment.id, for: Self.worker).content == Self.pdf)
    await #expect(throws: DomainError.self) {
      try await store.attachmentContent(id: attachment.id, for: Self.propertyStaff)
    }
  }

  @Test("a record holds at most 20 attachments, each of a named record and a step of its own case")
  func aRecordHoldsAtMostTwentyAttachments() async throws {
    let store = try await GridFixture.store()
    let reported = try await Self.reportedCase(store)
    let other = try await Self.reportedCase(store)
    for index in 0..<Attachments.maximumPerRecord {
      _ = try await store.createAttachment(
        .with {
          $0.parent = "cases/\(reported.id)"
          $0.content = Self.pdf + Data("\(index)".utf8)
        }, by: Self.worker)
    }
    await #expect(throws: DomainError.self) {
      try await store.createAttachment(
        .with {
          $0.parent = "cases/\(reported.id)"
          $0.content = Self.pdf
        }, by: Self.worker)
    }
    for (parent, eventID, field) in [
      ("grids/x", "", "parent"), ("cases/", "", "parent"), ("cases/\(reported.id)/x", "", "parent"),
      ("cases/\(other.id)", "evt_missing", ""), ("patrols/ptl_x", "", ""),
    ] {
      do {
        _ = try await store.createAttachment(
          .with {
            $0.parent = parent
            $0.eventID = eventID
            $0.content = Self.pdf
          }, by: Self.worker)
        Issue.record("\(parent) was taken")
      } catch let DomainError.invalidArgument(named, _) {
        #expect(named == field)
      } catch DomainError.notFound {
        #expect(field.isEmpty)
      }
    }
    let reportedEvent = try await store.listCaseEvents(.with { $0.caseID = reported.id }).events[0].id
    do {
      _ = try await store.createAttachment(
        .with {
          $0.parent = "cases/\(other.id)"
          $0.eventID = reportedEvent
          $0.content = Self.pdf
        }, by: Self.worker)
      Issue.record("an event of another case was taken")
    } catch let DomainError.invalidArgument(named, _) {
      #expect(named == "event_id")
    }
  }
}
