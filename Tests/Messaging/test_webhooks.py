"""Webhook delivery (docs/MESSAGES.md), against the real processes started by `governance up`:
the grid service appends each case event to its outbox in the transaction of the change, the
gateway relays it into deliveries and posts them, signed, to a receiver that is a real HTTP server
on loopback (`Receiver`: it fails, goes down, hangs or accepts as a test tells it, and keeps every
request it was sent).

- `DeliveryTest` (one system, `GOVERNANCE_WEBHOOK_ALLOW_PRIVATE=1`, retries after 200 ms):
  every event arrives exactly once after de-duplication by `webhook-id`, signed (Python's
  `standardwebhooks` verifies every request; a tampered body fails), each record's events in
  order, through failures and a receiver that is down; a receiver answering 500 is held back as
  a whole (a few probes per retry, not every queued event); a grid service killed (SIGKILL) after
  committing events the stopped (SIGSTOP) gateway had not read yet loses none, nor does a gateway
  killed with deliveries pending; a hung receiver does not slow the RPCs that produce events; a
  subscription paused after 10 failures over a while keeps its events and delivers them all when resumed; a
  redirect is not followed.
- `DeadLetterTest` (`GOVERNANCE_DELIVERY_ATTEMPTS=3`): a delivery that always fails becomes a
  dead letter an administrator sees and replays.
- `HostileInputTest` (private targets not allowed): subscriptions that must be refused are.

The city platform's key subscribes, and hears of the cases it pushed (IntakeCityCase, with its
own case number) as its change feed does; the administrator's key moves them on (accepted, notes).
The latency test times CreateCase, whose cases a district's system key hears. Each test subscribes
to a community of its own, so the tests sharing a system see only their own events. The events a
test expects are read from the grid service's own SQLite file (its outbox). The binaries are
`.build/debug/` (or GOVERNANCE_BIN_DIR).
"""
import contextlib
import http.cookiejar
import http.server
import json
import os
import pathlib
import random
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request
import uuid

import pyotp
from standardwebhooks import Webhook, WebhookVerificationError

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "External"))
from system import BIN, ROOT, System, access_token  # noqa: E402

GRID = "/governance.grid.v1.GridService"
DISTRICT, STREET = "320113000000", "320113005000"
PASSWORD = "Webhook-test-2026"


def free_port() -> int:
    """A free loopback port outside the ephemeral range: a receiver that goes down and binds again
    must find its port still free, not taken as the source port of someone's outgoing connection."""
    try:
        low, high = map(int, pathlib.Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split())
    except (OSError, ValueError):
        low, high = 32768, 60999
    for _ in range(200):
        port = random.randint(20000, 65000)
        if low <= port <= high:
            continue
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    raise RuntimeError("no free port outside the ephemeral range")


