import Foundation
import GovernanceAPI
import ServiceKit
import SwiftProtobuf

/// How the gateway serves Open311 GeoReport v2 (docs/OPEN311.md), from its environment.
public struct Open311Configuration: Sendable, Equatable {
  /// The `jurisdiction_id` the endpoint serves: the city's division-code prefix, e.g. "3201"
  /// (南京市). Reads see the cases under it; a request naming another jurisdiction is 404.
  /// `GOVERNANCE_OPEN311_JURISDICTION`, default "3201".
  public var jurisdictionID: String
  /// The gateway's address as clients reach it, e.g. "https://gov.example.cn", for the absolute
  /// `media_url` and the discovery document's endpoint. `GOVERNANCE_PUBLIC_URL`; when unset,
  /// `http://` and the request's `Host`.
  public var publicURL: String?

  public init(jurisdictionID: String = "3201", publicURL: String? = nil) {
    self.jurisdictionID = jurisdictionID
    self.publicURL = publicURL
  }

  /// The configuration from `environment`, defaults where a variable is unset.
  /// - Throws: `ConfigurationError` naming the variable when the jurisdiction is not 2 to 12
  ///   digits of a division code, or the public URL is not an http(s) URL.
  public static func resolve(environment: [String: String]) throws(ConfigurationError) -> Open311Configuration {
    var configuration = Open311Configuration()
    if let jurisdiction = environment["GOVERNANCE_OPEN311_JURISDICTION"], !jurisdiction.isEmpty {
      guard (2...12).contains(jurisdiction.utf8.count), jurisdiction.allSatisfy({ $0.isASCII && $0.isNumber }) else {
        throw ConfigurationError(
          setting: "GOVERNANCE_OPEN311_JURISDICTION",
          problem: "'\(jurisdiction)' is not a division-code prefix (2 to 12 digits, e.g. 3201)")
      }
      configuration.jurisdictionID = jurisdiction
    }
    if let url = environment["GOVERNANCE_PUBLIC_URL"], !url.isEmpty {
      guard url.hasPrefix("http://") || url.hasPrefix("https://"), URL(string: url)?.host != nil else {
        throw ConfigurationError(
          setting: "GOVERNANCE_PUBLIC_URL", problem: "'\(url)' is not an http:// or https:// URL")
      }
      configuration.publicURL = url.hasSuffix("/") ? String(url.dropLast()) : url
    }
    return configuration
  }
}

/// One Open311 service (GeoReport v2 "GET Service List"): a kind of case residents report. Its
/// Chinese name is the `category` a case reported through Open311 gets in the grid service.
struct Open311Service: Sendable {
  /// The `service_code`: a stable ASCII code for clients (a case entered with it as its category
  /// is this service too).
  var code: String
  /// `service_name`: the name residents know, in Chinese; the category an Open311 report gets and
  /// the one the console and the demo city write, so cases entered either way are one service.
  var name: String
  var description: String
  /// `group`: the kind of work, for a client to group services by.
  var group: String
  /// `keywords`: comma-separated words a client may search by.
  var keywords: [String]

  /// The case categories that are this service: its code and its Chinese name.
  var categories: [String] { [code, name] }

