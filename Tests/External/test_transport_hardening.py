"""Hostile and unusual HTTP/2 clients against the real services: raw frames from Python's `h2`
and bursts from a standard grpcio client. Each case is answered with a gRPC status or refused per
stream; no process dies (their pids are the same at the end) and no call hangs.

Kinds covered: every request header the transport decodes (`grpc-timeout`, `grpc-encoding`,
`grpc-accept-encoding`, `content-type`, `te`, pseudo-headers), the 5-byte message prefix
(compressed flag, length), a request stream that ends without a message, and more concurrent
streams on one connection than the server takes at once.
"""
import concurrent.futures
import pathlib
import socket
import struct
import sys
import tempfile
import time
import unittest
import urllib.request

import grpc
import grpc_tools
import h2.config
import h2.connection
import h2.events
from grpc_tools import protoc

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from system import ROOT, System  # noqa: E402

HEALTH = "/grpc.health.v1.Health/Check"
GET_COMPOUND = "/governance.property.v1.PropertyService/GetCompound"
IDLE_SECONDS = 4
GOAWAY_GRACE_SECONDS = 2


class Stream:
    """What one raw HTTP/2 stream got back: response headers, trailers, a reset, or nothing."""

    def __init__(self):
        self.headers: dict = {}
        self.trailers: dict = {}
        self.reset = None
        self.ended = False

    @property
    def status(self):
        """grpc-status from trailers, or from trailers-only headers."""
        value = self.trailers.get("grpc-status", self.headers.get("grpc-status"))
        return None if value is None else int(value)

    @property
    def message(self) -> str:
        return self.trailers.get("grpc-message", self.headers.get("grpc-message", ""))


class RawConnection:
    """One HTTP/2 connection over which raw frames are sent and answers collected."""

    def __init__(self, port: int):
        self.socket = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.h2 = h2.connection.H2Connection(h2.config.H2Configuration(
            client_side=True, header_encoding="utf-8", validate_outbound_headers=False, normalize_outbound_headers=False))
        self.h2.initiate_connection()
        self.streams: dict[int, Stream] = {}
        self.closed = False
        self.flush()

    def flush(self):
        data = self.h2.data_to_send()
        if data:
            self.socket.sendall(data)

    def open(self, path: str, extra=(), token: str | None = None, content_type="application/grpc",
             end_stream=False, te="trailers") -> int:
        stream_id = self.h2.get_next_available_stream_id()
        headers = [(":method", "POST"), (":scheme", "http"), (":path", path), (":authority", "127.0.0.1")]
        if content_type is not None:
            headers.append(("content-type", content_type))
        if te is not None:
            headers.append(("te", te))
        if token:
            headers.append(("authorization", f"Bearer {token}"))
        headers += list(extra)
        self.h2.send_headers(stream_id, headers, end_stream=end_stream)
        self.streams[stream_id] = Stream()
        self.flush()
        return stream_id

    def send(self, stream_id: int, body: bytes, end_stream=True):
        self.h2.send_data(stream_id, body, end_stream=end_stream)
        self.flush()

    def wait(self, stream_ids, timeout=5.0):
        """Reads until every stream in `stream_ids` ended or was reset, or `timeout` passed."""
        deadline = time.monotonic() + timeout
        pending = set(stream_ids)
        while pending and not self.closed and time.monotonic() < deadline:
            self.socket.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                data = self.socket.recv(65536)
            except socket.timeout:
                break
            if not data:
                self.closed = True
                break
            for event in self.h2.receive_data(data):
                stream = self.streams.get(getattr(event, "stream_id", None))
                if isinstance(event, h2.events.ResponseReceived):
                    stream.headers = dict(event.headers)
                elif isinstance(event, h2.events.TrailersReceived):
                    stream.trailers = dict(event.headers)
                elif isinstance(event, h2.events.DataReceived):
                    self.h2.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                elif isinstance(event, h2.events.StreamEnded):
                    stream.ended = True
                    pending.discard(event.stream_id)
                elif isinstance(event, h2.events.StreamReset):
                    stream.reset = event.error_code
                    pending.discard(event.stream_id)
                elif isinstance(event, h2.events.ConnectionTerminated):
                    self.closed = True
            self.flush()
        return [self.streams[i] for i in stream_ids]

    def call(self, path, body=b"", timeout=5.0, **kwargs) -> Stream:
        stream_id = self.open(path, **kwargs)
        if not kwargs.get("end_stream"):
            self.send(stream_id, body)
        return self.wait([stream_id], timeout)[0]

    def close(self):
        self.socket.close()


def framed(message: bytes, flag: int = 0) -> bytes:
    return struct.pack(">BI", flag, len(message)) + message


class TransportHardeningTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.system = System(env={"GOVERNANCE_IDLE_CONNECTION_SECONDS": str(IDLE_SECONDS),
                                 "GOVERNANCE_KEEPALIVE_TIMEOUT_SECONDS": str(GOAWAY_GRACE_SECONDS),
                                 "GOVERNANCE_GATEWAY_IDLE_SECONDS": str(IDLE_SECONDS)})
        cls.pids = cls.system.pids()
        cls.ports = [cls.system.port(name) for name in ["organisation", "property", "grid", "volunteers", "evaluation"]]

    @classmethod
    def tearDownClass(cls):
        cls.system.stop()

    def tearDown(self):
        # Whatever the case sent, every service still answers and none was restarted.
        for port in self.ports:
            connection = RawConnection(port)
            answer = connection.call(HEALTH, framed(b""))
            connection.close()
            self.assertEqual(answer.status, 0, f"port {port} does not answer health after the case")
        self.assertEqual(self.system.pids(), self.pids, "a process was restarted: it died during the case")

    def test_negative_grpc_timeout_is_invalid_argument_on_every_service(self):
        for port in self.ports:
            connection = RawConnection(port)
            answer = connection.call(HEALTH, framed(b""), extra=[("grpc-timeout", "-1S")])
            connection.close()
            self.assertEqual(answer.status, 3, f"port {port}: {answer.headers} {answer.trailers} reset={answer.reset}")
            self.assertIn("grpc-timeout", answer.message)

    def test_every_malformed_grpc_timeout_is_answered(self):
        values = ["-1S", "-0S", "+5S", "1", "S", "", "123456789S", "99999999H", "1x", "1.5S", "0x10S", " 1S",
                  "1S ", "１S", "٣S", "1s", "-99999999n", "9" * 200 + "S", "1S,2S"]
        connection = RawConnection(self.ports[0])
        for value in values:
            answer = connection.call(HEALTH, framed(b""), extra=[("grpc-timeout", value)])
            self.assertIsNotNone(answer.status, f"grpc-timeout {value!r}: no status (reset={answer.reset})")
            if value not in ["99999999H"]:
                self.assertEqual(answer.status, 3, f"grpc-timeout {value!r}: {answer.status} {answer.message}")
        connection.close()

    def test_other_headers_the_transport_decodes(self):
        cases = [
            dict(extra=[("grpc-encoding", "gzip")]),
            dict(extra=[("grpc-encoding", "br")]),
            dict(extra=[("grpc-encoding", "gzip"), ("grpc-encoding", "identity")]),
            dict(extra=[("grpc-encoding", "\u00e9\u00e9")]),
            dict(extra=[("grpc-accept-encoding", ",,,;;;=gzip,\u4e2d")]),
            dict(extra=[("grpc-accept-encoding", "x" * 8000)]),
            dict(content_type="application/grpc+json"),
            dict(content_type="application/grpcx"),
            dict(content_type="text/plain"),
            dict(content_type=None),
            dict(te=None),
        ]
        connection = RawConnection(self.ports[2])
        for case in cases:
            answer = connection.call(HEALTH, framed(b""), **case)
            answered = answer.status is not None or answer.headers.get(":status") not in (None, "200")
            self.assertTrue(answered, f"{case}: no answer ({answer.headers} reset={answer.reset})")
        # A TE other than "trailers" makes the request malformed HTTP/2 (RFC 9113 §8.2.2): that one
        # stream is reset with PROTOCOL_ERROR and the connection goes on.
        answer = connection.call(HEALTH, framed(b""), te="gzip")
        self.assertEqual(answer.reset, 1, f"te: gzip: {answer.headers} {answer.trailers}")
        self.assertEqual(connection.call(HEALTH, framed(b"")).status, 0, "the connection did not go on after te: gzip")
        for path in ["/", "/x", "//", "/grpc.health.v1.Health/", "/%00/%00", "/" + "a" * 4000 + "/b"]:
            answer = connection.call(path, framed(b""))
            self.assertIsNotNone(answer.status, f"path {path[:40]!r}: no status")
        connection.close()

    def test_a_unary_call_ended_without_a_message_is_answered_at_once(self):
        connection = RawConnection(self.system.port("property"))
        started = time.monotonic()
        bare = connection.call(GET_COMPOUND, token=self.system.token, end_stream=True, timeout=5)
        self.assertIsNotNone(bare.status, "HEADERS with END_STREAM and no DATA got no status")
        self.assertLess(time.monotonic() - started, 2)
        empty = connection.call(GET_COMPOUND, b"", token=self.system.token)
        self.assertEqual(bare.status, empty.status, "a request with no DATA and one with empty DATA differ")
        # Many at once: every one answered, nothing pinned.
        ids = [connection.open(GET_COMPOUND, token=self.system.token, end_stream=True) for _ in range(200)]
        answers = connection.wait(ids, timeout=20)
        self.assertTrue(all(a.status is not None for a in answers), "some of 200 bare requests got no status")
        connection.close()

    def test_compressed_flag_without_grpc_encoding_is_internal(self):
        connection = RawConnection(self.system.port("property"))
        answer = connection.call(GET_COMPOUND, bytes.fromhex("01000000020801"), token=self.system.token)
        self.assertEqual(answer.status, 13, f"{answer.headers} {answer.trailers} reset={answer.reset}")
        self.assertIn("compressed flag", answer.message)
        answer = connection.call(GET_COMPOUND, bytes.fromhex("07000000020801"), token=self.system.token)
        self.assertEqual(answer.status, 13, f"flag 7: {answer.trailers} reset={answer.reset}")
        connection.close()

    def test_message_prefix_longer_than_any_message_is_resource_exhausted(self):
        connection = RawConnection(self.system.port("property"))
        stream_id = connection.open(GET_COMPOUND, token=self.system.token)
        connection.send(stream_id, bytes.fromhex("00ffffffff") + b"\x0a", end_stream=False)
        answer = connection.wait([stream_id])[0]
        self.assertEqual(answer.status, 8, f"{answer.trailers} reset={answer.reset}")
        connection.close()

    def test_idle_and_silent_connections_are_closed(self):
        # Neither peer ever answers the server: one sends nothing at all, the other its preface
        # and nothing more. Each is sent GOAWAY when idle and closed a grace period later, though
        # it never acknowledges the GOAWAY's ping.
        silent = socket.create_connection(("127.0.0.1", self.system.port("grid")), timeout=20)
        preface_only = RawConnection(self.system.port("grid"))
        preface_only.socket.settimeout(20)
        started = time.monotonic()
        for sock in [silent, preface_only.socket]:
            frames = self.frame_types(self.drain(sock))
            self.assertIn(7, frames, f"no GOAWAY before the close: frame types {frames}")
        elapsed = time.monotonic() - started
        self.assertGreaterEqual(elapsed, IDLE_SECONDS - 0.5)
        self.assertLess(elapsed, IDLE_SECONDS + GOAWAY_GRACE_SECONDS + 4)
        silent.close()
        preface_only.close()

    def test_the_gateway_closes_connections_that_send_no_request(self):
        # One peer sends nothing, one the start of a request whose headers never end: both are
        # closed once idle, so nobody holds the gateway's connections without asking anything.
        host, port = self.system.gateway.removeprefix("http://").split(":")
        silent = socket.create_connection((host, int(port)), timeout=IDLE_SECONDS + 10)
        partial = socket.create_connection((host, int(port)), timeout=IDLE_SECONDS + 10)
        partial.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        started = time.monotonic()
        for sock in [silent, partial]:
            self.drain(sock)
        self.assertLess(time.monotonic() - started, IDLE_SECONDS + 5)
        silent.close()
        partial.close()
        with urllib.request.urlopen(f"{self.system.gateway}/healthz", timeout=20) as answer:
            self.assertEqual(answer.status, 200)

    @staticmethod
    def drain(sock) -> bytes:
        """Everything the server sends until it closes the connection."""
        received = b""
        while True:
            data = sock.recv(65536)
            if not data:
                return received
            received += data

    @staticmethod
    def frame_types(data: bytes) -> list:
        """The HTTP/2 frame types in what a server sent (RFC 9113 §4.1: 9-byte headers)."""
        types, offset = [], 0
        while offset + 9 <= len(data):
            length = int.from_bytes(data[offset:offset + 3], "big")
            types.append(data[offset + 3])
            offset += 9 + length
        return types

    def test_a_burst_of_concurrent_calls_on_one_connection_all_get_answers(self):
        stubs = tempfile.mkdtemp(prefix="governance-burst-")
        include = pathlib.Path(grpc_tools.__file__).parent / "_proto"
        protos = [str(path.relative_to(ROOT / "proto")) for path in (ROOT / "proto" / "governance").rglob("*.proto")]
        self.assertEqual(protoc.main(["protoc", f"-I{ROOT / 'proto'}", f"-I{include}", f"--python_out={stubs}",
                                      f"--grpc_python_out={stubs}", *protos]), 0)
        sys.path.insert(0, stubs)
        from governance.property.v1 import property_pb2 as pb, property_pb2_grpc as rpc
        metadata = [("authorization", f"Bearer {self.system.token}")]
        channel = grpc.insecure_channel(f"127.0.0.1:{self.system.port('property')}")
        stub = rpc.PropertyServiceStub(channel)
        for burst in [400, 800, 1500]:
            calls = [stub.GetCompound.future(pb.GetCompoundRequest(id=f"cmp_{i}"), metadata=metadata, timeout=60)
                     for i in range(burst)]
            codes = {}
            for call in calls:
                try:
                    call.result()
                    code = grpc.StatusCode.OK
                except grpc.RpcError as error:
                    code = error.code()
                codes[code] = codes.get(code, 0) + 1
            self.assertEqual(set(codes), {grpc.StatusCode.NOT_FOUND}, f"burst of {burst}: {codes}")
        channel.close()


if __name__ == "__main__":
    unittest.main()