def wait_for(predicate, timeout: float, message, interval: float = 0.1):
    """Waits until `predicate()` is truthy and returns it; AssertionError with `message()` (or the
    string) after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(message() if callable(message) else message)
        time.sleep(interval)


def call(base: str, method: str, path: str, body=None, key: str | None = None, raw: bytes | None = None,
         headers: dict | None = None, opener=None, timeout: float = 10) -> tuple:
    """One HTTP request; the status and the JSON answer (or the raw bytes when not JSON)."""
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    if key:
        all_headers["Authorization"] = f"Bearer {key}"
    request = urllib.request.Request(base + path, data=data, method=method, headers=all_headers)
    try:
        with (opener or urllib.request.build_opener()).open(request, timeout=timeout) as response:
            status, answer = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, answer = error.code, error.read()
    try:
        return status, json.loads(answer) if answer else {}
    except ValueError:
        return status, answer


class Receiver:
    """A webhook receiver: `http.server` on 127.0.0.1 at a fixed port, answering each POST as told.

    - `fail(n, then_down=s)`: the next n requests are answered 500; with `then_down`, once they
      are spent the receiver is down for s seconds (its listening socket closed, so connections
      are refused) and then accepts again;
    - `down()` / `up()`: closes / binds again the listening socket on the same port;
    - `hang()`: requests are read and kept but never answered (until `accept()` or `stop()`);
    - `redirect(url)`: requests are answered 307 to `url`;
    - `accept()`: requests are answered 204.

    Every request that reached it is kept in `requests` (headers, body, arrival time and the
    status it was answered with, None when it was not answered)."""

    def __init__(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/hooks/governance"
        self.lock = threading.Lock()
        self.requests: list[dict] = []
        self.failures_left = 0
        self.down_after_failures = 0.0
        self.going_down = False
        self.hanging: threading.Event | None = None
        self.location = ""
        self.server = None
        # When `fail(then_down=…)` took it down and brought it up again.
        self.down_since: float | None = None
        self.up_again: float | None = None
        self.up()

    def up(self):
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(handler):
                if receiver.going_down:
                    # Accepted by the kernel just before the socket closed: dropped unread, as a
                    # receiver that is down would.
                    handler.close_connection = True
                    return
                body = handler.rfile.read(int(handler.headers.get("Content-Length", "0")))
                entry = {"headers": {name.lower(): value for name, value in handler.headers.items()}, "body": body,
                         "at": time.monotonic(), "status": None}
                with receiver.lock:
                    receiver.requests.append(entry)
                    hanging = receiver.hanging
                    if receiver.failures_left > 0:
                        receiver.failures_left -= 1
                        status = 500
                        if receiver.failures_left == 0 and receiver.down_after_failures:
                            receiver.going_down = True
                            threading.Thread(target=receiver._down_for, args=(receiver.down_after_failures,),
                                             daemon=True).start()
                            receiver.down_after_failures = 0.0
                    elif hanging is not None:
                        status = None
                    elif receiver.location:
                        status = 307
                    else:
                        status = 204
                if status is None:
                    hanging.wait(60)
                    handler.close_connection = True
                    return
                entry["status"] = status
                handler.send_response(status)
                if status == 307:
                    handler.send_header("Location", receiver.location)
                handler.send_header("Content-Length", "0")
                handler.end_headers()

            def log_message(handler, *arguments):
                pass

        for _ in range(50):
            try:
                self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError(f"port {self.port} could not be bound again")
        self.going_down = False
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def down(self):
        self.going_down = True
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def _down_for(self, seconds: float):
        self.down()
        self.down_since = time.monotonic()
        time.sleep(seconds)
        self.up()
        self.up_again = time.monotonic()

    def fail(self, count: int, then_down: float = 0.0):
        with self.lock:
            self.failures_left = count
            self.down_after_failures = then_down

    def hang(self):
        with self.lock:
            self.hanging = threading.Event()

    def redirect(self, location: str):
        with self.lock:
            self.location = location

    def accept(self):
        with self.lock:
            self.failures_left = 0
            self.location = ""
            if self.hanging is not None:
                self.hanging.set()
            self.hanging = None

    def stop(self):
        self.accept()
        self.down()

    def snapshot(self) -> list[dict]:
        with self.lock:
            return list(self.requests)

    def accepted_ids(self) -> set:
        """The event ids (the body's `id`) the receiver answered 204."""
        return {json.loads(entry["body"])["id"] for entry in self.snapshot() if entry["status"] == 204}


class Console:
    """A console session (cookie and CSRF token), as the browser holds it."""

    def __init__(self, base: str, username: str, otp: str = ""):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        status, answer = call(base, "POST", "/auth/login", {"username": username, "password": PASSWORD, "otp": otp},
                              opener=self.opener)
        assert status == 200, (status, answer)
        self.csrf = answer["csrfToken"]

    def request(self, method: str, path: str, body=None, **options) -> tuple:
        return call(self.base, method, path, body, opener=self.opener, headers={"X-CSRF-Token": self.csrf}, **options)


def make_user(system: System, username: str, role: str, scope: str) -> str:
    """A console user made with the operator tool; its TOTP secret, or "" for roles without one."""
    created = subprocess.run(
        [BIN / "governance", "user", "create", "--data", system.data, "--username", username, "--role", role,
         "--scope", scope], env={**os.environ, "GOVERNANCE_PASSWORD": PASSWORD}, capture_output=True, text=True,
        check=True)
    return next((line.split(": ", 1)[1].strip() for line in created.stdout.splitlines() if "TOTP" in line), "")


def percentile(values: list, share: float) -> float:
    """The nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, int(share * len(ordered) + 0.999999) - 1))]


class Platform:
    """One system and the keys the tests use: a city administrator's API key (`admin`) that makes
    divisions and cases, and the city platform's key (`platform`, scope "") that subscribes."""

    def __init__(self, env: dict, communities: int):
        self.system = System(env=env)
        try:
            self.admin = self.system.apikey("webhook-admin")
            self.platform = self.system.apikey("city-platform", role="city_platform", scope="")
            self.communities = [f"320113005{index:03d}" for index in range(1, communities + 1)]
            for code in [DISTRICT, STREET, *self.communities]:
                status, answer = self.grid("CreateDivision",
                                           {"division": {"divisionCode": code, "name": f"区划{code}"}})
                assert status == 200, (status, answer)
        except BaseException:
            self.system.stop()
            raise

    @property
    def base(self) -> str:
        return self.system.gateway

    def grid(self, method: str, body: dict, key: str | None = None) -> tuple:
        return call(self.base, "POST", f"{GRID}/{method}", body, key=key or self.admin)

    def push_case(self, community: str, title: str = "路灯不亮") -> str:
        """A case the city platform pushes (IntakeCityCase with its own number): the cases its
        webhooks hear of."""
        status, answer = self.grid("IntakeCityCase", {
            "requestId": str(uuid.uuid4()), "externalId": f"12345-{uuid.uuid4().hex[:12]}", "channel": "12345",
            "gridCase": {"category": "设施维修", "title": title, "divisionCode": community}}, key=self.platform)
        assert status == 200 and answer["created"], (status, answer)
        return answer["gridCase"]["id"]

    def create_case(self, community: str, title: str = "路灯不亮") -> str:
        """A case a resident reported, entered by the administrator (CreateCase)."""
        status, answer = self.grid("CreateCase", {"requestId": str(uuid.uuid4()), "gridCase": {
            "source": "CASE_SOURCE_RESIDENT", "category": "设施维修", "title": title, "divisionCode": community}})
        assert status == 200, (status, answer)
        return answer["id"]

    def step(self, case_id: str, step: int):
        """Moves a case one step on: accepted, then notes."""
        if step == 0:
            status, answer = self.grid("AcceptCase", {"requestId": str(uuid.uuid4()), "caseId": case_id})
        else:
            status, answer = self.grid("AddCaseNote", {"requestId": str(uuid.uuid4()), "caseId": case_id,
                                                       "note": f"第{step}次到场查看"})
        assert status == 200, (status, answer)

    def subscribe(self, url: str, community: str, key: str | None = None) -> dict:
        status, answer = call(self.base, "POST", "/webhooks/subscriptions",
                              {"url": url, "kinds": ["case.*"], "divisionPrefix": community}, key=key or self.platform)
        assert status == 201, (status, answer)
        return answer

    def unsubscribe(self, subscription: dict, key: str | None = None):
        call(self.base, "DELETE", f"/webhooks/subscriptions/{subscription['id']}", key=key or self.platform)

    def subscription(self, subscription_id: str) -> dict:
        status, answer = call(self.base, "GET", "/webhooks/subscriptions", key=self.platform)
        assert status == 200, (status, answer)
        return next(found for found in answer["subscriptions"] if found["id"] == subscription_id)

    def deliveries(self, state: str, key: str | None = None) -> list:
        status, answer = call(self.base, "GET", f"/deliveries?state={state}&limit=500", key=key or self.platform)
        assert status == 200, (status, answer)
        return answer["deliveries"]

    def committed(self, records) -> dict:
        """The events the grid service committed for `records`, read from its own SQLite file:
        event id → (sequence, kind, record, relayed)."""
        records = list(records)
        with contextlib.closing(sqlite3.connect(f"file:{pathlib.Path(self.system.data) / 'grid.sqlite'}?mode=ro",
                                                uri=True)) as db:
            rows = db.execute(
                f"SELECT sequence, kind, record, relayed_at FROM outbox_event WHERE record IN "
                f"({','.join('?' * len(records))}) ORDER BY sequence", records).fetchall()
        return {f"evt_grid_{sequence}": (sequence, kind, record, relayed is not None)
                for sequence, kind, record, relayed in rows}

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.base}/healthz", timeout=2) as response:
                return response.status == 200
        except (OSError, urllib.error.HTTPError):
            return False

    def wait_restarted(self, name: str, old_pid: int, timeout: float = 30) -> int:
        def restarted():
            pid = self.system.pids()[name]
            return pid if pid != old_pid and self.healthy() else None
        return wait_for(restarted, timeout, lambda: f"{name} was not back:\n{''.join(self.system.output[-15:])}", 0.2)


