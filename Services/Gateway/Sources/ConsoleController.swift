import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The admin console and the two phone pages: static files shipped with the gateway, served with
/// a strict content security policy (no script or style from anywhere else; images also from the
/// map's tile server when one is configured). `/console/` is the officials' console, `/m/` the
/// grid worker's installable app (its service worker at `/m/sw.js` controls `/m/` only) and `/r/`
/// the residents' public page; all three come from the one `Console` resource directory.
struct ConsoleController: Sendable {
  /// Sources images may come from besides the gateway: the map tiles' origin.
  var imageSources: [String] = []

  var endpoints: RouteCollection<GatewayRequestContext> {
    let routes = RouteCollection(context: GatewayRequestContext.self)
    routes.get("/") { _, _ in Response(status: .seeOther, headers: [.location: "/console/"]) }
    let policy =
      "default-src 'self'; img-src \((["'self'", "data:"] + imageSources).joined(separator: " ")); frame-ancestors 'none'"
    routes.get("console/") { _, _ in Self.file("index.html", policy: policy) }
    routes.get("console/:file") { _, context in Self.file(context.parameters.get("file") ?? "", policy: policy) }
    routes.get("m/") { _, _ in Self.file("worker.html", policy: policy) }
    routes.get("m/:file") { _, context in Self.file(context.parameters.get("file") ?? "", policy: policy) }
    routes.get("r/") { _, _ in Self.file("resident.html", policy: policy) }
    routes.get("r/:file") { _, context in Self.file(context.parameters.get("file") ?? "", policy: policy) }
    return routes
  }

  static let types = [
    "html": "text/html; charset=utf-8", "js": "text/javascript; charset=utf-8", "css": "text/css; charset=utf-8",
    "json": "application/json", "webmanifest": "application/manifest+json", "svg": "image/svg+xml",
  ]

  static func file(
    _ name: String, policy: String = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'"
  ) -> Response {
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
        .contentSecurityPolicy: policy,
        HTTPField.Name("X-Content-Type-Options")!: "nosniff",
      ],
      body: .init(byteBuffer: ByteBuffer(data: data)))
  }
}
