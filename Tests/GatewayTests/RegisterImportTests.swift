import Foundation
import GovernanceAPI
import ServiceKit
import Testing

@testable import Gateway

@Suite("Register imports at the gateway: reading cells by the template, refusals named by column, jobs that resume")
struct RegisterImportTests {
  static let words = ConsoleWords.shipped
  static let compounds = RegisterTemplate.named("compounds")!
  static let members = RegisterTemplate.named("members")!
  static let workers = RegisterTemplate.named("workers")!

  /// A street official's import of compounds, queued with `rows` rows from row 2.
  static func queuedCompoundsJob(in store: GatewayStore, rows: Int) async throws -> ImportJob {
    try await store.createImportJob(
      register: "compounds", filename: "小区.xlsx", path: "/tmp/x", dryRun: false, rowsTotal: rows, firstRow: 2,
      owner: ImportOwner(subject: "user:li", role: "street", scope: "320102001"))
  }

  static func store() async throws -> GatewayStore {
    GatewayStore(writer: try GovernanceDatabase.makeEmptyTestDatabase(migrator: GatewayStore.migrator))
  }

  @Test("a date is read from a date cell, an Excel serial number and the ways it is written as text")
  func datesInEveryForm() {
    let first = (year: 2001, month: 7, day: 1)
    for cell: SpreadsheetCell in [
      .date(year: 2001, month: 7, day: 1), .integer(37073), .decimal(37073), .text("2001-07-01"), .text("2001/7/1"),
      .text("2001.07.01"), .text("2001年7月1日"), .text("20010701"), .text("2001-07"),
    ] {
      let read = RegisterRows.date(cell)
      #expect(read?.year == first.year && read?.month == first.month && read?.day == first.day, "\(cell)")
    }
    #expect(RegisterRows.date(.text("2001-13-45")) == nil)
    #expect(RegisterRows.date(.text("2023-02-29")) == nil)
    // Excel's serial 60 is the 1900-02-29 that never was; 61 is 1900-03-01.
    #expect(RegisterRows.date(.integer(60)) == nil)
    #expect(RegisterRows.date(.integer(61)).map { [$0.year, $0.month, $0.day] } == [1900, 3, 1])
    #expect(RegisterRows.date(.integer(1)).map { [$0.year, $0.month, $0.day] } == [1900, 1, 1])
  }

