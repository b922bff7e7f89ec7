import Foundation
import GRPCCore
import GovernanceAPI
import ServiceKit
import ServiceLifecycle

/// Each volunteer's call-outs, pushed on WatchMobilisations.
public typealias MobilisationHub = StreamHub<Governance_Volunteers_V1_Mobilisation>

/// `governance.volunteers.v1.VolunteersService` over gRPC: every method of the contract.
public struct VolunteersRPCService<PeerTransport: ClientTransport>: RegistrableRPCService {
  typealias Method = Governance_Volunteers_V1_VolunteersService.Method

  private let store: VolunteersStore
  private let peers: VolunteerPeers<PeerTransport>
  private let hub: MobilisationHub

  public init(store: VolunteersStore, peers: VolunteerPeers<PeerTransport>, hub: MobilisationHub = MobilisationHub()) {
    self.store = store
    self.peers = peers
    self.hub = hub
  }

  public func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
    registerTeams(with: &router)
    registerVolunteers(with: &router)
    registerPosts(with: &router)
    registerWishes(with: &router)
    registerRecords(with: &router)
    registerMobilisations(with: &router)
  }

  private func registerTeams<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
    router.registerUnary(Method.CreateTeam.descriptor) { (request: Governance_Volunteers_V1_CreateTeamRequest, _) in
      try await store.createTeam(request, by: Principal.current)
    }
    router.registerUnary(Method.GetTeam.descriptor) { (request: Governance_Volunteers_V1_GetTeamRequest, _) in
      let id = try FieldValidation.requiredID(request.id, field: "id")
      return try await store.team(id: id).orNotFound("team", id: id)
    }
    router.registerUnary(Method.ListTeams.descriptor) { (request: Governance_Volunteers_V1_ListTeamsRequest, _) in
      try await store.listTeams(request)
    }
    router.registerUnary(Method.UpdateTeam.descriptor) { (request: Governance_Volunteers_V1_UpdateTeamRequest, _) in
      try await store.updateTeam(request, by: Principal.current)
    }
    router.registerUnary(Method.AddTeamMember.descriptor) { (request: Governance_Volunteers_V1_AddTeamMemberRequest, _) in
      try await store.addTeamMember(request, by: Principal.current)
    }
    router.registerUnary(Method.RemoveTeamMember.descriptor) {
      (request: Governance_Volunteers_V1_RemoveTeamMemberRequest, _) in
      try await store.removeTeamMember(request, by: Principal.current)
    }
    router.registerUnary(Method.CreateServiceProject.descriptor) {
      (request: Governance_Volunteers_V1_CreateServiceProjectRequest, _) in
      try await store.createProject(request, by: Principal.current)
    }
    router.registerUnary(Method.GetServiceProject.descriptor) {
      (request: Governance_Volunteers_V1_GetServiceProjectRequest, _) in
      let id = try FieldValidation.requiredID(request.id, field: "id")
      return try await store.project(id: id).orNotFound("project", id: id)
    }
    router.registerUnary(Method.ListServiceProjects.descriptor) {
      (request: Governance_Volunteers_V1_ListServiceProjectsRequest, _) in
      try await store.listProjects(request)
    }
    router.registerUnary(Method.UpdateServiceProject.descriptor) {
      (request: Governance_Volunteers_V1_UpdateServiceProjectRequest, _) in
      try await store.updateProject(request, by: Principal.current)
    }
  }

  private func registerVolunteers<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
    router.registerUnary(Method.CreateVolunteer.descriptor) { (request: Governance_Volunteers_V1_CreateVolunteerRequest, _) in
      let volunteer = try VolunteerRegistry.validate(request.volunteer)
      if volunteer.hasPartyMemberID {
        _ = try await peers.partyMember(id: volunteer.partyMemberID, field: "volunteer.party_member_id")
      }
      return try await store.createVolunteer(request, validated: volunteer, by: Principal.current)
    }
    router.registerUnary(Method.GetVolunteer.descriptor) { (request: Governance_Volunteers_V1_GetVolunteerRequest, _) in
      let id = try FieldValidation.requiredID(request.id, field: "id")
      return try await store.volunteer(id: id, reveal: request.revealContact, by: Principal.current)
        .orNotFound("volunteer", id: id)
    }
    router.registerUnary(Method.ListVolunteers.descriptor) { (request: Governance_Volunteers_V1_ListVolunteersRequest, _) in
      try await store.listVolunteers(request)
    }
    router.registerUnary(Method.UpdateVolunteer.descriptor) { (request: Governance_Volunteers_V1_UpdateVolunteerRequest, _) in
      let (volunteer, paths) = try await store.proposedUpdate(request)
      if paths.contains("party_member_id"), volunteer.hasPartyMemberID {
        _ = try await peers.partyMember(id: volunteer.partyMemberID, field: "volunteer.party_member_id")
      }
      return try await store.saveVolunteer(volunteer, paths: paths, by: Principal.current)
    }
  }

  private func registerPosts<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
    router.registerUnary(Method.CreateServicePost.descriptor) {
      (request: Governance_Volunteers_V1_CreateServicePostRequest, _) in
      try await store.createPost(request, by: Principal.current)
    }
    router.registerUnary(Method.GetServicePost.descriptor) { (request: Governance_Volunteers_V1_GetServicePostRequest, _) in
      let id = try FieldValidation.requiredID(request.id, field: "id")
      return try await store.post(id: id).orNotFound("post", id: id)
    }
    router.registerUnary(Method.ListServicePosts.descriptor) {
      (request: Governance_Volunteers_V1_ListServicePostsRequest, _) in
      try await store.listPosts(request)
    }
    router.registerUnary(Method.UpdateServicePost.descriptor) {
      (request: Governance_Volunteers_V1_UpdateServicePostRequest, _) in
      try await store.updatePost(request, by: Principal.current)
    }
    router.registerUnary(Method.CloseServicePost.descriptor) { (request: Governance_Volunteers_V1_CloseServicePostRequest, _) in
      try await store.closePost(request, by: Principal.current)
    }
    router.registerUnary(Method.ClaimPost.descriptor) { (request: Governance_Volunteers_V1_ClaimPostRequest, _) in
      try await store.claimPost(request, by: Principal.current)
    }
    router.registerUnary(Method.ReleasePost.descriptor) { (request: Governance_Volunteers_V1_ReleasePostRequest, _) in
      try await store.releasePost(request, by: Principal.current)
    }
    router.registerUnary(Method.ListPostClaims.descriptor) { (request: Governance_Volunteers_V1_ListPostClaimsRequest, _) in
      try await store.listClaims(request)
    }
  }

  private func registerWishes<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
    router.registerUnary(Method.CreateMicroWish.descriptor) { (request: Governance_Volunteers_V1_CreateMicroWishRequest, _) in
      try await store.createWish(request, by: Principal.current)
    }
    router.registerUnary(Method.GetMicroWish.descriptor) { (request: Governance_Volunteers_V1_GetMicroWishRequest, _) in
      let id = try FieldValidation.requiredID(request.id, field: "id")
      return try await store.wish(id: id, reveal: request.revealResident, by: Principal.current).orNotFound("micro-wish", id: id)
    }
    router.registerUnary(Method.ListMicroWishes.descriptor) { (request: Governance_Volunteers_V1_ListMicroWishesRequest, _) in
      try await store.listWishes(request)
    }
    router.registerUnary(Method.ClaimMicroWish.descriptor) { (request: Governance_Volunteers_V1_ClaimMicroWishRequest, _) in
      let now = Date()
      return try await store.moveWish(
        method: "ClaimMicroWish", requestID: request.requestID, request: request, wishID: request.wishID, to: .claimed,
        by: Principal.current, at: now
      ) { db, wish in
        wish.claimant = try VolunteersStore.claimant(db, request.claimant)
        wish.claimTime = .init(date: now)
      }
    }
    router.registerUnary(Method.FulfilMicroWish.descriptor) { (request: Governance_Volunteers_V1_FulfilMicroWishRequest, _) in
      let note = try FieldValidation.requiredName(request.note, field: "note", maximumLength: 500)
      let now = Date()
      return try await store.moveWish(
        method: "FulfilMicroWish", requestID: request.requestID, request: request, wishID: request.wishID, to: .fulfilled,
        by: Principal.current, at: now
      ) { _, wish in
        wish.fulfilNote = note
        wish.fulfilTime = .init(date: now)
      }
    }
    router.registerUnary(Method.ConfirmMicroWish.descriptor) { (request: Governance_Volunteers_V1_ConfirmMicroWishRequest, _) in
      let comment = try FieldValidation.optionalText(request.comment, field: "comment", maximumLength: 500)
      let now = Date()
      return try await store.moveWish(
        method: "ConfirmMicroWish", requestID: request.requestID, request: request, wishID: request.wishID, to: .confirmed,
        by: Principal.current, at: now
      ) { _, wish in
        wish.confirmComment = comment
        wish.confirmTime = .init(date: now)
      }
    }
    router.registerUnary(Method.CancelMicroWish.descriptor) { (request: Governance_Volunteers_V1_CancelMicroWishRequest, _) in
      let reason = try FieldValidation.requiredName(request.reason, field: "reason", maximumLength: 500)
      return try await store.moveWish(
        method: "CancelMicroWish", requestID: request.requestID, request: request, wishID: request.wishID, to: .cancelled,
        by: Principal.current, at: Date()
      ) { _, wish in wish.cancelReason = reason }
    }
  }

  private func registerRecords<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
    router.registerUnary(Method.CreateServiceRecord.descriptor) {
      (request: Governance_Volunteers_V1_CreateServiceRecordRequest, _) in
      try await store.createRecord(request, by: Principal.current)
    }
    router.registerUnary(Method.ListServiceRecords.descriptor) {
      (request: Governance_Volunteers_V1_ListServiceRecordsRequest, _) in
      try await store.listRecords(request)
    }
    router.registerUnary(Method.ConfirmServiceRecord.descriptor) {
      (request: Governance_Volunteers_V1_ConfirmServiceRecordRequest, _) in
      try await store.decideRecord(
        method: "ConfirmServiceRecord", requestID: request.requestID, request: request, recordID: request.recordID,
        confirm: true, text: request.note, by: Principal.current)
    }
    router.registerUnary(Method.RejectServiceRecord.descriptor) {
      (request: Governance_Volunteers_V1_RejectServiceRecordRequest, _) in
      try await store.decideRecord(
        method: "RejectServiceRecord", requestID: request.requestID, request: request, recordID: request.recordID,
        confirm: false, text: request.reason, by: Principal.current)
    }
    router.registerUnary(Method.GetServiceTotals.descriptor) { (request: Governance_Volunteers_V1_GetServiceTotalsRequest, _) in
      try await store.totals(request)
    }
    router.registerUnary(Method.GetLeaderboard.descriptor) { (request: Governance_Volunteers_V1_GetLeaderboardRequest, _) in
      var board = try await store.leaderboard(request)
      if request.subject == .community || request.subject == .street {
        // Division rows are named from the grid service's register of divisions.
        let names = try await peers.divisionNames(
          under: request.divisionPrefix, level: request.subject == .community ? .community : .street)
        for index in board.entries.indices {
          board.entries[index].name = names[board.entries[index].subjectID] ?? ""
        }
      }
      return board
    }
  }

  private func registerMobilisations<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
    router.registerUnary(Method.MobiliseTeam.descriptor) { (request: Governance_Volunteers_V1_MobiliseTeamRequest, _) in
      let caseID = try FieldValidation.requiredID(request.caseID, field: "case_id")
      let gridCase = try await peers.gridCase(id: caseID)
      try Mobilisations.checkCase(gridCase)
      let mobilisation = try await store.mobilise(request, gridCase: gridCase, by: Principal.current)
      publish(mobilisation)
      return mobilisation
    }
    router.registerUnary(Method.GetMobilisation.descriptor) { (request: Governance_Volunteers_V1_GetMobilisationRequest, _) in
      let id = try FieldValidation.requiredID(request.id, field: "id")
      return try await store.mobilisation(id: id).orNotFound("mobilisation", id: id)
    }
    router.registerUnary(Method.ListMobilisations.descriptor) {
      (request: Governance_Volunteers_V1_ListMobilisationsRequest, _) in
      try await store.listMobilisations(request)
    }
    router.registerUnary(Method.AnswerMobilisation.descriptor) {
      (request: Governance_Volunteers_V1_AnswerMobilisationRequest, _) in
      let mobilisation = try await store.answer(request, by: Principal.current)
      publish(mobilisation)
      return mobilisation
    }
    router.registerUnary(Method.CloseMobilisation.descriptor) {
      (request: Governance_Volunteers_V1_CloseMobilisationRequest, _) in
      let mobilisation = try await store.closeMobilisation(request, by: Principal.current)
      publish(mobilisation)
      return mobilisation
    }
    router.registerServerStreaming(Method.WatchMobilisations.descriptor) {
      (request: Governance_Volunteers_V1_WatchMobilisationsRequest, writer: RPCWriter<Governance_Volunteers_V1_Mobilisation>, _) in
      let volunteer = try FieldValidation.requiredID(request.volunteerID, field: "volunteer_id")
      try await store.checkOwnVolunteer(volunteer, by: Principal.current)
      // Subscribe first, so nothing made between the read of the open ones and the stream is lost.
      let (stream, id) = hub.watch(volunteer)
      try await withGracefulShutdownHandler {
        try await withRPCCancellationHandler {
          if request.includeOpen {
            for mobilisation in try await store.openMobilisations(volunteer: volunteer) { try await writer.write(mobilisation) }
          }
          for await mobilisation in stream { try await writer.write(mobilisation) }
        } onCancelRPC: {
          hub.stop(id)
        }
      } onGracefulShutdown: {
        hub.stop(id)
      }
    }
  }

  /// Pushes a call-out, or its change, to every member it was sent to.
  private func publish(_ mobilisation: Governance_Volunteers_V1_Mobilisation) {
    for volunteer in mobilisation.notifiedVolunteerIds { hub.publish(mobilisation, to: volunteer) }
  }
}
