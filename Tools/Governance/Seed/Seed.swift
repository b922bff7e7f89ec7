import ArgumentParser
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import GovernanceAPI
import ServiceKit
import SwiftProtobuf
import Synchronization

/// `governance seed`: fills a running system through its public APIs, with the demo city (the
/// town with live work) or a whole city at the scale of the seeds, deterministically for a given
/// `--seed`.
struct Seed: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Fill a running system with a demo city (small) or a whole city (city), through the APIs.")

  @Option(
    help:
      "small (the demo city `governance up --demo` loads: the town with live work), city (the scale of the seeds) or town (the city in miniature)."
  )
  var scale = "small"

  @Option(
    help:
      "The seed of the generator (city and town; the demo city is the town of seed 1): the same seed makes the same city; a rerun changes no register but adds the archive's cases again (give --cases 0)."
  )
  var seed: UInt64 = 1

  @Option(
    help:
      "Historical cases to load (default: 1,000,000 for a city, 2,000 for a town; the demo city loads 2,000 into a system without cases)."
  )
  var cases: Int?

  @Option(help: "The data directory of the running system (its token key).")
  var data = "./data"

  @OptionGroup var system: SystemAddresses

  func run() async throws {
    guard ["small", "city", "town"].contains(scale) else {
      throw ValidationError("--scale must be small, city or town, not '\(scale)'")
    }
    if let cases, cases < 0 { throw ValidationError("--cases must be 0 or more") }
    let authority = try TokenAuthority.load(dataDirectory: data, environment: ProcessInfo.processInfo.environment)
    let addresses = try system.addresses(of: ServiceIdentity.domainServices)
    let started = ContinuousClock.now
    let summary: String
    if scale == "small" {
      summary = try await DemoCity.load(addresses: addresses, authority: authority)
    } else {
      let progress = SeedProgress()
      summary = try await CitySeed.load(
        addresses: addresses, authority: authority, scale: scale == "city" ? .city : .town, seed: seed,
        historicalCases: cases ?? (scale == "city" ? 1_000_000 : 2_000), progress: progress)
    }
    let elapsed = ContinuousClock.now - started
    print(
      "\(summary) in \(String(format: "%.1f", Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)) s"
    )
  }
}

/// A progress bar on standard error, one stage at a time: done, total, rate and time left.
final class SeedProgress: Sendable {
  private struct Stage {
    var name = ""
    var total = 0
    var done = 0
    var started = ContinuousClock.now
    var drawn = ContinuousClock.now
  }

  private let stage = Mutex(Stage())
  private let isTerminal: Bool
  private let intoFiles: Bool

  /// `intoFiles`: whether a standard error that is no terminal gets the progress too, a line a
  /// second; false where it is a log others read, as `governance up`'s is. `shown`: false for
  /// work that runs beside another progress's stages, whose line it would overwrite.
  init(intoFiles: Bool = true, shown: Bool = true) {
    self.intoFiles = intoFiles && shown
    isTerminal = shown && isatty(STDERR_FILENO) != 0
  }

  func begin(stage name: String, total: Int) {
    stage.withLock { $0 = Stage(name: name, total: total) }
  }

  func advance(by count: Int) {
    let line: String? = stage.withLock { stage in
      stage.done += count
      let now = ContinuousClock.now
      // Redrawn at most ten times a second on a terminal, once a second into a file.
      guard now - stage.drawn >= (isTerminal ? .milliseconds(100) : .seconds(1)) else { return nil }
      stage.drawn = now
      return Self.line(stage, at: now)
    }
    if let line { draw(line, final: false) }
  }

  func end() {
    let line = stage.withLock { Self.line($0, at: .now) }
    draw(line, final: true)
  }

  private func draw(_ line: String, final: Bool) {
    guard isTerminal || intoFiles else { return }
    let text = isTerminal ? "\r\(line)\u{1B}[K" + (final ? "\n" : "") : line + "\n"
    FileHandle.standardError.write(Data(text.utf8))
  }

  private static func line(_ stage: Stage, at now: ContinuousClock.Instant) -> String {
    let elapsed = now - stage.started
    let seconds = max(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18, 0.001)
    let share = stage.total == 0 ? 1 : min(1, Double(stage.done) / Double(stage.total))
    let width = 24
    let filled = Int(share * Double(width))
    let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
    let rate = Double(stage.done) / seconds
    let left = rate > 0 ? Double(stage.total - stage.done) / rate : 0
    return
      "\(stage.name.padding(toLength: 22, withPad: " ", startingAt: 0)) \(bar) \(String(format: "%3.0f%%", share * 100)) "
      + "\(stage.done)/\(stage.total)  \(Int(rate))/s  ETA \(Int(left.rounded(.up))) s"
  }
}

