import GovernanceAPI
import Testing

@testable import ServiceKit

@Suite("Encoded messages: protobuf's wire format written around stored bytes")
struct EncodedMessageTests {
  @Test("a response framed from stored messages decodes as the response SwiftProtobuf would encode")
  func framedResponseDecodes() throws {
    // Given three stored messages, one large enough for a two-byte length, and a page token
    let stored = ["网格员", String(repeating: "长", count: 300), ""].map { detail in
      Governance_Grid_V1_Case.with {
        $0.id = "case_\(detail.count)"
        $0.details = detail
      }
    }
    var writer = ProtobufWriter()
    for message in stored { writer.appendLengthDelimited(field: 1, try message.serializedBytes() as [UInt8]) }
    writer.appendString(field: 2, "next")
    // Then SwiftProtobuf decodes the bytes as ListCasesResponse, and they are the bytes it encodes itself
    let expected = Governance_Grid_V1_ListCasesResponse.with {
      $0.cases = stored
      $0.nextPageToken = "next"
    }
    let encoded = EncodedMessage<Governance_Grid_V1_ListCasesResponse>(bytes: writer.bytes)
    #expect(try encoded.decoded() == expected)
    #expect(writer.bytes == (try expected.serializedBytes() as [UInt8]))
  }

  @Test("an empty page token is left off the wire, as proto3 does")
  func emptyTokenLeftOff() throws {
    var writer = ProtobufWriter()
    writer.appendString(field: 2, "")
    #expect(writer.bytes.isEmpty)
  }
}
