import Foundation

/// One problem of an import, as its report lists it: the spreadsheet's row, the column's
/// header, the rule broken (in Chinese) and the value found.
struct ImportProblem: Sendable, Equatable, Codable {
  let row: Int
  let column: String
  let rule: String
  let value: String
}

/// Reads a register's rows into the import RPC's row objects (proto3 JSON), cell by cell, by the
/// template's columns: each cell that cannot be read is a problem naming its column, and the row
/// is then not sent.
struct RegisterRows: Sendable {
  let template: RegisterTemplate
  let words: ConsoleWords
  /// For each template column, the index of its header in the file; nil when the file lacks it.
  let positions: [Int?]

  /// Matches the file's `header` to the template: the columns found by their header (spaces and
  /// a trailing `*` ignored); columns the template does not know are ignored.
  /// - Throws: `ImportFileError.missingColumns` naming each required column the header lacks.
  init(template: RegisterTemplate, header: [String], words: ConsoleWords = .shipped) throws(ImportFileError) {
    self.template = template
    self.words = words
    let normalised = header.map(Self.normalise)
    positions = template.columns.map { normalised.firstIndex(of: Self.normalise($0.header)) }
    let missing = zip(template.columns, positions).filter { $0.0.required && $0.1 == nil }.map(\.0.header)
    guard missing.isEmpty else { throw .missingColumns(missing) }
  }

  static func normalise(_ header: String) -> String {
    header.filter { !$0.isWhitespace && $0 != "*" && $0 != "＊" }
  }

  /// The RPC's row for spreadsheet row `number`, or the problems that keep it from being sent.
  func row(number: Int, cells: [SpreadsheetCell]) -> Result<[String: Any], Problems> {
    var object: [String: Any] = ["row": number]
    var problems: [ImportProblem] = []
    for (column, position) in zip(template.columns, positions) {
      let cell = position.flatMap { cells.indices.contains($0) ? cells[$0] : nil } ?? .empty
      switch Self.read(cell, as: column.kind, words: words) {
      case .success(nil):
        if column.required {
          problems.append(ImportProblem(row: number, column: column.header, rule: "必填，不能为空", value: ""))
        }
      case .success(let value?):
        Self.put(value, at: column.path, kind: column.kind, in: &object)
      case .failure(let problem):
        problems.append(
          ImportProblem(row: number, column: column.header, rule: problem.rule, value: Self.shown(cell)))
      }
    }
    return problems.isEmpty ? .success(object) : .failure(Problems(list: problems))
  }

  /// The problems of one row.
  struct Problems: Error {
    let list: [ImportProblem]
  }

  /// Why a cell could not be read.
  struct CellProblem: Error {
    let rule: String
  }

  /// A cell's value for `kind`: nil for an empty cell.
  static func read(_ cell: SpreadsheetCell, as kind: TemplateColumn.Kind, words: ConsoleWords) -> Result<
    Any?, CellProblem
  > {
    if case .formula = cell { return .failure(CellProblem(rule: "应填写值，不能是公式（请复制后“只粘贴数值”）")) }
    if case .empty = cell { return .success(nil) }
    let text = shown(cell).trimmingCharacters(in: .whitespacesAndNewlines)
    if text.isEmpty { return .success(nil) }
    switch kind {
    case .text:
      return .success(text)
    case .integer:
      switch cell {
      case .integer(let value) where value >= 0: return .success(value)
      case .decimal(let value) where value >= 0 && value == value.rounded() && value < 2e9:
        return .success(Int64(value))
      default:
        guard let value = Int64(text), value >= 0 else { return .failure(CellProblem(rule: "应为不小于 0 的整数")) }
        return .success(value)
      }
    case .decimal:
      switch cell {
      case .integer(let value): return .success(Double(value))
      case .decimal(let value): return .success(value)
      default:
        guard let value = Double(text), value.isFinite else { return .failure(CellProblem(rule: "应为数字")) }
        return .success(value)
      }
    case .date:
      guard let date = date(cell) else {
        return .failure(CellProblem(rule: "应为日期，如 2026-11-30、2026/11/30 或 2026年11月30日"))
      }
      return .success(["year": date.year, "month": date.month, "day": date.day])
    case .choice(let prefix):
      let values = words.enums.keys.filter { $0.hasPrefix(prefix) && !$0.hasSuffix("_UNSPECIFIED") }.sorted()
      let bare = text.filter { !$0.isWhitespace }
      if let value = values.first(where: { words.label($0).filter { !$0.isWhitespace } == bare || $0 == text }) {
        return .success(value)
      }
      return .failure(
        CellProblem(rule: "应为以下之一：" + values.map { words.label($0) }.joined(separator: "、")))
    case .skills:
      var keys: [String] = []
      for part in split(text) {
        guard let key = words.skills.first(where: { $0.value == part || $0.key == part })?.key else {
          return .failure(
            CellProblem(rule: "技能“\(part)”不在技能表中，可选：" + words.skills.values.sorted().joined(separator: "、")))
        }
        keys.append(key)
      }
      return .success(keys)
    case .list:
      return .success(split(text))
    case .weekdays:
      guard let days = weekdays(text) else {
        return .failure(CellProblem(rule: "应为星期，如 周一至周五、周一、周三 或 1-5"))
      }
      return .success(days)
    case .hours:
      let parts = text.replacingOccurrences(of: "—", with: "-").replacingOccurrences(of: "～", with: "-")
        .replacingOccurrences(of: "~", with: "-").split(separator: "-").map {
          $0.trimmingCharacters(in: .whitespaces)
        }
      guard parts.count == 2, parts.allSatisfy(isClock) else {
        return .failure(CellProblem(rule: "应为时段，如 08:00-18:00"))
      }
      return .success(["start": parts[0], "end": parts[1]])
    case .point:
      let parts = text.replacingOccurrences(of: "，", with: ",").split(separator: ",").map {
        Double($0.trimmingCharacters(in: .whitespaces))
      }
      guard parts.count == 2, let longitude = parts[0], let latitude = parts[1] else {
        return .failure(CellProblem(rule: "应为“经度,纬度”，如 118.7969,32.0603"))
      }
      return .success(["longitude": longitude, "latitude": latitude])
    }
  }

