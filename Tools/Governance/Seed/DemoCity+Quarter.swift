import GRPCCore
import GRPCNIOTransportHTTP2
import GovernanceAPI
import ServiceKit

// The district's quarters. Composite scores, star ratings and the red and black lists are
// computed for a closed quarterly period only, from the five-party assessment of the quarter
// beside the monthly four-party scores of its months, which the town already has.
extension DemoCity {
  /// The year of the quarters: the town's scoring year (`CityPlan.scoringYear`), so that their
  /// months hold the town's monthly four-party scores.
  static let quarterYear = CityPlan.scoringYear
  /// The quarter assessed, closed and published.
  static let publishedQuarter: Int32 = 3
  /// The quarter under way, left OPEN with one seat's scores still to enter, so that scoring,
  /// closing, computing and publishing can be tried on it.
  static let openQuarter: Int32 = 4

  /// The label the evaluation service gives `quarter` of `quarterYear`, e.g. "2026Q3".
  static func label(_ quarter: Int32) -> String { "\(quarterYear)Q\(quarter)" }

  /// The five-party panel's items, on 100 marks as quarterly assessments are: the town's
  /// district sets monthly ones only.
  static let quarterlyItems: [(code: String, name: String, weight: Double)] = [
    ("INFO", "信息公开", 30), ("DISP", "调度配合", 40), ("RECT", "整改落实", 30),
  ]
  static let quarterlyFullMarks = 100.0

  static let fivePartyRoles: [Governance_Evaluation_V1_PanelRole] = [
    .organisationDepartment, .housingDepartment, .industryPartyCommittee, .streetWorkingCommittee, .thirdPartyAgency,
  ]

  /// Marks each seat gives off a company's mark, by seat, so that the panel does not speak as one.
  static let seatSpread = [0.0, -5, 5, 0, -5]

  /// Residents' overall satisfaction, 1 to 5, in the surveys of each contracted compound.
  static let bestSurveys: [Int32] = [5, 5, 4, 5]
  static let worstSurveys: [Int32] = [1, 2, 1, 2]
  static let middleSurveys: [Int32] = [4, 3, 4, 5]

  /// The two quarters' items and periods. The published quarter is assessed, closed, computed and
  /// published, each step skipped once the period is past it (ComputeCompositeScores has no
  /// request ledger and refuses a published period); the open quarter is assessed by every seat
  /// but the first, while it is open. Returns the publication and the open quarter's period as it
  /// was found.
  ///
  /// In both, the company the seed made best (the highest mean `CityPlan.Contract.quality`, the
  /// centre of its monthly scores) gets full marks and satisfied residents, and lands on the red
  /// list; the worst gets 30 of 100 and dissatisfied residents, and lands on the black list (its
  /// contracts are ended and its compounds fall back on the street's centre); the others get
  /// marks near their quality.
  static func loadQuarters(
    _ city: CitySeed.LoadedCity, _ client: CitySeed.Client, _ progress: SeedProgress
  ) async throws -> (publication: Governance_Evaluation_V1_Publication, open: Governance_Evaluation_V1_EvaluationPeriod)
  {
    let district = city.plan.districts[0]
    let evaluation = Governance_Evaluation_V1_EvaluationService.Client(wrapping: client)
    var itemIDs: [String] = []
    for (index, item) in quarterlyItems.enumerated() {
      itemIDs.append(
        try await evaluation.createScoringItem(
          .with {
            $0.requestID = "demo-town-item-\(district.code)-\(item.code)"
            $0.item.code = item.code
            $0.item.name = item.name
            $0.item.use = .quarterlyAssessment
            $0.item.weight = item.weight
            $0.item.fullMarks = quarterlyFullMarks
            $0.item.sortOrder = Int32(index + 1)
            $0.item.divisionCode = district.code
          }
        ).id)
    }
    let published = try await quarter(publishedQuarter, of: district.code, evaluation)
    let key = "\(district.code)-\(published.label)"
    if published.state == .open {
      try await assess(published, seats: fivePartyRoles.indices, items: itemIDs, city, evaluation, progress)
      _ = try await evaluation.closePeriod(
        .with {
          $0.requestID = "demo-town-close-\(key)"
          $0.periodID = published.id
        })
    }
    if published.state != .published {
      _ = try await evaluation.computeCompositeScores(
        .with {
          $0.requestID = "demo-town-compute-\(key)"
          $0.periodID = published.id
        })
    }
    let publication = try await evaluation.publishLists(
      .with {
        $0.requestID = "demo-town-publish-\(key)"
        $0.periodID = published.id
      })
    let open = try await quarter(openQuarter, of: district.code, evaluation)
    if open.state == .open {
      try await assess(open, seats: fivePartyRoles.indices.dropFirst(), items: itemIDs, city, evaluation, progress)
    }
    return (publication, open)
  }

