import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import ServiceKit

/// The monthly report (月度报表) of a district or street, `GET /reports/monthly?division=&period=&format=`:
///
/// - `division`: a district's code (6 digits, `320102`) or a street's (9 digits, `320102001`), or
///   its 12-digit form; the caller's jurisdiction must hold it.
/// - `period`: a month `YYYY-MM` or a quarter `YYYY-Qn` that has begun; the report sets each
///   figure beside the period before's (`ReportPeriod`).
/// - `format`: `json` (the default; what the console's 月度报表 page shows) or `xlsx`: one workbook
///   with a sheet 概况 naming the division and the periods, then a sheet per topic (事件办理,
///   党建覆盖, 志愿服务, 物业考评) of 指标 | 本期 | 上期 | 变化, shares as percentages and their
///   change in percentage points, a missing figure as “—”, each sheet's notes below it; sent as
///   an attachment named in Chinese (RFC 8187 `filename*`).
///
/// The figures are the statistics RPCs' (`MonthlyReportGatherer`), read as the caller. Errors are
/// Connect errors naming the parameter and its rule: 400 (`invalid_argument`) for a missing or
/// malformed parameter or a period to come, 403 (`permission_denied`) for a division outside the
/// caller's jurisdiction or a role that may not read the figures, 404 for a division the grid
/// service does not know.
struct ReportController: Sendable {
  let peers: PeerClients

  var endpoints: RouteCollection<GatewayRequestContext> {
    let routes = RouteCollection(context: GatewayRequestContext.self)
    routes.get("reports/monthly") { request, context in await monthly(request, context: context) }
    return routes
  }

  enum Format: String, Sendable {
    case json
    case xlsx

    static let xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
  }

  /// What a report request asks for, checked.
  struct Query: Equatable {
    var division: ReportDivision
    var period: ReportPeriod
    var format: Format

    /// - Throws: `ConnectError` invalid_argument naming the parameter and its rule, or
    ///   permission_denied for a division outside the principal's jurisdiction.
    init(parameters: (String) throws -> String?, principal: Principal, now: Date = Date()) throws {
      let formatText = try parameters("format") ?? "json"
      guard let format = Format(rawValue: formatText) else {
        throw ConnectError(.invalidArgument, "format: is xlsx or json, got '\(formatText)'")
      }
      self.format = format
      let periodText = try parameters("period") ?? ""
      guard let period = ReportPeriod.parse(periodText) else {
        throw ConnectError(.invalidArgument, "period: \(ReportPeriod.rule), got '\(periodText)'")
      }
      let today = CalendarDate.today(at: now)
      guard period.hasBegun(by: today) else {
        throw ConnectError(
          .invalidArgument,
          "period: \(ReportPeriod.rule), got '\(periodText)', which begins after today (\(CalendarDate.iso(today)))")
      }
      self.period = period
      let divisionText = try parameters("division") ?? ""
      guard let division = ReportDivision.parse(divisionText) else {
        throw ConnectError(.invalidArgument, "division: \(ReportDivision.rule), got '\(divisionText)'")
      }
      guard division.isHeld(by: principal) else {
        throw ConnectError(
          .permissionDenied,
          "division: a report covers a division within the caller's jurisdiction (\(principal.scope)), got '\(divisionText)'"
        )
      }
      self.division = division
    }
  }

