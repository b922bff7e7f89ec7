import Foundation
import GRDB
import GovernanceAPI
import SwiftProtobuf
import Synchronization

/// A protobuf message kept whole in a BLOB column beside the columns a store indexes and queries,
/// so that every field a caller sent survives even before the store gives it a column of its own.
public enum StoredMessage {
  // Inlinable, here and in `fetch` and `list`, so that each service compiles them for its own
  // message types: called generically across the module, every record decoded paid for
  // runtime lookups of its type's metadata (a few per cent of a list's profile).
  @inlinable
  public static func encode(_ message: some SwiftProtobuf.Message) throws -> Data {
    var options = BinaryEncodingOptions()
    options.useDeterministicOrdering = true
    return try message.serializedData(options: options)
  }

  @inlinable
  public static func decode<M: SwiftProtobuf.Message>(_ type: M.Type, from data: Data) throws -> M {
    try M(serializedBytes: data)
  }
}

/// The shape every record table shares: a text `id` key, the queried columns the store declares,
/// the whole message in `record`, and who created and last changed it, when.
public enum RecordTable {
  /// Creates `name` with the shared columns around the store's own `columns`.
  public static func create(
    _ db: Database, name: String, columns: (TableDefinition) -> Void
  ) throws {
    try db.create(table: name) { table in
      table.primaryKey("id", .text)
      columns(table)
      table.column("record", .blob).notNull()
      table.column("created_at", .datetime).notNull()
      table.column("created_by", .text).notNull()
      table.column("updated_at", .datetime).notNull()
      table.column("updated_by", .text).notNull()
    }
  }

  /// Inserts a new record: `columns` are the store's queried columns, by name.
  static func insert(
    _ db: Database, into name: String, id: String, record: some SwiftProtobuf.Message,
    columns: KeyValuePairs<String, (any DatabaseValueConvertible)?>, by principal: Principal, at time: Date
  ) throws {
    if let code = columns.first(where: { $0.key == "division_code" })?.value as? String {
      try Jurisdiction.checkWritable(code, by: principal)
    }
    let names = ["id"] + columns.map(\.key) + ["record", "created_at", "created_by", "updated_at", "updated_by"]
    var values: [(any DatabaseValueConvertible)?] = [id]
    values += columns.map(\.value)
    let stamp = AuditTime.databaseValue(of: time)
    values += [try StoredMessage.encode(record), stamp, principal.description, stamp, principal.description]
    let placeholders = Array(repeating: "?", count: names.count).joined(separator: ", ")
    // Prepared once per connection and table: bulk imports insert a great many rows this way.
    try db.cachedStatement(sql: "INSERT INTO \(name) (\(names.joined(separator: ", "))) VALUES (\(placeholders))")
      .execute(arguments: StatementArguments(values))
  }

  /// The record with `id`, or nil.
  @inlinable @usableFromInline
  static func fetch<M: SwiftProtobuf.Message>(_ db: Database, from name: String, id: String, as type: M.Type)
    throws -> M?
  {
    guard let data = try fetchStored(db, from: name, id: id) else { return nil }
    return try StoredMessage.decode(type, from: data)
  }

  /// The stored bytes of the record with `id` in table `name`, or nil.
  @usableFromInline
  static func fetchStored(_ db: Database, from name: String, id: String) throws -> Data? {
    // Prepared once per connection and table: reads by id are the commonest call there is.
    let statement = try db.cachedStatement(sql: "SELECT record FROM \(name) WHERE id = ?")
    return try Data.fetchOne(statement, arguments: [id])
  }
}

/// A resource with a server-assigned id and an audit stamp; every service's resource messages
/// conform, so that creating one is written once.
public protocol AuditedRecord: SwiftProtobuf.Message {
  var id: String { get set }
  var audit: Governance_Common_V1_AuditStamp { get set }
}

