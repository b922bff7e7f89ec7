import Foundation

/// One column of an exported list: its Chinese header, where its value sits in a listed record's
/// proto3 JSON (`handler.level`), and how the value is written.
struct ExportColumn: Sendable {
  /// How a column's value becomes a cell.
  enum Kind: Sendable {
    /// As it is (a string, or a number's text).
    case text
    /// A whole number (`int32` arrives as a JSON number, `int64` as a string).
    case integer
    case decimal
    /// A contract enum value, written as its label in the console's dictionary.
    case label
    /// A `google.protobuf.Timestamp` (RFC 3339), written as a date-time in the city's time.
    case time
    /// A `governance.common.v1.Date` (`{year, month, day}`), written as a date.
    case date
    /// A division or grid code, written as its name (the code when it has none).
    case place
    /// A compound id, written as the compound's name.
    case compound
    /// A flag, written 是 or 否.
    case flag
    /// A list of values, joined with 、 (skills by their labels).
    case list
  }

  let header: String
  let path: [String]
  let kind: Kind

  init(_ header: String, _ path: String, _ kind: Kind = .text) {
    self.header = header
    self.path = path.split(separator: ".").map(String.init)
    self.kind = kind
  }
}

/// What an exported list looks like: the field of the List response holding its records, the
/// name its file and sheet take, and its columns.
struct ExportTable: Sendable {
  let key: String
  let title: String
  let columns: [ExportColumn]
}