class Checks:
    """Assertions on what a receiver got for a set of committed events."""

    def assert_delivered_exactly_once(self, receiver: Receiver, secret: str, expected: dict, timeout: float = 60,
                                      order_from: float = 0.0):
        """Waits until every event of `expected` (as `Platform.committed` answers) was accepted,
        then checks: de-duplicated by webhook-id, each arrived exactly once; every request's
        signature verifies and a tampered body does not; each record's events came in increasing
        sequence (those that arrived after `order_from`, a `time.monotonic()`); nothing else came.
        Returns (requests, distinct deliveries, duplicates): a duplicate is a request for a delivery
        the receiver had already accepted or had received and never answered (a lost answer), not a
        retry after a refusal."""
        wait_for(lambda: set(expected) <= receiver.accepted_ids(), timeout,
                 lambda: f"not delivered: {sorted(set(expected) - receiver.accepted_ids())}")
        time.sleep(0.3)  # a late retry, if any, is counted too
        requests = receiver.snapshot()
        webhook = Webhook(secret)
        by_webhook_id: dict[str, list] = {}
        for entry in requests:
            # Every request, retries and refused ones too, is signed with the subscription's secret.
            verified = webhook.verify(entry["body"], entry["headers"])
            self.assertEqual(verified, json.loads(entry["body"]))
            self.assertLess(abs(int(entry["headers"]["webhook-timestamp"]) - time.time()), 300)
            self.assertEqual(entry["headers"]["content-type"], "application/json")
            by_webhook_id.setdefault(entry["headers"]["webhook-id"], []).append(entry)
        for webhook_id, entries in by_webhook_id.items():
            self.assertEqual(len({entry["body"] for entry in entries}), 1, f"{webhook_id} carried different bodies")
        # A tampered body, a wrong secret and a replayed old timestamp fail verification.
        sample = requests[-1]
        tampered = sample["body"].replace(b'"type":"case.', b'"type":"casX.')
        self.assertNotEqual(tampered, sample["body"])
        with self.assertRaises(WebhookVerificationError):
            webhook.verify(tampered, sample["headers"])
        with self.assertRaises(WebhookVerificationError):
            Webhook("whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0MTIzNDU=").verify(sample["body"], sample["headers"])
        with self.assertRaises(WebhookVerificationError):
            webhook.verify(sample["body"], {**sample["headers"], "webhook-timestamp": str(int(time.time()) - 3600)})
        # De-duplicated by webhook-id, each committed event arrived exactly once and nothing else did.
        event_ids: dict[str, set] = {}
        for webhook_id, entries in by_webhook_id.items():
            event_ids.setdefault(json.loads(entries[0]["body"])["id"], set()).add(webhook_id)
        self.assertEqual(set(event_ids), set(expected))
        for event_id, webhook_ids in event_ids.items():
            self.assertEqual(len(webhook_ids), 1, f"{event_id} was delivered as {len(webhook_ids)} deliveries")
        # The body is the event.
        for entries in by_webhook_id.values():
            body = json.loads(entries[0]["body"])
            sequence, kind, record, _ = expected[body["id"]]
            self.assertEqual((body["type"], body["record"]), (kind, record))
            self.assertEqual(body["data"]["gridCase"]["id"], record)
            self.assertEqual(body["division_code"], body["data"]["gridCase"]["divisionCode"])
            self.assertRegex(body["timestamp"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        # Each record's events in order: every request (retries included) in increasing sequence.
        by_record: dict[str, list] = {}
        for entry in sorted(requests, key=lambda entry: entry["at"]):
            if entry["at"] < order_from:
                continue
            body = json.loads(entry["body"])
            by_record.setdefault(body["record"], []).append(int(body["id"].rsplit("_", 1)[1]))
        for record, sequences in by_record.items():
            self.assertEqual(sequences, sorted(sequences), f"{record}'s events out of order: {sequences}")
            if not order_from:
                self.assertEqual(sorted(set(sequences)),
                                 sorted(sequence for sequence, _, of, _ in expected.values() if of == record))
        duplicates = sum(1 for entries in by_webhook_id.values()
                         for before in sorted(entries, key=lambda entry: entry["at"])[:-1]
                         if before["status"] is None or 200 <= before["status"] < 300)
        return len(requests), len(by_webhook_id), duplicates


class ReceiverPerTest:
    """A fresh receiver for each test of a class whose `platform` is shared."""

    def setUp(self):
        self.receiver = Receiver()
        self.addCleanup(self.receiver.stop)

    def community(self, index: int) -> str:
        return self.platform.communities[index]


class DeliveryTest(ReceiverPerTest, unittest.TestCase, Checks):
    @classmethod
    def setUpClass(cls):
        cls.platform = Platform({"GOVERNANCE_WEBHOOK_ALLOW_PRIVATE": "1", "GOVERNANCE_DELIVERY_RETRY_BASE_MS": "200"},
                                communities=6)

    @classmethod
    def tearDownClass(cls):
        cls.platform.system.stop()


    def test_every_event_arrives_once_signed_and_in_order_through_failures_and_downtime(self):
        p = self.platform
        subscription = p.subscribe(self.receiver.url, self.community(0))
        self.addCleanup(p.unsubscribe, subscription)
        self.assertRegex(subscription["secret"], r"^whsec_[A-Za-z0-9+/]{43}=$")
        self.receiver.fail(5, then_down=3.0)
        cases = [p.push_case(self.community(0), f"路灯不亮{index}") for index in range(10)]
        for index, case_id in enumerate(cases):
            for step in range({0: 3, 1: 3, 2: 2, 3: 2, 4: 1, 5: 1}.get(index, 0)):
                p.step(case_id, step)
        expected = p.committed(cases)
        self.assertEqual(len(expected), 10 + 3 + 3 + 2 + 2 + 1 + 1)
        requests, deliveries, duplicates = self.assert_delivered_exactly_once(self.receiver, subscription["secret"],
                                                                              expected)
        answered = [entry["status"] for entry in self.receiver.snapshot()]
        self.assertEqual(answered.count(500), 5)
        self.assertIsNotNone(self.receiver.up_again, "the receiver never went down and up again")
        arrived_while_down = [entry for entry in self.receiver.snapshot()
                              if self.receiver.down_since < entry["at"] < self.receiver.up_again]
        self.assertEqual(arrived_while_down, [])
        # The gateway's own account agrees: nothing pending, each delivered once.
        wait_for(lambda: not [d for d in p.deliveries("pending") if d["record"] in cases], 10, "still pending")
        delivered = [d for d in p.deliveries("delivered") if d["record"] in cases]
        self.assertEqual(sorted(d["eventID"] for d in delivered), sorted(expected))
        attempts = sorted(d["attempts"] for d in delivered)
        print(f"\n  exactly once: {len(expected)} events, {requests} requests, {deliveries} deliveries, "
              f"{requests - deliveries - duplicates} retries after a refusal, {duplicates} duplicates (lost answers); "
              f"attempts per delivery {attempts}")
        self.assertGreater(sum(attempts), len(expected), "no delivery was retried")

    def test_killed_processes_lose_no_event(self):
        p = self.platform
        subscription = p.subscribe(self.receiver.url, self.community(1))
        self.addCleanup(p.unsubscribe, subscription)
        data = pathlib.Path(p.system.data)

        # 1. Committed in the grid service's file, not yet read by the gateway, then the grid
        # service is killed: the gateway is stopped (SIGSTOP), the cases are made over gRPC straight
        # to the grid service, as a system holding a token would.
        grid_pb, grid_rpc, grpc = grid_stubs()
        pids = p.system.pids()
        token_key = (data / "token.key").read_bytes()
        as_platform = [("authorization", f"Bearer {access_token(token_key, 'city_platform')}")]
        as_admin = [("authorization", f"Bearer {access_token(token_key)}")]
        os.kill(pids["gateway"], signal.SIGSTOP)
        try:
            time.sleep(1.5)  # the gateway's pending long poll (1 s) is over: nothing more is read
            with grpc.insecure_channel(f"127.0.0.1:{p.system.port('grid')}") as channel:
                stub = grid_rpc.GridServiceStub(channel)
                direct = []
                for index in range(3):
                    case = stub.IntakeCityCase(grid_pb.IntakeCityCaseRequest(
                        request_id=str(uuid.uuid4()), external_id=f"12345-direct-{uuid.uuid4().hex[:8]}",
                        channel="12345", grid_case=grid_pb.Case(category="设施维修", title=f"直连推送{index}",
                                                                division_code=self.community(1))),
                        metadata=as_platform, timeout=10).grid_case
                    stub.AcceptCase(grid_pb.AcceptCaseRequest(request_id=str(uuid.uuid4()), case_id=case.id),
                                    metadata=as_admin, timeout=10)
                    direct.append(case.id)
            committed = p.committed(direct)
            self.assertEqual(len(committed), 6)
            self.assertFalse(any(relayed for *_, relayed in committed.values()), "acknowledged by a stopped gateway?")
            with contextlib.closing(sqlite3.connect(f"file:{data / 'gateway.sqlite'}?mode=ro", uri=True)) as db:
                cursor = db.execute("SELECT sequence FROM outbox_cursor WHERE service = 'grid'").fetchone()
            self.assertLess(cursor[0] if cursor else 0, min(sequence for sequence, *_ in committed.values()),
                            "the gateway had stored them already")
            os.kill(pids["grid"], signal.SIGKILL)
        finally:
            os.kill(pids["gateway"], signal.SIGCONT)
        p.wait_restarted("grid", pids["grid"])
        self.assertEqual(set(p.committed(direct)), set(committed), "the events are in the file after the kill")
        self.assert_delivered_exactly_once(self.receiver, subscription["secret"], committed)

        # 2. The gateway killed with deliveries pending, some of them in flight (received, never
        # answered): the receiver is down while they are queued, then hangs.
        self.receiver.down()
        queued = [p.push_case(self.community(1), f"网关重启{index}") for index in range(3)]
        for case_id in queued:
            p.step(case_id, 0)
        later = p.committed(queued)
        self.assertEqual(len(later), 6)
        wait_for(lambda: set(later) <= {d["eventID"] for d in p.deliveries("pending")}, 15,
                 "the gateway did not queue the events")
        self.receiver.hang()
        self.receiver.up()
        wait_for(lambda: {json.loads(e["body"])["record"] for e in self.receiver.snapshot()} >= set(queued), 30,
                 "the receiver did not get the first event of each record")
        gateway = p.system.pids()["gateway"]
        os.kill(gateway, signal.SIGKILL)
        in_flight = {e["headers"]["webhook-id"] for e in self.receiver.snapshot() if e["status"] is None}
        self.assertEqual(len(in_flight), len(queued), "the first event of each record was in flight")
        self.receiver.accept()
        p.wait_restarted("gateway", gateway)
        requests, deliveries, duplicates = self.assert_delivered_exactly_once(
            self.receiver, subscription["secret"], {**committed, **later})
        resent = {e["headers"]["webhook-id"] for e in self.receiver.snapshot() if e["status"] == 204} & in_flight
        self.assertEqual(resent, in_flight, "what was in flight when the gateway died is sent again, same webhook-id")
        self.assertGreaterEqual(duplicates, len(in_flight))
        print(f"\n  kill -9: {len(committed)} events committed behind a stopped gateway and a killed grid, "
              f"{len(later)} pending at the gateway's kill ({len(in_flight)} in flight): {requests} requests, "
              f"{deliveries} deliveries, {duplicates} duplicates")

    def test_a_hung_receiver_does_not_slow_the_rpc(self):
        p = self.platform

        def timed(count: int) -> list:
            times = []
            for index in range(count):
                started = time.perf_counter()
                p.create_case(self.community(2), f"计时{index}")
                times.append(time.perf_counter() - started)
            return times

        timed(10)  # warm the connections
        baseline = timed(50)
        # CreateCase's cases are heard by the district's system (the city platform hears only the
        # cases it pushed).
        district = p.system.apikey("district-system", role="district", scope=DISTRICT[:6])
        subscription = p.subscribe(self.receiver.url, self.community(2), key=district)
        self.addCleanup(p.unsubscribe, subscription, district)
        self.receiver.hang()
        timed(8)
        wait_for(lambda: len(self.receiver.snapshot()) >= 4, 10, "no attempt reached the hung receiver")
        hung_started = self.receiver.snapshot()[0]["at"]
        loaded = timed(50)
        hanging = [e for e in self.receiver.snapshot() if e["status"] is None]
        figures = {name: (percentile(values, 0.5) * 1000, percentile(values, 0.99) * 1000, max(values) * 1000)
                   for name, values in [("no subscription", baseline), ("hung receiver", loaded)]}
        print("\n  CreateCase through the gateway, 50 calls each (ms): " + "; ".join(
            f"{name}: p50 {p50:.1f}, p99 {p99:.1f}, max {top:.1f}" for name, (p50, p99, top) in figures.items()))
        self.assertGreaterEqual(len(hanging), 4, "the receiver was not holding requests while the calls were timed")
        self.assertLess(max(loaded), 1.0)
        self.assertLess(figures["hung receiver"][1], 2 * figures["no subscription"][1] + 50)
        self.assertLess(figures["hung receiver"][0], 2 * figures["no subscription"][0] + 50)
        # Each hung attempt is cut off after 10 s: then the receiver's next delivery is attempted
        # (the cut-off one waits its turn behind the older ones due before it), and the gateway
        # records the failure.
        fifth = wait_for(lambda: self.receiver.snapshot()[4:], 20, "no hung attempt was cut off")[0]
        first = self.receiver.snapshot()[0]
        print(f"  the first hung attempt was cut off after {fifth['at'] - first['at']:.1f} s")
        self.assertGreater(fifth["at"] - first["at"], 9.5)
        self.assertLess(fifth["at"] - first["at"], 12)
        cut = wait_for(lambda: [d for d in p.deliveries("pending", key=district)
                                if d["id"] == first["headers"]["webhook-id"] and d["attempts"] == 1], 5,
                       "the cut-off attempt was not recorded")[0]
        print(f"  recorded: {cut['lastError']}")
        self.assertIn("no answer from the receiver", cut["lastError"])

    def test_a_redirect_is_not_followed(self):
        p = self.platform
        elsewhere = Receiver()
        self.addCleanup(elsewhere.stop)
        subscription = p.subscribe(self.receiver.url, self.community(4))
        self.addCleanup(p.unsubscribe, subscription)
        self.receiver.redirect(elsewhere.url)
        case_id = p.push_case(self.community(4))
        wait_for(lambda: len(self.receiver.snapshot()) >= 2, 15,
                 lambda: f"the receiver was called {len(self.receiver.snapshot())} times, the redirect's target "
                         f"{len(elsewhere.snapshot())} times")
        self.assertEqual(elsewhere.snapshot(), [], "the gateway followed the receiver's redirect")
        [pending] = [d for d in p.deliveries("pending") if d["record"] == case_id]
        self.assertGreaterEqual(pending["attempts"], 1)
        self.assertEqual(pending["lastError"], "the receiver answered 307")


    def test_an_unavailable_receiver_is_held_back_as_a_whole(self):
        # A receiver answering 500 to everything gets a few probes per retry, not every queued
        # event on its own backoff (DeliveryRules.holdsSubscription); once it accepts again, every
        # event arrives exactly once.
        p = self.platform
        subscription = p.subscribe(self.receiver.url, self.community(5))
        self.addCleanup(p.unsubscribe, subscription)
        self.receiver.fail(10_000)
        cases = [p.push_case(self.community(5), f"停电{index}") for index in range(40)]
        expected = p.committed(cases)
        self.assertGreaterEqual(len(expected), 40)
        time.sleep(3.0)
        refused = self.receiver.snapshot()
        probed = {json.loads(entry["body"])["id"] for entry in refused}
        self.assertTrue(refused, "the receiver was never tried")
        self.assertTrue(all(entry["status"] == 500 for entry in refused))
        self.assertLess(len(refused), len(expected),
                        f"{len(refused)} requests for {len(expected)} events: the failing receiver was not held back")
        self.receiver.accept()
        requests, deliveries, duplicates = self.assert_delivered_exactly_once(self.receiver, subscription["secret"],
                                                                              expected)
        print(f"\n  held back: {len(expected)} events queued while the receiver answered 500 for 3 s; "
              f"{len(refused)} requests reached it meanwhile, for {len(probed)} of the events; "
              f"then {deliveries} delivered in {requests - len(refused)} requests ({duplicates} duplicates)")


class PauseTest(ReceiverPerTest, unittest.TestCase, Checks):
    """Its own system: a subscription is paused only after failing for a while
    (GOVERNANCE_DELIVERY_PAUSE_AFTER_SECONDS, an hour by default), which here is 2 s."""

    @classmethod
    def setUpClass(cls):
        cls.platform = Platform({"GOVERNANCE_WEBHOOK_ALLOW_PRIVATE": "1", "GOVERNANCE_DELIVERY_RETRY_BASE_MS": "200",
                                 "GOVERNANCE_DELIVERY_PAUSE_AFTER_SECONDS": "2"}, communities=4)

    @classmethod
    def tearDownClass(cls):
        cls.platform.system.stop()


    def test_a_failing_receiver_pauses_the_subscription_and_nothing_is_dropped(self):
        p = self.platform
        secret = make_user(p.system, "webhook-city-admin", "city_admin", "")
        subscription = p.subscribe(self.receiver.url, self.community(3))
        self.addCleanup(p.unsubscribe, subscription)
        self.receiver.fail(10_000)
        cases = [p.push_case(self.community(3), f"暂停{index}") for index in range(6)]
        paused = wait_for(lambda: (lambda s: s if s["state"] == "paused" else None)(p.subscription(subscription["id"])),
                          30, "the subscription was not paused")
        # Paused once it failed 10 attempts in a row and for 2 s (GOVERNANCE_DELIVERY_PAUSE_AFTER_SECONDS).
        failures = int(re.match(r"^(\d+) consecutive failures; last: the receiver answered 500",
                                paused["pausedReason"]).group(1))
        self.assertGreaterEqual(failures, 10)
        # Attempts stop: only those already under way (4 to a receiver) end after it.
        time.sleep(1.0)
        attempts = len(self.receiver.snapshot())
        self.assertGreaterEqual(attempts, failures)
        self.assertLessEqual(attempts, failures + 4)
        time.sleep(1.5)
        self.assertEqual(len(self.receiver.snapshot()), attempts, "attempts went on while paused")
        # Events keep being queued while paused, and none is dropped or dead.
        for case_id in cases[:3]:
            p.step(case_id, 0)
        expected = p.committed(cases)
        self.assertEqual(len(expected), 9)
        wait_for(lambda: {d["eventID"] for d in p.deliveries("pending") if d["record"] in cases} == set(expected), 15,
                 "not every event is pending while paused")
        self.assertEqual([d for d in p.deliveries("dead") if d["record"] in cases], [])
        self.assertEqual(len(self.receiver.snapshot()), attempts)
        # Every city administrator is told under the bell.
        console = Console(p.base, "webhook-city-admin", pyotp.TOTP(secret).now())
        status, bell = console.request("GET", "/notifications")
        self.assertEqual(status, 200, bell)
        self.assertTrue(any(item["kind"] == "webhook.paused" and subscription["url"] in item["title"]
                            for item in bell["items"]), bell)
        # Resumed, everything goes out.
        self.receiver.accept()
        status, answer = call(p.base, "POST", f"/webhooks/subscriptions/{subscription['id']}/resume", key=p.platform)
        self.assertEqual((status, answer.get("state")), (200, "active"), answer)
        requests, deliveries, duplicates = self.assert_delivered_exactly_once(self.receiver, subscription["secret"],
                                                                              expected)
        self.assertEqual(p.subscription(subscription["id"])["state"], "active")
        print(f"\n  paused after {attempts} failed attempts; resumed: {len(expected)} events delivered "
              f"({duplicates} duplicates)")


class DeadLetterTest(unittest.TestCase, Checks):
    @classmethod
    def setUpClass(cls):
        cls.platform = Platform({"GOVERNANCE_WEBHOOK_ALLOW_PRIVATE": "1", "GOVERNANCE_DELIVERY_RETRY_BASE_MS": "200",
                                 "GOVERNANCE_DELIVERY_ATTEMPTS": "3"}, communities=1)

    @classmethod
    def tearDownClass(cls):
        cls.platform.system.stop()

    def test_a_delivery_that_keeps_failing_is_a_dead_letter_and_replayed(self):
        p = self.platform
        receiver = Receiver()
        self.addCleanup(receiver.stop)
        subscription = p.subscribe(receiver.url, p.communities[0])
        receiver.fail(10_000)
        case_id = p.push_case(p.communities[0])
        p.step(case_id, 0)
        expected = p.committed([case_id])
        self.assertEqual(len(expected), 2)
        # Both become dead letters, the second only after the first (order per record).
        dead = wait_for(lambda: [d for d in p.deliveries("dead", key=p.admin) if d["record"] == case_id][1:] and
                        [d for d in p.deliveries("dead", key=p.admin) if d["record"] == case_id], 30,
                        lambda: f"not dead: {p.deliveries('pending', key=p.admin)}")
        dead.sort(key=lambda d: int(d["eventID"].rsplit("_", 1)[1]))
        self.assertEqual([d["eventID"] for d in dead], sorted(expected, key=lambda e: expected[e][0]))
        for letter in dead:
            self.assertEqual((letter["attempts"], letter["state"], letter["target"]), (3, "dead", subscription["id"]))
            self.assertEqual(letter["lastError"], "the receiver answered 500")
        by_id = {}
        for entry in receiver.snapshot():
            by_id.setdefault(entry["headers"]["webhook-id"], []).append(entry)
        self.assertEqual({key: len(entries) for key, entries in by_id.items()}, {d["id"]: 3 for d in dead})
        first_of_second = min(e["at"] for e in by_id[dead[1]["id"]])
        self.assertLess(max(e["at"] for e in by_id[dead[0]["id"]]), first_of_second)
        # The key that owns the subscription sees its own dead letters, but does not replay them.
        self.assertEqual({d["id"] for d in p.deliveries("dead") if d["record"] == case_id}, {d["id"] for d in dead})
        status, answer = call(p.base, "POST", f"/deliveries/{dead[0]['id']}/replay", key=p.platform)
        self.assertEqual(status, 403, answer)
        status, answer = call(p.base, "POST", "/deliveries/msg_nothing/replay", key=p.admin)
        self.assertEqual(status, 404, answer)
        # Recovered, and replayed by an administrator: they arrive, in order.
        receiver.accept()
        replayed = time.monotonic()
        for letter in dead:
            status, answer = call(p.base, "POST", f"/deliveries/{letter['id']}/replay", key=p.admin)
            self.assertEqual((status, answer), (200, {"id": letter["id"], "state": "pending"}))
        self.assert_delivered_exactly_once(receiver, subscription["secret"], expected, order_from=replayed)
        self.assertEqual([entry["headers"]["webhook-id"] for entry in receiver.snapshot() if entry["at"] > replayed],
                         [letter["id"] for letter in dead])
        delivered = wait_for(lambda: [d for d in p.deliveries("delivered", key=p.admin) if d["record"] == case_id][1:]
                             and [d for d in p.deliveries("delivered", key=p.admin) if d["record"] == case_id], 10,
                             "not recorded delivered")
        self.assertEqual({(d["id"], d["attempts"]) for d in delivered}, {(d["id"], 1) for d in dead})
        status, answer = call(p.base, "POST", f"/deliveries/{dead[0]['id']}/replay", key=p.admin)
        self.assertEqual(status, 400, answer)
        self.assertEqual(answer["code"], "failed_precondition")


class HostileInputTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # "0": private targets are not allowed, whatever the developer's environment says.
        cls.system = System(env={"GOVERNANCE_WEBHOOK_ALLOW_PRIVATE": "0"})
        cls.platform = cls.system.apikey("city-platform", role="city_platform", scope="320113005")
        cls.admin = cls.system.apikey("webhook-admin")
        make_user(cls.system, "community-officer", "community", "320113005001")

    @classmethod
    def tearDownClass(cls):
        cls.system.stop()

    def subscribe(self, body=None, key=None, **options) -> tuple:
        return call(self.system.gateway, "POST", "/webhooks/subscriptions", body,
                    key=self.platform if key is None else key, **options)

    def assert_refused(self, answer: tuple, status: int, field: str | None = None):
        self.assertEqual(answer[0], status, answer)
        if field:
            self.assertTrue(answer[1]["message"].startswith(f"{field}: "), answer[1]["message"])
            violations = [d for d in answer[1]["details"] if d["type"] == "google.rpc.BadRequest"]
            self.assertEqual(violations[0]["debug"]["fieldViolations"][0]["field"], field)

    def test_private_and_plain_http_targets_are_refused(self):
        port = free_port()
        for url in [f"http://127.0.0.1:{port}/hook", "http://hooks.example.cn/hook", "https://127.0.0.1/hook",
                    "https://localhost/hook", "https://10.2.3.4/hook", "https://192.168.1.10/hook",
                    "https://172.20.0.1/hook", "https://169.254.169.254/latest/meta-data", "https://[::1]/hook",
                    "https://[fd00::1]/hook", "https://0.0.0.0/hook",
                    # The same hosts written as a resolver also reads them.
                    f"https://127.1:{port}/hook", f"https://2130706433:{port}/hook", f"https://0x7f000001:{port}/hook",
                    f"https://0177.0.0.1:{port}/hook", f"https://[::ffff:127.0.0.1]:{port}/hook",
                    f"https://[::ffff:7f00:1]:{port}/hook", f"https://[0:0:0:0:0:0:0:1]:{port}/hook",
                    f"https://localhost.:{port}/hook", "https://[::ffff:10.0.0.1]/hook",
                    "ftp://hooks.example.cn/hook", "hooks.example.cn/hook", "https://user:secret@hooks.example.cn/",
                    "https://hooks.example.cn/" + "a" * 2000]:
            with self.subTest(url=url[:60]):
                self.assert_refused(self.subscribe({"url": url, "kinds": ["case.*"]}), 400, "url")

    def test_unknown_kinds_are_refused(self):
        for kinds in [["case.nope"], ["cases.*"], [], ["case.reported"] * 31, ["case"], [""]]:
            with self.subTest(kinds=kinds[:3]):
                self.assert_refused(self.subscribe({"url": "https://hooks.example.cn/h", "kinds": kinds}), 400, "kinds")

    def test_a_division_outside_the_key_is_forbidden(self):
        for prefix in ["320114", "3201", ""]:
            with self.subTest(prefix=prefix):
                self.assert_refused(self.subscribe(
                    {"url": "https://hooks.example.cn/h", "kinds": ["*"], "divisionPrefix": prefix}), 403)
        self.assert_refused(self.subscribe(
            {"url": "https://hooks.example.cn/h", "kinds": ["*"], "divisionPrefix": "32011300500x"}), 400,
            "division_prefix")

    def test_only_a_system_key_subscribes(self):
        body = {"url": "https://hooks.example.cn/h", "kinds": ["case.*"]}
        self.assert_refused(self.subscribe(body, key=self.admin), 403)
        console = Console(self.system.gateway, "community-officer")
        self.assert_refused(console.request("POST", "/webhooks/subscriptions", body), 403)
        self.assert_refused(self.subscribe(body, key=""), 401)
        self.assert_refused(self.subscribe(body, key="not-a-key"), 401)

    def test_a_body_that_is_not_the_json_asked_for_is_refused(self):
        for raw in [b"{not json", b"", b"[]", b'{"url": 5, "kinds": ["case.*"]}', b'{"kinds": ["case.*"]}',
                    "{\"url\": \"https://hooks.example.cn/\u0000\", \"kinds\": [\"case.*\"]}".encode()]:
            with self.subTest(raw=raw[:30]):
                self.assertEqual(self.subscribe(raw=raw)[0], 400)
        self.assertEqual(self.subscribe(raw=b'{"url": "https://hooks.example.cn/", "kinds": ["*"]}',
                                        headers={"Content-Type": "text/plain"})[0], 415)

    def test_a_public_https_target_is_taken(self):
        status, answer = self.subscribe({"url": "https://hooks.example.cn/governance", "kinds": ["case.*",
                                                                                               "digest.daily"]})
        self.assertEqual(status, 201, answer)
        self.assertEqual((answer["divisionPrefix"], answer["state"]), ("320113005", "active"))
        self.assertRegex(answer["secret"], r"^whsec_")
        status, listed = call(self.system.gateway, "GET", "/webhooks/subscriptions", key=self.platform)
        self.assertEqual(status, 200)
        self.assertEqual([s["id"] for s in listed["subscriptions"]], [answer["id"]])
        self.assertNotIn("secret", listed["subscriptions"][0])
        # A city administrator's key oversees every subscription.
        status, listed = call(self.system.gateway, "GET", "/webhooks/subscriptions", key=self.admin)
        self.assertEqual(status, 200)
        self.assertIn(answer["id"], [s["id"] for s in listed["subscriptions"]])


_stubs = None


def grid_stubs():
    """grid_pb2, grid_pb2_grpc and grpc, generated from proto/ with grpc_tools once."""
    global _stubs
    if _stubs is None:
        import grpc
        import grpc_tools
        from grpc_tools import protoc
        directory = tempfile.mkdtemp(prefix="governance-webhooks-")
        include = pathlib.Path(grpc_tools.__file__).parent / "_proto"
        protos = [str(path.relative_to(ROOT / "proto")) for path in (ROOT / "proto" / "governance").rglob("*.proto")]
        assert protoc.main(["protoc", f"-I{ROOT / 'proto'}", f"-I{include}", f"--python_out={directory}",
                            f"--grpc_python_out={directory}", *protos]) == 0, "protoc failed"
        sys.path.insert(0, directory)
        from governance.grid.v1 import grid_pb2, grid_pb2_grpc
        _stubs = (grid_pb2, grid_pb2_grpc, grpc)
    return _stubs


if __name__ == "__main__":
    unittest.main()