  /// The companies under contract, best first: by the mean `CityPlan.Contract.quality` of their
  /// contracts, the centre of their monthly scores. The first lands on the red list, the last on
  /// the black list, which ends its contracts.
  static func companiesByQuality(of plan: CityPlan) -> [(company: Int, quality: Double)] {
    var quality: [Int: (sum: Double, count: Double)] = [:]
    for contract in plan.contracts {
      quality[contract.company, default: (0, 0)].sum += contract.quality
      quality[contract.company, default: (0, 0)].count += 1
    }
    return quality.map { (company: $0.key, quality: $0.value.sum / $0.value.count) }
      .sorted { $0.quality != $1.quality ? $0.quality > $1.quality : $0.company < $1.company }
  }

  /// The district's period of `quarter`, as it is now: a repeated CreatePeriod answers as it first
  /// did, OPEN, so the state is read anew.
  static func quarter(
    _ quarter: Int32, of district: String,
    _ evaluation: Governance_Evaluation_V1_EvaluationService.Client<HTTP2ClientTransport.Posix>
  ) async throws -> Governance_Evaluation_V1_EvaluationPeriod {
    let id = try await evaluation.createPeriod(
      .with {
        $0.requestID = "demo-town-period-\(district)-\(label(quarter))"
        $0.period.divisionCode = district
        $0.period.kind = .quarterly
        $0.period.year = quarterYear
        $0.period.number = quarter
      }
    ).id
    return try await evaluation.getPeriod(.with { $0.id = id })
  }

  /// The five-party panel of the district for `period`, the scores its `seats` (indexes into
  /// `fivePartyRoles`) give every contracted compound on every item, and four residents' surveys
  /// of every contracted compound.
  static func assess(
    _ period: Governance_Evaluation_V1_EvaluationPeriod, seats scoring: Range<Int>, items itemIDs: [String],
    _ city: CitySeed.LoadedCity,
    _ evaluation: Governance_Evaluation_V1_EvaluationService.Client<HTTP2ClientTransport.Posix>,
    _ progress: SeedProgress
  ) async throws {
    let plan = city.plan
    let district = plan.districts[0]
    let periodID = period.id
    let key = "\(district.code)-\(period.label)"
    var rng = SplitMix64(seed: seed, stream: .quarter)
    let bodies = [
      "中共南京市\(district.name)委组织部", "\(district.name)住房和城乡建设局", "\(district.name)物业服务行业党委",
      "\(plan.streets[0].name)党工委", "南京市社会治理第三方评估中心",
    ]
    // The same five people sit on every quarter's panel.
    let seats = zip(fivePartyRoles, bodies).enumerated().map { index, seat in
      Governance_Evaluation_V1_PanelMember.with {
        $0.evaluatorID = "user:evaluator-\(district.code)-five-party-\(index + 1)"
        $0.name = ChineseNames.person(&rng)
        $0.role = seat.0
        $0.represents = seat.1
      }
    }
    let panelID = try await evaluation.createPanel(
      .with {
        $0.requestID = "demo-town-panel-\(key)"
        $0.panel.kind = .fiveParty
        $0.panel.periodID = periodID
        $0.panel.divisionCode = district.code
        $0.panel.members = seats
      }
    ).id

    let ranked = companiesByQuality(of: plan)
    let best = ranked.first!.company
    let worst = ranked.last!.company
    let marks = Dictionary(
      uniqueKeysWithValues: ranked.map { company, quality in
        (
          company,
          company == best ? quarterlyFullMarks : company == worst ? 30 : (quality * quarterlyFullMarks).rounded()
        )
      })

    let contracts = plan.contracts
    let scoringSeats = Array(scoring)
    let perContract = scoringSeats.count * itemIDs.count
    let surveys = middleSurveys.count
    progress.begin(stage: "quarter \(period.label)", total: contracts.count * (perContract + surveys))
    try await CitySeed.calls(contracts.count * perContract, of: "five-party score", progress) { index in
      let contract = contracts[index / perContract]
      let seat = scoringSeats[index % perContract / itemIDs.count]
      let item = index % itemIDs.count
      _ = try await evaluation.submitScore(
        .with {
          $0.requestID = "demo-town-score-\(key)-\(index)"
          $0.panelID = panelID
          $0.itemID = itemIDs[item]
          $0.periodID = periodID
          $0.companyID = city.property.companies[contract.company]
          $0.compoundID = city.property.compounds[contract.compound]
          $0.evaluatorID = seats[seat].evaluatorID
          $0.value = min(quarterlyFullMarks, max(0, marks[contract.company]! + seatSpread[seat]))
        })
    }
    try await CitySeed.calls(contracts.count * surveys, of: "survey response", progress) { index in
      let contract = contracts[index / surveys]
      let answers =
        contract.company == best ? bestSurveys : contract.company == worst ? worstSurveys : middleSurveys
      _ = try await evaluation.submitSurveyResponse(
        .with {
          $0.requestID = "demo-town-survey-\(key)-\(index)"
          $0.response.periodID = periodID
          $0.response.divisionCode = plan.communities[plan.compounds[contract.compound].community].code
          $0.response.compoundID = city.property.compounds[contract.compound]
          $0.response.companyID = city.property.companies[contract.company]
          $0.response.overallSatisfaction = answers[index % surveys]
          $0.response.channel = "door_to_door"
        })
    }
    progress.end()
  }
}
