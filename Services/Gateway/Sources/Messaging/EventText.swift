import Foundation
import ServiceKit

/// The words an event is told in to people (Chinese, as the console speaks): a title, a body, a
/// link into the console, and the SMS template with its parameters.
public enum EventText {
  /// What happened to a case, by the end of its kind (`case.escalated` → 已上报上级).
  static let caseVerbs: [String: String] = [
    "reported": "新上报", "accepted": "已受理", "assigned": "已派遣", "started": "开始处置", "resolved": "已办结",
    "evaluated": "已评价", "closed": "已结案", "rejected": "已退回", "reopened": "已重新办理", "escalated": "已上报上级",
    "transferred": "已转办", "reassigned": "已改派", "acknowledged": "已确认", "noted": "有新备注",
    "duplicate_intake": "被重复上报", "deadline_approaching": "即将到期，请抓紧办理", "overdue": "已超过办理时限",
  ]

  /// The message for `event`; a kind it does not know is told by its name.
  public static func message(for event: Outbox.Event) -> OutgoingMessage {
    let data =
      (try? JSONSerialization.jsonObject(with: Data(event.dataJson.utf8))) as? [String: Any] ?? [:]
    let template = event.kind.replacingOccurrences(of: ".", with: "_")
    let kind = event.kind
    if kind.hasPrefix("case.") {
      let gridCase = data["gridCase"] as? [String: Any] ?? [:]
      let number = gridCase["caseNumber"] as? String ?? event.record
      let title = gridCase["title"] as? String ?? ""
      let verb = caseVerbs[String(kind.dropFirst("case.".count))] ?? kind
      var lines = ["案件 \(number)「\(title)」\(verb)"]
      if let deadline = gridCase["deadline"] as? String { lines.append("办理时限：\(readable(deadline))") }
      if let note = (data["event"] as? [String: Any])?["note"] as? String, !note.isEmpty { lines.append("说明：\(note)") }
      return OutgoingMessage(
        kind: kind, title: "案件 \(number) \(verb)", body: lines.joined(separator: "\n"), link: "#case/\(event.record)",
        template: template, parameters: [number, title])
    }
    switch kind {
    case "digest.daily":
      let name = data["divisionName"] as? String ?? event.divisionCode
      let day = data["day"] as? [String: Any] ?? [:]
      let date = "\(day["year"] ?? "")-\(day["month"] ?? "")-\(day["day"] ?? "")"
      let figures = data["statistics"] as? [String: Any] ?? [:]
      let total = number(figures["total"])
      let resolved = (figures["byStatus"] as? [[String: Any]] ?? []).filter {
        ["CASE_STATUS_RESOLVED", "CASE_STATUS_CLOSED"].contains($0["status"] as? String ?? "")
      }.reduce(0) { $0 + number($1["count"]) }
      let overdue = number(figures["overdue"])
      let satisfaction = figures["meanSatisfaction"] as? Double
      let body =
        "新增 \(total) 件，已办结 \(resolved) 件，超时 \(overdue) 件"
        + (satisfaction.map { String(format: "，满意度 %.1f", $0) } ?? "")
      return OutgoingMessage(
        kind: kind, title: "\(name) \(date) 案件日报", body: body, link: "#dashboard", template: template,
        parameters: [name, date, "\(total)", "\(resolved)", "\(overdue)"])
    case "micro_wish.created":
      let title = data["title"] as? String ?? event.record
      return OutgoingMessage(
        kind: kind, title: "新微心愿：\(title)", body: data["details"] as? String ?? title, link: "#wishes",
        template: template, parameters: [title])
    case "rectification.deadline_approaching", "rectification.overdue":
      let deadline = data["deadline"] as? [String: Any] ?? [:]
      let date = "\(deadline["year"] ?? "")-\(deadline["month"] ?? "")-\(deadline["day"] ?? "")"
      let problem = data["problem"] as? String ?? ""
      let verb = kind == "rectification.overdue" ? "已超期" : "将于 \(date) 到期"
      return OutgoingMessage(
        kind: kind, title: "整改单\(verb)", body: "问题：\(problem)\n整改期限：\(date)", link: "#periods",
        template: template, parameters: [problem, date])
    case "list.published":
      let red = number(data["redCount"])
      let black = number(data["blackCount"])
      return OutgoingMessage(
        kind: kind, title: "物业服务红黑榜已发布", body: "红榜 \(red) 家，黑榜 \(black) 家", link: "#publications",
        template: template, parameters: ["\(red)", "\(black)"])
    case "conference.gap":
      let name = data["organisationName"] as? String ?? event.record
      return OutgoingMessage(
        kind: kind, title: "\(name) 本季度尚未召开联席会议", body: "本季度最后一个月已到，请及时召开联席会议。",
        link: "#gaps", template: template, parameters: [name])
    default:
      return OutgoingMessage(
        kind: kind, title: kind, body: event.record, template: template, parameters: [event.record])
    }
  }

  /// A count from protobuf JSON, where 64-bit integers are strings.
  static func number(_ value: Any?) -> Int {
    if let int = value as? Int { return int }
    if let string = value as? String { return Int(string) ?? 0 }
    return 0
  }

  /// An RFC 3339 instant as the city reads it, `2026-12-01 17:00`.
  static func readable(_ instant: String) -> String {
    let parser = ISO8601DateFormatter()
    parser.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    guard let date = parser.date(from: instant) ?? ISO8601DateFormatter().date(from: instant) else { return instant }
    let formatter = DateFormatter()
    formatter.timeZone = CalendarDate.timeZone
    formatter.dateFormat = "yyyy-MM-dd HH:mm"
    return formatter.string(from: date)
  }
}

/// The body of a webhook delivery, in the Standard Webhooks payload shape: `type` (the event
/// kind), `timestamp` (when the change was committed, RFC 3339) and `data` (the record, in
/// protobuf's JSON form), with the event's `id`, `record` and `division_code` beside them.
enum WebhookPayload {
  static func body(_ event: Outbox.Event) -> Data {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    let head: [String: String] = [
      "id": event.id, "type": event.kind, "timestamp": formatter.string(from: event.occurredAt.date),
      "record": event.record, "division_code": event.divisionCode,
    ]
    var body = JSONAnswer.encode(head)
    // The record goes in as the service wrote it: `{..., "data": <data_json>}`.
    body.removeLast()
    body.append(contentsOf: Data(",\"data\":".utf8))
    body.append(contentsOf: Data((event.dataJson.isEmpty ? "{}" : event.dataJson).utf8))
    body.append(UInt8(ascii: "}"))
    return body
  }
}