  /// `GET /reports/monthly`: the report as JSON or as a workbook.
  func monthly(_ request: Request, context: GatewayRequestContext) async -> Response {
    do {
      let who = try await context.caller()
      let query = try Query(
        parameters: { name in
          try ConnectController.formValue(name, in: request).map { String(decoding: $0, as: UTF8.self) }
        }, principal: who.principal)
      for (service, method) in MonthlyReportGatherer.methods {
        try Authorization.check(service: service, method: method, principal: who.principal)
      }
      let gatherer = MonthlyReportGatherer(peers: peers)
      let report = try await Principal.$current.withValue(who.principal) {
        try await gatherer.gather(division: query.division, period: query.period, principal: who.principal)
      }
      switch query.format {
      case .json:
        var response = JSONAnswer.response(report)
        response.headers[.cacheControl] = "private, no-cache"
        return response
      case .xlsx:
        // Written and zipped on the bulk pool, off the threads that serve calls.
        let bytes = try await BulkWork.run { try Self.workbook(report) }
        let filename = "\(report.title).xlsx"
        var headers: HTTPFields = [
          .contentType: Format.xlsxType, .cacheControl: "no-store",
          .contentDisposition: "attachment; filename*=UTF-8''\(AttachmentController.rfc8187(filename))",
        ]
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(data: bytes)))
      }
    } catch {
      return ConnectError(error).response
    }
  }

  // MARK: The workbook

  /// The sheets' header.
  static let header = ["指标", "本期", "上期", "变化"]

  /// The report as an XLSX workbook: 概况, then a sheet per topic.
  static func workbook(_ report: MonthlyReport) throws -> Data {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
      "report-\(UUID().uuidString)", isDirectory: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let workbook = try XLSXWriter(directory: directory.appendingPathComponent("parts", isDirectory: true))
    try workbook.startSheet(name: "概况", header: ["项目", "内容"], widths: [16, 60])
    for row in overview(report) { try workbook.append(row) }
    for topic in report.topics {
      try workbook.startSheet(name: topic.title, header: header, widths: [40, 14, 14, 14])
      for row in rows(of: topic) { try workbook.append(row) }
    }
    let file = directory.appendingPathComponent("report.xlsx")
    try workbook.finish(to: file)
    return try Data(contentsOf: file)
  }

  /// The 概况 sheet: what the report covers, when it was made, and how to read it.
  static func overview(_ report: MonthlyReport) -> [[SpreadsheetCell]] {
    let span: (MonthlyReport.Period) -> String = { period in
      "\(period.from) 至 \(period.to)\(period.underWay ? "（进行中，数据截至生成时）" : "")"
    }
    return [
      [.text("报表"), .text(report.title)],
      [.text("辖区"), .text(report.division.name)],
      [.text("辖区代码"), .text(report.division.code)],
      [.text("本期"), .text(report.period.title)],
      [.text("本期起止"), .text(span(report.period))],
      [.text("上期"), .text(report.previous.title)],
      [.text("上期起止"), .text(span(report.previous))],
      [.text("生成时间"), .text(String(report.generatedTime.prefix(19)).replacingOccurrences(of: "T", with: " "))],
      [
        .text("生成人"),
        .text(report.generatedBy.hasPrefix("user:") ? String(report.generatedBy.dropFirst(5)) : report.generatedBy),
      ],
      [.text("说明"), .text("比例以百分数（%）表示，其变化为百分点；“—”表示该期无此数据。标注“（现状）”的指标为生成报表时的数，不分期。")],
    ]
  }

  /// A topic's rows: one a figure (指标, 本期, 上期, 变化), then a blank row and the notes.
  static func rows(of topic: ReportTopic) -> [[SpreadsheetCell]] {
    var rows: [[SpreadsheetCell]] = topic.figures.map { figure in
      let name = figure.name + (figure.unit == .share ? "（%）" : "") + (figure.snapshot ? "（现状）" : "")
      let current = shown(figure.current, unit: figure.unit)
      let previous = shown(figure.previous, unit: figure.unit)
      return [
        .text(name), cell(current, unit: figure.unit), cell(previous, unit: figure.unit),
        change(current, previous, unit: figure.unit),
      ]
    }
    if !topic.notes.isEmpty {
      rows.append([.empty, .empty, .empty, .empty])
      rows += topic.notes.map { [.text("注：\($0)"), .empty, .empty, .empty] }
    }
    return rows
  }

  /// A figure as the workbook shows it: a share as a percentage, scores and hours to two
  /// decimals, counts whole.
  static func shown(_ value: Double?, unit: FigureUnit) -> Double? {
    guard let value else { return nil }
    switch unit {
    case .count: return value.rounded()
    case .share: return rounded(value * 100)
    case .score, .hours: return rounded(value)
    }
  }

  static func rounded(_ value: Double) -> Double { (value * 100).rounded() / 100 }

  static func cell(_ value: Double?, unit: FigureUnit) -> SpreadsheetCell {
    guard let value else { return .text("—") }
    return unit == .count ? .integer(Int64(value)) : .decimal(value)
  }

  /// The change between two shown values: whole for counts, in percentage points for shares.
  static func change(_ current: Double?, _ previous: Double?, unit: FigureUnit) -> SpreadsheetCell {
    guard let current, let previous else { return .text("—") }
    return unit == .count ? .integer(Int64(current) - Int64(previous)) : .decimal(rounded(current - previous))
  }
}
