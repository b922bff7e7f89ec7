import Foundation
import Testing

@testable import Gateway

/// The change feed carries protobuf's JSON form of case events and publications inside an
/// `Encodable` answer; it must come out byte for byte as `JSONSerialization` wrote it before.
@Suite("Feed JSON")
struct FeedJSONTests {
  @Test("protobuf JSON passed through the feed's answer keeps its bytes: numbers, strings, nesting, sorted keys")
  func protobufJSONKeepsItsBytes() throws {
    let samples = [
      #"{"meanSatisfaction":4.333333333333333,"onTimeRate":0.1,"evaluated":4,"seconds":"1790000000"}"#,
      #"{"events":[{"id":"evt_1","kind":"CASE_EVENT_KIND_ACCEPTED","note":"路/灯","tiny":1e-7,"big":123456789}],"nextCursor":"ZXZ0XzE="}"#,
      #"{"a":{"b":[true,false,null,2.5,-3]},"c":"","d":0}"#,
    ]
    for sample in samples {
      let data = Data(sample.utf8)
      let before = try JSONSerialization.data(
        withJSONObject: ["changes": try JSONSerialization.jsonObject(with: data), "cursor": "a/b"],
        options: [.sortedKeys])
      struct Answer: Encodable {
        var changes: JSONValue
        var cursor: String
      }
      let collected = JSONAnswer.encode(
        Answer(changes: try JSONDecoder().decode(JSONValue.self, from: data), cursor: "a/b"))
      #expect(String(decoding: collected, as: UTF8.self) == String(decoding: before, as: UTF8.self))
    }
  }
}
