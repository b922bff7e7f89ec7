/*
 * A small gRPC client in C, on libnghttp2 (HTTP/2) and libprotobuf-c (messages), that calls one
 * RPC of each service of the platform and decodes the reply: a client that shares no code with
 * the Swift side.
 *
 * usage: grpc_call HOST ORGANISATION_PORT PROPERTY_PORT GRID_PORT VOLUNTEERS_PORT EVALUATION_PORT TOKEN
 * Prints one line per call and exits 0 when every call answered grpc-status 0.
 *
 *        grpc_call HOST GRID_PORT TOKEN truncated
 * Sends a gRPC frame whose length prefix promises more bytes than follow, ends the stream, and
 * prints the status the service answers.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <nghttp2/nghttp2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "governance/evaluation/v1/evaluation.pb-c.h"
#include "governance/grid/v1/grid.pb-c.h"
#include "governance/organisation/v1/organisation.pb-c.h"
#include "governance/property/v1/property.pb-c.h"
#include "governance/volunteers/v1/volunteers.pb-c.h"

struct call {
  int fd;
  uint8_t *request; /* the framed request: 5-byte prefix and message */
  size_t request_length, request_sent;
  uint8_t response[1 << 20];
  size_t response_length;
  int status; /* grpc-status, -1 until seen */
  char message[512];
  int closed;
};

static ssize_t send_bytes(nghttp2_session *session, const uint8_t *data, size_t length, int flags, void *user) {
  (void)session; (void)flags;
  struct call *call = user;
  ssize_t sent = send(call->fd, data, length, 0);
  return sent < 0 ? NGHTTP2_ERR_CALLBACK_FAILURE : sent;
}

static int on_header(nghttp2_session *session, const nghttp2_frame *frame, const uint8_t *name, size_t namelen,
                     const uint8_t *value, size_t valuelen, uint8_t flags, void *user) {
  (void)session; (void)frame; (void)flags;
  struct call *call = user;
  if (namelen == 11 && memcmp(name, "grpc-status", 11) == 0) call->status = atoi((const char *)value);
  if (namelen == 12 && memcmp(name, "grpc-message", 12) == 0) {
    size_t n = valuelen < sizeof call->message - 1 ? valuelen : sizeof call->message - 1;
    memcpy(call->message, value, n);
    call->message[n] = 0;
  }
  return 0;
}

static int on_data(nghttp2_session *session, uint8_t flags, int32_t stream, const uint8_t *data, size_t length, void *user) {
  (void)session; (void)flags; (void)stream;
  struct call *call = user;
  if (call->response_length + length > sizeof call->response) return NGHTTP2_ERR_CALLBACK_FAILURE;
  memcpy(call->response + call->response_length, data, length);
  call->response_length += length;
  return 0;
}

static int on_close(nghttp2_session *session, int32_t stream, uint32_t error, void *user) {
  (void)session; (void)stream; (void)error;
  ((struct call *)user)->closed = 1;
  return 0;
}

static ssize_t read_request(nghttp2_session *session, int32_t stream, uint8_t *buffer, size_t length, uint32_t *flags,
                            nghttp2_data_source *source, void *user) {
  (void)session; (void)stream; (void)source;
  struct call *call = user;
  size_t left = call->request_length - call->request_sent;
  size_t n = left < length ? left : length;
  memcpy(buffer, call->request + call->request_sent, n);
  call->request_sent += n;
  if (call->request_sent == call->request_length) *flags |= NGHTTP2_DATA_FLAG_EOF;
  return (ssize_t)n;
}

static int connect_to(const char *host, const char *port) {
  struct addrinfo hints = {0}, *found;
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  if (getaddrinfo(host, port, &hints, &found) != 0) return -1;
  int fd = socket(found->ai_family, found->ai_socktype, found->ai_protocol);
  if (fd >= 0 && connect(fd, found->ai_addr, found->ai_addrlen) != 0) { close(fd); fd = -1; }
  freeaddrinfo(found);
  return fd;
}

/* One unary call: frames `message` (already packed), sends it to `path`, leaves the reply's message
 * bytes in call->response (after the 5-byte prefix). Returns 0 on grpc-status 0. */
static int unary_framed(struct call *call, const char *host, const char *port, const char *path, const char *token,
                        const uint8_t *message, size_t length, uint32_t claimed);

static int unary(struct call *call, const char *host, const char *port, const char *path, const char *token,
                 const uint8_t *message, size_t length) {
  return unary_framed(call, host, port, path, token, message, length, (uint32_t)length);
}