/// A resource kept in its own record table (see docs/STORAGE.md): the type declares where it is
/// stored and what it is called, so a store names the type, never a table or a resource string.
///
/// Declared beside the record's migration, in each service's `Store/<Service>Records.swift`.
public protocol StoredRecord: AuditedRecord {
  /// The table holding the records (`grid_case`).
  static var table: String { get }
  /// The prefix of a new record's id (`case`, making `case_01J…`).
  static var idPrefix: String { get }
  /// What NOT_FOUND calls a missing record (`case`).
  static var resourceName: String { get }
  /// The queried columns the migration gave the table, by name, with this record's values; a
  /// `division_code` column is held to the writer's jurisdiction.
  var indexedColumns: KeyValuePairs<String, (any DatabaseValueConvertible)?> { get }
}

extension RecordTable {
  /// Gives a validated `record` its new id (its type's prefix and a ULID) and its creation stamp,
  /// inserts it with its indexed columns, and returns it as stored. Throws PERMISSION_DENIED for
  /// a division outside the writer's jurisdiction.
  public static func insertNew<Record: StoredRecord>(
    _ db: Database, _ record: Record, by principal: Principal, at time: Date
  ) throws -> Record {
    var stored = record
    stored.id = RecordID.make(prefix: Record.idPrefix, at: time)
    stored.audit = .created(at: time, by: principal)
    try insert(
      db, into: Record.table, id: stored.id, record: stored, columns: stored.indexedColumns, by: principal, at: time)
    return stored
  }

  /// The record of type `type` with `id`, or nil.
  @inlinable
  public static func fetch<Record: StoredRecord>(_ db: Database, _ type: Record.Type, id: String) throws -> Record? {
    try fetch(db, from: Record.table, id: id, as: type)
  }

  /// The stored bytes of the record of type `type` with `id`, or nil: for an answer that sends
  /// them on as they are (`EncodedMessage`).
  public static func fetchStored<Record: StoredRecord>(_ db: Database, _ type: Record.Type, id: String) throws
    -> Data?
  {
    try fetchStored(db, from: Record.table, id: id)
  }

  /// The record of type `type` with `id`; NOT_FOUND naming the type's resource otherwise.
  public static func fetchRequired<Record: StoredRecord>(_ db: Database, _ type: Record.Type, id: String) throws
    -> Record
  {
    try fetch(db, from: Record.table, id: id, as: type).orNotFound(id: id)
  }

  /// Rewrites a stored record and its indexed columns, stamping who changed it and when.
  public static func update<Record: StoredRecord>(
    _ db: Database, _ record: Record, by principal: Principal, at time: Date
  ) throws -> Record {
    try update(db, in: Record.table, resource: Record.resourceName, record: record, by: principal, at: time) {
      $0.indexedColumns
    }
  }

  /// One page of records of type `type` matching `filter`, in `order`, and the token of the next
  /// page (which goes on in the same order). Throws INVALID_ARGUMENT naming `page_token` for a
  /// token of a list in another order.
  @inlinable
  public static func list<Record: StoredRecord>(
    _ db: Database, _ type: Record.Type, filter: RecordFilter, page: PageRequest, order: ListOrder = .creation
  ) throws -> (records: [Record], nextPageToken: String) {
    try list(db, from: Record.table, as: type, filter: filter, page: page, order: order, idPrefix: Record.idPrefix)
  }
}

extension DatabaseMigrator {
  /// A service's migrator, starting with what every service's database holds: the idempotency
  /// ledger. The service appends its own migrations.
  public static var governance: DatabaseMigrator {
    var migrator = DatabaseMigrator()
    IdempotencyLedger.registerMigration(in: &migrator)
    return migrator
  }
}

