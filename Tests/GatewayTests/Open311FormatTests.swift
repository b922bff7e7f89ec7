import Foundation
import GovernanceAPI
import Testing

@testable import Gateway

@Suite("Open311 GeoReport v2: W3C date-times, forms, JSON and XML written by hand, statuses")
struct Open311FormatTests {
  @Test("W3C date-times are read with Z, with an offset, with fractions, and as a date in the city")
  func dateTimes() throws {
    let instant = Date(timeIntervalSince1970: 1_796_083_200)  // 2026-12-01T00:00:00Z
    #expect(try Open311DateTime.parse("2026-12-01T00:00:00Z", parameter: "start_date") == instant)
    #expect(try Open311DateTime.parse("2026-12-01T08:00:00+08:00", parameter: "start_date") == instant)
    #expect(try Open311DateTime.parse("2026-11-30T19:00-05:00", parameter: "start_date") == instant)
    #expect(try Open311DateTime.parse("2026-12-01T08:00:00 08:00", parameter: "start_date") == instant)
    #expect(
      try Open311DateTime.parse("2026-12-01T00:00:00.25Z", parameter: "start_date") == instant.addingTimeInterval(0.25))
    // A date alone is the city's midnight: the start of the day, or with endOfDay its end.
    #expect(try Open311DateTime.parse("2026-12-01", parameter: "start_date") == instant.addingTimeInterval(-8 * 3600))
    #expect(
      try Open311DateTime.parse("2026-12-01", parameter: "end_date", endOfDay: true)
        == instant.addingTimeInterval(16 * 3600))
    #expect(try Open311DateTime.parse("2028-02-29T00:00:00Z", parameter: "x").timeIntervalSince1970 == 1_835_395_200)
    for bad in [
      "", "yesterday", "2026-12-01T00:00:00", "2026-13-01T00:00:00Z", "2026-02-29T00:00:00Z", "2026-12-01T24:00:00Z",
      "2026-12-01T00:00:00+8", "2026-12-01T00:00:00Zjunk", "2026-12-01T00:00:00.Z", "２０２６-12-01",
    ] {
      #expect(throws: Open311Error.self, "\(bad)") { try Open311DateTime.parse(bad, parameter: "start_date") }
    }
    #expect(Open311DateTime.format(instant) == "2026-12-01T08:00:00+08:00")
    #expect(Open311DateTime.format(Date(timeIntervalSince1970: 0)) == "1970-01-01T08:00:00+08:00")
    #expect(Open311DateTime.format(Date(timeIntervalSince1970: -1)) == "1970-01-01T07:59:59+08:00")
  }

  @Test("date-times written are read back, across years and leap days")
  func dateTimesRoundTrip() throws {
    for seconds in stride(from: -2_000_000_000, through: 4_000_000_000, by: 86_399 * 37) {
      let time = Date(timeIntervalSince1970: TimeInterval(seconds))
      #expect(try Open311DateTime.parse(Open311DateTime.format(time), parameter: "x") == time)
    }
  }

  @Test("forms decode + and percent escapes as UTF-8; a broken escape names its parameter")
  func forms() throws {
    let form = try Open311Form.parse("a=1&description=%E6%A5%BC%E9%81%93+%2B1&empty=&flag&a=2")
    #expect(form == ["a": "1", "description": "楼道 +1", "empty": "", "flag": ""])
    #expect(throws: Open311Error.badRequest("lat", "has a broken percent escape")) {
      try Open311Form.parse("lat=%G1")
    }
    #expect(throws: Open311Error.badRequest("x", "is not UTF-8")) { try Open311Form.parse("x=%FF") }
  }

  @Test("header parameters: quoted values may hold ; and escaped quotes")
  func headerParameters() {
    #expect(
      Open311Controller.headerParameters(#"form-data; name="media"; filename="a;b \"c\".jpg""#)
        == ["name": "media", "filename": #"a;b "c".jpg"#])
    #expect(
      Open311Controller.headerParameters("multipart/form-data; boundary=----x1; charset=utf-8")
        == ["boundary": "----x1", "charset": "utf-8"])
    #expect(Open311Controller.headerParameters("form-data") == [:])
  }

  @Test("JSON and XML escape what would break them; XML replaces what it cannot carry")
  func escaping() {
    let text = "<a href=\"x\">'&'</a>\u{7}\r\n\t\u{2028}𠀀"
    let value = Open311Value.list(
      element: "request", [.record([("description", .text(text)), ("lat", .number(32.5)), ("code", .number(400))])])
    #expect(
      Open311Document.json(value)
        == #"[{"description":"<a href=\"x\">'&'</a>\u0007\r\n\t\u2028𠀀","lat":32.5,"code":400}]"#)
    #expect(
      Open311Document.xml(value, element: "service_requests")
        == "<service_requests><request><description>&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;\u{FFFD}&#13;\n\t\u{2028}𠀀</description><lat>32.5</lat><code>400</code></request></service_requests>"
    )
    #expect(Open311Document.xml(.list(element: "request", []), element: "service_requests") == "<service_requests/>")
    #expect(
      Open311Document.json(.record([("media_url", .text("")), ("lat", .null)])) == #"{"media_url":"","lat":null}"#)
  }

  @Test("a format is the extension: json or xml, anything else none")
  func formats() {
    #expect(Open311Format.split("services.json") == ("services", .json))
    #expect(Open311Format.split("case_01.xml") == ("case_01", .xml))
    #expect(Open311Format.split("services.csv").format == nil)
    #expect(Open311Format.split("services").format == nil)
  }

  @Test("open is reported to reopened, closed is resolved, evaluated, closed and rejected")
  func statuses() {
    let open: [Governance_Grid_V1_CaseStatus] = [.reported, .accepted, .assigned, .inProgress, .reopened]
    let closed: [Governance_Grid_V1_CaseStatus] = [.resolved, .evaluated, .closed, .rejected]
    #expect(open.allSatisfy { Open311Status($0) == .open })
    #expect(closed.allSatisfy { Open311Status($0) == .closed })
    #expect(Set(Open311Status.open.caseStatuses + Open311Status.closed.caseStatuses).count == 9)
  }

  @Test("a query spans at most 90 days, the last 90 by default; the end is not before the start")
  func queries() throws {
    let now = Date(timeIntervalSince1970: 1_796_083_200)
    let defaults = try Open311Query([:], now: now)
    #expect(defaults.end == now && now.timeIntervalSince(defaults.start) == 90 * 86_400)
    let started = try Open311Query(["start_date": "2026-01-01T00:00:00Z", "status": "open,closed,open"], now: now)
    #expect(started.end.timeIntervalSince(started.start) == 90 * 86_400 && started.statuses == [.open, .closed])
    #expect(
      try Open311Query(["service_code": "noise, fire_safety,"], now: now).serviceCodes == ["noise", "fire_safety"])
    #expect(throws: Open311Error.self) {
      try Open311Query(["start_date": "2026-01-01T00:00:00Z", "end_date": "2026-04-02T00:00:00Z"], now: now)
    }
    #expect(throws: Open311Error.self) {
      try Open311Query(["start_date": "2026-02-01T00:00:00Z", "end_date": "2026-01-01T00:00:00Z"], now: now)
    }
    #expect(throws: Open311Error.badRequest("status", "'pending' is not open or closed")) {
      try Open311Query(["status": "pending"], now: now)
    }
  }

  @Test("names: Chinese family name first without a space, others as given")
  func names() {
    #expect(Open311Controller.name(first: "小明", last: "王") == "王小明")
    #expect(Open311Controller.name(first: "Anna", last: "Li") == "Anna Li")
    #expect(Open311Controller.name(first: "", last: "王") == "王")
    let service = Open311Service.named("fire_safety")!
    #expect(Open311Controller.title(description: "", service: service) == "消防隐患")
    #expect(Open311Controller.title(description: "\n  楼道堆物 \n三楼", service: service) == "楼道堆物")
    #expect(Open311Controller.title(description: String(repeating: "长", count: 80), service: service).count == 50)
  }
}
