import GovernanceAPI
import HTTPTypes
import Hummingbird
import Instrumentation
import ServiceKit
import Tracing

/// A server span for every request to the gateway, the child of the caller's W3C `traceparent`
/// when it sends one; the services' spans for the calls made on its behalf are its children
/// (`TracingClientInterceptor`). Named by route, with the method, the route and the status: not
/// Hummingbird's TracingMiddleware, which records the query string, the user agent and the
/// client's address, personal data a trace must not hold. Off with tracing (`CallTracing`), and
/// for `/healthz` and `/metrics`.
struct RequestTracingMiddleware<Context: RequestContext>: RouterMiddleware {
  func handle(
    _ request: Request, context: Context, next: (Request, Context) async throws -> Response
  ) async throws -> Response {
    // Probes and Prometheus ask these without end; their spans would bury the requests'.
    guard CallTracing.enabled, request.uri.path != "/healthz", request.uri.path != "/metrics" else {
      return try await next(request, context)
    }
    var parent = ServiceContext.current ?? .topLevel
    InstrumentationSystem.instrument.extract(request.headers, into: &parent, using: HeaderExtractor())
    // Named by the method until the route is known: never by the raw path, which a caller
    // chooses (any length, any number of names) and which may hold record numbers.
    let span = InstrumentationSystem.tracer.startSpan(request.method.rawValue, context: parent, ofKind: .server)
    span.attributes["http.request.method"] = request.method.rawValue
    do {
      let response = try await ServiceContext.$current.withValue(span.context) { try await next(request, context) }
      Self.name(span, request: request, route: context.endpointPath)
      span.attributes["http.response.status_code"] = Int(response.status.code)
      if response.status.code >= 500 {
        span.setStatus(SpanStatus(code: .error))
      }
      span.end()
      return response
    } catch {
      let status = (error as? any HTTPResponseError)?.status.code ?? 500
      Self.name(span, request: request, route: context.endpointPath)
      span.attributes["http.response.status_code"] = Int(status)
      if status >= 500 {
        span.setStatus(SpanStatus(code: .error))
      }
      span.end()
      throw error
    }
  }
}

extension RequestTracingMiddleware {
  /// Names a span by its route (`POST /{service}/{method}`, `GET /files/{id}`); a Connect
  /// call, whose route names no method, by its path, which the catalog bounds (`url.path`).
  static func name(_ span: any Span, request: Request, route: String?) {
    guard let route else {
      span.operationName = "\(request.method.rawValue) unmatched"
      return
    }
    span.attributes["http.route"] = route
    let path = request.uri.path
    let connect = connectPathSet.contains(path)
    if connect { span.attributes["url.path"] = path }
    span.operationName = "\(request.method.rawValue) \(connect ? path : route)"
  }
}

private let connectPathSet = Set(MethodCatalog.methods.map { "/\($0.fullName)" })

/// Reads `traceparent` and `tracestate` from a request's headers.
private struct HeaderExtractor: Extractor {
  func extract(key: String, from carrier: HTTPFields) -> String? {
    HTTPField.Name(key).flatMap { carrier[$0] }
  }
}