  /// The service list (`services.json`): the case categories of the city's grid system, the ten
  /// the console and the demo city use and the codes the contract names (`Case.category`). Every
  /// service is `type: realtime` (a case id is returned at once) with `metadata: false` (no
  /// attributes beyond the standard's). Adding a category is adding a line here.
  static let catalogue: [Open311Service] = [
    Open311Service(
      code: "environment", name: "环境卫生", description: "垃圾清运不及时、楼道堆物、卫生死角等环境卫生问题",
      group: "城市管理", keywords: ["垃圾", "卫生", "清运", "堆物"]),
    Open311Service(
      code: "facility", name: "市政设施", description: "路灯不亮、井盖缺失、道路破损等公共设施问题",
      group: "城市管理", keywords: ["路灯", "井盖", "道路", "设施"]),
    Open311Service(
      code: "property_service", name: "物业服务", description: "电梯故障、门禁维修、保洁绿化等物业服务问题",
      group: "物业管理", keywords: ["物业", "电梯", "维修", "保洁"]),
    Open311Service(
      code: "dispute", name: "邻里纠纷", description: "漏水影响楼下、噪音、占用公共空间等邻里矛盾，请求调解",
      group: "平安建设", keywords: ["纠纷", "调解", "漏水", "邻里"]),
    Open311Service(
      code: "fire_safety", name: "消防隐患", description: "楼道堆放杂物、私拉电线充电、占用消防通道等消防安全隐患",
      group: "平安建设", keywords: ["消防", "电动车", "充电", "通道"]),
    Open311Service(
      code: "noise", name: "噪音扰民", description: "夜间施工、商铺经营、广场活动等噪音扰民",
      group: "城市管理", keywords: ["噪音", "施工", "扰民"]),
    Open311Service(
      code: "illegal_construction", name: "违章搭建", description: "私搭乱建、违章搭建阳光房、破坏承重结构等",
      group: "城市管理", keywords: ["违建", "搭建", "阳光房"]),
    Open311Service(
      code: "parking", name: "停车管理", description: "小区车辆乱停放、占用通道停车、停车位纠纷",
      group: "物业管理", keywords: ["停车", "车辆", "车位"]),
    Open311Service(
      code: "greening", name: "绿化养护", description: "绿化带破损、树木倒伏、草坪缺少养护",
      group: "城市管理", keywords: ["绿化", "树木", "草坪"]),
    Open311Service(
      code: "public_order", name: "治安防范", description: "单元门禁损坏、可疑人员、治安隐患",
      group: "平安建设", keywords: ["治安", "门禁", "安全"]),
  ]

  /// The service with this `service_code`.
  static func named(_ code: String) -> Open311Service? { catalogue.first { $0.code == code } }

  /// The service a case of `category` belongs to: by code or by Chinese name.
  static func of(category: String) -> Open311Service? { catalogue.first { $0.categories.contains(category) } }

  /// The service as an entry of the service list.
  var listEntry: Open311Value {
    .record([
      ("service_code", .text(code)), ("service_name", .text(name)), ("description", .text(description)),
      ("metadata", .bool(false)), ("type", .text("realtime")), ("keywords", .text(keywords.joined(separator: ","))),
      ("group", .text(group)),
    ])
  }

  /// The service definition (GeoReport v2 "GET Service Definition"): no attributes, as `metadata`
  /// is false for every service.
  var definition: Open311Value {
    .record([("service_code", .text(code)), ("attributes", .list(element: "attribute", []))])
  }
}

/// The two statuses of GeoReport v2 and the case statuses behind them.
enum Open311Status: String, Sendable, CaseIterable {
  /// Still being handled: REPORTED, ACCEPTED, ASSIGNED, IN_PROGRESS, REOPENED.
  case open
  /// Handled: RESOLVED, EVALUATED, CLOSED, and REJECTED (refused at intake, with a reason).
  case closed

  /// The case statuses a filter `status=open` or `status=closed` asks the grid service for.
  var caseStatuses: [Governance_Grid_V1_CaseStatus] {
    switch self {
    case .open: [.reported, .accepted, .assigned, .inProgress, .reopened]
    case .closed: [.resolved, .evaluated, .closed, .rejected]
    }
  }

  /// The Open311 status of a case status. A resolved case is closed although its reporter may
  /// still evaluate it or have it reopened: the work is done, and a reopened case is open again.
  init(_ status: Governance_Grid_V1_CaseStatus) {
    self = Self.closed.caseStatuses.contains(status) ? .closed : .open
  }
}

