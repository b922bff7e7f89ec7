import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import GovernanceAPI
import ServiceKit
import SwiftProtobuf

// The town's volunteering through the volunteers service: residents' micro-wishes in every state,
// service posts in the weeks after the demo's day with the volunteers' claims, and service
// records of the days before it, most of them confirmed.
extension DemoCity {
  typealias VolunteersClient = Governance_Volunteers_V1_VolunteersService.Client<HTTP2ClientTransport.Posix>

  /// Where a wish's life stops: the steps taken on it after it was posted.
  enum WishEnd: Sendable {
    case open, claimed, fulfilled, confirmed
    /// Cancelled while open, or after a volunteer had claimed it.
    case cancelledOpen, cancelledClaimed

    var steps: [WishStep] {
      switch self {
      case .open: []
      case .claimed: [.claim]
      case .fulfilled: [.claim, .fulfil]
      case .confirmed: [.claim, .fulfil, .confirm]
      case .cancelledOpen: [.cancel]
      case .cancelledClaimed: [.claim, .cancel]
      }
    }
  }

  enum WishStep: Sendable {
    case claim, fulfil, confirm, cancel
  }

  /// The wishes, posted on residents' behalf, one a community in turn: a title, a category as the
  /// console shows it, details, what the claimant reports done, and where the wish's life stops.
  /// The first stays open: its creation time is the demo's clock (`DemoClock`).
  static let wishes: [(title: String, category: String, details: String, done: String, end: WishEnd)] = [
    ("为独居老人修理水龙头", "维修", "厨房水龙头漏水多日，老人行动不便，希望有人上门修理", "", .open),
    ("帮助高龄老人代购生活用品", "生活用品", "老人腿脚不便，每周需要代购米面油和蔬菜", "", .claimed),
    ("为留守儿童辅导数学作业", "学习辅导", "孩子父母在外务工，希望每周辅导两次作业", "已辅导四次，孩子作业按时完成", .fulfilled),
    ("陪伴空巢老人聊天读报", "陪伴", "老人独居，希望有人每周上门陪伴聊天、读报", "每周二上门陪伴，已坚持一个月", .confirmed),
    ("为残疾居民更换楼道感应灯", "维修", "楼道感应灯损坏，轮椅出入不便", "", .cancelledOpen),
    ("帮助老人学习使用智能手机", "学习辅导", "想学会视频通话和扫码乘车", "", .open),
    ("为困难家庭儿童捐赠过冬棉衣", "生活用品", "两个孩子分别需要120码和140码的棉衣", "已送去两件棉衣和两双棉鞋", .confirmed),
    ("陪同独居老人到医院复诊", "出行", "老人每月需到医院复诊取药，希望有人陪同", "", .claimed),
    ("为行动不便老人上门理发", "上门服务", "老人卧床多年，希望上门理发", "已上门理发并修剪指甲", .fulfilled),
    ("为孤寡老人卫生间安装扶手", "维修", "卫生间地面湿滑，老人担心摔倒", "已安装两处不锈钢扶手和防滑垫", .confirmed),
    ("帮助低保户申请临时救助", "政策咨询", "家中突发变故，希望了解临时救助的申请办法", "", .cancelledClaimed),
    ("为失独老人过一个生日", "陪伴", "老人生日将至，希望邻里一起为他庆祝", "", .open),
  ]

  /// One wish as drawn: its community, the compound and resident it is for, and who claims it.
  struct WishPlan: Sendable {
    let community: Int
    let compound: Int
    let resident: (name: String, phone: String)
    let claimant: Governance_Volunteers_V1_WishClaimant
  }

  /// Service posts: a title, the catalogue skills wanted, the hour they start and how long they
  /// run.
  static let postTemplates: [(title: String, skills: [String], hour: Int, hours: Int)] = [
    ("义务理发进社区", ["hairdressing"], 9, 3), ("老年人智能手机使用辅导", ["tutoring"], 14, 2),
    ("社区义诊与急救知识讲座", ["first_aid"], 9, 3), ("法律咨询便民服务", ["legal_advice"], 14, 2),
    ("楼道电线安全排查", ["electrician"], 9, 4), ("水管阀门检修便民日", ["plumbing"], 9, 3),
    ("独居老人上门探访", ["elderly_care", "first_aid"], 15, 2), ("迎新春义写春联", ["calligraphy"], 9, 3),
    ("邻里节活动摄影记录", ["photography"], 18, 2), ("心理疏导热线值守", ["counselling"], 19, 3),
  ]
  /// Posts a community publishes; the first of each is full, the others open.
  static let postsPerCommunity = 3

  /// One post as drawn: its template, community and compound, the day after the demo's day it
  /// starts, its places, the volunteers (indexes into `CityPlan.volunteers`) who claim places and
  /// one who joins the waitlist.
  struct PostPlan: Sendable {
    let template: Int
    let community: Int
    let compound: Int
    let day: Int
    let capacity: Int32
    let claimants: [Int]
    let waitlisted: Int?
  }

