import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import GRPCProtobuf
import GovernanceAPI
import Logging
import ServiceKit
import ServiceLifecycle
import SwiftProtobuf

/// Runs register imports, one job at a time, oldest first (a job left running by a stop or a
/// crash of the gateway first): the file is read row by row from the job's `nextRow`, rows are
/// sent to the register's import RPC 500 at a time as the job's owner (their role and scope), and
/// after each batch its outcome and the next row are recorded in one transaction. A job resumed
/// after a crash sends again at most the batch in flight, which its natural keys make harmless
/// (its rows come back UNCHANGED). The owner's stop is seen between batches; so is the
/// gateway's own shutdown, which leaves the job running for the next start.
public struct ImportRunner: Service {
  /// Rows a batch carries: the import RPCs' most.
  static let batchRows = 500

  let store: GatewayStore
  let peers: PeerClients
  let words: ConsoleWords
  let logger: Logger
  /// Rung when a job is queued, so the runner need not wait for its next look.
  public let wake = CommitSignal()

  public init(store: GatewayStore, peers: PeerClients, logger: Logger) {
    self.store = store
    self.peers = peers
    self.words = .shipped
    self.logger = logger
  }

  public func run() async throws {
    try? await cancelWhenGracefulShutdown {
      while !Task.isCancelled {
        let seen = wake.generation
        do {
          if let job = try await store.nextImportJob() {
            await process(job)
            continue
          }
        } catch {
          logger.warning("cannot read the import queue", metadata: ["error": "\(error)"])
        }
        await wake.wait(after: seen, timeout: .seconds(2))
      }
    }
  }

  /// Runs `job` to its end, its owner's stop, or the gateway's shutdown.
  func process(_ job: ImportJob) async {
    do {
      try await store.startImportJob(id: job.id)
      guard let template = RegisterTemplate.named(job.register),
        let source = try await store.importSource(id: job.id)
      else {
        throw ImportFileError.unknownRegister(job.register)
      }
      guard let role = Role(rawValue: source.owner.role) else {
        throw DomainError.permissionDenied(reason: "the import's owner holds no role")
      }
      let principal = Principal(subject: source.owner.subject, role: role, scope: source.owner.scope)
      let reader: SpreadsheetReader
      let rows: RegisterRows
      do {
        // Opening reads the workbook's shared strings whole: on the bulk pool (HandedOver).
        let path = source.path
        reader = try await BulkWork.run {
          HandedOver(try SpreadsheetReader.open(URL(fileURLWithPath: path)))
        }.value
        rows = try RegisterRows(template: template, header: reader.header, words: words)
      } catch let error as SpreadsheetError {
        throw ImportFileError.spreadsheet(error)
      }
      let sequence: SpreadsheetRows
      do {
        sequence = try reader.rows(from: job.nextRow)
      } catch {
        throw ImportFileError.spreadsheet(error)
      }
      // A batch's rows are read on the bulk pool: the first batch of a resumed job reads
      // every row up to where it stopped, and empty rows are skipped without limit.
      let iterator = HandedOver(sequence.makeIterator())
      while true {
        let chunk = try await BulkWork.run {
          // A copy of the iterator reads on where the last one stopped: its state is its reader's.
          var reading = iterator.value
          var chunk: [SpreadsheetRows.Element] = []
          while chunk.count < Self.batchRows, let row = reading.next() { chunk.append(row) }
          return chunk
        }
        if Task.isCancelled { return }
        if let error = sequence.error { throw ImportFileError.spreadsheet(error) }
        guard let last = chunk.last?.number else { break }
        var batch: [[String: Any]] = []
        var problems: [ImportProblem] = []
        for (number, cells) in chunk {
          switch rows.row(number: number, cells: cells) {
          case .success(let object): batch.append(object)
          case .failure(let found): problems += found.list
          }
        }
        guard
          try await send(
            batch, problems: problems, rows: chunk.count, through: last, job: job, template: template, as: principal)
        else { return }
        if chunk.count < Self.batchRows { break }
      }
      try await store.finishImportJob(id: job.id, state: .done)
      logger.info("import finished", metadata: ["job": "\(job.id)", "register": "\(job.register)"])
      if let done = try await store.importJob(id: job.id) {
        // What an import wrote is in the audit trail under its owner, as their own writes are.
        try? await store.audit(
          subject: source.owner.subject, role: source.owner.role,
          action: job.dryRun
            ? "dry run \(template.service)/\(template.method)" : "\(template.service)/\(template.method)",
          target:
            "\(job.id); \(job.filename); created \(done.created), updated \(done.updated), unchanged \(done.unchanged), failed \(done.failed)",
          remote: "import", result: "ok")
      }
    } catch {
      if Task.isCancelled { return }
      let reason =
        switch error {
        case let file as ImportFileError: file.chinese
        case let sheet as SpreadsheetError: sheet.chinese
        default: "\(ConnectError(error).message)"
        }
      logger.warning("import failed", metadata: ["job": "\(job.id)", "error": "\(error)"])
      try? await store.finishImportJob(id: job.id, state: .failed, error: reason)
    }
  }

