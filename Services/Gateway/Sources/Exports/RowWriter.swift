import Foundation
import GRPCCore
import GovernanceAPI
import ServiceKit
import SwiftProtobuf

/// Turns listed records (proto3 JSON objects) into spreadsheet rows by an `ExportTable`'s
/// columns: labels for enum values, names for places and compounds (asked of the grid and
/// property services once per code and export, as the caller), dates and times as cells.
struct RowWriter: Sendable {
  let table: ExportTable
  let words: ConsoleWords
  let peers: PeerClients
  let principal: Principal
  let reveal: ExportController.RevealRequest?
  let names = NameBook()

  /// The rows of one page of `records`, `counted` rows having been written before it.
  /// - Throws: RESOURCE_EXHAUSTED when a revealing export passes `maximumRevealed` rows; a
  ///   reveal's refusal as the organisation service answers it.
  func cells(of records: [[String: Any]], counted: Int) async throws -> [[SpreadsheetCell]] {
    var records = records
    if let reveal {
      guard counted + records.count <= ExportController.maximumRevealed else {
        throw ConnectError(
          .resourceExhausted,
          "an export revealing contacts holds at most \(ExportController.maximumRevealed) rows: narrow the filters")
      }
      records = try await revealed(records, reason: reveal.reason)
    }
    try await learnNames(records)
    let known = await names.snapshot()
    return records.map { record in table.columns.map { Self.cell($0, of: record, names: known, words: words) } }
  }

  /// A column's cell for one record, with `names` of places and compounds and the console's
  /// `words`.
  static func cell(_ column: ExportColumn, of record: [String: Any], names: [String: String], words: ConsoleWords)
    -> SpreadsheetCell
  {
    var parent: Any? = record
    for part in column.path.dropLast() { parent = (parent as? [String: Any])?[part] }
    guard let holder = parent as? [String: Any] else { return .empty }
    guard let value = column.path.last.flatMap({ holder[$0] }), !(value is NSNull) else {
      // proto3 JSON leaves out a field holding its default: a number 0, a flag false. A message
      // not there at all (a case not yet evaluated) leaves its column empty instead.
      switch column.kind {
      case .integer: return .integer(0)
      case .decimal: return .decimal(0)
      case .flag: return .text("否")
      default: return .empty
      }
    }
    switch column.kind {
    case .text:
      return .text(Self.text(value))
    case .integer:
      if let number = value as? NSNumber { return .integer(number.int64Value) }
      if let text = value as? String, let number = Int64(text) { return .integer(number) }
      return .text(Self.text(value))
    case .decimal:
      if let number = value as? NSNumber { return .decimal(number.doubleValue) }
      if let text = value as? String, let number = Double(text) { return .decimal(number) }
      return .text(Self.text(value))
    case .label:
      let text = Self.text(value)
      return text.hasSuffix("_UNSPECIFIED") ? .empty : .text(words.label(text))
    case .time:
      guard let text = value as? String, !text.isEmpty else { return .empty }
      return Self.rfc3339(text).map { .dateTime($0) } ?? .text(text)
    case .date:
      guard let parts = value as? [String: Any], let year = (parts["year"] as? NSNumber)?.intValue, year > 0 else {
        return .empty
      }
      return .date(
        year: year, month: (parts["month"] as? NSNumber)?.intValue ?? 1, day: (parts["day"] as? NSNumber)?.intValue ?? 1
      )
    case .place, .compound:
      let code = Self.text(value)
      return code.isEmpty ? .empty : .text(names[code] ?? code)
    case .flag:
      return .text((value as? Bool ?? (value as? NSNumber)?.boolValue ?? false) ? "是" : "否")
    case .list:
      let items = (value as? [Any] ?? [value]).map { item -> String in
        let text = Self.text(item)
        return words.skills[text] ?? words.enums[text] ?? names[text] ?? text
      }
      return items.isEmpty ? .empty : .text(items.joined(separator: "、"))
    }
  }