  static let activities = ["楼道清理", "助老送餐", "文明劝导", "垃圾分类督导", "义诊服务", "关爱留守儿童", "反诈宣传", "小区环境整治"]
  /// Service records of each community's volunteers; every fifth is left pending.
  static let recordsPerCommunity = 3

  /// One service record: a volunteer's activity so many days before the demo's day, from an hour,
  /// and the wish it fulfilled, if any.
  struct RecordPlan: Sendable {
    let volunteer: Int
    let activity: String
    let daysBefore: Int
    let hour: Int
    let hours: Double
    let residents: Int32
    let wish: Int?
    let confirmed: Bool
  }

  /// The wishes, posts and records, drawn from the seed.
  static func drawVolunteering(_ city: CitySeed.LoadedCity) -> (
    wishes: [WishPlan], posts: [PostPlan], records: [RecordPlan]
  ) {
    let plan = city.plan
    var rng = SplitMix64(seed: seed, stream: .volunteering)
    let volunteersOf = plan.communities.indices.map { community in
      plan.volunteers.indices.filter { plan.volunteers[$0].community == community }
    }
    let teamOf = Dictionary(plan.teams.indices.map { (plan.teams[$0].community, $0) }) { first, _ in first }

    let wishPlans = wishes.indices.map { index in
      let community = index % plan.communities.count
      let compounds = plan.communities[community].compounds
      let resident = (name: ChineseNames.person(&rng), phone: ChineseNames.mobile(&rng))
      let compound = compounds.lowerBound + rng.below(compounds.count)
      // One wish in three goes to the community's team, where it has one.
      let claimant = Governance_Volunteers_V1_WishClaimant.with {
        if let team = teamOf[community], index % 3 == 1 || volunteersOf[community].isEmpty {
          $0.kind = .team
          $0.id = city.volunteering.teams[team]
        } else {
          $0.kind = .volunteer
          $0.id =
            city.volunteering.volunteers[rng.pickIfAny(volunteersOf[community]) ?? rng.below(plan.volunteers.count)]
        }
      }
      return WishPlan(community: community, compound: compound, resident: resident, claimant: claimant)
    }

    var postPlans: [PostPlan] = []
    for community in plan.communities.indices {
      for rank in 0..<postsPerCommunity {
        let template = (postsPerCommunity * community + rank) % postTemplates.count
        let wanted = Set(postTemplates[template].skills)
        let pool = volunteersOf[community]
        let shuffled = rng.sample(pool.count, from: pool)
        // Volunteers with a skill the post wants claim first.
        let order =
          shuffled.filter { !wanted.isDisjoint(with: plan.volunteers[$0].skills) }
          + shuffled.filter { wanted.isDisjoint(with: plan.volunteers[$0].skills) }
        let claims = rank == 0 ? min(2, order.count) : rank == 1 ? min(1 + community % 2, order.count) : 0
        let compounds = plan.communities[community].compounds
        postPlans.append(
          PostPlan(
            template: template, community: community, compound: compounds.lowerBound + rng.below(compounds.count),
            day: 1 + (community + 7 * rank) % 21, capacity: rank == 0 ? Int32(max(claims, 1)) : Int32(4 + 2 * rank),
            claimants: Array(order.prefix(claims)),
            waitlisted: rank == 0 && community == 0 && order.count > claims ? order[claims] : nil))
      }
    }

    var recordPlans: [RecordPlan] = []
    for community in plan.communities.indices {
      for _ in 0..<recordsPerCommunity {
        guard let volunteer = rng.pickIfAny(volunteersOf[community]) else { continue }
        recordPlans.append(
          RecordPlan(
            volunteer: volunteer, activity: rng.pick(activities), daysBefore: rng.below(14),
            hour: rng.pick([8, 9, 14, 15]), hours: Double(rng.between(3...8)) / 2,
            residents: Int32(rng.between(3...30)),
            wish: nil, confirmed: recordPlans.count % 5 != 4))
      }
    }
    // Whoever fulfilled a confirmed wish records the hour and a half it took.
    for (index, wish) in wishes.enumerated()
    where wish.end == .confirmed && wishPlans[index].claimant.kind == .volunteer {
      guard let volunteer = city.volunteering.volunteers.firstIndex(of: wishPlans[index].claimant.id) else { continue }
      recordPlans.append(
        RecordPlan(
          volunteer: volunteer, activity: "微心愿：\(wish.title)", daysBefore: 0, hour: 9, hours: 1.5, residents: 1,
          wish: index, confirmed: true))
    }
    return (wishPlans, postPlans, recordPlans)
  }

  /// The request that posts wish `index`, without an expiry date (the service gives it 30 days),
  /// so that it is the same request on every day.
  static func wishRequest(_ index: Int, _ wish: WishPlan, _ city: CitySeed.LoadedCity)
    -> Governance_Volunteers_V1_CreateMicroWishRequest
  {
    let template = wishes[index]
    return .with {
      $0.requestID = "demo-town-wish-\(index)"
      $0.wish.divisionCode = city.plan.communities[wish.community].code
      $0.wish.compoundID = city.property.compounds[wish.compound]
      $0.wish.title = template.title
      $0.wish.details = template.details
      $0.wish.category = template.category
      $0.wish.resident.name = wish.resident.name
      $0.wish.resident.phone = wish.resident.phone
      $0.wish.postedOnBehalf = true
    }
  }

