import Testing

@testable import Gateway

@Suite("Map layers say when a layer was cut short")
struct MapLayerCapsTests {
  @Test("a layer read to its cap with pages left is cut short, as is one read past it")
  func aLayerReadToItsCapWithPagesLeftIsCutShort() {
    var exactly = Array(repeating: 0, count: 500)
    #expect(MapController.cut(&exactly, layer: "community", more: true))
    #expect(exactly.count == 500)
    var past = Array(repeating: 0, count: 3_400)
    #expect(MapController.cut(&past, layer: "grid", more: false))
    #expect(past.count == 3_000)
    var whole = Array(repeating: 0, count: 500)
    #expect(!MapController.cut(&whole, layer: "community", more: false))
  }
}
