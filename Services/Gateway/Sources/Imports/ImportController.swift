import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceKit

/// Register imports over HTTP (台账导入), for the console and for systems with an API key:
///
/// - `GET /import-templates` — the registers that can be imported, with their columns (JSON).
/// - `GET /import-templates/<register>` — the register's template: an XLSX whose first sheet has
///   the header row (required columns marked `*`) and whose second sheet (填写说明) explains each
///   column with an example.
/// - `POST /imports/<register>?dryRun=true&filename=…` with the file as the body (XLSX, or CSV in
///   UTF-8 or GB18030; at most 50 MiB): the file is checked whole (a spreadsheet, a known header,
///   at most 100 columns, no merged header) and a job queued; 202 with the job. A file that
///   cannot be imported is 400 with the reason in English (`message`) and Chinese (`zh`), and no
///   job. `dryRun=true` (the default) checks every row by the services' rules and writes nothing.
/// - `POST /imports/<id>/commit` — imports the file of a finished dry run (202, a new job).
/// - `GET /imports`, `GET /imports/<id>` — jobs with their progress (`rowsDone` of `rowsTotal`).
/// - `POST /imports/<id>/stop`, `POST /imports/<id>/resume` — a stopped (or failed) job goes on
///   from the first row it had not finished.
/// - `GET /imports/<id>/problems?format=xlsx|csv|json` — each problem by row, column, rule and
///   value, in Chinese.
///
/// A job is its owner's (a city administrator sees every job); others get 404.
struct ImportController: Sendable {
  /// The largest file taken.
  static let maximumBytes = 50 * 1024 * 1024

  let store: GatewayStore
  let runner: ImportRunner?
  /// Where uploaded files are kept while their jobs live.
  let directory: URL
  let words: ConsoleWords

  init(store: GatewayStore, runner: ImportRunner?, directory: URL, words: ConsoleWords = .shipped) {
    self.store = store
    self.runner = runner
    self.directory = directory
    self.words = words
  }

  var endpoints: RouteCollection<GatewayRequestContext> {
    let routes = RouteCollection(context: GatewayRequestContext.self)
    routes.get("import-templates") { _, context in
      await answer(context) { _ in JSONAnswer.response(RegisterTemplate.all.map(TemplateView.init)) }
    }
    routes.get("import-templates/:register") { _, context in
      await answer(context) { _ in try template(context.parameters.get("register") ?? "") }
    }
    routes.get("imports") { _, context in
      await answer(context) { who in
        JSONAnswer.response(
          try await store.importJobs(subject: who.principal.role == .cityAdministrator ? nil : who.principal.subject))
      }
    }
    // One path, two meanings: POST /imports/<register> starts a job, GET /imports/<id> reads one
    // (the router takes one parameter name per path).
    routes.post("imports/:id") { request, context in
      await answer(context, audit: "import upload") { who in
        try ConnectController.checkCSRF(request, caller: who)
        return try await upload(request, register: context.parameters.get("id") ?? "", caller: who)
      }
    }
    routes.get("imports/:id/problems") { request, context in
      await answer(context) { who in
        let job = try await ownJob(context.parameters.get("id") ?? "", caller: who)
        return try await problems(job, request: request)
      }
    }
    routes.get("imports/:id") { _, context in
      await answer(context) { who in
        JSONAnswer.response(try await ownJob(context.parameters.get("id") ?? "", caller: who))
      }
    }
    for action in ["stop", "resume", "commit"] {
      routes.post("imports/:id/\(action)") { request, context in
        await answer(context, audit: "import \(action)") { who in
          try ConnectController.checkCSRF(request, caller: who)
          let job = try await ownJob(context.parameters.get("id") ?? "", caller: who)
          switch action {
          case "stop": return JSONAnswer.response(try await store.setImportJob(id: job.id, stopped: true))
          case "resume":
            let resumed = try await store.setImportJob(id: job.id, stopped: false)
            runner?.wake.ring()
            return JSONAnswer.response(resumed)
          default: return try await commit(job, caller: who)
          }
        }
      }
    }
    return routes
  }

