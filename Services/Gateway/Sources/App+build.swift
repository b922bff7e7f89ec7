import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceKit
import ServiceLifecycle

/// The parts of the gateway behind its door: the controllers that need the gateway's database,
/// the service clients and the stream connections.
public struct GatewayDoor: Sendable {
  let connect: ConnectController
  let session: SessionController
  let audit: AuditController
  let feed: FeedController
  let open311: Open311Controller
  let attachments: AttachmentController
  let map: MapController
  let resident: ResidentController
  let delivery: DeliveryController
  let reports: ReportController
  let exports: ExportController
  let imports: ImportController
  let authentication: AuthenticationMiddleware

  public init(
    store: GatewayStore, peers: PeerClients, streams: StreamRelay, secureCookies: Bool = false,
    open311: Open311Configuration = Open311Configuration(), map settings: MapSettings = MapSettings(),
    sender: any MessageSender = LogMessageSender(logger: Logger(label: "gateway.messages")),
    dispatcher: DeliveryDispatcher? = nil, allowPrivateTargets: Bool = false, importRunner: ImportRunner? = nil,
    importDirectory: URL = FileManager.default.temporaryDirectory.appendingPathComponent("imports")
  ) {
    connect = ConnectController(store: store, peers: peers, streams: streams)
    session = SessionController(store: store, secureCookies: secureCookies)
    audit = AuditController(store: store)
    feed = FeedController(peers: peers)
    self.open311 = Open311Controller(store: store, peers: peers, configuration: open311)
    attachments = AttachmentController(store: store, peers: peers)
    map = MapController(peers: peers, settings: settings)
    resident = ResidentController(store: store, peers: peers, sender: sender, secureCookies: secureCookies)
    delivery = DeliveryController(store: store, allowPrivateTargets: allowPrivateTargets, dispatcher: dispatcher)
    reports = ReportController(peers: peers)
    exports = ExportController(store: store, peers: peers)
    imports = ImportController(store: store, runner: importRunner, directory: importDirectory)
    authentication = AuthenticationMiddleware(store: store)
  }
}

/// Builds the gateway's router: `/healthz` reports the health of the five services behind it,
/// `/metrics` the gateway's own Prometheus metrics, `/console/` the console; with a door, sign-in
/// (`/auth`), the audit trail (`/audit`), the change feed (`/feed`), files (`/files`), the map's
/// layers (`/map`), server streams and the Connect API, each behind the authentication
/// middleware; Leaflet at `/vendor/leaflet/` when `--map-library` names it; Open311 GeoReport
/// v2 (`/open311/v2/`), whose POST carries its own `api_key`; and the residents' API
/// (`/resident/`), whose sessions are proved phone numbers (ResidentController); the bell,
/// webhooks, deliveries and message routes (DeliveryController); lists as spreadsheets
/// (`/exports`, ExportController), register imports (`/imports`, ImportController) and the monthly
/// report (`/reports`, ReportController).
public func buildRouter(
  probe: @escaping @Sendable () async -> SystemHealth, door: GatewayDoor? = nil
) -> Router<GatewayRequestContext> {
  let router = Router(context: GatewayRequestContext.self)
  router.add(middleware: RequestTracingMiddleware())
  router.add(middleware: LogRequestsMiddleware(.debug))
  router.get("healthz") { _, _ -> Response in
    let health = await probe()
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    let body = try encoder.encode(health)
    return Response(
      status: health.isHealthy ? .ok : .serviceUnavailable,
      headers: [.contentType: "application/json; charset=utf-8"],
      body: .init(byteBuffer: ByteBuffer(data: body))
    )
  }
  GovernanceMetrics.addRoute(to: router)
  guard let door else { return router }
  router.addRoutes(ConsoleController(imageSources: door.map.settings.tileSource.map { [$0] } ?? []).endpoints)
  router.addRoutes(MapLibraryController(directory: door.map.settings.libraryDirectory).endpoints)
  router.addRoutes(door.open311.endpoints, atPath: "/open311/v2")
  router.addRoutes(door.resident.endpoints, atPath: "/resident")
  let authenticated = router.group().add(middleware: door.authentication)
  authenticated.addRoutes(door.session.endpoints, atPath: "/auth")
  authenticated.addRoutes(door.audit.endpoints, atPath: "/audit")
  authenticated.addRoutes(door.feed.endpoints, atPath: "/feed")
  authenticated.addRoutes(door.attachments.endpoints)
  authenticated.addRoutes(door.map.endpoints)
  authenticated.addRoutes(door.delivery.endpoints)
  authenticated.addRoutes(door.reports.endpoints)
  authenticated.addRoutes(door.exports.endpoints)
  authenticated.addRoutes(door.imports.endpoints)
  authenticated.addRoutes(door.connect.endpoints)
  return router
}

