import Foundation
import ServiceKit
import Testing

@Suite("Record ids sort in the order records are made")
struct RecordIDTests {
  @Test("ids made in the same millisecond, or with the clock stepping back, still increase")
  func recordIDsAreMonotonic() {
    let instant = Date()
    var made = (0..<1000).map { _ in RecordID.make(prefix: "evt", at: instant) }
    made.append(RecordID.make(prefix: "evt", at: instant.addingTimeInterval(-5)))
    #expect(made == made.sorted())
    #expect(Set(made).count == made.count)
    #expect(made.allSatisfy { $0.hasPrefix("evt_") && $0.utf8.count == 30 })
  }
}
