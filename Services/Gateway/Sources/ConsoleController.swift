import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The admin console: static files shipped with the gateway, served with a strict content
/// security policy (no script or style from anywhere else).
struct ConsoleController: Sendable {
  var endpoints: RouteCollection<GatewayRequestContext> {
    let routes = RouteCollection(context: GatewayRequestContext.self)
    routes.get("/") { _, _ in Response(status: .seeOther, headers: [.location: "/console/"]) }
    routes.get("console/") { _, _ in Self.file("index.html") }
    routes.get("console/:file") { _, context in Self.file(context.parameters.get("file") ?? "") }
    return routes
  }

  static let types = [
    "html": "text/html; charset=utf-8", "js": "text/javascript; charset=utf-8", "css": "text/css; charset=utf-8",
    "json": "application/json",
  ]

  static func file(_ name: String) -> Response {
    let parts = name.split(separator: ".")
    guard parts.count == 2, parts[0].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" }),
      let type = types[String(parts[1])],
      let url = Bundle.module.url(
        forResource: String(parts[0]), withExtension: String(parts[1]), subdirectory: "Console"),
      let data = try? Data(contentsOf: url)
    else {
      return Response(status: .notFound)
    }
    return Response(
      status: .ok,
      headers: [
        .contentType: type, .cacheControl: "no-cache",
        .contentSecurityPolicy: "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
        HTTPField.Name("X-Content-Type-Options")!: "nosniff",
      ],
      body: .init(byteBuffer: ByteBuffer(data: data)))
  }
}
