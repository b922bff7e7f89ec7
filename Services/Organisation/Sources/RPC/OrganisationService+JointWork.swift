import Foundation
import GRPCCore
import GovernanceAPI
import ServiceKit

/// Joint work: major-matter reports, cross-appointments (交叉任职) and joint conferences (联席会议).
extension OrganisationService {
  /// Registers a cross appointment; INVALID_ARGUMENT names the field a rule refuses, and a retried request_id returns the first answer.
  public func createCrossAppointment(
    request: Governance_Organisation_V1_CreateCrossAppointmentRequest, context: ServerContext
  ) async throws -> Governance_Organisation_V1_CrossAppointment {
    _ = try await property.company(
      id: try FieldValidation.requiredID(
        request.appointment.propertyCompanyID, field: "appointment.property_company_id"))
    return try await store.createCrossAppointment(request, by: Principal.current)
  }

  /// Ends a cross-appointment on a date; the record is kept.
  public func endCrossAppointment(
    request: Governance_Organisation_V1_EndCrossAppointmentRequest, context: ServerContext
  ) async throws -> Governance_Organisation_V1_CrossAppointment {
    try await store.endCrossAppointment(request, by: Principal.current)
  }

  /// By person, company or community.
  public func listCrossAppointments(
    request: Governance_Organisation_V1_ListCrossAppointmentsRequest, context: ServerContext
  ) async throws -> Governance_Organisation_V1_ListCrossAppointmentsResponse {
    try await store.listCrossAppointments(request)
  }

  /// Records a conference held: participants, agenda, minutes and items on the four lists.
  public func createConference(request: Governance_Organisation_V1_CreateConferenceRequest, context: ServerContext)
    async throws -> Governance_Organisation_V1_Conference
  {
    try await store.createConference(request, by: Principal.current)
  }

  /// One conference by id; NOT_FOUND when there is none.
  public func getConference(request: Governance_Organisation_V1_GetConferenceRequest, context: ServerContext)
    async throws -> Governance_Organisation_V1_Conference
  {
    let id = try FieldValidation.requiredID(request.id, field: "id")
    return try await store.conference(id: id).orNotFound(id: id)
  }

  /// A page of conferences matching the request's filters, held to the caller's jurisdiction, with the next page's token.
  public func listConferences(request: Governance_Organisation_V1_ListConferencesRequest, context: ServerContext)
    async throws -> Governance_Organisation_V1_ListConferencesResponse
  {
    try await store.listConferences(request)
  }

  /// Communities under a prefix with no conference in a given quarter.
  public func listConferenceGaps(request: Governance_Organisation_V1_ListConferenceGapsRequest, context: ServerContext)
    async throws -> Governance_Organisation_V1_ListConferenceGapsResponse
  {
    try await store.conferenceGaps(request)
  }

  /// Records a major-matter report of a body to its party organisation.
  public func reportMajorMatter(request: Governance_Organisation_V1_ReportMajorMatterRequest, context: ServerContext)
    async throws -> Governance_Organisation_V1_MajorMatterReport
  {
    try await store.reportMajorMatter(request, by: Principal.current)
  }

  /// A page of major matter reports matching the request's filters, held to the caller's jurisdiction, with the next page's token.
  public func listMajorMatterReports(
    request: Governance_Organisation_V1_ListMajorMatterReportsRequest, context: ServerContext
  ) async throws -> Governance_Organisation_V1_ListMajorMatterReportsResponse {
    try await store.listMajorMatters(request)
  }
}