extension RecordTable {
  /// Rewrites a stored record and its queried columns, stamping who changed it and when; the
  /// record keeps its creation stamp.
  static func update<Record: AuditedRecord>(
    _ db: Database, in name: String, resource: String, record: Record, by principal: Principal, at time: Date,
    columns: (Record) -> KeyValuePairs<String, (any DatabaseValueConvertible)?>
  ) throws -> Record {
    var stored = record
    stored.audit.updateTime = Google_Protobuf_Timestamp(date: time)
    stored.audit.updatedBy = principal.description
    let pairs = columns(stored)
    // A record is changed only by someone whose jurisdiction holds it, before and after.
    if let code = pairs.first(where: { $0.key == "division_code" })?.value as? String {
      try Jurisdiction.checkWritable(code, by: principal)
      if let current = try String.fetchOne(
        db.cachedStatement(sql: "SELECT division_code FROM \(name) WHERE id = ?"), arguments: [stored.id])
      {
        try Jurisdiction.checkWritable(current, by: principal)
      }
    }
    let assignments = (pairs.map { "\($0.key) = ?" } + ["record = ?", "updated_at = ?", "updated_by = ?"])
      .joined(separator: ", ")
    var values: [(any DatabaseValueConvertible)?] = pairs.map(\.value)
    values += [try StoredMessage.encode(stored), time, principal.description, stored.id]
    // One statement a table and set of columns, a few in all: prepared once per connection.
    try db.cachedStatement(sql: "UPDATE \(name) SET \(assignments) WHERE id = ?")
      .execute(arguments: StatementArguments(values))
    guard db.changesCount == 1 else {
      throw DomainError.notFound(resource: RuleText(verbatim: resource), id: stored.id)
    }
    return stored
  }

  /// One page of records matching `filter`, in `order`, and the token of the next page: where
  /// the page's last record stands in that order (its id and, for a column, its value), after
  /// which the next page goes on. Records without a value (NULL) come last, either way.
  @inlinable @usableFromInline
  static func list<Record: SwiftProtobuf.Message>(
    _ db: Database, from name: String, as type: Record.Type, filter: RecordFilter, page: PageRequest,
    order: ListOrder = .creation, idPrefix: String? = nil
  ) throws -> (records: [Record], nextPageToken: String) {
    let (stored, next) = try listStored(
      db, from: name, filter: filter, page: page, order: order, idPrefix: idPrefix)
    return (try stored.map { try StoredMessage.decode(type, from: $0) }, next)
  }

  /// One page of stored records, as `list` finds them, left in their binary encoding: for an
  /// answer that sends them on as they are (`EncodedMessage`).
  public static func listStored<Record: StoredRecord>(
    _ db: Database, _ type: Record.Type, filter: RecordFilter, page: PageRequest, order: ListOrder = .creation
  ) throws -> (records: [Data], nextPageToken: String) {
    try listStored(db, from: Record.table, filter: filter, page: page, order: order, idPrefix: Record.idPrefix)
  }

  /// The most arguments a list's statement has and is still kept prepared (`listStored`): every
  /// filter of the services' lists together takes fewer, unless one repeats values.
  static let cachedListArguments = 24