  /// A cell as the report shows the value found.
  static func shown(_ cell: SpreadsheetCell) -> String {
    switch cell {
    case .empty: ""
    case .text(let text): text
    case .integer(let value): String(value)
    case .decimal(let value): value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    case .date(let year, let month, let day): String(format: "%04d-%02d-%02d", year, month, day)
    case .dateTime(let date): ISO8601DateFormatter().string(from: date)
    case .formula(let text): "=" + text
    }
  }

  /// A date from a date cell, an Excel serial number (1900 system, 1 = 1900-01-01, with Excel's
  /// fictional 1900-02-29), or text in the forms `TemplateColumn.Kind.date` lists.
  static func date(_ cell: SpreadsheetCell) -> (year: Int, month: Int, day: Int)? {
    switch cell {
    case .date(let year, let month, let day):
      return valid(year, month, day)
    case .dateTime(let date):
      var calendar = Calendar(identifier: .gregorian)
      calendar.timeZone = TimeZone(secondsFromGMT: 8 * 3600)!
      let parts = calendar.dateComponents([.year, .month, .day], from: date)
      return valid(parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
    case .integer(let serial) where (1...2_958_465).contains(serial) && String(serial).count != 8:
      return excelSerial(Int(serial))
    case .decimal(let serial) where (1...2_958_465).contains(serial):
      return excelSerial(Int(serial))
    default:
      var text = shown(cell).trimmingCharacters(in: .whitespaces)
      for (from, to) in [("年", "-"), ("月", "-"), ("日", ""), ("/", "-"), (".", "-")] {
        text = text.replacingOccurrences(of: from, with: to)
      }
      if text.hasSuffix("-") { text.removeLast() }
      let parts = text.split(separator: "-").map { Int($0) }
      if parts.count == 1, text.count == 8, let whole = parts[0] {
        return valid(whole / 10_000, whole / 100 % 100, whole % 100)
      }
      guard (2...3).contains(parts.count), parts.allSatisfy({ $0 != nil }) else { return nil }
      return valid(parts[0]!, parts[1]!, parts.count == 3 ? parts[2]! : 1)
    }
  }

  /// Excel's 1900 date system: serial 1 is 1900-01-01, serial 60 the 1900-02-29 that never was
  /// (kept by Excel for Lotus 1-2-3), so serials from 61 on are one day ahead of the calendar.
  static func excelSerial(_ serial: Int) -> (year: Int, month: Int, day: Int)? {
    guard serial != 60 else { return nil }
    let days = serial < 60 ? serial - 1 : serial - 2
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(secondsFromGMT: 0)!
    guard let start = calendar.date(from: DateComponents(year: 1900, month: 1, day: 1)),
      let date = calendar.date(byAdding: .day, value: days, to: start)
    else { return nil }
    let parts = calendar.dateComponents([.year, .month, .day], from: date)
    return (parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
  }

  static func valid(_ year: Int, _ month: Int, _ day: Int) -> (year: Int, month: Int, day: Int)? {
    guard (1900...2200).contains(year), (1...12).contains(month), (1...31).contains(day) else { return nil }
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(secondsFromGMT: 0)!
    let components = DateComponents(year: year, month: month, day: day)
    guard let date = calendar.date(from: components), calendar.component(.day, from: date) == day else { return nil }
    return (year, month, day)
  }

  static func split(_ text: String) -> [String] {
    text.split { "、,，;；/ \n".contains($0) }.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
  }

  static let dayNames: [Character: Int] = ["一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "日": 7, "天": 7]

  /// Weekdays 1 (Monday) to 7 (Sunday), in order, from `周一至周五`, `周一、周三`, `1-5`, `1,3,5`
  /// or `每天`; nil when the text says none of these.
  static func weekdays(_ text: String) -> [Int]? {
    let cleaned = text.replacingOccurrences(of: "星期", with: "周").replacingOccurrences(of: "礼拜", with: "周")
    if ["每天", "每日", "全周"].contains(cleaned) { return Array(1...7) }
    func day(_ part: Substring) -> Int? {
      let trimmed = part.trimmingCharacters(in: .whitespaces)
      if let number = Int(trimmed) { return (1...7).contains(number) ? number : nil }
      guard trimmed.hasPrefix("周"), trimmed.count == 2, let last = trimmed.last else { return nil }
      return dayNames[last]
    }
    var days = Set<Int>()
    for part in cleaned.split(whereSeparator: { "、,，;； ".contains($0) }) {
      let range = part.replacingOccurrences(of: "至", with: "-").replacingOccurrences(of: "到", with: "-")
        .split(separator: "-")
      if range.count == 2 {
        guard let first = day(range[0]), let last = day(range[1]), first <= last else { return nil }
        days.formUnion(first...last)
      } else {
        guard range.count == 1, let single = day(range[0]) else { return nil }
        days.insert(single)
      }
    }
    return days.isEmpty ? nil : days.sorted()
  }

  static func isClock(_ text: String) -> Bool {
    let parts = text.split(separator: ":")
    guard parts.count == 2, let hour = Int(parts[0]), let minute = Int(parts[1]), parts[1].count == 2 else {
      return false
    }
    return (0...24).contains(hour) && (0...59).contains(minute)
  }

  /// Puts `value` at `path` in `object` (`duties.0.gridCode` makes `duties` an array of one
  /// object); a `hours` value's `start` and `end` go into the object at `path`.
  static func put(_ value: Any, at path: String, kind: TemplateColumn.Kind, in object: inout [String: Any]) {
    let parts = path.split(separator: ".").map(String.init)
    func place(_ parts: ArraySlice<String>, into container: Any?) -> Any {
      guard let first = parts.first else {
        if kind == .hours, let hours = value as? [String: Any] {
          var merged = container as? [String: Any] ?? [:]
          merged.merge(hours) { $1 }
          return merged
        }
        return value
      }
      if let index = Int(first) {
        var array = container as? [Any] ?? []
        while array.count <= index { array.append([String: Any]()) }
        array[index] = place(parts.dropFirst(), into: array[index])
        return array
      }
      var dictionary = container as? [String: Any] ?? [:]
      dictionary[first] = place(parts.dropFirst(), into: dictionary[first])
      return dictionary
    }
    object = place(parts[...], into: object) as? [String: Any] ?? object
  }
}

/// Why a file cannot be imported at all; nothing of it is written.
enum ImportFileError: Error, Equatable, Sendable {
  case spreadsheet(SpreadsheetError)
  case missingColumns([String])
  case unknownRegister(String)

  /// The reason in Chinese, as the console shows it.
  var chinese: String {
    switch self {
    case .spreadsheet(let error): error.chinese
    case .missingColumns(let columns): "缺少必填列：" + columns.joined(separator: "、") + "（请使用下载的模板）"
    case .unknownRegister(let name): "没有名为“\(name)”的台账"
    }
  }

  /// The same in English.
  var english: String {
    switch self {
    case .spreadsheet(let error): error.english
    case .missingColumns(let columns): "the header lacks the required columns " + columns.joined(separator: ", ")
    case .unknownRegister(let name): "no register named \(name)"
    }
  }
}
