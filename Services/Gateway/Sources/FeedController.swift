import Foundation
import GRPCCore
import GovernanceAPI
import Hummingbird
import NIOCore
import ServiceKit

/// The change feed, `GET /feed?cursor=`, for the city platform and other systems.
struct FeedController: Sendable {
  let peers: PeerClients

  var endpoints: RouteCollection<GatewayRequestContext> {
    let routes = RouteCollection(context: GatewayRequestContext.self)
    routes.get { request, context in await feed(request, context: context) }
    return routes
  }

  /// What changed since a cursor, in protobuf's JSON form, and the cursor to send next.
  struct Changes: Encodable {
    var changes: JSONValue
    var publications: [JSONValue]
    var cursor: String
  }

  /// `GET /feed?cursor=`: what changed since the cursor — case events (for the city platform,
  /// those of the cases it pushed) and completed publications of red/black lists — and the
  /// cursor to send next. Reading on from the last cursor misses nothing, across restarts.
  func feed(_ request: Request, context: GatewayRequestContext) async -> Response {
    do {
      let who = try await context.caller()
      let cursor = FeedCursor(request.uri.queryParameters["cursor"].map(String.init) ?? "")
      let (events, publications) = try await Principal.$current.withValue(who.principal) {
        let grid = Governance_Grid_V1_GridService.Client(wrapping: peers.client(for: .grid))
        let events = try await grid.listCaseEventFeed(
          .with {
            $0.afterEventID = cursor.event
            $0.pageSize = 200
            $0.cityPlatformOnly = who.principal.role == .cityPlatform
          })
        let evaluation = Governance_Evaluation_V1_EvaluationService.Client(wrapping: peers.client(for: .evaluation))
        let listed = try await evaluation.listPublications(
          .with {
            $0.state = .completed
            $0.pageSize = 100
          }
        ).publications.filter { $0.id > cursor.publication }.sorted { $0.id < $1.id }
        var publications: [Governance_Evaluation_V1_Publication] = []
        for publication in listed {
          publications.append(try await evaluation.getPublication(.with { $0.id = publication.id }))
        }
        return (events, publications)
      }
      let next = FeedCursor(event: events.nextCursor, publication: publications.last?.id ?? cursor.publication)
      let decoder = JSONDecoder()
      return JSONAnswer.response(
        Changes(
          changes: try decoder.decode(JSONValue.self, from: try events.jsonUTF8Data()),
          publications: try publications.map { try decoder.decode(JSONValue.self, from: try $0.jsonUTF8Data()) },
          cursor: next.encoded))
    } catch {
      return ConnectError(error).response
    }
  }
}

/// Where a reader of the change feed got to: the last case event and the last publication.
struct FeedCursor {
  var event: String
  var publication: String

  init(event: String, publication: String) {
    self.event = event
    self.publication = publication
  }

  init(_ encoded: String) {
    let text = Data(base64Encoded: encoded).flatMap { String(data: $0, encoding: .utf8) } ?? ""
    let parts = text.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
    event = parts.count == 2 ? parts[0] : ""
    publication = parts.count == 2 ? parts[1] : ""
  }

  var encoded: String { Data("\(event)|\(publication)".utf8).base64EncodedString() }
}

/// A JSON value as decoded, so that protobuf's JSON form of a message travels inside an
/// `Encodable` answer unchanged.
enum JSONValue: Codable, Sendable {
  case null
  case bool(Bool)
  case number(Double)
  case string(String)
  case array([JSONValue])
  case object([String: JSONValue])

  init(from decoder: any Decoder) throws {
    let container = try decoder.singleValueContainer()
    if container.decodeNil() {
      self = .null
    } else if let value = try? container.decode(Bool.self) {
      self = .bool(value)
    } else if let value = try? container.decode(Double.self) {
      self = .number(value)
    } else if let value = try? container.decode(String.self) {
      self = .string(value)
    } else if let value = try? container.decode([JSONValue].self) {
      self = .array(value)
    } else {
      self = .object(try container.decode([String: JSONValue].self))
    }
  }

  func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    switch self {
    case .null: try container.encodeNil()
    case .bool(let value): try container.encode(value)
    case .number(let value): try container.encode(value)
    case .string(let value): try container.encode(value)
    case .array(let value): try container.encode(value)
    case .object(let value): try container.encode(value)
    }
  }
}