/* As unary, with the frame's length prefix saying `claimed` bytes whatever `length` is. */
static int unary_framed(struct call *call, const char *host, const char *port, const char *path, const char *token,
                        const uint8_t *message, size_t length, uint32_t claimed) {
  memset(call, 0, sizeof *call);
  call->status = -1;
  call->fd = connect_to(host, port);
  if (call->fd < 0) { snprintf(call->message, sizeof call->message, "cannot connect"); return -1; }
  call->request_length = length + 5;
  call->request = malloc(call->request_length);
  call->request[0] = 0;
  call->request[1] = (uint8_t)(claimed >> 24); call->request[2] = (uint8_t)(claimed >> 16);
  call->request[3] = (uint8_t)(claimed >> 8); call->request[4] = (uint8_t)claimed;
  memcpy(call->request + 5, message, length);

  nghttp2_session_callbacks *callbacks;
  nghttp2_session_callbacks_new(&callbacks);
  nghttp2_session_callbacks_set_send_callback(callbacks, send_bytes);
  nghttp2_session_callbacks_set_on_header_callback(callbacks, on_header);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, on_data);
  nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, on_close);
  nghttp2_session *session;
  nghttp2_session_client_new(&session, callbacks, call);
  nghttp2_session_callbacks_del(callbacks);
  nghttp2_submit_settings(session, NGHTTP2_FLAG_NONE, NULL, 0);

  char authority[256], authorization[2048];
  snprintf(authority, sizeof authority, "%s:%s", host, port);
  snprintf(authorization, sizeof authorization, "Bearer %s", token);
#define HEADER(n, v) {(uint8_t *)(n), (uint8_t *)(v), strlen(n), strlen(v), NGHTTP2_NV_FLAG_NONE}
  nghttp2_nv headers[] = {
    HEADER(":method", "POST"), HEADER(":scheme", "http"), HEADER(":path", path), HEADER(":authority", authority),
    HEADER("content-type", "application/grpc+proto"), HEADER("te", "trailers"), HEADER("authorization", authorization),
  };
  nghttp2_data_provider provider = {.read_callback = read_request};
  nghttp2_submit_request(session, NULL, headers, sizeof headers / sizeof headers[0], &provider, call);

  uint8_t buffer[16384];
  while (!call->closed) {
    if (nghttp2_session_send(session) != 0) break;
    ssize_t received = recv(call->fd, buffer, sizeof buffer, 0);
    if (received <= 0) break;
    if (nghttp2_session_mem_recv(session, buffer, (size_t)received) < 0) break;
  }
  nghttp2_session_del(session);
  close(call->fd);
  free(call->request);
  return call->status == 0 && call->response_length >= 5 ? 0 : -1;
}

