/// The fixed lists names are drawn from.
enum ChineseNames {
  /// The most common surnames first: `person` favours the front of the list, as a city's
  /// register does.
  static let surnames = Array(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
  static let givenCharacters = Array("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚英华建国志文斌海燕玉红梅晓东婷雪琳浩宇轩欣怡涵思远佳俊峰鹏辉飞鑫波桂秀凤春荣德亮成")
  /// Two-character place names of streets, communities, roads and older compounds.
  static let placeFirst = Array("梅玄锁金新红丹凤华龙月兴秀仙燕石雨紫清宁朝莫瑞光青长永安福春和明双桃翠白银铁汇")
  static let placeSecond = Array("园桥山湖港门营街塘林庄苑岗洲坊村湾圩坝口亭阁台河池泉")
  /// Estate names of newer compounds.
  static let compoundFirst = Array("金碧翠锦御景天逸和泰嘉怡康乐瑞祥朗润馨雅丽枫桂兰荷梧桐竹松柏")
  static let compoundSecond = Array("园湖城庭山水湾岸林府邸苑溪峰")
  /// Brand names of property companies.
  static let brandFirst = Array("鸿恒盛宏嘉华安泰永兴瑞祥德信诚达通聚汇源丰茂隆昌锦鑫润宁金中新百明东")
  static let brandSecond = Array("业邦城居家悦和景佳美合力天海博优峰宇航晟运")
  static let companySuffixes = ["物业服务有限公司", "物业管理有限公司", "物业服务集团有限公司", "物业管理服务有限公司", "物业发展有限公司"]
  static let workUnitSites = ["机床厂", "化纤厂", "电子管厂", "无线电厂", "钢铁厂", "汽车厂", "纺织厂", "电力局", "铁路分局", "制药厂"]
  static let workUnits = [
    "江苏省人民医院", "南京大学", "东南大学", "南京市公安局", "国网南京供电公司", "南京地铁集团", "中国银行南京分行",
    "南京市第一中学", "南京市鼓楼医院", "南京市规划和自然资源局", "中国石化金陵分公司", "南京市城市管理局",
  ]
  static let memberSkills = ["法律", "水电维修", "医疗", "心理咨询", "教育", "文艺", "驾驶", "计算机"]
  static let volunteerSkills = [
    "electrician", "plumbing", "first_aid", "legal_advice", "tutoring", "elderly_care", "hairdressing",
    "calligraphy", "photography", "counselling",
  ]
  static let mobilePrefixes = [
    "139", "138", "137", "136", "135", "158", "159", "150", "151", "187", "188", "186", "185", "133", "153", "180",
    "189", "177", "199",
  ]

  static func person(_ rng: inout SplitMix64) -> String {
    // The smaller of two draws favours the front of the list.
    let surname = surnames[min(rng.below(surnames.count), rng.below(surnames.count))]
    let given = givenCharacters[rng.below(givenCharacters.count)]
    guard rng.chance(0.7) else { return "\(surname)\(given)" }
    return "\(surname)\(given)\(givenCharacters[rng.below(givenCharacters.count)])"
  }

  /// A mainland mobile number.
  static func mobile(_ rng: inout SplitMix64) -> String {
    var number = rng.pick(mobilePrefixes)
    for _ in 0..<8 { number += String(rng.below(10)) }
    return number
  }

  static func place(_ rng: inout SplitMix64, _ first: [Character], _ second: [Character]) -> String {
    let head = rng.pick(first)
    let tail = rng.pick(second)
    return "\(head)\(tail)"
  }

  /// `count` different names, each `prefix`, a character of `first`, one of `second` and a suffix.
  static func unique(
    _ count: Int, prefix: String = "", first: [Character] = ChineseNames.placeFirst,
    second: [Character] = ChineseNames.placeSecond, suffixes: [String], using rng: inout SplitMix64
  ) throws -> [String] {
    let pairs = first.count * second.count
    guard count <= pairs * suffixes.count else {
      throw SeedError(description: "the name lists hold \(pairs * suffixes.count) different names, not \(count)")
    }
    return rng.sample(count, from: Array(0..<(pairs * suffixes.count))).map { drawn in
      "\(prefix)\(first[drawn % first.count])\(second[drawn / first.count % second.count])\(suffixes[drawn / pairs])"
    }
  }
}