  /// Sends one batch (its readable rows; `problems` are those of the others), records it, and
  /// answers whether to go on (false when the owner stopped the job meanwhile).
  func send(
    _ batch: [[String: Any]], problems: [ImportProblem], rows: Int, through last: Int, job: ImportJob,
    template: RegisterTemplate, as principal: Principal
  ) async throws -> Bool {
    var problems = problems
    var counts = (created: 0, updated: 0, unchanged: 0)
    if !batch.isEmpty {
      let results = try await importRows(batch, dryRun: job.dryRun, template: template, as: principal)
      for result in results {
        switch result.outcome {
        case .created: counts.created += 1
        case .updated: counts.updated += 1
        case .unchanged: counts.unchanged += 1
        default:
          // A refusal for the caller's jurisdiction names no field: it is the row's division's.
          let column =
            result.field.isEmpty && result.reason == "NOT_PERMITTED"
            ? template.columns.first { $0.path.hasSuffix("divisionCode") } : template.column(forField: result.field)
          let rule = words.rule(result.rule, arguments: result.ruleArguments, english: result.message)
          problems.append(
            ImportProblem(
              row: Int(result.row),
              column: column?.header ?? (result.field.isEmpty ? "" : words.field(result.field)),
              rule: Self.kind(result.reason, rule: rule),
              value: column.map { Self.sent(batch, row: Int(result.row), path: $0.path) } ?? ""))
        }
      }
    }
    let state = try await store.recordImportBatch(
      id: job.id, nextRow: last + 1, rows: rows, created: counts.created, updated: counts.updated,
      unchanged: counts.unchanged, problems: problems)
    return state == .running
  }

  /// A refusal's rule, with what kind of refusal it was when the rule alone does not say.
  static func kind(_ reason: String, rule: String) -> String {
    switch reason {
    case "NOT_FOUND": rule.hasSuffix("不存在") ? rule : "\(rule)不存在"
    case "ALREADY_EXISTS": rule.hasSuffix("已存在") ? rule : "\(rule)已存在"
    case "NOT_PERMITTED": "无权限：\(rule)"
    default: rule
    }
  }

  /// The value a row sent at `path`, as text, for the report.
  static func sent(_ batch: [[String: Any]], row: Int, path: String) -> String {
    guard let object = batch.first(where: { ($0["row"] as? Int) == row }) else { return "" }
    var value: Any? = object
    for part in path.split(separator: ".") {
      if let index = Int(part) {
        value = (value as? [Any]).flatMap { $0.indices.contains(index) ? $0[index] : nil }
      } else {
        value = (value as? [String: Any])?[String(part)]
      }
    }
    switch value {
    case let text as String: return text
    case let number as Int64: return String(number)
    case let list as [Any]: return list.map { "\($0)" }.joined(separator: "、")
    case let date as [String: Any] where date["year"] != nil:
      return String(
        format: "%04d-%02d-%02d", date["year"] as? Int ?? 0, date["month"] as? Int ?? 0, date["day"] as? Int ?? 0)
    case nil: return ""
    case let other?: return "\(other)"
    }
  }

  /// Calls the register's import RPC with `batch` as `principal`.
  func importRows(_ batch: [[String: Any]], dryRun: Bool, template: RegisterTemplate, as principal: Principal)
    async throws -> [Governance_Common_V1_ImportRowResult]
  {
    guard
      let entry = MethodCatalog.methods.first(where: {
        $0.service == template.service && $0.method == template.method
      }), let identity = ConnectController.identity(of: template.service)
    else {
      throw ImportFileError.unknownRegister(template.register)
    }
    try Authorization.check(service: template.service, method: template.method, principal: principal)
    let json = try JSONSerialization.data(withJSONObject: ["rows": batch, "validateOnly": dryRun])
    let client = peers.client(for: identity)
    return try await Principal.$current.withValue(principal) {
      try await entry.input.importBatch(json: json, entry: entry, client: client)
    }
  }
}

extension SwiftProtobuf.Message {
  /// Calls `entry` (an import RPC whose request is this type) with the request `json`.
  fileprivate static func importBatch(
    json: Data, entry: CatalogMethod, client: GRPCClient<HTTP2ClientTransport.Posix>
  ) async throws -> [Governance_Common_V1_ImportRowResult] {
    var options = CallOptions.defaults
    options.timeout = .seconds(120)
    return try await client.unary(
      request: ClientRequest(message: try Self(jsonUTF8Data: json)),
      descriptor: MethodDescriptor(fullyQualifiedService: entry.service, method: entry.method),
      serializer: ProtobufSerializer<Self>(),
      deserializer: ProtobufDeserializer<Governance_Common_V1_ImportResponse>(),
      options: options
    ) { try $0.message.results }
  }
}
