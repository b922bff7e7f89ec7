import Foundation
import GRPCCore
import GovernanceAPI
import Instrumentation
import Logging
import OTel
import ServiceLifecycle
import Tracing

/// Traces of one request across the platform's processes: OpenTelemetry spans, carried between
/// processes in W3C Trace Context's `traceparent` (https://www.w3.org/TR/trace-context/), exported
/// over OTLP by swift-otel.
///
/// Off unless `OTEL_TRACES_EXPORTER` names an exporter (`otlp`, `console`): the embedded run makes
/// no spans. The rest is OpenTelemetry's own configuration, read by swift-otel:
/// `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` (default `http://localhost:4318/v1/traces`),
/// `OTEL_EXPORTER_OTLP_PROTOCOL` (`http/protobuf` or `grpc`), `OTEL_TRACES_SAMPLER` and
/// `OTEL_TRACES_SAMPLER_ARG` (e.g. `parentbased_traceidratio` and `0.1`), `OTEL_BSP_SCHEDULE_DELAY`.
/// Spans carry the RPC, its status and the caller's role and jurisdiction (a division prefix),
/// never who the caller is or what the request holds.
public enum CallTracing {
  /// Whether this process makes spans: `OTEL_TRACES_EXPORTER` is set to an exporter.
  public static let enabled = isEnabled(environment: ProcessInfo.processInfo.environment)

  /// The rule behind `enabled`: an exporter is named, and it is not `none`.
  static func isEnabled(environment: [String: String]) -> Bool {
    guard let exporter = environment["OTEL_TRACES_EXPORTER"]?.trimmingCharacters(in: .whitespaces) else {
      return false
    }
    return !exporter.isEmpty && exporter != "none"
  }

  /// Sets up the process-wide tracer for `serviceName` (unless `OTEL_SERVICE_NAME` names another)
  /// and returns the service that batches and exports the spans, to run first in the process's
  /// service group so that it flushes last; nil when tracing is off.
  /// - Throws: `ConfigurationError` naming the `OTEL_*` settings for one swift-otel refuses.
  public static func bootstrap(serviceName: String, logger: Logger) throws -> (any Service)? {
    guard enabled else { return nil }
    var configuration = OTel.Configuration.default
    configuration.serviceName = serviceName
    // Logs and metrics have their own outputs (the log lines, Prometheus' /metrics).
    configuration.logs.enabled = false
    configuration.metrics.enabled = false
    configuration.diagnosticLogger = .custom(logger)
    do {
      let backend = try OTel.makeTracingBackend(configuration: configuration)
      InstrumentationSystem.bootstrap(backend.factory)
      return backend.service
    } catch {
      throw ConfigurationError(setting: "OTEL_* (OpenTelemetry's settings)", problem: "\(error)")
    }
  }

  /// Whether calls of `service` make spans: not health and reflection, which probes and tools
  /// call without end, nor the outbox, which the gateway polls every second; their spans would
  /// bury the requests'.
  static func traced(_ service: String) -> Bool {
    !CallObservationInterceptor.openServices.contains(service)
      && service != Governance_Outbox_V1_OutboxService.descriptor.fullyQualifiedService
  }

  /// The attributes every RPC span carries, server or client: OpenTelemetry's RPC semantic
  /// conventions (`rpc.system`, `rpc.service`, `rpc.method`).
  static func describe(_ span: any Span, method descriptor: MethodDescriptor) {
    span.attributes["rpc.system"] = "grpc"
    span.attributes["rpc.service"] = descriptor.service.fullyQualifiedService
    span.attributes["rpc.method"] = descriptor.method
  }

  /// The W3C `traceparent` naming `span`, to carry it where task-local context does not go (an
  /// outbox event, a delivery).
  public static func traceparent(of span: any Span) -> String {
    var carrier: [String: String] = [:]
    InstrumentationSystem.instrument.inject(span.context, into: &carrier, using: DictionaryInjector())
    return carrier["traceparent"] ?? ""
  }

  /// A context continuing `traceparent` (the trace of the call that caused an event); the top
  /// level when it is empty or malformed.
  public static func context(continuing traceparent: String) -> ServiceContext {
    var context = ServiceContext.topLevel
    guard !traceparent.isEmpty else { return context }
    InstrumentationSystem.instrument.extract(
      ["traceparent": traceparent], into: &context, using: DictionaryExtractor())
    return context
  }

  /// Ends `span` with the call's status: `rpc.grpc.status_code`, and an error status named by the
  /// code only. An error's message is left out: it may name the caller or a record
  /// ("outside the jurisdiction 3201 of apikey:x").
  static func end(_ span: any Span, code: RPCError.Code?) {
    span.attributes["rpc.grpc.status_code"] = code?.rawValue ?? 0
    if let code {
      span.setStatus(SpanStatus(code: .error, message: "\(code)"))
    }
    span.end()
  }
}

/// Writes `traceparent` into a dictionary.
struct DictionaryInjector: Injector {
  func inject(_ value: String, forKey key: String, into carrier: inout [String: String]) {
    carrier[key] = value
  }
}

/// Reads `traceparent` from a dictionary.
struct DictionaryExtractor: Extractor {
  func extract(key: String, from carrier: [String: String]) -> String? {
    carrier[key]
  }
}

/// Reads `traceparent` and `tracestate` from a call's metadata.
struct MetadataExtractor: Extractor {
  func extract(key: String, from carrier: Metadata) -> String? {
    carrier[stringValues: key].first(where: { _ in true })
  }
}

/// Writes `traceparent` and `tracestate` into a call's metadata.
struct MetadataInjector: Injector {
  func inject(_ value: String, forKey key: String, into carrier: inout Metadata) {
    carrier.replaceOrAddString(value, forKey: key)
  }
}

/// Makes a client span for every call to a peer, a child of the span being served, and sends
/// its `traceparent` with the call so that the peer's server span is its child in turn.
public struct TracingClientInterceptor: ClientInterceptor {
  public init() {}

  public func intercept<Input: Sendable, Output: Sendable>(
    request: StreamingClientRequest<Input>,
    context: ClientContext,
    next: (StreamingClientRequest<Input>, ClientContext) async throws -> StreamingClientResponse<Output>
  ) async throws -> StreamingClientResponse<Output> {
    // A call made outside any traced request (a probe, a job's poll) starts no trace of its own.
    guard CallTracing.enabled, let parent = ServiceContext.current,
      CallTracing.traced(context.descriptor.service.fullyQualifiedService)
    else { return try await next(request, context) }
    let span = InstrumentationSystem.tracer.startSpan(
      context.descriptor.fullyQualifiedMethod, context: parent, ofKind: .client)
    CallTracing.describe(span, method: context.descriptor)
    var request = request
    InstrumentationSystem.instrument.inject(span.context, into: &request.metadata, using: MetadataInjector())
    do {
      let response = try await next(request, context)
      switch response.accepted {
      case .success: CallTracing.end(span, code: nil)
      case .failure(let error): CallTracing.end(span, code: error.code)
      }
      return response
    } catch let error as RPCError {
      CallTracing.end(span, code: error.code)
      throw error
    } catch {
      CallTracing.end(span, code: .unknown)
      throw error
    }
  }
}