#define PACK(type, value, bytes, length) \
  do { length = type##__get_packed_size(&value); bytes = malloc(length); type##__pack(&value, bytes); } while (0)

int main(int argc, char **argv) {
  if (argc == 5 && strcmp(argv[4], "truncated") == 0) {
    static struct call truncated;
    const uint8_t partial[3] = {0x1a, 0x03, 0x33};
    unary_framed(&truncated, argv[1], argv[2], "/governance.grid.v1.GridService/ListCases", argv[3], partial, 3, 100);
    printf("truncated status=%d message=%s\n", truncated.status, truncated.message);
    return 0;
  }
  if (argc != 8) {
    fprintf(stderr, "usage: %s HOST ORG_PORT PROPERTY_PORT GRID_PORT VOLUNTEERS_PORT EVALUATION_PORT TOKEN\n", argv[0]);
    return 2;
  }
  const char *host = argv[1], *token = argv[7];
  static struct call call;
  uint8_t *bytes;
  size_t length;
  int failures = 0;

  /* grid: register a district, and read back what the service made of it. */
  Governance__Grid__V1__Division division = GOVERNANCE__GRID__V1__DIVISION__INIT;
  division.division_code = "320113000000";
  division.name = "玄武区";
  Governance__Grid__V1__CreateDivisionRequest create = GOVERNANCE__GRID__V1__CREATE_DIVISION_REQUEST__INIT;
  create.division = &division;
  PACK(governance__grid__v1__create_division_request, create, bytes, length);
  if (unary(&call, host, argv[4], "/governance.grid.v1.GridService/CreateDivision", token, bytes, length) == 0) {
    Governance__Grid__V1__Division *made =
      governance__grid__v1__division__unpack(NULL, call.response_length - 5, call.response + 5);
    printf("grid CreateDivision ok id=%s name=%s level=%d\n", made->id, made->name, made->level);
    governance__grid__v1__division__free_unpacked(made, NULL);
  } else { printf("grid CreateDivision failed %d %s\n", call.status, call.message); failures++; }
  free(bytes);

  /* organisation: the paired units of the district. */
  Governance__Organisation__V1__ListPairedUnitsRequest units = GOVERNANCE__ORGANISATION__V1__LIST_PAIRED_UNITS_REQUEST__INIT;
  units.division_prefix = "320113";
  PACK(governance__organisation__v1__list_paired_units_request, units, bytes, length);
  if (unary(&call, host, argv[2], "/governance.organisation.v1.OrganisationService/ListPairedUnits", token, bytes, length) == 0) {
    Governance__Organisation__V1__ListPairedUnitsResponse *answer =
      governance__organisation__v1__list_paired_units_response__unpack(NULL, call.response_length - 5, call.response + 5);
    printf("organisation ListPairedUnits ok units=%zu\n", answer->n_units);
    governance__organisation__v1__list_paired_units_response__free_unpacked(answer, NULL);
  } else { printf("organisation ListPairedUnits failed %d %s\n", call.status, call.message); failures++; }
  free(bytes);

  /* property: the compounds of the district. */
  Governance__Property__V1__ListCompoundsRequest compounds = GOVERNANCE__PROPERTY__V1__LIST_COMPOUNDS_REQUEST__INIT;
  compounds.division_prefix = "320113";
  PACK(governance__property__v1__list_compounds_request, compounds, bytes, length);
  if (unary(&call, host, argv[3], "/governance.property.v1.PropertyService/ListCompounds", token, bytes, length) == 0) {
    Governance__Property__V1__ListCompoundsResponse *answer =
      governance__property__v1__list_compounds_response__unpack(NULL, call.response_length - 5, call.response + 5);
    printf("property ListCompounds ok compounds=%zu\n", answer->n_compounds);
    governance__property__v1__list_compounds_response__free_unpacked(answer, NULL);
  } else { printf("property ListCompounds failed %d %s\n", call.status, call.message); failures++; }
  free(bytes);

  /* volunteers: a team, created and decoded. */
  Governance__Volunteers__V1__Team team = GOVERNANCE__VOLUNTEERS__V1__TEAM__INIT;
  team.name = "红管家先锋突击队";
  team.kind = GOVERNANCE__VOLUNTEERS__V1__TEAM_KIND__TEAM_KIND_RED_BUTLER_SQUAD;
  team.division_code = "320113005001";
  Governance__Volunteers__V1__CreateTeamRequest createTeam = GOVERNANCE__VOLUNTEERS__V1__CREATE_TEAM_REQUEST__INIT;
  createTeam.team = &team;
  PACK(governance__volunteers__v1__create_team_request, createTeam, bytes, length);
  if (unary(&call, host, argv[5], "/governance.volunteers.v1.VolunteersService/CreateTeam", token, bytes, length) == 0) {
    Governance__Volunteers__V1__Team *made =
      governance__volunteers__v1__team__unpack(NULL, call.response_length - 5, call.response + 5);
    printf("volunteers CreateTeam ok id=%s active=%d\n", made->id, made->active);
    governance__volunteers__v1__team__free_unpacked(made, NULL);
  } else { printf("volunteers CreateTeam failed %d %s\n", call.status, call.message); failures++; }
  free(bytes);

  /* evaluation: the rating policy in force for the district. */
  Governance__Evaluation__V1__GetRatingPolicyRequest policy = GOVERNANCE__EVALUATION__V1__GET_RATING_POLICY_REQUEST__INIT;
  policy.division_code = "320113000000";
  PACK(governance__evaluation__v1__get_rating_policy_request, policy, bytes, length);
  if (unary(&call, host, argv[6], "/governance.evaluation.v1.EvaluationService/GetRatingPolicy", token, bytes, length) == 0) {
    Governance__Evaluation__V1__RatingPolicy *answer =
      governance__evaluation__v1__rating_policy__unpack(NULL, call.response_length - 5, call.response + 5);
    printf("evaluation GetRatingPolicy ok weights=%zu inherited=%d red=%.0f\n", answer->n_weights, answer->inherited,
           answer->red_list_min_score);
    governance__evaluation__v1__rating_policy__free_unpacked(answer, NULL);
  } else { printf("evaluation GetRatingPolicy failed %d %s\n", call.status, call.message); failures++; }
  free(bytes);

  return failures == 0 ? 0 : 1;
}