  /// The demo's clock: when its first wish went in, read from the service's answer.
  static func demoClock(_ wish: WishPlan, _ city: CitySeed.LoadedCity, _ client: CitySeed.Client) async throws
    -> DemoClock
  {
    let posted = try await VolunteersClient(wrapping: client).createMicroWish(wishRequest(0, wish, city))
    return DemoClock(now: posted.audit.createTime)
  }

  /// Posts the wishes and takes their steps, then the posts with their claims, then the service
  /// records with their confirmations; each wish, post and record a chain of its own, side by
  /// side.
  static func loadVolunteering(
    _ city: CitySeed.LoadedCity, wishes wishPlans: [WishPlan], posts: [PostPlan], records: [RecordPlan],
    clock: DemoClock, _ client: CitySeed.Client, _ progress: SeedProgress
  ) async throws {
    let plan = city.plan
    let volunteering = VolunteersClient(wrapping: client)
    let wishIDs = try await CitySeed.calls(wishPlans.count, of: "micro-wish", progress) { index in
      let id = try await volunteering.createMicroWish(wishRequest(index, wishPlans[index], city)).id
      for (number, step) in wishes[index].end.steps.enumerated() {
        let requestID = "demo-town-wish-\(index)-\(number)"
        switch step {
        case .claim:
          _ = try await volunteering.claimMicroWish(
            .with {
              $0.requestID = requestID
              $0.wishID = id
              $0.claimant = wishPlans[index].claimant
            })
        case .fulfil:
          _ = try await volunteering.fulfilMicroWish(
            .with {
              $0.requestID = requestID
              $0.wishID = id
              $0.note = wishes[index].done
            })
        case .confirm:
          _ = try await volunteering.confirmMicroWish(
            .with {
              $0.requestID = requestID
              $0.wishID = id
              $0.comment = "感谢志愿者的热心帮助，问题解决了"
            })
        case .cancel:
          _ = try await volunteering.cancelMicroWish(
            .with {
              $0.requestID = requestID
              $0.wishID = id
              $0.reason = wishes[index].end == .cancelledOpen ? "物业已安排维修，居民撤回心愿" : "居民已通过街道窗口办理，心愿取消"
            })
        }
      }
      return id
    }
    try await CitySeed.calls(posts.count, of: "service post", progress) { index in
      let post = posts[index]
      let template = postTemplates[post.template]
      let start = clock.day(post.day, hour: template.hour)
      let created = try await volunteering.createServicePost(
        .with {
          $0.requestID = "demo-town-post-\(index)"
          $0.post.divisionCode = plan.communities[post.community].code
          $0.post.title = template.title
          $0.post.details = "地点：\(plan.compounds[post.compound].name)，请提前十分钟到场签到"
          $0.post.compoundID = city.property.compounds[post.compound]
          $0.post.skills = template.skills
          $0.post.capacity = post.capacity
          $0.post.startTime = Google_Protobuf_Timestamp(date: start)
          $0.post.endTime = Google_Protobuf_Timestamp(date: start.addingTimeInterval(Double(template.hours) * 3600))
        })
      // One claim after another, so that the waitlisted volunteer is the last.
      for (number, volunteer) in (post.claimants + (post.waitlisted.map { [$0] } ?? [])).enumerated() {
        _ = try await volunteering.claimPost(
          .with {
            $0.requestID = "demo-town-post-\(index)-claim-\(number)"
            $0.postID = created.id
            $0.volunteerID = city.volunteering.volunteers[volunteer]
            $0.joinWaitlist = number >= post.claimants.count
          })
      }
    }
    let teamOf = Dictionary(plan.teamMemberships.map { ($0.volunteer, $0.team) }) { first, _ in first }
    try await CitySeed.calls(records.count, of: "service record", progress) { index in
      let record = records[index]
      // Started and ended before the demo's day reached now.
      let start = min(
        clock.day(-record.daysBefore, hour: record.hour), clock.now.addingTimeInterval(-(record.hours + 0.5) * 3600))
      let created = try await volunteering.createServiceRecord(
        .with {
          $0.requestID = "demo-town-record-\(index)"
          $0.record.divisionCode = plan.communities[plan.volunteers[record.volunteer].community].code
          $0.record.volunteerID = city.volunteering.volunteers[record.volunteer]
          if let team = teamOf[record.volunteer] { $0.record.teamID = city.volunteering.teams[team] }
          if let wish = record.wish { $0.record.microWishID = wishIDs[wish] }
          $0.record.activity = record.activity
          $0.record.startTime = Google_Protobuf_Timestamp(date: start)
          $0.record.hours = record.hours
          $0.record.residentsServed = record.residents
        })
      if record.confirmed {
        _ = try await volunteering.confirmServiceRecord(
          .with {
            $0.requestID = "demo-town-record-\(index)-confirm"
            $0.recordID = created.id
          })
      }
    }
  }
}