  /// Runs `act` for the signed-in caller, answering its error as the Connect API does. A request
  /// that changes a job (a POST) is in the audit trail with its result.
  func answer(
    _ context: GatewayRequestContext, audit action: String? = nil, _ act: (Caller) async throws -> Response
  ) async -> Response {
    var caller: Caller?
    do {
      let who = try await context.caller()
      caller = who
      let response = try await act(who)
      if let action {
        await record(action, caller: who, target: context.parameters.get("id") ?? "", result: "ok", context)
      }
      return response
    } catch let error as ImportFileError {
      if let action, let caller {
        await record(
          action, caller: caller, target: context.parameters.get("id") ?? "", result: "invalid_argument", context)
      }
      return Self.refusal(error)
    } catch {
      let refusal = ConnectError(error)
      if let action, let caller {
        await record(
          action, caller: caller, target: context.parameters.get("id") ?? "", result: refusal.connect.name, context)
      }
      return refusal.response
    }
  }

  func record(_ action: String, caller: Caller, target: String, result: String, _ context: GatewayRequestContext)
    async
  {
    do {
      try await store.audit(
        subject: caller.principal.subject, role: caller.principal.role?.rawValue ?? "", action: action,
        target: target, remote: context.remote, result: result)
    } catch {
      context.logger.error("cannot write the audit trail", metadata: ["error": "\(error)"])
    }
  }

  /// A file that cannot be imported: 400 (413 past the size limit) with the reason in English
  /// and Chinese.
  static func refusal(_ error: ImportFileError) -> Response {
    struct Body: Encodable {
      let code: String
      let message: String
      let zh: String
    }
    let tooLarge = if case .spreadsheet(.tooLarge) = error { true } else { false }
    return JSONAnswer.response(
      Body(code: tooLarge ? "resource_exhausted" : "invalid_argument", message: error.english, zh: error.chinese),
      status: tooLarge ? .contentTooLarge : .badRequest)
  }

  /// The job `id` if `caller` may see it; NOT_FOUND otherwise.
  func ownJob(_ id: String, caller: Caller) async throws -> ImportJob {
    guard let job = try await store.importJob(id: id),
      caller.principal.role == .cityAdministrator || job.createdBy == caller.principal.subject
    else { throw DomainError.notFound(resource: "import", id: id) }
    return job
  }

  /// Stores the body as the register's file, checks it whole, and queues a job over it.
  func upload(_ request: Request, register: String, caller: Caller) async throws -> Response {
    guard let template = RegisterTemplate.named(register) else { throw ImportFileError.unknownRegister(register) }
    try Authorization.check(service: template.service, method: template.method, principal: caller.principal)
    let dryRun = try ConnectController.formValue("dryRun", in: request).map { String(decoding: $0, as: UTF8.self) }
    guard [nil, "true", "false"].contains(dryRun) else {
      throw ConnectError(.invalidArgument, "dryRun must be true or false")
    }
    let filename = Self.cleanName(
      try ConnectController.formValue("filename", in: request).map { String(decoding: $0, as: UTF8.self) }
        ?? "\(template.title).xlsx")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let file = directory.appendingPathComponent("\(UUID().uuidString).upload")
    var kept = false
    defer { if !kept { try? FileManager.default.removeItem(at: file) } }
    guard FileManager.default.createFile(atPath: file.path, contents: nil) else {
      throw ConnectError(.internalError, "cannot store the file at the gateway")
    }
    let handle = try FileHandle(forWritingTo: file)
    var size = 0
    do {
      defer { try? handle.close() }
      for try await buffer in request.body {
        size += buffer.readableBytes
        guard size <= Self.maximumBytes else {
          throw ImportFileError.spreadsheet(.tooLarge(bytes: size, limit: Self.maximumBytes))
        }
        try handle.write(contentsOf: Data(buffer: buffer))
      }
    }
    // Reading a large file whole takes a second or two: off the cooperative pool.
    let (total, first) = try await BulkWork.run { try Self.check(file, template: template) }
    let job = try await store.createImportJob(
      register: register, filename: filename, path: file.path, dryRun: dryRun != "false", rowsTotal: total,
      firstRow: first,
      owner: ImportOwner(
        subject: caller.principal.subject, role: caller.principal.role?.rawValue ?? "", scope: caller.principal.scope))
    kept = true
    runner?.wake.ring()
    return JSONAnswer.response(job, status: .accepted)
  }