/// A city's archive of finished cases, generated from the seed and loaded through ImportCases in
/// messages of 5,000: reported over the past year in the city's grids, resolved mostly in the grid,
/// some in the community or the street, most evaluated.
enum CaseArchive {
  static let categories = ["环境卫生", "市政设施", "物业服务", "邻里纠纷", "消防隐患", "噪音扰民", "违章搭建", "停车管理", "绿化养护", "治安防范"]
  /// Cases in one ImportCases message (the service takes up to 5,000).
  static let batch = 5000
  static let titles = ["楼道堆放杂物", "路灯不亮", "垃圾清运不及时", "电梯故障", "噪音扰民", "井盖缺失", "私拉电线充电", "占用消防通道", "绿化带破损", "漏水影响楼下"]

  /// Loads `count` cases into the grid service at `address`, advancing the progress stage the
  /// caller began.
  static func load(
    _ count: Int, into address: NetworkAddress, authority: TokenAuthority, seed: UInt64, progress: SeedProgress
  ) async throws -> Int64 {
    guard count > 0 else { return 0 }
    return try await OperatorClient.connect(to: address, authority: authority) { client in
      let grid = Governance_Grid_V1_GridService.Client(wrapping: client)
      let grids = try await PeerCall.allPages(.grid) { token in
        let page = try await grid.listGridCodes(.with { $0.pageToken = token })
        return (page.gridCodes, page.nextPageToken)
      }
      guard !grids.isEmpty else { throw ValidationError("no grids registered: the city must be loaded first") }
      let now = Date().timeIntervalSince1970
      // Two streams, so that the next message is made while the service stores the last one.
      let streams = 2
      let imported = try await withThrowingTaskGroup(of: Int64.self) { group in
        for stream in 0..<streams {
          group.addTask {
            try await grid.importCases(requestProducer: { writer in
              var message = stream
              while message * Self.batch < count {
                let first = message * Self.batch
                let last = min(count, first + Self.batch)
                try await writer.write(
                  .with { $0.cases = (first..<last).map { archived($0, seed: seed, grids: grids, now: now) } })
                progress.advance(by: last - first)
                message += streams
              }
            }).imported
          }
        }
        return try await group.reduce(0, +)
      }
      return imported
    }
  }

  /// Case number `index` of the archive, dated back from `now`: the same seed and index make the
  /// same case.
  static func archived(_ index: Int, seed: UInt64, grids: [String], now: TimeInterval) -> Governance_Grid_V1_Case {
    var random = SplitMix64(seed: seed &+ UInt64(index) &* 0x9E37_79B9_7F4A_7C15)
    // Reported over the year before last week, so that every case has been resolved and closed.
    let reported = now - Double(random.next() % (358 * 86_400)) - 7 * 86_400
    let hoursToResolve = Double(1 + random.next() % 96)
    let kind = Int(random.next() % UInt64(categories.count))
    let roll = random.next() % 100
    return .with {
      $0.source = roll < 70 ? .resident : (roll < 85 ? .patrol : .cityPlatform)
      $0.category = categories[kind]
      $0.title = titles[kind]
      $0.location.gridCode = grids[Int(random.next() % UInt64(grids.count))]
      $0.priority = roll < 5 ? .urgent : .normal
      $0.reportTime = Google_Protobuf_Timestamp(roundingTimeIntervalSince1970: reported, rule: .toNearestOrAwayFromZero)
      $0.acceptTime = Google_Protobuf_Timestamp(
        roundingTimeIntervalSince1970: reported + 600, rule: .toNearestOrAwayFromZero)
      $0.resolveTime = Google_Protobuf_Timestamp(
        roundingTimeIntervalSince1970: reported + hoursToResolve * 3600, rule: .toNearestOrAwayFromZero)
      $0.closeTime = Google_Protobuf_Timestamp(
        roundingTimeIntervalSince1970: reported + hoursToResolve * 3600 + 86_400, rule: .toNearestOrAwayFromZero)
      // Small matters stay in the grid, minor ones in the community, major ones in the street.
      $0.resolvedLevel = roll < 78 ? .grid : (roll < 94 ? .community : .street)
      $0.resolution = "已处理"
      $0.overdue = hoursToResolve > 72
      if roll % 5 != 0 {
        $0.status = .evaluated
        $0.evaluation = .with { $0.satisfaction = Int32(roll < 60 ? 5 : (roll < 85 ? 4 : 3 - Int(roll % 3))) }
      } else {
        $0.status = .closed
      }
    }
  }
}