  /// Asks for the names of the places and compounds of `records` not yet known.
  func learnNames(_ records: [[String: Any]]) async throws {
    var places = Set<String>()
    var compounds = Set<String>()
    for column in table.columns where [.place, .compound].contains(column.kind) || column.path.last == "gridCodes" {
      for record in records {
        var value: Any? = record
        for part in column.path { value = (value as? [String: Any])?[part] }
        let codes = (value as? [Any] ?? [value as Any]).compactMap { $0 as? String }.filter { !$0.isEmpty }
        for code in codes { column.kind == .compound ? compounds.insert(code) : places.insert(code) }
      }
    }
    try await learnNames(places: places, compounds: compounds)
  }

  /// Asks for the names of `places` (division and grid codes) and `compounds` (ids) not yet known.
  func learnNames(places: Set<String>, compounds: Set<String>) async throws {
    let wanted = await names.unknown(places.union(compounds))
    guard !wanted.isEmpty else { return }
    let grid = Governance_Grid_V1_GridService.Client(wrapping: peers.client(for: .grid))
    let property = Governance_Property_V1_PropertyService.Client(wrapping: peers.client(for: .property))
    let scope = principal.scope
    var found: [String: String] = [:]
    try await Principal.$current.withValue(principal) {
      // A few names are asked one by one; past `askedSingly` the whole register of that kind in
      // the caller's scope is read instead, a page of 500 at a time (a city's 18,000 grids in
      // 37 calls rather than 18,000).
      let wantedPlaces = wanted.filter { !compounds.contains($0) }
      let wantedCompounds = wanted.filter { compounds.contains($0) }
      let manyPlaces = await names.asked(.places, wantedPlaces.count)
      if manyPlaces {
        if await names.startBulk(.places) {
          found.merge(try await Self.allPlaces(grid, scope: scope)) { $1 }
        }
      } else {
        for code in wantedPlaces {
          // A name that cannot be read (gone, or outside the caller's scope) is shown as its code.
          if code.count == 12 {
            found[code] = (try? await grid.getDivision(.with { $0.divisionCode = code }))?.name ?? code
          } else if code.count > 12, code.allSatisfy(\.isNumber) {
            found[code] = (try? await grid.getGrid(.with { $0.gridCode = code }))?.name ?? code
          }
        }
      }
      let manyCompounds = await names.asked(.compounds, wantedCompounds.count)
      if manyCompounds {
        if await names.startBulk(.compounds) {
          found.merge(try await Self.allCompounds(property, scope: scope)) { $1 }
        }
      } else {
        for id in wantedCompounds {
          found[id] = (try? await property.getCompound(.with { $0.id = id }))?.name ?? id
        }
      }
    }
    // Codes no register holds are shown as they are, and not asked again.
    for code in wanted where found[code] == nil { found[code] = code }
    await names.learn(found)
  }

  /// Every division's and grid's name in `scope`.
  static func allPlaces(_ grid: Governance_Grid_V1_GridService.Client<some ClientTransport>, scope: String)
    async throws -> [String: String]
  {
    var names: [String: String] = [:]
    var token = ""
    repeat {
      let page = try await grid.listDivisions(
        .with {
          $0.divisionPrefix = scope
          $0.pageSize = 500
          $0.pageToken = token
        })
      for division in page.divisions { names[division.divisionCode] = division.name }
      token = page.nextPageToken
    } while !token.isEmpty
    repeat {
      let page = try await grid.listGrids(
        .with {
          $0.divisionPrefix = scope
          $0.pageSize = 500
          $0.pageToken = token
        })
      for each in page.grids { names[each.gridCode] = each.name }
      token = page.nextPageToken
    } while !token.isEmpty
    return names
  }

  /// Every compound's name in `scope`, by id.
  static func allCompounds(
    _ property: Governance_Property_V1_PropertyService.Client<some ClientTransport>, scope: String
  ) async throws -> [String: String] {
    var names: [String: String] = [:]
    var token = ""
    repeat {
      let page = try await property.listCompounds(
        .with {
          $0.divisionPrefix = scope
          $0.pageSize = 500
          $0.pageToken = token
        })
      for compound in page.compounds { names[compound.id] = compound.name }
      token = page.nextPageToken
    } while !token.isEmpty
    return names
  }