  @usableFromInline
  static func listStored(
    _ db: Database, from name: String, filter: RecordFilter, page: PageRequest, order: ListOrder, idPrefix: String?
  ) throws -> (records: [Data], nextPageToken: String) {
    var conditions = filter.conditions
    var arguments = filter.arguments
    let sortsByColumn = order.column != "id"
    if let after = try page.position(in: order, idPrefix: idPrefix) {
      let id = order.descending ? "id < ?" : "id > ?"
      if !sortsByColumn {
        conditions.append(id)
        arguments.append(after.id.databaseValue)
      } else if after.value.isNull {
        // NULL comes last either way: after a NULL only NULLs remain.
        conditions.append("(\(order.column) IS NULL AND \(id))")
        arguments.append(after.id.databaseValue)
      } else {
        let beyond = order.descending ? "<" : ">"
        conditions.append(
          "(\(order.column) \(beyond) ? OR \(order.column) IS NULL OR (\(order.column) = ? AND \(id)))")
        arguments += [after.value, after.value, after.id.databaseValue]
      }
    }
    let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
    arguments.append((page.size + 1).databaseValue)
    let direction = order.descending ? " DESC" : ""
    let orderClause =
      sortsByColumn ? "\(order.column) IS NULL, \(order.column)\(direction), id\(direction)" : "id\(direction)"
    // Prepared once per connection and shape of filter (the values are arguments), and read by
    // column number from a cursor: preparing the statement and copying each row, names and all,
    // were a fifth of ListCases' time on the database (docs/PERFORMANCE.md, eighth round). A
    // filter with many values (an IN list a caller may repeat at will) is prepared afresh, so that
    // no caller can fill the cache with shapes.
    let sql = """
      SELECT id, \(sortsByColumn ? order.column : "NULL") AS sort_value, record FROM \(name) \(whereClause) \
      ORDER BY \(orderClause) LIMIT ?
      """
    let statement =
      arguments.count <= Self.cachedListArguments ? try db.cachedStatement(sql: sql) : try db.makeStatement(sql: sql)
    let rows = try Row.fetchCursor(statement, arguments: StatementArguments(arguments))
    // A page ends at its size or once its stored records reach `maximumBytes`, whichever comes
    // first (at least one record), so no answer nears the 4 MiB message limit. A row read past
    // the page's end means another page follows, after the page's last record.
    var records: [Data] = []
    var bytes = 0
    var last: (id: String, value: DatabaseValue)?
    while let row = try rows.next() {
      guard records.count < page.size else {
        guard let last else { break }
        return (records, PageRequest.token(after: last.id, in: order, value: last.value))
      }
      let stored: Data = row[2]
      guard PageRequest.takes(stored.count, after: bytes, count: records.count) else {
        guard let last else { break }
        return (records, PageRequest.token(after: last.id, in: order, value: last.value))
      }
      bytes += stored.count
      records.append(stored)
      last = (row[0], row[1])
    }
    return (records, "")
  }
}

/// The WHERE conditions of a list, built from a request's filters.
public struct RecordFilter: Sendable {
  public private(set) var conditions: [String] = []
  public private(set) var arguments: [DatabaseValue] = []

  public init() {}

  /// Adds `condition` (with `?` placeholders) when `applies`.
  public mutating func add(_ condition: String, _ values: (any DatabaseValueConvertible)?..., when applies: Bool = true)
  {
    guard applies else { return }
    conditions.append(condition)
    arguments += values.map { $0?.databaseValue ?? .null }
  }

  /// Restricts `column`, an ISO date (YYYY-MM-DD), to the days from `from` to `to`, both ends
  /// included, each when given. Throws INVALID_ARGUMENT naming `from_date` or `to_date` for a
  /// date that is not a real one.
  public mutating func dates(
    _ column: String, from: Governance_Common_V1_Date?, to: Governance_Common_V1_Date?
  ) throws(DomainError) {
    if let from {
      try CalendarDate.validate(from, field: "from_date")
      add("\(column) >= ?", CalendarDate.iso(from))
    }
    if let to {
      try CalendarDate.validate(to, field: "to_date")
      add("\(column) <= ?", CalendarDate.iso(to))
    }
  }

  /// Adds `column IN (...)` for `values`, when there are any.
  public mutating func add(_ column: String, in values: [any DatabaseValueConvertible]) {
    guard !values.isEmpty else { return }
    conditions.append("\(column) IN (\(values.map { _ in "?" }.joined(separator: ", ")))")
    arguments += values.map(\.databaseValue)
  }

  /// How a query reads what a prefix selects: a list wants its first page, statistics want
  /// every record under the prefix.
  public enum PrefixScan: Sendable {
    case firstPage
    case everything
  }

