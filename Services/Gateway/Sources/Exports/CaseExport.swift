import Foundation
import GovernanceAPI
import SwiftProtobuf

/// The cases' export read from the typed messages rather than their JSON: the list a city exports
/// whole (a million archived cases), where turning every case into JSON and back would cost the
/// gateway most of its time. It writes exactly the columns `ExportTables` gives ListCases, in
/// their order (a test holds the two to the same cells).
enum CaseExport {
  static let method = "governance.grid.v1.GridService/ListCases"

  /// The labels of one enum's values, learned once from how proto3 JSON names them.
  struct Labels: Sendable {
    let status: [Int: String]
    let level: [Int: String]
    let source: [Int: String]
    let priority: [Int: String]

    init(words: ConsoleWords) {
      func table<Value: SwiftProtobuf.Enum & CaseIterable>(
        _ values: [Value], _ set: (inout Governance_Grid_V1_Case, Value) -> Void, key: String
      ) -> [Int: String] {
        var out: [Int: String] = [:]
        for value in values where value.rawValue != 0 {
          var probe = Governance_Grid_V1_Case()
          set(&probe, value)
          let json =
            (try? probe.jsonUTF8Data()).flatMap { try? JSONSerialization.jsonObject(with: $0) } as? [String: Any]
          if let name = json?[key] as? String { out[value.rawValue] = words.label(name) }
        }
        return out
      }
      status = table(Governance_Grid_V1_CaseStatus.allCases, { $0.status = $1 }, key: "status")
      level = table(Governance_Grid_V1_CaseLevel.allCases, { $0.resolvedLevel = $1 }, key: "resolvedLevel")
      source = table(Governance_Grid_V1_CaseSource.allCases, { $0.source = $1 }, key: "source")
      priority = table(Governance_Grid_V1_CasePriority.allCases, { $0.priority = $1 }, key: "priority")
    }
  }

  /// The place and compound codes a page names, for their names to be learned.
  static func codes(of cases: [Governance_Grid_V1_Case]) -> (places: Set<String>, compounds: Set<String>) {
    var places = Set<String>()
    var compounds = Set<String>()
    for each in cases {
      if !each.divisionCode.isEmpty { places.insert(each.divisionCode) }
      if !each.location.gridCode.isEmpty { places.insert(each.location.gridCode) }
      if !each.location.compoundID.isEmpty { compounds.insert(each.location.compoundID) }
    }
    return (places, compounds)
  }

  /// One case's row, in the columns of `ExportTables`' ListCases.
  static func cells(_ each: Governance_Grid_V1_Case, names: [String: String], labels: Labels) -> [SpreadsheetCell] {
    func text(_ value: String) -> SpreadsheetCell { value.isEmpty ? .empty : .text(value) }
    func label(_ table: [Int: String], _ raw: Int) -> SpreadsheetCell { table[raw].map { .text($0) } ?? .empty }
    func name(_ code: String) -> SpreadsheetCell { code.isEmpty ? .empty : .text(names[code] ?? code) }
    func time(_ stamp: Google_Protobuf_Timestamp, _ present: Bool) -> SpreadsheetCell {
      present ? .dateTime(stamp.date) : .empty
    }
    return [
      text(each.caseNumber), text(each.title), text(each.category), label(labels.status, each.status.rawValue),
      each.hasHandler ? label(labels.level, each.handler.level.rawValue) : .empty,
      label(labels.source, each.source.rawValue), label(labels.priority, each.priority.rawValue),
      name(each.divisionCode), each.hasLocation ? name(each.location.gridCode) : .empty,
      each.hasLocation ? name(each.location.compoundID) : .empty,
      each.hasLocation ? text(each.location.address) : .empty,
      each.hasReporter ? text(each.reporter.name) : .empty, each.hasReporter ? text(each.reporter.phone) : .empty,
      time(each.reportTime, each.hasReportTime), time(each.acceptTime, each.hasAcceptTime),
      time(each.deadline, each.hasDeadline), .text(each.overdue ? "是" : "否"),
      time(each.resolveTime, each.hasResolveTime), label(labels.level, each.resolvedLevel.rawValue),
      text(each.resolution), each.hasEvaluation ? .integer(Int64(each.evaluation.satisfaction)) : .empty,
      time(each.closeTime, each.hasCloseTime), .integer(Int64(each.escalationCount)),
      .integer(Int64(each.reopenCount)), text(each.externalID),
    ]
  }
}