  @Test("a choice is read by its Chinese label or its contract value; anything else names the choices")
  func choicesByLabel() throws {
    let kind = TemplateColumn.Kind.choice(prefix: "COMPOUND_KIND_")
    #expect(try RegisterRows.read(.text("老旧小区"), as: kind, words: Self.words).get() as? String == "COMPOUND_KIND_OLD")
    #expect(
      try RegisterRows.read(.text("COMPOUND_KIND_OLD"), as: kind, words: Self.words).get() as? String
        == "COMPOUND_KIND_OLD")
    guard case .failure(let problem) = RegisterRows.read(.text("别墅区"), as: kind, words: Self.words) else {
      Issue.record("an unknown label was read")
      return
    }
    #expect(problem.rule.contains("商品房小区"))
  }

  @Test("a formula where a value belongs is a problem of its cell, never its cached value")
  func formulaIsAProblem() {
    guard case .failure(let problem) = RegisterRows.read(.formula("1+1"), as: .integer, words: Self.words) else {
      Issue.record("a formula was read as a value")
      return
    }
    #expect(problem.rule.contains("公式"))
  }

  @Test("weekdays and hours are read as a roster states them")
  func weekdaysAndHours() throws {
    #expect(RegisterRows.weekdays("周一至周五") == [1, 2, 3, 4, 5])
    #expect(RegisterRows.weekdays("周一、周三、周日") == [1, 3, 7])
    #expect(RegisterRows.weekdays("1-5") == [1, 2, 3, 4, 5])
    #expect(RegisterRows.weekdays("每天") == Array(1...7))
    #expect(RegisterRows.weekdays("周八") == nil)
    #expect(RegisterRows.weekdays("5-1") == nil)
    let hours = try RegisterRows.read(.text("22:00-06:00"), as: .hours, words: Self.words).get() as? [String: String]
    #expect(hours == ["start": "22:00", "end": "06:00"])
  }

  @Test("a row becomes the import RPC's row: nested fields, lists, skills, a duty from three columns")
  func rowBecomesTheRPCsRow() throws {
    let header = ["姓名", "电话", "社区区划代码", "类型", "所在网格编码", "值班网格编码", "值班日", "值班时间"]
    let rows = try RegisterRows(template: Self.workers, header: header)
    let object = try rows.row(
      number: 7,
      cells: [
        .text("刘洋"), .integer(13_900_001_234), .text("320102001001"), .text("专职网格员"),
        .text("320102001001001、320102001001002"), .text("320102001001001"), .text("周一至周五"), .text("08:00-18:00"),
      ]
    ).get()
    let json = try JSONSerialization.data(withJSONObject: ["rows": [object]])
    let request = try Governance_Grid_V1_ImportGridWorkersRequest(jsonUTF8Data: json)
    let row = try #require(request.rows.first)
    #expect(row.row == 7)
    #expect(row.worker.phone == "13900001234")
    #expect(row.worker.kind == .fullTime)
    #expect(row.worker.gridCodes == ["320102001001001", "320102001001002"])
    #expect(row.duties.first?.weekdays == [1, 2, 3, 4, 5])
    #expect(row.duties.first?.start == "08:00" && row.duties.first?.end == "18:00")
    #expect(row.duties.first?.gridCode == "320102001001001")
  }

  @Test("a header without a required column is refused naming it; headers match without spaces or the * mark")
  func headerMatching() throws {
    #expect(throws: ImportFileError.missingColumns(["户数"])) {
      _ = try RegisterRows(template: Self.compounds, header: ["社区区划代码", "小区名称*", " 类型 "])
    }
    _ = try RegisterRows(template: Self.compounds, header: ["社区区划代码*", "小区 名称", "类型", "户数", "备注"])
  }

  @Test("a service's refusal is named by the template's column its field came from")
  func refusalNamedByColumn() {
    #expect(Self.compounds.column(forField: "compound.household_count")?.header == "户数")
    #expect(Self.members.column(forField: "member.contact.id_number")?.header == "身份证号")
    #expect(Self.members.column(forField: "organisation_name")?.header == "所属党组织")
    #expect(Self.workers.column(forField: "duties[0].weekdays")?.header == "值班日")
  }

  @Test("an import's problems read a page at a time come out whole, a page ending inside a row")
  func problemPagesEndInsideARow() async throws {
    let store = try await Self.store()
    let job = try await Self.queuedCompoundsJob(in: store, rows: 3)
    try await store.startImportJob(id: job.id)
    let columns = ["小区名称", "户数", "类型", "地址"]
    let found = [2, 3].flatMap { row in
      columns.map { ImportProblem(row: row, column: $0, rule: "必填，不能为空", value: "") }
    }
    _ = try await store.recordImportBatch(
      id: job.id, nextRow: 4, rows: 2, created: 0, updated: 0, unchanged: 0, problems: found)
    var read: [ImportProblem] = []
    var position: GatewayStore.ImportProblemPosition?
    var pages = 0
    repeat {
      let page = try await store.importProblems(id: job.id, after: position, limit: 3)
      read += page.problems
      position = page.next
      pages += 1
    } while position != nil && pages < 10
    #expect(read == found)
    #expect(pages == 3)
  }

  @Test("a job goes on from the first row its last recorded batch did not finish, and a stop holds it there")
  func jobResumesFromItsLastBatch() async throws {
    let store = try await Self.store()
    let job = try await Self.queuedCompoundsJob(in: store, rows: 1200)
    #expect(try await store.nextImportJob()?.id == job.id)
    try await store.startImportJob(id: job.id)
    let state = try await store.recordImportBatch(
      id: job.id, nextRow: 502, rows: 500, created: 498, updated: 0, unchanged: 0,
      problems: [
        ImportProblem(row: 9, column: "户数", rule: "应为不小于 0 的整数", value: "-5"),
        ImportProblem(row: 9, column: "类型", rule: "应为以下之一", value: "别墅区"),
        ImportProblem(row: 40, column: "小区名称", rule: "必填，不能为空", value: ""),
      ])
    #expect(state == .running)
    // A batch recorded twice (sent again after a crash) does not list its problems twice.
    _ = try await store.recordImportBatch(
      id: job.id, nextRow: 502, rows: 0, created: 0, updated: 0, unchanged: 0,
      problems: [ImportProblem(row: 40, column: "小区名称", rule: "必填，不能为空", value: "")])
    let stopped = try await store.setImportJob(id: job.id, stopped: true)
    #expect(stopped.state == .stopped && stopped.nextRow == 502 && stopped.rowsDone == 500 && stopped.failed == 2)
    #expect(try await store.nextImportJob() == nil)
    #expect(try await store.importProblems(id: job.id).problems.map(\.row) == [9, 9, 40])
    let resumed = try await store.setImportJob(id: job.id, stopped: false)
    #expect(resumed.state == .queued)
    #expect(try await store.nextImportJob()?.nextRow == 502)
    await #expect(throws: DomainError.self) { _ = try await store.setImportJob(id: job.id, stopped: false) }
  }

  @Test("a time as proto3 JSON writes a Timestamp is read to the millisecond, anything else is not")
  func timestampsReadByHand() {
    #expect(RowWriter.rfc3339("2026-11-30T08:05:00Z") == Date(timeIntervalSince1970: 1_796_025_900))
    #expect(RowWriter.rfc3339("2026-11-30T08:05:00.250Z") == Date(timeIntervalSince1970: 1_796_025_900.25))
    #expect(RowWriter.rfc3339("1969-12-31T23:59:59Z") == Date(timeIntervalSince1970: -1))
    #expect(RowWriter.rfc3339("2026-11-30 08:05:00") == nil)
    #expect(RowWriter.rfc3339("2026-13-30T08:05:00Z") == nil)
  }

  @Test("an exported list's columns come from the dictionary: labels, names, numbers and flags left out by proto3 JSON")
  func exportColumnsInTheConsolesWords() throws {
    let table = try #require(ExportTables.tables["governance.grid.v1.GridService/ListCases"])
    let record: [String: Any] = [
      "caseNumber": "20261130-00007", "status": "CASE_STATUS_CLOSED", "divisionCode": "320102001001",
      "handler": ["level": "CASE_LEVEL_GRID"], "reportTime": "2026-11-30T00:05:00Z",
    ]
    let cells = table.columns.map {
      RowWriter.cell($0, of: record, names: ["320102001001": "梅园新村社区"], words: Self.words)
    }
    func cell(_ header: String) -> SpreadsheetCell? {
      table.columns.firstIndex { $0.header == header }.map { cells[$0] }
    }
    #expect(cell("状态") == .text("已结案"))
    #expect(cell("处置层级") == .text("网格"))
    #expect(cell("社区") == .text("梅园新村社区"))
    #expect(cell("上报时间") == .dateTime(Date(timeIntervalSince1970: 1_795_997_100)))
    #expect(cell("逾期") == .text("否"))
    #expect(cell("上报上级次数") == .integer(0))
    // No evaluation yet: its satisfaction is empty, not 0.
    #expect(cell("满意度") == .empty)
  }

  @Test("the cases' typed export writes exactly the cells their JSON and the table's columns give")
  func typedCasesMatchTheTable() throws {
    let table = try #require(ExportTables.tables[CaseExport.method])
    let labels = CaseExport.Labels(words: Self.words)
    let names = ["320102001001": "梅园新村社区", "320102001001001": "第1网格", "cpd_1": "梅园新村"]
    let full = Governance_Grid_V1_Case.with {
      $0.caseNumber = "20261130-00007"
      $0.title = "路灯不亮"
      $0.category = "市政设施"
      $0.status = .closed
      $0.handler = .with { $0.level = .community }
      $0.source = .resident
      $0.priority = .urgent
      $0.divisionCode = "320102001001"
      $0.location = .with {
        $0.gridCode = "320102001001001"
        $0.compoundID = "cpd_1"
        $0.address = "梅园新村 3 栋"
      }
      $0.reporter = .with {
        $0.name = "张*"
        $0.phone = "138****1234"
      }
      $0.reportTime = .init(date: Date(timeIntervalSince1970: 1_796_025_900.25))
      $0.deadline = .init(date: Date(timeIntervalSince1970: 1_796_112_300))
      $0.resolveTime = .init(date: Date(timeIntervalSince1970: 1_796_030_000))
      $0.resolvedLevel = .grid
      $0.resolution = "已更换灯泡"
      $0.evaluation = .with { $0.satisfaction = 5 }
      $0.overdue = true
      $0.escalationCount = 1
      $0.externalID = "12345-1"
    }
    for each in [full, Governance_Grid_V1_Case.with { $0.caseNumber = "20261130-00008" }] {
      let record = try #require(try JSONSerialization.jsonObject(with: each.jsonUTF8Data()) as? [String: Any])
      let byJSON = table.columns.map { RowWriter.cell($0, of: record, names: names, words: Self.words) }
      #expect(CaseExport.cells(each, names: names, labels: labels) == byJSON)
    }
  }
}
