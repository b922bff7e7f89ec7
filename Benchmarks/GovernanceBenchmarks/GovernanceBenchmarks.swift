import Benchmark
import Foundation
import GovernanceAPI
import Grid
import ServiceKit
import SwiftProtobuf

/// The hot paths of a call: the case rules every case write runs, the statistics a dashboard
/// asks for, the token every call carries, and the JSON the gateway transcodes.
let benchmarks: @Sendable () -> Void = {
  Benchmark.defaultConfiguration.maxDuration = .seconds(3)
  Benchmark.defaultConfiguration.metrics = [.wallClock, .throughput, .mallocCountTotal]

  let reported = CaseWorkflow.GridCase.with {
    $0.source = .resident
    $0.category = "环境卫生"
    $0.title = "垃圾清运不及时"
    $0.details = "三号楼东侧垃圾桶已满两天"
    $0.location.gridCode = "320113005001001"
    $0.reporter = .with {
      $0.name = "钱先生"
      $0.phone = "13900001111"
    }
  }

  Benchmark("case transitions: validate a new case and walk it to closed") { benchmark in
    let path: [CaseWorkflow.Status] = [.accepted, .assigned, .inProgress, .resolved, .evaluated, .closed]
    for _ in benchmark.scaledIterations {
      var gridCase = try CaseWorkflow.validateNew(reported, at: Date())
      for next in path {
        try CaseWorkflow.checkTransition(gridCase, to: next)
        gridCase.status = next
      }
      blackHole(gridCase)
    }
  }

  Benchmark(
    "statistics: a community's KPIs over 10,000 cases", configuration: .init(scalingFactor: .one, maxIterations: 200)
  ) { benchmark in
    let store = GridStore(
      writer: try GovernanceDatabase.makeEmptyTestDatabase(migrator: GridStore.migrator), vault: .ephemeral())
    let setup = Principal(subject: "user:benchmark", role: .cityAdministrator, scope: "")
    for (code, name) in [("320113000000", "栖霞区"), ("320113005000", "尧化街道"), ("320113005001", "尧新社区")] {
      _ = try await store.createDivision(
        .with {
          $0.division.divisionCode = code
          $0.division.name = name
        }, by: setup)
    }
    _ = try await store.createGrid(
      .with {
        $0.grid.gridCode = "320113005001001"
        $0.grid.name = "第一网格"
        $0.grid.kind = .basic
      }, by: setup)
    let now = Date()
    for batch in 0..<10 {
      let archived = (0..<1000).map { index in
        var gridCase = reported
        gridCase.reporter = .init()
        gridCase.status = index.isMultiple(of: 3) ? .closed : .evaluated
        gridCase.reportTime = Google_Protobuf_Timestamp(
          date: now.addingTimeInterval(-Double(86_400 + batch * 1000 + index)))
        gridCase.resolveTime = Google_Protobuf_Timestamp(date: now.addingTimeInterval(-3600))
        gridCase.resolvedLevel = index.isMultiple(of: 5) ? .community : .grid
        if !index.isMultiple(of: 3) { gridCase.evaluation.satisfaction = Int32(1 + index % 5) }
        return gridCase
      }
      _ = try await store.importCases(archived, by: setup, at: now)
    }
    benchmark.startMeasurement()
    for _ in benchmark.scaledIterations {
      blackHole(
        try await store.caseStatistics(
          .with {
            $0.divisionPrefix = "320113005001"
            $0.groupBy = .grid
          }))
    }
  }

  Benchmark("token verification: a signed access token checked") { benchmark in
    let authority = TokenAuthority.ephemeral()
    let token = try await authority.mint(for: Principal(subject: "user:clerk", role: .community, scope: "320113005001"))
    benchmark.startMeasurement()
    for _ in benchmark.scaledIterations {
      blackHole(try await authority.verify(token))
    }
  }

  Benchmark("JSON transcoding: a case from JSON to protobuf and back, as the gateway does") { benchmark in
    var stored = reported
    stored.id = "case_01JCX5R8W6Y4T2P0N8M6K4H2G0"
    stored.status = .inProgress
    stored.reportTime = Google_Protobuf_Timestamp(date: Date())
    let json = try stored.jsonUTF8Data()
    for _ in benchmark.scaledIterations {
      let decoded = try Governance_Grid_V1_Case(jsonUTF8Data: json)
      blackHole(try decoded.serializedData())
      blackHole(try decoded.jsonUTF8Data())
    }
  }
}
