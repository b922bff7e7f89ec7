import GovernanceAPI
import ServiceKit

/// Orders to fix a problem by a deadline (限期整改); overdue ones count against the company.
public enum Rectification {
  public typealias Order = Governance_Evaluation_V1_RectificationOrder

  /// The rule "an order names a company, a compound in a community, a problem, a requirement
  /// and a deadline not in the past": validates a new order, OPEN.
  public static func validateNew(_ order: Order, today: Governance_Common_V1_Date) throws(DomainError) -> Order {
    var validated = order
    let community = try DivisionCode(order.divisionCode, field: "order.division_code")
    guard community.level == .community else {
      throw DomainError.invalidArgument(
        field: "order.division_code", rule: "the compound's community, got a \(community.level)")
    }
    validated.companyID = try FieldValidation.requiredID(order.companyID, field: "order.company_id")
    validated.compoundID = try FieldValidation.requiredID(order.compoundID, field: "order.compound_id")
    validated.problem = try FieldValidation.requiredName(order.problem, field: "order.problem", maximumLength: 500)
    validated.requirement = try FieldValidation.requiredName(
      order.requirement, field: "order.requirement", maximumLength: 500)
    guard order.hasDeadline else {
      throw DomainError.invalidArgument(field: "order.deadline", rule: "an order has a deadline")
    }
    try CalendarDate.validate(order.deadline, field: "order.deadline")
    guard CalendarDate.iso(order.deadline) >= CalendarDate.iso(today) else {
      throw DomainError.invalidArgument(field: "order.deadline", rule: "not before today (\(CalendarDate.iso(today)))")
    }
    validated.state = .open
    validated.completionNote = ""
    validated.verifiedBy = ""
    validated.clearCompleteTime()
    return validated
  }

  /// The rule "done by the deadline is completed, after it completed late (still counted as
  /// overdue)": the state an order reaches when completed on `today`.
  public static func completedState(_ order: Order, today: Governance_Common_V1_Date) throws(DomainError)
    -> Governance_Evaluation_V1_RectificationState
  {
    guard order.state == .open || order.state == .overdue else {
      throw DomainError.failedPrecondition(
        rule: "an order is completed once", detail: "order \(order.id) is \(order.state)")
    }
    return CalendarDate.iso(today) <= CalendarDate.iso(order.deadline) ? .completed : .completedLate
  }

  /// The rule "an order counts against the company when its deadline passed undone, or it was
  /// done late": the states that count, for the query that selects them.
  public static let overdueStates: [Governance_Evaluation_V1_RectificationState] = [.overdue, .completedLate]

  /// The rule "an open order is reminded of three days before its deadline": the
  /// number of days before the deadline (a calendar date) from which the reminder goes out.
  public static let reminderDays = 3

  /// Whether an open order due on `deadline` is to be reminded of on `today`: from three days
  /// before its deadline up to the deadline itself.
  public static func isReminderDue(deadline: Governance_Common_V1_Date, today: Governance_Common_V1_Date) -> Bool {
    let due = CalendarDate.daysSinceEpoch(
      year: Int64(deadline.year), month: Int64(deadline.month), day: Int64(deadline.day))
    let now = CalendarDate.daysSinceEpoch(year: Int64(today.year), month: Int64(today.month), day: Int64(today.day))
    return due >= now && due - now <= Int64(reminderDays)
  }
}
