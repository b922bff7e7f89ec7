import Foundation
import GRPCCore
import GovernanceAPI
import Logging
import ServiceKit
import ServiceLifecycle

/// Publishes a quarter's star ratings and red/black lists and carries them into the property
/// service: first the frozen publication is written (one transaction), then each company's
/// star and list status are set, then each blacklisted company is exited. Every step is
/// recorded as it is done and every call to the property service carries a request id derived
/// from the publication, so an interrupted publication is finished later without rating or
/// exiting any company twice.
public struct ListPublisher<Transport: ClientTransport>: Sendable {
  let store: EvaluationStore
  let peers: EvaluationPeers<Transport>

  public init(store: EvaluationStore, peers: EvaluationPeers<Transport>) {
    self.store = store
    self.peers = peers
  }

  public func publish(periodID: String, by principal: Principal) async throws -> Governance_Evaluation_V1_Publication {
    let id = try FieldValidation.requiredID(periodID, field: "period_id")
    let publication = try await store.beginPublication(periodID: id, by: principal)
    return try await finish(publication, by: principal)
  }

  func finish(_ publication: Governance_Evaluation_V1_Publication, by principal: Principal) async throws
    -> Governance_Evaluation_V1_Publication
  {
    guard publication.state == .inProgress else { return publication }
    let rated = try await updateProperty(publication, by: principal)
    return try await exitBlacklisted(rated, by: principal)
  }

  /// Sets each company's star and list status in the property service, recording each.
  func updateProperty(_ publication: Governance_Evaluation_V1_Publication, by principal: Principal) async throws
    -> Governance_Evaluation_V1_Publication
  {
    let period = try await store.period(id: publication.periodID).orNotFound(id: publication.periodID)
    var current = publication
    for entry in publication.entries where !entry.propertyUpdated {
      let composite = try await store.composite(id: entry.compositeScoreID)
      try await peers.setOutcome(
        company: entry.companyID, stars: entry.stars, score: entry.total, list: entry.listStatus,
        reason: composite?.listReason ?? "", period: period.label,
        source: .with {
          $0.service = "evaluation"
          $0.id = entry.compositeScoreID
        }, requestID: "\(publication.id)-\(entry.companyID)")
      current = try await store.recordPublicationProgress(
        publicationID: publication.id, companyID: entry.companyID, by: principal
      ) { $0.propertyUpdated = true }
    }
    return current
  }

  /// Exits each blacklisted company whose list status is already set, recording each.
  func exitBlacklisted(_ publication: Governance_Evaluation_V1_Publication, by principal: Principal) async throws
    -> Governance_Evaluation_V1_Publication
  {
    let period = try await store.period(id: publication.periodID).orNotFound(id: publication.periodID)
    var current = publication
    for entry in publication.entries where entry.exitState == .pending && entry.propertyUpdated {
      let compounds = try await peers.exitCompany(
        entry.companyID, reason: "\(period.label) 物业服务考评列入黑名单，按程序退出",
        requestID: "\(publication.id)-\(entry.companyID)-exit")
      current = try await store.recordPublicationProgress(
        publicationID: publication.id, companyID: entry.companyID, by: principal
      ) {
        $0.exitState = .done
        $0.fallbackCompoundIds = compounds
      }
    }
    return current
  }

  /// Finishes every interrupted publication; returns how many were completed. A peer still down
  /// leaves the rest for the next attempt.
  @discardableResult
  public func resumeUnfinished(by principal: Principal, logger: Logger) async throws -> Int {
    var completed = 0
    for publication in try await store.unfinishedPublications() {
      do {
        if try await finish(publication, by: principal).state == .completed { completed += 1 }
      } catch  where !(error is CancellationError) {
        logger.warning(
          "publication not finished yet", metadata: ["publication": "\(publication.id)", "error": "\(error)"])
      }
    }
    return completed
  }
}

/// Finishes interrupted publications after a restart, and keeps retrying while the property
/// service is unreachable, as a background service of the evaluation process.
public struct PublicationResumer<Transport: ClientTransport>: Service {
  private let publisher: ListPublisher<Transport>
  private let interval: Duration
  private let logger: Logger

  public init(publisher: ListPublisher<Transport>, interval: Duration = .seconds(30), logger: Logger) {
    self.publisher = publisher
    self.interval = interval
    self.logger = logger
  }

  public func run() async throws {
    let resumer = Principal(service: .evaluation)
    let publisher = publisher
    let logger = logger
    try await PeriodicService("publication resume", every: interval, logger: logger, what: "publications") {
      try await publisher.resumeUnfinished(by: resumer, logger: logger)
    }.run()
  }
}