  /// Reads the file whole once: a spreadsheet with the template's header, every row readable.
  /// Returns its rows of data and the number of the first.
  static func check(_ file: URL, template: RegisterTemplate) throws(ImportFileError) -> (rows: Int, first: Int) {
    do {
      let reader = try SpreadsheetReader.open(file, maximumBytes: maximumBytes)
      _ = try RegisterRows(template: template, header: reader.header)
      var count = 0
      var first = 2
      let rows = try reader.rows()
      for (number, _) in rows {
        if count == 0 { first = number }
        count += 1
      }
      if let error = rows.error { throw error }
      return (count, first)
    } catch let error as SpreadsheetError {
      throw .spreadsheet(error)
    } catch let error as ImportFileError {
      throw error
    } catch {
      throw .spreadsheet(.malformed("\(error)"))
    }
  }

  /// Queues the import of a finished dry run's file.
  func commit(_ job: ImportJob, caller: Caller) async throws -> Response {
    guard job.dryRun, job.state == .done else {
      throw DomainError.failedPrecondition(
        rule: "an import follows a finished dry run of its file", detail: "import \(job.id) is \(job.state.rawValue)")
    }
    guard let source = try await store.importSource(id: job.id), FileManager.default.fileExists(atPath: source.path)
    else {
      throw DomainError.failedPrecondition(rule: "the dry run's file is kept 30 days", detail: "import \(job.id)")
    }
    guard let template = RegisterTemplate.named(job.register) else {
      throw ImportFileError.unknownRegister(job.register)
    }
    try Authorization.check(service: template.service, method: template.method, principal: caller.principal)
    let (total, first) = try await BulkWork.run {
      try Self.check(URL(fileURLWithPath: source.path), template: template)
    }
    let queued = try await store.createImportJob(
      register: job.register, filename: job.filename, path: source.path, dryRun: false, rowsTotal: total,
      firstRow: first,
      owner: ImportOwner(
        subject: caller.principal.subject, role: caller.principal.role?.rawValue ?? "", scope: caller.principal.scope))
    runner?.wake.ring()
    return JSONAnswer.response(queued, status: .accepted)
  }

