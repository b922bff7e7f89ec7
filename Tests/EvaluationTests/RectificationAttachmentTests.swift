import Foundation
import GRPCCore
import GovernanceAPI
import ServiceKit
import ServiceKitTesting
import Testing

@testable import Evaluation

@Suite("Rectification orders carry the photos of the problem and of the work done")
struct RectificationAttachmentTests {
  @Test("a photo of an order is kept whole for the handlers; a name that is not an order is refused")
  func aPhotoOfAnOrderIsKeptWholeForTheHandlers() async throws {
    try await withEvaluationService { evaluation, property, _ in
      let setup = try await Quarter.make(evaluation, property)
      let order = try await evaluation.createRectificationOrder(
        .with {
          $0.order.divisionCode = Quarter.community
          $0.order.companyID = setup.poor.company
          $0.order.compoundID = setup.poor.compound
          $0.order.periodID = setup.quarter
          $0.order.problem = "消防通道堵塞"
          $0.order.requirement = "三日内清理"
          $0.order.deadline = CalendarDate.today(at: Date())
        })
      let png =
        Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0]) + Data("IEND".utf8) + Data(count: 4)
      let attachment = try await evaluation.createAttachment(
        .with {
          $0.parent = "rectification_orders/\(order.id)"
          $0.filename = "通道.png"
          $0.content = png
        })
      #expect(attachment.mediaType == "image/png" && attachment.divisionCode == Quarter.community)
      let listed = try await evaluation.listAttachments(.with { $0.parent = "rectification_orders/\(order.id)" })
      #expect(listed.attachments.map(\.id) == [attachment.id])
      let content = try await evaluation.getAttachmentContent(.with { $0.id = attachment.id })
      #expect(content.content == png && !content.stripped)
      await expectRPCError(.invalidArgument, mentioning: "parent") {
        _ = try await evaluation.createAttachment(
          .with {
            $0.parent = "cases/\(order.id)"
            $0.content = png
          })
      }
      await expectRPCError(.invalidArgument, mentioning: "content") {
        _ = try await evaluation.createAttachment(
          .with {
            $0.parent = "rectification_orders/\(order.id)"
            $0.content = Data("<html></html>".utf8)
          })
      }
    }
  }
}
