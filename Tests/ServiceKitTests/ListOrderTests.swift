import Foundation
import GRDB
import SwiftProtobuf
import Testing

@testable import ServiceKit

@Suite("List orders (AIP-132 order_by): the order of creation or one offered field, either way")
struct ListOrderTests {
  @Test("a list runs in the order of creation or by one field its store offers, ascending or descending")
  func aListRunsInTheOrderOfCreationOrByOneOfferedField() throws {
    let fields: KeyValuePairs<String, String> = ["name": "name", "household_count": "household_count"]
    #expect(try ListOrder("", fields: fields) == .creation)
    #expect(try ListOrder("create_time", fields: fields) == .creation)
    let newest = try ListOrder("create_time desc")
    #expect((newest.column, newest.descending, newest.orderBy) == ("id", true, "create_time desc"))
    let largest = try ListOrder("household_count desc", fields: fields)
    #expect((largest.column, largest.descending, largest.orderBy) == ("household_count", true, "household_count desc"))
    let byName = try ListOrder("name  asc", fields: fields)
    #expect((byName.column, byName.descending, byName.orderBy) == ("name", false, "name"))
    for other in ["name desc", "CREATE_TIME DESC", "create_time desc; DROP TABLE x", "create_time sideways", "a b c"] {
      #expect(
        throws: DomainError.invalidArgument(
          field: "order_by", rule: "one of \("create_time"), then \"desc\" for the reverse, got '\(other)'")
      ) { try ListOrder(other) }
    }
  }

  /// Ten records whose sort values repeat and include NULL, created in id order.
  static let values: [(id: String, value: Int?)] = [
    ("r00", 3), ("r01", nil), ("r02", 1), ("r03", 3), ("r04", nil), ("r05", 2), ("r06", 1), ("r07", 3),
    ("r08", 2), ("r09", nil),
  ]

  static func database() throws -> DatabaseQueue {
    let queue = try DatabaseQueue()
    try queue.write { db in
      try RecordTable.create(db, name: "thing") { $0.column("size", .integer) }
      for (id, value) in values {
        let record = try StoredMessage.encode(Google_Protobuf_StringValue(id))
        try db.execute(
          sql: """
            INSERT INTO thing (id, size, record, created_at, created_by, updated_at, updated_by) \
            VALUES (?, ?, ?, 0, 'test', 0, 'test')
            """, arguments: [id, value, record])
      }
    }
    return queue
  }

  @Test(
    "walking the pages of a list gives every record once, in the order asked, at any page size",
    arguments: ["", "create_time desc", "size", "size desc"], [1, 2, 3, 4, 50])
  func pagesWalkTheWholeOrder(orderBy: String, pageSize: Int32) throws {
    let queue = try Self.database()
    let order = try ListOrder(orderBy, fields: ["size": "size"])
    // Ties run in the order of creation, reversed with the rest; records without a size last.
    let sized = Self.values.filter { $0.value != nil }.sorted { a, b in
      a.value == b.value ? a.id < b.id : a.value! < b.value!
    }
    let unsized = Self.values.filter { $0.value == nil }
    let expected: [String] =
      switch orderBy {
      case "": Self.values.map(\.id)
      case "create_time desc": Self.values.map(\.id).reversed()
      case "size": (sized + unsized).map(\.id)
      default: (sized.reversed() + unsized.reversed()).map(\.id)
      }
    var walked: [String] = []
    var token = ""
    repeat {
      let page = try PageRequest(pageSize: pageSize, pageToken: token)
      let (records, next) = try queue.read { db in
        try RecordTable.list(
          db, from: "thing", as: Google_Protobuf_StringValue.self, filter: RecordFilter(), page: page, order: order)
      }
      walked += records.map(\.value)
      token = next
    } while !token.isEmpty && walked.count <= Self.values.count
    #expect(walked == expected)
  }

  @Test("text values page whatever they hold: a combining mark first, the token's separator, none")
  func textValuesPage() throws {
    let labels: [String?] = ["\u{301}b", "a\u{1F}z", nil, "a", "长", "\u{301}b"]
    let queue = try DatabaseQueue()
    try queue.write { db in
      try RecordTable.create(db, name: "labelled") { $0.column("label", .text) }
      for (index, label) in labels.enumerated() {
        try db.execute(
          sql: """
            INSERT INTO labelled (id, label, record, created_at, created_by, updated_at, updated_by) \
            VALUES (?, ?, ?, 0, 'test', 0, 'test')
            """, arguments: ["r\(index)", label, try StoredMessage.encode(Google_Protobuf_StringValue("r\(index)"))])
      }
    }
    let order = try ListOrder("label", fields: ["label": "label"])
    var walked: [String] = []
    var token = ""
    repeat {
      let page = try PageRequest(pageSize: 1, pageToken: token)
      let (records, next) = try queue.read { db in
        try RecordTable.list(
          db, from: "labelled", as: Google_Protobuf_StringValue.self, filter: RecordFilter(), page: page, order: order)
      }
      walked += records.map(\.value)
      token = next
    } while !token.isEmpty && walked.count <= labels.count
    // SQLite compares text by its UTF-8 bytes: "a" < "a\u{1F}z" < "\u{301}b" < "长"; NULL last.
    #expect(walked == ["r3", "r1", "r0", "r5", "r4", "r2"])
  }

  @Test("a page token of another list, or made up, is refused")
  func aTokenOfAnotherListIsRefused() throws {
    let queue = try Self.database()
    for token in [PageRequest.token(after: "cmp_01J0000000000000000000000"), PageRequest.token(after: "zzz")] {
      let page = try PageRequest(pageSize: 2, pageToken: token)
      #expect(throws: DomainError.invalidArgument(field: "page_token", rule: "is not a token from a previous page")) {
        try queue.read { db in
          try RecordTable.list(
            db, from: "thing", as: Google_Protobuf_StringValue.self, filter: RecordFilter(), page: page, idPrefix: "r")
        }
      }
    }
  }

  @Test("a page token of a list in one order is refused by the list in another")
  func aTokenKeepsItsOrder() throws {
    let queue = try Self.database()
    let bySize = try ListOrder("size desc", fields: ["size": "size"])
    let first = try queue.read { db in
      try RecordTable.list(
        db, from: "thing", as: Google_Protobuf_StringValue.self, filter: RecordFilter(),
        page: PageRequest(pageSize: 2, pageToken: ""), order: bySize)
    }
    let page = try PageRequest(pageSize: 2, pageToken: first.nextPageToken)
    #expect(
      throws: DomainError.invalidArgument(
        field: "page_token", rule: "belongs to the list in the order '\("size desc")', not '\("")'")
    ) {
      try queue.read { db in
        try RecordTable.list(
          db, from: "thing", as: Google_Protobuf_StringValue.self, filter: RecordFilter(), page: page)
      }
    }
  }
}