  /// Restricts to a jurisdiction: codes starting with `prefix`, held to the current caller's
  /// jurisdiction (no prefix is the caller's whole jurisdiction). Returns the prefix applied.
  ///
  /// With `contextAbove`, records registered at the divisions above it are listed too, as
  /// `Jurisdiction.readable` lets them be read: a district's property companies and evaluation
  /// periods for its streets and communities.
  @discardableResult
  public mutating func divisionPrefix(
    _ prefix: String, column: String = "division_code", scan: PrefixScan = .firstPage, contextAbove: Bool = false
  ) throws(DomainError) -> String {
    guard prefix.utf8.count <= 18, prefix.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
      throw DomainError.invalidArgument(field: "division_prefix", rule: "digits of a division code, got '\(prefix)'")
    }
    let applied = try Jurisdiction.narrow(prefix, for: Principal.current)
    guard !applied.isEmpty else { return applied }
    // GLOB, unlike LIKE, is case-sensitive and so can use the index on the code column. A list
    // under a street or wider finds its first page sooner by walking the records in id order
    // than by gathering the whole range from the index and sorting it (the unary + tells SQLite
    // not to use the index).
    let walksInIDOrder = scan == .firstPage && applied.count < 12
    guard contextAbove else {
      add("\(walksInIDOrder ? "+" : "")\(column) GLOB ?", applied + "*")
      return applied
    }
    let above = Jurisdiction.ancestors(of: applied)
    conditions.append("(\(column) GLOB ? OR \(column) IN (\(above.map { _ in "?" }.joined(separator: ", "))))")
    arguments += [(applied + "*").databaseValue] + above.map(\.databaseValue)
    return applied
  }
}

/// The order a list runs in, asked by its request's `order_by` (AIP-132): one field, ascending
/// unless followed by ` desc`. Every list offers `create_time`, the order of creation (also what
/// an empty `order_by` means), and the fields its store names, each sorted by a column; records
/// of equal value run in the order of creation (reversed with `desc`), records without a value
/// last either way.
public struct ListOrder: Sendable, Equatable {
  /// The column sorted by: `id` for the order of creation.
  public let column: String
  public let descending: Bool
  /// The order as `order_by` writes it (`""` for the order of creation), recorded in page tokens.
  public let orderBy: String

  /// The order of creation, oldest first.
  public static let creation = ListOrder(column: "id", descending: false, orderBy: "")

  private init(column: String, descending: Bool, orderBy: String) {
    self.column = column
    self.descending = descending
    self.orderBy = orderBy
  }

  /// The rule "a list runs in the order of creation or by one field its store offers, ascending or
  /// descending": the order `orderBy` asks for, `fields` giving each offered field's column.
  /// Throws INVALID_ARGUMENT naming `order_by` for another field or form.
  public init(_ orderBy: String, fields: KeyValuePairs<String, String> = [:]) throws(DomainError) {
    let words = orderBy.split(separator: " ", omittingEmptySubsequences: true)
    let field = words.first.map(String.init) ?? "create_time"
    let direction = words.count > 1 ? String(words[1]) : "asc"
    let column = field == "create_time" ? "id" : fields.first { $0.key == field }?.value
    guard let column, words.count <= 2, direction == "asc" || direction == "desc" else {
      let offered = (["create_time"] + fields.map(\.key)).joined(separator: ", ")
      throw DomainError.invalidArgument(
        field: "order_by", rule: "one of \(offered), then \"desc\" for the reverse, got '\(orderBy)'")
    }
    let descending = direction == "desc"
    self.init(
      column: column, descending: descending,
      orderBy: column == "id" && !descending ? "" : "\(field)\(descending ? " desc" : "")")
  }
}

/// A List request's page: its size (default 50, at most 500, and at most 1 MiB of records) and
/// where the previous page ended.
public struct PageRequest: Sendable, Equatable {
  public static let defaultSize = 50
  public static let maximumSize = 500
  /// The stored bytes a page holds at most: a page is cut short (with a next page token) before
  /// its records pass 1 MiB, a quarter of the message limit, leaving room for JSON's longer form.
  public static let maximumBytes = 1024 * 1024

