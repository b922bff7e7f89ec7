import ServiceKit
import Testing

@Suite("List orders (AIP-132 order_by): the order of creation or the newest first")
struct ListOrderTests {
  @Test("a list runs in the order of creation or newest first, nothing else")
  func aListRunsInTheOrderOfCreationOrNewestFirst() throws {
    #expect(try ListOrder.newestFirst("") == false)
    #expect(try ListOrder.newestFirst("create_time desc") == true)
    for other in ["create_time", "name desc", "CREATE_TIME DESC", "create_time desc; DROP TABLE x"] {
      #expect(
        throws: DomainError.invalidArgument(
          field: "order_by", rule: "\"\" (order of creation) or \"create_time desc\", got '\(other)'")
      ) { try ListOrder.newestFirst(other) }
    }
  }
}