  /// The register's template workbook.
  func template(_ register: String) throws -> Response {
    guard let template = RegisterTemplate.named(register) else { throw ImportFileError.unknownRegister(register) }
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("template-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: folder) }
    let workbook = try XLSXWriter(directory: folder.appendingPathComponent("parts"))
    try workbook.startSheet(
      name: template.title, header: template.columns.map { $0.required ? "\($0.header)*" : $0.header },
      widths: template.columns.map { _ in 18 })
    try workbook.startSheet(name: "填写说明", header: ["列", "必填", "示例", "说明"], widths: [18, 8, 28, 50])
    for column in template.columns {
      try workbook.append([
        .text(column.header), .text(column.required ? "是" : "否"), .text(column.example), .text(column.note),
      ])
    }
    try workbook.append([.empty])
    try workbook.append([.text("识别"), .empty, .empty, .text("按“\(template.key)”识别同一条记录：已有则更新，没有则新增；重复导入同一文件不会产生重复记录。")])
    try workbook.append([.text("日期"), .empty, .empty, .text("日期单元格，或 2026-11-30、2026/11/30、2026年11月30日")])
    try workbook.append([
      .text("文件"), .empty, .empty, .text("XLSX 或 CSV（UTF-8 或 GB18030），不超过 50 MB、100 列；表头不要合并单元格，不要用公式"),
    ])
    let file = folder.appendingPathComponent("template.xlsx")
    try workbook.finish(to: file)
    let name = "\(template.title)导入模板.xlsx"
    return Response(
      status: .ok,
      headers: [
        .contentType: ExportController.Format.xlsx.contentType,
        .contentDisposition: "attachment; filename*=UTF-8''\(AttachmentController.rfc8187(name))",
        .cacheControl: "no-store",
      ],
      body: .init(byteBuffer: ByteBuffer(data: try Data(contentsOf: file))))
  }

  /// The job's problems as a spreadsheet (xlsx, the default, or csv), every one, or JSON, the
  /// first page (10,000, `GatewayStore.importProblems`).
  func problems(_ job: ImportJob, request: Request) async throws -> Response {
    let format = try ConnectController.formValue("format", in: request).map { String(decoding: $0, as: UTF8.self) }
    let header = ["行号", "列", "问题", "填写的值"]
    let cells: @Sendable (ImportProblem) -> [SpreadsheetCell] = { problem in
      [.integer(Int64(problem.row)), .text(problem.column), .text(problem.rule), .text(problem.value)]
    }
    let name = "\(job.filename)-问题清单"
    switch format ?? "xlsx" {
    case "json":
      return JSONAnswer.response(try await store.importProblems(id: job.id).problems)
    case "csv":
      // Each page's lines are written on the bulk pool, off the threads that serve calls.
      var csv = CSVWriter()
      var bytes = csv.row(header.map { .text($0) })
      try await forEachProblemPage(job) { page in
        let (lines, writer) = try await BulkWork.run { [csv] in
          var writer = csv
          return (page.flatMap { writer.row(cells($0)) }, writer)
        }
        bytes += lines
        csv = writer
      }
      return download(Data(bytes), name: "\(name).csv", type: ExportController.Format.csv.contentType)
    case "xlsx":
      let folder = FileManager.default.temporaryDirectory.appendingPathComponent("problems-\(UUID().uuidString)")
      defer { try? FileManager.default.removeItem(at: folder) }
      // Each page's rows are written, and the workbook zipped, on the bulk pool, off the threads
      // that serve calls (HandedOver: one thread at a time).
      let workbook = HandedOver(try XLSXWriter(directory: folder.appendingPathComponent("parts")))
      try workbook.value.startSheet(name: "问题清单", header: header, widths: [8, 18, 60, 30])
      try await forEachProblemPage(job) { page in
        try await BulkWork.run {
          for problem in page { try workbook.value.append(cells(problem)) }
        }
      }
      let file = folder.appendingPathComponent("problems.xlsx")
      let data = try await BulkWork.run {
        try workbook.value.finish(to: file)
        return try Data(contentsOf: file)
      }
      return download(data, name: "\(name).xlsx", type: ExportController.Format.xlsx.contentType)
    default:
      throw ConnectError(.invalidArgument, "format must be xlsx, csv or json")
    }
  }

  /// Every problem of `job`, in order, a page at a time.
  private func forEachProblemPage(_ job: ImportJob, _ body: ([ImportProblem]) async throws -> Void) async throws {
    var position: GatewayStore.ImportProblemPosition?
    repeat {
      let page = try await store.importProblems(id: job.id, after: position)
      try await body(page.problems)
      position = page.next
    } while position != nil
  }

  func download(_ data: Data, name: String, type: String) -> Response {
    Response(
      status: .ok,
      headers: [
        .contentType: type, .cacheControl: "no-store",
        .contentDisposition: "attachment; filename*=UTF-8''\(AttachmentController.rfc8187(name))",
      ],
      body: .init(byteBuffer: ByteBuffer(data: data)))
  }

  /// A file name as given, less path separators and control characters, at most 100 characters.
  static func cleanName(_ name: String) -> String {
    let cleaned = String(
      name.unicodeScalars.filter {
        !CharacterSet.controlCharacters.contains($0) && !"/\\\"".unicodeScalars.contains($0)
      }
      .map(Character.init)
    ).trimmingCharacters(in: .whitespaces)
    return cleaned.isEmpty ? "register" : String(cleaned.prefix(100))
  }
}

/// A register as `GET /import-templates` lists it.
struct TemplateView: Encodable {
  struct Column: Encodable {
    let header: String
    let required: Bool
    let example: String
    let note: String
  }

  let register: String
  let title: String
  let key: String
  let columns: [Column]

  init(_ template: RegisterTemplate) {
    register = template.register
    title = template.title
    key = template.key
    columns = template.columns.map {
      Column(header: $0.header, required: $0.required, example: $0.example, note: $0.note)
    }
  }
}