/// Builds the gateway application from its configuration: peer clients for the five services,
/// the gateway's own database and the HTTP server, all run by the same service group; `map` is
/// what the console's map is drawn on (`MapSettings.resolve`).
public func buildApplication(configuration: ServiceConfiguration, logger: Logger, map: MapSettings = MapSettings())
  throws -> (
    application: some ApplicationProtocol, services: [any Service]
  )
{
  let authority = try TokenAuthority.load(
    dataDirectory: configuration.dataDirectory, environment: ProcessInfo.processInfo.environment)
  let peers = try PeerClients(
    caller: .gateway, peers: configuration.peers, timeout: configuration.peerCallTimeout, authority: authority)
  let probe = ServiceHealthProbe(
    clients: ServiceIdentity.domainServices.map { ($0, peers.client(for: $0)) })
  let store = try GatewayStore.open(dataDirectory: configuration.dataDirectory, logger: logger)
  let secure = ProcessInfo.processInfo.environment["GOVERNANCE_SECURE_COOKIES"] == "1"
  let streams = try StreamRelay(
    peers: configuration.peers, limits: try StreamLimits.resolve(environment: ProcessInfo.processInfo.environment),
    authority: authority)
  let open311 = try Open311Configuration.resolve(environment: ProcessInfo.processInfo.environment)
  // Seconds a connection may sit without a request: `GOVERNANCE_GATEWAY_IDLE_SECONDS`, 30 by default.
  let idleSeconds = try ConfigurationError.wholeNumber(
    "GOVERNANCE_GATEWAY_IDLE_SECONDS", in: ProcessInfo.processInfo.environment, default: 30, range: 1...3_600)
  // Residents' one-time codes go out by SMS when it is configured (GOVERNANCE_SMS_*); until
  // then through the development sender, which writes them to this log.
  let channels = MessageChannels(
    settings: try ChannelSettings.resolve(environment: ProcessInfo.processInfo.environment))
  let sender: any MessageSender
  if let sms = channels.sms {
    sender = sms
  } else {
    logger.warning("residents' one-time codes are written to this log (the development message sender)")
    sender = LogMessageSender(logger: logger)
  }
  // The services' events go out to webhooks and people from here (OutboxRelay, DeliveryDispatcher).
  let allowPrivate = ProcessInfo.processInfo.environment["GOVERNANCE_WEBHOOK_ALLOW_PRIVATE"] == "1"
  let dispatcher = DeliveryDispatcher(
    store: store, channels: channels,
    settings: try DeliveryRules.Settings.resolve(environment: ProcessInfo.processInfo.environment),
    allowPrivateTargets: allowPrivate, logger: logger)
  let relay = OutboxRelay(store: store, peers: peers, dispatcher: dispatcher, logger: logger)
  let imports = ImportRunner(store: store, peers: peers, logger: logger)
  let door = GatewayDoor(
    store: store, peers: peers, streams: streams, secureCookies: secure, open311: open311, map: map,
    sender: sender, dispatcher: dispatcher,
    allowPrivateTargets: allowPrivate, importRunner: imports,
    importDirectory: URL(fileURLWithPath: configuration.dataDirectory).appendingPathComponent("imports"))
  let application = Application(
    router: buildRouter(probe: { await probe.check() }, door: door),
    // A connection that sends no request (nothing, or headers that never end) or sits idle after
    // its answer is closed after `idleTimeout`: otherwise anyone could hold the gateway's
    // connections open until it has none left. A request in flight (a stream) is not idle.
    server: .http1(configuration: .init(idleTimeout: .seconds(Int64(idleSeconds)))),
    configuration: .init(
      address: .hostname(configuration.listen.host, port: configuration.listen.port),
      serverName: "governance-gateway"
    ),
    logger: logger
  )
  let pruning = PeriodicService("delivery pruning", every: .seconds(3600), logger: logger, what: "rows") {
    try await store.pruneDeliveries()
  }
  let importPruning = PeriodicService("import pruning", every: .seconds(3600), logger: logger, what: "jobs") {
    let files = try await store.pruneImportJobs()
    for path in files { try? FileManager.default.removeItem(atPath: path) }
    return files.count
  }
  let housekeeping = ServiceRunner.housekeeping(databasePath: store.writer.path, logger: logger)
  return (application, housekeeping + [peers, streams, dispatcher, relay, imports, pruning, importPruning])
}
