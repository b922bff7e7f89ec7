"""Traces across services: with OpenTelemetry's standard settings (`OTEL_TRACES_EXPORTER=otlp`,
OTLP/HTTP), one console request through the gateway that crosses three services (the coverage
dashboard: the gateway asks organisation, which asks property and grid) arrives at an OTLP/HTTP
receiver as one trace, each span the child of the one that caused it, continuing the caller's W3C
`traceparent`. The receiver is a plain HTTP server decoding the export with OpenTelemetry's own
protobuf definitions (PyPI's opentelemetry-proto)."""
import gzip
import json
import os
import pathlib
import sys
import threading
import time
import unittest
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from system import System  # noqa: E402

COVERAGE = "/governance.organisation.v1.OrganisationService/GetCoverage"


class Receiver:
    """An OTLP/HTTP trace receiver on loopback: every span exported, with its process's name."""

    def __init__(self):
        self.spans, self.requests, self.lock = [], 0, threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                export = trace_service_pb2.ExportTraceServiceRequest.FromString(body)
                with receiver.lock:
                    receiver.requests += 1
                    for resource in export.resource_spans:
                        attributes = {a.key: a.value.string_value for a in resource.resource.attributes}
                        for scope in resource.scope_spans:
                            receiver.spans += [(attributes.get("service.name"), span) for span in scope.spans]
                answer = trace_service_pb2.ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}/v1/traces"

    def trace(self, trace_id: bytes) -> list:
        with self.lock:
            return [(service, span) for service, span in self.spans if span.trace_id == trace_id]


def attributes(span) -> dict:
    values = {}
    for attribute in span.attributes:
        value = attribute.value
        values[attribute.key] = value.string_value if value.HasField("string_value") else value.int_value
    return values


class TracesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.receiver = Receiver()
        cls.system = System(env={
            "OTEL_TRACES_EXPORTER": "otlp",
            "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": cls.receiver.endpoint,
            "OTEL_BSP_SCHEDULE_DELAY": "200",
            "GOVERNANCE_WEBHOOK_ALLOW_PRIVATE": "1",
        })
        cls.key = cls.system.apikey("traces", scope="3201")
        # Webhooks belong to systems' keys other than a city administrator's.
        cls.district = cls.system.apikey("traces-district", role="district", scope="320113")

    @classmethod
    def tearDownClass(cls):
        cls.system.stop()
        cls.receiver.server.shutdown()
        cls.receiver.server.server_close()

    def test_an_event_is_delivered_in_the_trace_of_the_call_that_caused_it(self):
        """The case's event goes through the grid service's outbox and the gateway's delivery queue;
        the webhook's POST carries the trace on (`traceparent`), its span a child of CreateCase."""
        posts, lock = [], threading.Lock()

        class Webhook(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers["Content-Length"]))
                with lock:
                    posts.append(dict(self.headers))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        webhook = ThreadingHTTPServer(("127.0.0.1", 0), Webhook)
        threading.Thread(target=webhook.serve_forever, daemon=True).start()
        self.addCleanup(webhook.server_close)
        self.addCleanup(webhook.shutdown)
        request = urllib.request.Request(
            f"{self.system.gateway}/webhooks/subscriptions",
            data=json.dumps({"url": f"http://127.0.0.1:{webhook.server_address[1]}/hook", "kinds": ["case.*"],
                             "divisionPrefix": "320113"}).encode(),
            headers={"Authorization": f"Bearer {self.district}", "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            self.assertEqual(response.status, 201)
        for code in ["320113000000", "320113005000", "320113005001"]:
            self.call("/governance.grid.v1.GridService/CreateDivision",
                      {"division": {"divisionCode": code, "name": f"区划{code[-3:]}"}}, {})
        trace_id = os.urandom(16)
        created = self.call("/governance.grid.v1.GridService/CreateCase", {"gridCase": {
            "source": "CASE_SOURCE_RESIDENT", "category": "环境卫生", "title": "楼道堆物", "divisionCode": "320113005001"}},
            {"traceparent": f"00-{trace_id.hex()}-{os.urandom(8).hex()}-01"})
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with lock:
                ours = [post for post in posts if post.get("traceparent", "").split("-")[1:2] == [trace_id.hex()]]
            if ours:
                break
            time.sleep(0.2)
        self.assertTrue(ours, f"no delivery carried the trace; {len(posts)} posts: {posts[:2]}")
        self.assertEqual(ours[0]["webhook-id"][:4], "msg_")
        spans = self.wait_for(trace_id, {"gateway", "grid"})
        deliveries = [span for service, span in spans if service == "gateway" and span.name == "deliver webhook"]
        self.assertTrue(deliveries, [(service, span.name) for service, span in spans])
        delivery = deliveries[0]
        self.assertEqual(delivery.kind, delivery.SPAN_KIND_PRODUCER)
        self.assertTrue(attributes(delivery)["governance.event.kind"].startswith("case."))
        # The delivery's parent is the grid's span of the CreateCase that appended the event, and the
        # receiver was told the delivery's own span.
        by_id = {span.span_id: (service, span) for service, span in spans}
        cause = by_id[delivery.parent_span_id]
        self.assertEqual((cause[0], cause[1].name), ("grid", "governance.grid.v1.GridService/CreateCase"))
        self.assertEqual(ours[0]["traceparent"].split("-")[2], delivery.span_id.hex())
        self.assertTrue(created["id"].startswith("case_"))

    def call(self, path: str, body: dict, headers: dict) -> dict:
        request = urllib.request.Request(
            f"{self.system.gateway}{path}", data=json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {self.key}", "Content-Type": "application/json", **headers})
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())

    def wait_for(self, trace_id: bytes, services: set, seconds: float = 20) -> list:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            spans = self.receiver.trace(trace_id)
            if services <= {service for service, _ in spans}:
                # The last batches of the slower processes may follow by one schedule delay.
                time.sleep(1)
                return self.receiver.trace(trace_id)
            time.sleep(0.2)
        self.fail(f"spans of {services} never arrived; got {[(s, p.name) for s, p in self.receiver.trace(trace_id)]}")

    def test_one_console_request_is_one_trace_across_the_services_it_crosses(self):
        trace_id, caller_span = os.urandom(16), os.urandom(8)
        traceparent = f"00-{trace_id.hex()}-{caller_span.hex()}-01"
        answer = self.call(COVERAGE, {"divisionPrefix": "3201", "includeChildren": True}, {"traceparent": traceparent})
        self.assertEqual(answer.get("divisionPrefix"), "3201")
        spans = self.wait_for(trace_id, {"gateway", "organisation", "property", "grid"})
        by_id = {span.span_id: (service, span) for service, span in spans}

        def parent(span):
            return by_id.get(span.parent_span_id)

        roots = [(service, span) for service, span in spans if span.parent_span_id not in by_id]
        # The gateway's request span continues the caller's trace; every other span hangs below it.
        self.assertEqual([(service, span.parent_span_id) for service, span in roots], [("gateway", caller_span)])
        gateway = roots[0][1]
        self.assertEqual(attributes(gateway)["url.path"], COVERAGE)
        self.assertEqual(attributes(gateway)["http.response.status_code"], 200)

        def server_span(service, method):
            found = [span for name, span in spans if name == service and span.name.endswith(method)
                     and span.kind == span.SPAN_KIND_SERVER]
            self.assertEqual(len(found), 1, f"{service} {method}: {[(n, s.name) for n, s in spans]}")
            return found[0]

        organisation = server_span("organisation", "/GetCoverage")
        client = parent(organisation)
        self.assertEqual((client[0], client[1].kind), ("gateway", gateway.SPAN_KIND_CLIENT))
        self.assertEqual(client[1].parent_span_id, gateway.span_id)
        for service in ["property", "grid"]:
            with self.subTest(service):
                served = [span for name, span in spans if name == service and span.kind == span.SPAN_KIND_SERVER]
                self.assertTrue(served, f"no span from {service}")
                for span in served:
                    caller = parent(span)
                    self.assertEqual(caller[0], "organisation")
                    self.assertEqual(caller[1].kind, span.SPAN_KIND_CLIENT)
                    self.assertEqual(caller[1].parent_span_id, organisation.span_id)
        # What every RPC span says: the RPC, its status and the jurisdiction, nothing about the caller.
        described = attributes(organisation)
        self.assertEqual(described["rpc.system"], "grpc")
        self.assertEqual(described["rpc.service"], "governance.organisation.v1.OrganisationService")
        self.assertEqual(described["rpc.method"], "GetCoverage")
        self.assertEqual(described["rpc.grpc.status_code"], 0)
        self.assertEqual(described["governance.jurisdiction"], "3201")
        self.assertEqual(described["governance.caller.role"], "city_admin")
        for service, span in spans:
            keys = set(attributes(span))
            self.assertFalse(keys & {"user_agent.original", "url.query", "net.sock.peer.addr", "enduser.id"},
                             f"{service} {span.name}: {keys}")
            for value in attributes(span).values():
                self.assertNotIn(self.key, str(value))

    def test_a_refused_call_is_an_error_span_and_probes_make_none(self):
        trace_id = os.urandom(16)
        request = urllib.request.Request(
            f"{self.system.gateway}{COVERAGE}", data=json.dumps({"divisionPrefix": "3202"}).encode(),
            headers={"Authorization": f"Bearer {self.key}", "Content-Type": "application/json",
                     "traceparent": f"00-{trace_id.hex()}-{os.urandom(8).hex()}-01"})
        with self.assertRaises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=30)
        self.assertEqual(refused.exception.code, 403)
        spans = self.wait_for(trace_id, {"gateway", "organisation"})
        organisation = [span for service, span in spans if service == "organisation"][0]
        self.assertEqual(attributes(organisation)["rpc.grpc.status_code"], 7)
        self.assertEqual(organisation.status.code, organisation.status.STATUS_CODE_ERROR)
        # Probes make no spans: /healthz (which asks every service's health) and /metrics, asked here
        # with the span of the refused call already exported.
        for path in ["/healthz", "/metrics"]:
            with urllib.request.urlopen(f"{self.system.gateway}{path}", timeout=10) as response:
                self.assertEqual(response.status, 200)
        time.sleep(1)
        with self.receiver.lock:
            names = {span.name for _, span in self.receiver.spans}
        self.assertFalse([name for name in names if "Health" in name or "Outbox" in name or "healthz" in name], names)


if __name__ == "__main__":
    unittest.main()
