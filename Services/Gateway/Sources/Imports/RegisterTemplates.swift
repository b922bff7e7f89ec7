import Foundation

/// One column of a register's template (导入模板): its Chinese header, where its value goes in
/// the import RPC's row (a proto3 JSON path, `compound.householdCount`), how a cell is read, and
/// what the template tells the person filling it.
struct TemplateColumn: Sendable {
  /// How a cell becomes a value.
  enum Kind: Sendable, Equatable {
    /// Text as written; numbers as their digits.
    case text
    /// A whole number, 0 or more.
    case integer
    case decimal
    /// A date: a date cell, an Excel serial number, or text `2026-11-30`, `2026/11/30`,
    /// `2026.11.30`, `2026年11月30日`, `20261130` (a month alone, `2001-07`, is its first day).
    case date
    /// One of a contract enum's values (those starting with the prefix), by its Chinese label or
    /// its own name.
    case choice(prefix: String)
    /// Skills by their labels, separated by 、 , ; or spaces.
    case skills
    /// Codes separated by 、 , ; or spaces.
    case list
    /// Weekdays: `周一至周五`, `周一、周三`, `1-5`, `1,3,5`, `每天`.
    case weekdays
    /// Hours `08:00-18:00` (into the path's `start` and `end` next to it).
    case hours
    /// A point `longitude,latitude` in WGS-84 degrees.
    case point
  }

  let header: String
  let path: String
  let kind: Kind
  let required: Bool
  let example: String
  let note: String

  init(
    _ header: String, _ path: String, _ kind: Kind = .text, required: Bool = false, example: String,
    note: String = ""
  ) {
    self.header = header
    self.path = path
    self.kind = kind
    self.required = required
    self.example = example
    self.note = note
  }
}

/// A register that can be imported: its name in URLs, its title, the RPC taking its rows, and
/// its template's columns.
struct RegisterTemplate: Sendable {
  /// `compounds`, `members`, …
  let register: String
  let title: String
  let service: String
  let method: String
  /// The key of a row (said in the template's notes).
  let key: String
  let columns: [TemplateColumn]