  /// `records` with their contacts whole, each revealed by `RevealContact` with `reason`.
  func revealed(_ records: [[String: Any]], reason: String) async throws -> [[String: Any]] {
    let organisation = Governance_Organisation_V1_OrganisationService.Client(
      wrapping: peers.client(for: .organisation))
    var out: [[String: Any]] = []
    out.reserveCapacity(records.count)
    try await Principal.$current.withValue(principal) {
      for var record in records {
        guard let id = record["id"] as? String, !id.isEmpty else {
          out.append(record)
          continue
        }
        let answer = try await organisation.revealContact(
          .with {
            $0.requestID = UUID().uuidString
            $0.subject = .partyMember
            $0.subjectID = id
            $0.reason = reason
          })
        record["contact"] = [
          "name": answer.contact.name, "phone": answer.contact.phone, "idNumber": answer.contact.idNumber,
        ]
        out.append(record)
      }
    }
    return out
  }

  /// A JSON value as text: strings as they are, numbers without a needless ".0".
  static func text(_ value: Any) -> String {
    switch value {
    case let text as String: return text
    case let number as NSNumber:
      // A JSON true or false arrives as an NSNumber of a C char.
      if String(cString: number.objCType) == "c" { return number.boolValue ? "true" : "false" }
      let double = number.doubleValue
      return double == double.rounded() && abs(double) < 1e15 ? String(Int64(double)) : String(double)
    default: return "\(value)"
    }
  }

  /// A time as proto3 JSON writes a `google.protobuf.Timestamp`: RFC 3339 in UTC,
  /// `2026-11-30T08:05:00Z` with 0, 3, 6 or 9 fractional digits. Nil for anything else. Parsed by
  /// hand: an export of a million cases reads millions of them.
  static func rfc3339(_ text: String) -> Date? {
    let bytes = Array(text.utf8)
    guard bytes.count >= 20, bytes.last == UInt8(ascii: "Z"), bytes[4] == UInt8(ascii: "-"),
      bytes[7] == UInt8(ascii: "-"), bytes[10] == UInt8(ascii: "T"), bytes[13] == UInt8(ascii: ":"),
      bytes[16] == UInt8(ascii: ":")
    else { return nil }
    func number(_ range: Range<Int>) -> Int? {
      var value = 0
      for index in range {
        let digit = Int(bytes[index]) - 48
        guard (0...9).contains(digit) else { return nil }
        value = value * 10 + digit
      }
      return value
    }
    guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
      let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
      (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
    else { return nil }
    var fraction = 0.0
    if bytes.count > 20 {
      guard bytes[19] == UInt8(ascii: "."), let digits = number(20..<(bytes.count - 1)) else { return nil }
      fraction = Double(digits) / pow(10, Double(bytes.count - 21))
    }
    // Days from 1970-01-01 to the civil date (the proleptic Gregorian calendar).
    let shifted = month <= 2 ? year - 1 : year
    let era = (shifted >= 0 ? shifted : shifted - 399) / 400
    let yearOfEra = shifted - era * 400
    let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
    let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
    let days = era * 146_097 + dayOfEra - 719_468
    let seconds = Double(days * 86_400 + hour * 3600 + minute * 60 + second) + fraction
    return Date(timeIntervalSince1970: seconds)
  }
}

/// The names learned during one export: code or id → name; and for each kind of name, how many
/// were asked one by one and whether the whole register was read.
actor NameBook {
  /// Names of one kind.
  enum Kind: Sendable { case places, compounds }

  /// Names asked one by one before the whole register of their kind is read instead.
  static let askedSingly = 200

  private var names: [String: String] = [:]
  private var asked: [Kind: Int] = [:]
  private var bulkRead: Set<Kind> = []

  func unknown(_ codes: Set<String>) -> [String] { codes.filter { names[$0] == nil }.sorted() }
  func learn(_ found: [String: String]) { names.merge(found) { $1 } }
  func snapshot() -> [String: String] { names }

  /// Counts `count` more names of `kind` to ask; true once they pass `askedSingly`.
  func asked(_ kind: Kind, _ count: Int) -> Bool {
    asked[kind, default: 0] += count
    return asked[kind, default: 0] > Self.askedSingly
  }

  /// Marks the register of `kind` read whole; false when it already was.
  func startBulk(_ kind: Kind) -> Bool { bulkRead.insert(kind).inserted }
}