  /// The rule "a page ends at its size or at 1 MiB of stored records, and holds at least one":
  /// whether a page of `count` records taking `used` bytes takes one more of `next` bytes.
  @inlinable
  public static func takes(_ next: Int, after used: Int, count: Int) -> Bool {
    count == 0 || used + next <= maximumBytes
  }

  public let size: Int
  public let afterID: String?

  /// A page of records; lists of bare keys (a few bytes each) take larger pages.
  public init(
    pageSize: Int32, pageToken: String, defaultSize: Int = Self.defaultSize, maximumSize: Int = Self.maximumSize
  ) throws(DomainError) {
    guard pageSize >= 0 else {
      throw DomainError.invalidArgument(field: "page_size", rule: "must not be negative, got \(pageSize)")
    }
    size = pageSize == 0 ? defaultSize : min(Int(pageSize), maximumSize)
    if pageToken.isEmpty {
      afterID = nil
    } else {
      guard let data = Data(base64Encoded: pageToken), let text = String(data: data, encoding: .utf8),
        text.hasPrefix("after:"), text.count > 6
      else {
        throw DomainError.invalidArgument(field: "page_token", rule: "is not a token from a previous page")
      }
      afterID = String(text.dropFirst(6))
    }
  }

  /// The opaque token of the page after the record `id`.
  public static func token(after id: String) -> String {
    Data("after:\(id)".utf8).base64EncodedString()
  }

  /// Where a list of one kind of record in the order of creation ended: the last record's id, or
  /// nil on a first page. Throws INVALID_ARGUMENT naming `page_token` for a token of a list in
  /// another order, or of another list (its id lacks `idPrefix`).
  public func afterID(idPrefix: String) throws(DomainError) -> String? {
    try position(in: .creation, idPrefix: idPrefix)?.id
  }

  /// Separates the parts of a token of a list in an order other than creation's.
  @usableFromInline static let separator = "\u{1F}"

  /// The token of the page after the record `id` whose sort value is `value`, in `order`: the
  /// id, the order, and the value tagged by its type (`n` NULL, `i` integer, `d` real, `s` text).
  @usableFromInline
  static func token(after id: String, in order: ListOrder, value: DatabaseValue) -> String {
    guard order != .creation else { return token(after: id) }
    let tagged: String =
      switch value.storage {
      case .null: "n"
      case .int64(let integer): "i\(integer)"
      case .double(let real): "d\(real)"
      case .string(let text): "s\(text)"
      case .blob(let bytes): "b\(bytes.base64EncodedString())"
      }
    return token(after: [id, order.orderBy, tagged].joined(separator: separator))
  }

  /// Where the previous page ended in `order`: the last record's id and sort value (NULL when
  /// the list is in the order of creation), or nil on a first page. Throws INVALID_ARGUMENT
  /// naming `page_token` for a token of the same list in another order, or of another list
  /// (its id lacks the records' `idPrefix`).
  @usableFromInline
  func position(in order: ListOrder, idPrefix: String? = nil) throws(DomainError) -> (id: String, value: DatabaseValue)?
  {
    guard let afterID else { return nil }
    if let idPrefix, !afterID.hasPrefix(idPrefix + "_") {
      throw DomainError.invalidArgument(field: "page_token", rule: "is not a token from a previous page")
    }
    // The value, last, may hold anything, the separator too.
    let parts = afterID.split(separator: Self.separator, maxSplits: 2, omittingEmptySubsequences: false).map(
      String.init)
    let tokenOrder = parts.count == 3 ? parts[1] : ""
    guard tokenOrder == order.orderBy, parts.count == 1 || parts.count == 3 else {
      throw DomainError.invalidArgument(
        field: "page_token", rule: "belongs to the list in the order '\(tokenOrder)', not '\(order.orderBy)'")
    }
    guard parts.count == 3 else { return (parts[0], .null) }
    // The tag is one ASCII letter; the body is read by scalars, so a value that starts with a
    // combining mark is not merged into the tag.
    let tagged = parts[2].unicodeScalars
    let body = String(String.UnicodeScalarView(tagged.dropFirst()))
    let value: DatabaseValue? =
      switch tagged.first {
      case "n": .null
      case "i": Int64(body).map(\.databaseValue)
      case "d": Double(body).map(\.databaseValue)
      case "s": body.databaseValue
      case "b": Data(base64Encoded: body).map(\.databaseValue)
      default: nil
      }
    guard let value else {
      throw DomainError.invalidArgument(field: "page_token", rule: "is not a token from a previous page")
    }
    return (parts[0], value)
  }
}