  /// The column a service's refusal names by its field path (`compound.household_count`), the
  /// one whose path is that field's or holds it; nil when none does.
  func column(forField field: String) -> TemplateColumn? {
    // `duties[0].weekdays` → `duties.0.weekdays`, as the template writes a list's places.
    let wanted = field.replacingOccurrences(of: #"\[(\d+)\]"#, with: ".$1", options: .regularExpression)
      .split(separator: ".").map { ConsoleWords.camelCase(String($0)) }.joined(separator: ".")
    return columns.first { $0.path == wanted } ?? columns.first { wanted.hasPrefix($0.path + ".") }
      ?? columns.first {
        $0.path.hasSuffix("." + wanted) || $0.path == wanted.split(separator: ".").last.map(String.init)
      }
  }

  static let all: [RegisterTemplate] = [
    RegisterTemplate(
      register: "divisions", title: "区划台账", service: "governance.grid.v1.GridService", method: "ImportDivisions",
      key: "区划代码",
      columns: [
        .init("区划代码", "division.divisionCode", required: true, example: "320102001001", note: "12 位统计用区划代码"),
        .init("名称", "division.name", required: true, example: "梅园新村社区"),
        .init(
          "层级", "division.level", .choice(prefix: "DIVISION_LEVEL_"), required: true, example: "社区",
          note: "区、街道或社区"),
        .init("上级区划代码", "division.parentCode", example: "320102001000", note: "区为空"),
        .init(
          "边界", "division.boundary", example: "",
          note: "GeoJSON Polygon 或 MultiPolygon（WGS-84），可空"),
      ]),
    RegisterTemplate(
      register: "compounds", title: "小区台账", service: "governance.property.v1.PropertyService",
      method: "ImportCompounds", key: "社区区划代码 + 小区名称",
      columns: [
        .init("社区区划代码", "compound.divisionCode", required: true, example: "320102001001"),
        .init("小区名称", "compound.name", required: true, example: "梅园新村"),
        .init(
          "类型", "compound.kind", .choice(prefix: "COMPOUND_KIND_"), required: true, example: "老旧小区"),
        .init("户数", "compound.householdCount", .integer, required: true, example: "480"),
        .init("楼栋数", "compound.buildingCount", .integer, example: "12"),
        .init("片区", "compound.area", example: "梅园片区"),
        .init("地址", "compound.address", example: "玄武区梅园新村 1-12 号"),
        .init("网格编码", "compound.gridCodes", .list, example: "320102001001001", note: "多个用顿号分隔"),
        .init("坐标", "compound.point", .point, example: "118.7969,32.0603", note: "经度,纬度（WGS-84）"),
      ]),
    RegisterTemplate(
      register: "buildings", title: "楼栋台账", service: "governance.property.v1.PropertyService",
      method: "ImportBuildings", key: "小区 + 楼栋",
      columns: [
        .init("社区区划代码", "building.divisionCode", required: true, example: "320102001001"),
        .init("小区名称", "compoundName", required: true, example: "梅园新村"),
        .init("楼栋", "building.name", required: true, example: "3 号楼"),
        .init("户数", "building.householdCount", .integer, example: "40"),
        .init("楼栋长", "building.leaderName", example: "王芳"),
      ]),
    RegisterTemplate(
      register: "companies", title: "物业企业台账", service: "governance.property.v1.PropertyService",
      method: "ImportCompanies", key: "统一社会信用代码",
      columns: [
        .init("统一社会信用代码", "company.unifiedSocialCreditCode", required: true, example: "91320102MA1MXXXX0X"),
        .init("企业名称", "company.name", required: true, example: "金陵物业服务有限公司"),
        .init("所在区划代码", "company.divisionCode", required: true, example: "320102000000"),
        .init("法定代表人", "company.legalRepresentative", example: "李明"),
        .init("地址", "company.address", example: "玄武区中山路 1 号"),
        .init("员工数", "company.staffCount", .integer, example: "120"),
        .init(
          "党建覆盖", "company.partyStatus", .choice(prefix: "COMPANY_PARTY_STATUS_"), example: "单独建立党组织"),
        .init("党员数", "company.partyMemberCount", .integer, example: "8"),
        .init("信用等级", "company.creditLevel", .choice(prefix: "CREDIT_LEVEL_"), example: "A 级"),
      ]),
    RegisterTemplate(
      register: "members", title: "党员台账", service: "governance.organisation.v1.OrganisationService",
      method: "ImportMembers", key: "身份证号",
      columns: [
        .init("姓名", "member.contact.name", required: true, example: "张伟"),
        .init(
          "身份证号", "member.contact.idNumber", required: true, example: "320102198001011234",
          note: "只保存加密值，用于识别同一人"),
        .init("电话", "member.contact.phone", example: "13800001234"),
        .init("社区区划代码", "member.divisionCode", required: true, example: "320102001001"),
        .init("所属党组织", "organisationName", required: true, example: "梅园新村社区党委"),
        .init("类型", "member.kind", .choice(prefix: "MEMBER_KIND_"), required: true, example: "直管党员"),
        .init(
          "党员类别", "member.standing", .choice(prefix: "MEMBER_STANDING_"), required: true, example: "正式党员"),
        .init("工作单位", "member.workUnit", example: "玄武区教育局"),
        .init("入党日期", "member.joinedPartyDate", .date, example: "2001-07-01"),
        .init("技能", "member.skills", .skills, example: "电工、急救"),
      ]),
    RegisterTemplate(
      register: "workers", title: "网格员台账", service: "governance.grid.v1.GridService",
      method: "ImportGridWorkers", key: "社区区划代码 + 电话",
      columns: [
        .init("姓名", "worker.name", required: true, example: "刘洋"),
        .init("电话", "worker.phone", required: true, example: "13900001234"),
        .init("社区区划代码", "worker.divisionCode", required: true, example: "320102001001"),
        .init(
          "类型", "worker.kind", .choice(prefix: "GRID_WORKER_KIND_"), required: true, example: "专职网格员"),
        .init("所在网格编码", "worker.gridCodes", .list, required: true, example: "320102001001001"),
        .init("值班网格编码", "duties.0.gridCode", example: "320102001001001", note: "不排班可空"),
        .init("值班日", "duties.0.weekdays", .weekdays, example: "周一至周五"),
        .init("值班时间", "duties.0", .hours, example: "08:00-18:00", note: "结束早于开始即跨夜"),
      ]),
    RegisterTemplate(
      register: "volunteers", title: "志愿者台账", service: "governance.volunteers.v1.VolunteersService",
      method: "ImportVolunteers", key: "身份证号（无则电话）",
      columns: [
        .init("姓名", "volunteer.contact.name", required: true, example: "陈静"),
        .init("身份证号", "volunteer.contact.idNumber", example: "320102199001011234"),
        .init("电话", "volunteer.contact.phone", required: true, example: "13700001234"),
        .init("社区区划代码", "volunteer.divisionCode", required: true, example: "320102001001"),
        .init(
          "类型", "volunteer.kind", .choice(prefix: "VOLUNTEER_KIND_"), required: true, example: "居民"),
        .init("技能", "volunteer.skills", .skills, example: "理发、助老服务"),
        .init("小区名称", "compoundName", example: "梅园新村"),
        .init("注册日期", "volunteer.registerDate", .date, example: "2026-03-05"),
      ]),
  ]

  static func named(_ register: String) -> RegisterTemplate? { all.first { $0.register == register } }
}
