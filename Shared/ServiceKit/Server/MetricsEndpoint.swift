import Hummingbird
import Logging
import Metrics
import Prometheus
import ServiceLifecycle

/// The process-wide Prometheus registry behind swift-metrics.
public enum GovernanceMetrics {
  public static let registry = PrometheusCollectorRegistry()

  /// Routes every swift-metrics call in the process to `registry`; call once, in the executable.
  public static func bootstrap() {
    MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
  }

  /// Adds `GET /metrics` in the Prometheus text format to a router.
  public static func addRoute<Context: RequestContext>(to router: Router<Context>) {
    router.get("metrics") { _, _ -> Response in
      Response(
        status: .ok,
        headers: [.contentType: "text/plain; version=0.0.4"],
        body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer()))
      )
    }
  }

  /// A small HTTP server for `/metrics` beside a gRPC service.
  public static func endpoint(listen: NetworkAddress, logger: Logger) -> some Service {
    let router = Router()
    addRoute(to: router)
    return Application(
      router: router,
      configuration: .init(address: .hostname(listen.host, port: listen.port), serverName: "metrics"),
      logger: logger
    )
  }
}