/// How a case reads as an Open311 service request (GeoReport v2 "GET Service Requests").
enum Open311Request {
  /// The fields of a service request, in the standard's order.
  static let fields = [
    "service_request_id", "status", "status_notes", "service_name", "service_code", "description",
    "agency_responsible", "service_notice", "requested_datetime", "updated_datetime", "expected_datetime", "address",
    "address_id", "zipcode", "lat", "long", "media_url",
  ]

  /// The handling levels in Chinese, as the console's labels name them.
  static func levelName(_ level: Governance_Grid_V1_CaseLevel) -> String {
    switch level {
    case .grid: "网格"
    case .community: "社区"
    case .street: "街道"
    case .districtDepartment: "区职能部门"
    default: "待定"
    }
  }

  /// `agency_responsible`: the unit handling the case now, its level in Chinese and its code,
  /// e.g. "网格 320113002001001", "区职能部门 区城管局 320113000000".
  static func agency(_ handler: Governance_Grid_V1_HandlingUnit) -> String {
    [levelName(handler.level), handler.department, handler.unitCode].filter { !$0.isEmpty }.joined(separator: " ")
  }

  /// `status_notes`: why the case stands where it does: what was done for a resolved case, the
  /// reason for a rejected one; empty while it is being handled.
  static func statusNotes(_ gridCase: Governance_Grid_V1_Case) -> String {
    switch gridCase.status {
    case .rejected: gridCase.rejectReason
    case .resolved, .evaluated, .closed: gridCase.resolution
    default: ""
    }
  }

  /// `service_notice`: the case number people quote when they call (案件编号), and a word on
  /// where the case went when its point lay in no grid or the case is overdue.
  static func notice(_ gridCase: Governance_Grid_V1_Case) -> String {
    var parts = ["案件编号 \(gridCase.caseNumber)"]
    if gridCase.location.outsideGrids { parts.append("位置不在任何网格内，已交社区分派") }
    if gridCase.overdue && Open311Status(gridCase.status) == .open { parts.append("已超期") }
    return parts.filter { !$0.isEmpty }.joined(separator: "；")
  }

  /// The case as a service request; `mediaURL` is the absolute URL of its first attachment, or
  /// empty.
  static func record(_ gridCase: Governance_Grid_V1_Case, mediaURL: String) -> Open311Value {
    let service = Open311Service.of(category: gridCase.category)
    let location = gridCase.location
    func time(_ stamp: Google_Protobuf_Timestamp, set: Bool) -> Open311Value {
      set ? .text(Open311DateTime.format(stamp.date)) : .null
    }
    let updated = gridCase.audit.hasUpdateTime ? gridCase.audit.updateTime : gridCase.reportTime
    return .record([
      ("service_request_id", .text(gridCase.id)),
      ("status", .text(Open311Status(gridCase.status).rawValue)),
      ("status_notes", .text(statusNotes(gridCase))),
      ("service_name", .text(service?.name ?? gridCase.category)),
      ("service_code", .text(service?.code ?? gridCase.category)),
      ("description", .text(gridCase.details.isEmpty ? gridCase.title : gridCase.details)),
      ("agency_responsible", .text(agency(gridCase.handler))),
      ("service_notice", .text(notice(gridCase))),
      ("requested_datetime", time(gridCase.reportTime, set: gridCase.hasReportTime)),
      ("updated_datetime", time(updated, set: gridCase.audit.hasUpdateTime || gridCase.hasReportTime)),
      ("expected_datetime", time(gridCase.deadline, set: gridCase.hasDeadline)),
      ("address", .text(location.address)),
      // The platform keeps no master address list nor postcodes: both are always empty.
      ("address_id", .text("")),
      ("zipcode", .text("")),
      ("lat", location.hasPoint ? .number(location.point.latitude) : .null),
      ("long", location.hasPoint ? .number(location.point.longitude) : .null),
      ("media_url", .text(mediaURL)),
    ])
  }
}