/// The paths of an Update request's field mask, checked against the fields that request may
/// change: an empty mask or an unknown path is INVALID_ARGUMENT naming `update_mask`.
public func updatePaths(_ mask: Google_Protobuf_FieldMask, allowed: Set<String>) throws(DomainError) -> [String] {
  guard !mask.paths.isEmpty else {
    throw DomainError.invalidArgument(
      field: "update_mask", rule: "name the fields to change, from \(allowed.sorted().joined(separator: ", "))")
  }
  for path in mask.paths where !allowed.contains(path) {
    throw DomainError.invalidArgument(
      field: "update_mask",
      rule: "'\(path)' cannot be changed here; allowed: \(allowed.sorted().joined(separator: ", "))")
  }
  return mask.paths
}

/// The stored form of an audit time: GRDB's text for a date, "yyyy-MM-dd HH:mm:ss.SSS" in UTC
/// to the nearest millisecond (what `Date.databaseValue` writes, through a Foundation
/// `DateFormatter`). Written here by arithmetic: GRDB's formatter was 3 % of every
/// write of a record, and every record is stamped twice.
enum AuditTime {
  static func databaseValue(of time: Date) -> DatabaseValue {
    text(of: time).databaseValue
  }

  /// The text for `time`, as GRDB writes it, for instants from 1600 to 9999; others go through
  /// GRDB's formatter (whose calendar is Julian before 1582).
  static func text(of time: Date) -> String {
    let seconds = time.timeIntervalSince1970
    guard seconds >= -11_676_096_000, seconds < 253_402_300_800 else {
      return String.fromDatabaseValue(time.databaseValue) ?? ""
    }
    // Foundation's formatter counts milliseconds from its own epoch moved to 1970, half a
    // millisecond added and cut off: so is it done here, floating point and all.
    let milliseconds = Int64(((time.timeIntervalSinceReferenceDate + 978_307_200) * 1000 + 0.5).rounded(.down))
    let days = (milliseconds >= 0 ? milliseconds : milliseconds - 86_399_999) / 86_400_000
    let ofDay = milliseconds - days * 86_400_000
    let (year, month, day) = CalendarDate.civil(daysSinceEpoch: days)
    func pad(_ value: Int64, _ width: Int) -> String { CalendarDate.padded(value, width) }
    return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2)) \(pad(ofDay / 3_600_000, 2)):"
      + "\(pad(ofDay / 60_000 % 60, 2)):\(pad(ofDay / 1000 % 60, 2)).\(pad(ofDay % 1000, 3))"
  }
}

extension SwiftProtobuf.Message {
  /// This message with the fields `paths` name (proto field names, checked by `updatePaths`)
  /// taken from `changes`: swift-protobuf's `merge(from:fieldMask:)`, a repeated field replaced
  /// rather than appended to, a named scalar absent from `changes` reset to its default.
  ///
  /// A singular message field named but absent from `changes` is left as it was, so an update
  /// whose mask may clear a date or time keeps its own field-by-field copy.
  public func merging(_ changes: Self, paths: [String]) throws -> Self {
    var merged = self
    var options = Google_Protobuf_FieldMask.MergeOptions()
    options.replaceRepeatedFields = true
    try merged.merge(from: changes, fieldMask: Google_Protobuf_FieldMask(protoPaths: paths), mergeOption: options)
    return merged
  }
}