/// The columns of every list the console shows, by method (`service/method`), in the console's
/// words. A List method without an entry is exported with a column for each field its records
/// carry, named by the dictionary (`ExportController.generic`).
enum ExportTables {
  static let tables: [String: ExportTable] = [
    "governance.grid.v1.GridService/ListCases": ExportTable(
      key: "cases", title: "事件",
      columns: [
        .init("案件编号", "caseNumber"), .init("标题", "title"), .init("类别", "category"),
        .init("状态", "status", .label), .init("处置层级", "handler.level", .label),
        .init("来源", "source", .label), .init("紧急程度", "priority", .label),
        .init("社区", "divisionCode", .place), .init("网格", "location.gridCode", .place),
        .init("小区", "location.compoundId", .compound), .init("地址", "location.address"),
        .init("上报人", "reporter.name"), .init("上报人电话", "reporter.phone"),
        .init("上报时间", "reportTime", .time), .init("受理时间", "acceptTime", .time),
        .init("办理期限", "deadline", .time), .init("逾期", "overdue", .flag),
        .init("办结时间", "resolveTime", .time), .init("办结层级", "resolvedLevel", .label),
        .init("办理结果", "resolution"), .init("满意度", "evaluation.satisfaction", .integer),
        .init("结案时间", "closeTime", .time), .init("上报上级次数", "escalationCount", .integer),
        .init("重启次数", "reopenCount", .integer), .init("市域平台编号", "externalId"),
      ]),
    "governance.property.v1.PropertyService/ListCompounds": ExportTable(
      key: "compounds", title: "小区",
      columns: [
        .init("小区名称", "name"), .init("社区", "divisionCode", .place), .init("社区区划代码", "divisionCode"),
        .init("类型", "kind", .label), .init("管理模式", "managementMode", .label),
        .init("户数", "householdCount", .integer), .init("楼栋数", "buildingCount", .integer),
        .init("片区", "area"), .init("地址", "address"), .init("网格", "gridCodes", .list),
        .init("经度", "point.longitude", .decimal), .init("纬度", "point.latitude", .decimal),
      ]),
    "governance.property.v1.PropertyService/ListBuildings": ExportTable(
      key: "buildings", title: "楼栋",
      columns: [
        .init("楼栋", "name"), .init("小区", "compoundId", .compound), .init("社区", "divisionCode", .place),
        .init("户数", "householdCount", .integer), .init("楼栋长", "leaderName"),
      ]),
    "governance.property.v1.PropertyService/ListCompanies": ExportTable(
      key: "companies", title: "物业企业",
      columns: [
        .init("企业名称", "name"), .init("统一社会信用代码", "unifiedSocialCreditCode"),
        .init("所在区划", "divisionCode", .place), .init("法定代表人", "legalRepresentative"),
        .init("地址", "address"), .init("员工数", "staffCount", .integer),
        .init("党建覆盖", "partyStatus", .label), .init("党员数", "partyMemberCount", .integer),
        .init("信用等级", "creditLevel", .label), .init("星级", "starRating", .integer),
        .init("评分", "ratingScore", .decimal), .init("红黑榜", "listStatus", .label),
        .init("在管小区", "managedCompoundCount", .integer),
      ]),
    "governance.property.v1.PropertyService/ListContracts": ExportTable(
      key: "contracts", title: "物业合同",
      columns: [
        .init("小区", "compoundId", .compound), .init("社区", "divisionCode", .place),
        .init("选聘方式", "selectionMethod", .label), .init("签订日期", "signedDate", .date),
        .init("状态", "state", .label), .init("试用期起", "trialStartDate", .date),
        .init("试用期止", "trialEndDate", .date), .init("生效日期", "activatedDate", .date),
        .init("合同到期", "termEndDate", .date), .init("终止日期", "endedDate", .date),
        .init("终止原因", "endReason"),
      ]),
    "governance.organisation.v1.OrganisationService/ListMembers": ExportTable(
      key: "members", title: "党员",
      columns: [
        .init("姓名", "contact.name"), .init("电话", "contact.phone"), .init("身份证号", "contact.idNumber"),
        .init("类型", "kind", .label), .init("党员类别", "standing", .label), .init("状态", "status", .label),
        .init("社区", "divisionCode", .place), .init("工作单位", "workUnit"),
        .init("入党日期", "joinedPartyDate", .date), .init("居住小区", "homeCompoundId", .compound),
      ]),
    "governance.organisation.v1.OrganisationService/ListOrganisations": ExportTable(
      key: "organisations", title: "党组织",
      columns: [
        .init("名称", "name"), .init("层级", "level", .label), .init("支部类型", "branchKind", .label),
        .init("区划", "divisionCode", .place), .init("网格", "gridCode", .place), .init("状态", "status", .label),
        .init("成立日期", "establishedDate", .date), .init("正式党员", "formalMemberCount", .integer),
        .init("预备党员", "probationaryMemberCount", .integer),
      ]),
    "governance.organisation.v1.OrganisationService/ListGovernanceBodies": ExportTable(
      key: "bodies", title: "自治组织",
      columns: [
        .init("名称", "name"), .init("组织类型", "kind", .label), .init("社区", "divisionCode", .place),
        .init("成员数", "memberCount", .integer), .init("党员数", "partyMemberCount", .integer),
        .init("党员占比", "partyShare", .decimal), .init("状态", "status", .label),
        .init("任期起", "termStartDate", .date), .init("任期止", "termEndDate", .date),
      ]),
    "governance.grid.v1.GridService/ListGrids": ExportTable(
      key: "grids", title: "网格",
      columns: [
        .init("网格名称", "name"), .init("网格编码", "gridCode"), .init("社区", "divisionCode", .place),
        .init("网格类型", "kind", .label), .init("户数", "households", .integer),
      ]),
    "governance.grid.v1.GridService/ListDivisions": ExportTable(
      key: "divisions", title: "区划",
      columns: [
        .init("区划代码", "divisionCode"), .init("名称", "name"), .init("层级", "level", .label),
        .init("上级区划代码", "parentCode"),
      ]),
    "governance.grid.v1.GridService/ListGridWorkers": ExportTable(
      key: "workers", title: "网格员",
      columns: [
        .init("姓名", "name"), .init("电话", "phone"), .init("类型", "kind", .label),
        .init("社区", "divisionCode", .place), .init("网格", "gridCodes", .list), .init("在岗", "active", .flag),
      ]),
    "governance.volunteers.v1.VolunteersService/ListVolunteers": ExportTable(
      key: "volunteers", title: "志愿者",
      columns: [
        .init("姓名", "contact.name"), .init("电话", "contact.phone"), .init("身份证号", "contact.idNumber"),
        .init("类型", "kind", .label), .init("社区", "divisionCode", .place), .init("技能", "skills", .list),
        .init("小区", "compoundId", .compound), .init("注册日期", "registerDate", .date),
        .init("在册", "active", .flag),
      ]),
    "governance.volunteers.v1.VolunteersService/ListTeams": ExportTable(
      key: "teams", title: "志愿队伍",
      columns: [
        .init("名称", "name"), .init("类型", "kind", .label), .init("社区", "divisionCode", .place),
        .init("队员数", "memberCount", .integer), .init("在册", "active", .flag),
      ]),
    "governance.volunteers.v1.VolunteersService/ListServicePosts": ExportTable(
      key: "posts", title: "服务岗位",
      columns: [
        .init("岗位", "title"), .init("社区", "divisionCode", .place), .init("技能", "skills", .list),
        .init("开始时间", "startTime", .time), .init("结束时间", "endTime", .time),
        .init("名额", "capacity", .integer), .init("已认领", "claimedCount", .integer), .init("状态", "state", .label),
      ]),
    "governance.volunteers.v1.VolunteersService/ListMicroWishes": ExportTable(
      key: "wishes", title: "微心愿",
      columns: [
        .init("心愿", "title"), .init("类别", "category"), .init("居民", "resident.name"),
        .init("居民电话", "resident.phone"), .init("社区", "divisionCode", .place), .init("状态", "state", .label),
        .init("认领方", "claimant.name"), .init("认领时间", "claimTime", .time),
        .init("截止日期", "expireDate", .date),
      ]),
    "governance.volunteers.v1.VolunteersService/ListServiceRecords": ExportTable(
      key: "records", title: "服务记录",
      columns: [
        .init("服务内容", "activity"), .init("社区", "divisionCode", .place), .init("开始时间", "startTime", .time),
        .init("时长（小时）", "hours", .decimal), .init("服务人次", "residentsServed", .integer),
        .init("状态", "state", .label),
      ]),
    "governance.evaluation.v1.EvaluationService/ListPeriods": ExportTable(
      key: "periods", title: "考评周期",
      columns: [
        .init("名称", "label"), .init("区划", "divisionCode", .place), .init("类型", "kind", .label),
        .init("开始日期", "startDate", .date), .init("结束日期", "endDate", .date), .init("状态", "state", .label),
      ]),
    "governance.evaluation.v1.EvaluationService/ListCompositeScores": ExportTable(
      key: "scores", title: "综合评分",
      columns: [
        .init("排名", "rank", .integer), .init("物业企业", "companyName"), .init("综合得分", "total", .decimal),
        .init("星级", "stars", .integer), .init("红黑榜", "listStatus", .label), .init("原因", "listReason"),
        .init("区划", "divisionCode", .place),
      ]),
    "governance.evaluation.v1.EvaluationService/ListRectificationOrders": ExportTable(
      key: "orders", title: "整改单",
      columns: [
        .init("问题", "problem"), .init("整改要求", "requirement"), .init("小区", "compoundId", .compound),
        .init("社区", "divisionCode", .place), .init("整改期限", "deadline", .date), .init("状态", "state", .label),
        .init("完成时间", "completeTime", .time), .init("完成说明", "completionNote"),
      ]),
  ]
}
