"""Server-sent event watchers through the gateway never take the capacity unary calls need.

1,000 watchers of WatchAssignments (ten API keys, a hundred each) open through the gateway while a
grid read keeps being called; the read's latency stays low, /healthz stays 200, a hundred-and-first
stream of one key is 429, and once the watchers leave the gateway ends their upstream calls
within seconds (heartbeats find the departed browsers).
"""
import asyncio
import json
import pathlib
import re
import statistics
import sys
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from system import System  # noqa: E402

KEYS = 10
PER_KEY = 100
HEARTBEAT_SECONDS = 1


class GatewayStreamsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.system = System(env={"GOVERNANCE_SSE_HEARTBEAT_SECONDS": str(HEARTBEAT_SECONDS),
                                 "GOVERNANCE_GATEWAY_MAX_STREAMS_PER_PRINCIPAL": str(PER_KEY)})
        cls.keys = [cls.system.apikey(f"watcher-{i}") for i in range(KEYS)]
        cls.port = 8080 + cls.system.offset

    @classmethod
    def tearDownClass(cls):
        cls.system.stop()

    def unary(self, method: str, body: dict, key: str):
        request = urllib.request.Request(
            f"{self.system.gateway}/governance.grid.v1.GridService/{method}", data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {key}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    @staticmethod
    def gauge(url: str, name: str) -> int:
        with urllib.request.urlopen(url, timeout=10) as response:
            text = response.read().decode()
        match = re.search(rf"^{name}(?:\{{[^}}]*\}})? ([0-9.e+]+)$", text, re.M)
        return int(float(match.group(1))) if match else 0

    def open_streams(self) -> int:
        """Streams the gateway relays now."""
        return self.gauge(f"{self.system.gateway}/metrics", "gateway_open_streams")

    def grid_calls(self) -> int:
        """Calls the grid service has in flight now: the watchers' upstream streams."""
        return self.gauge(f"http://127.0.0.1:{9453 + self.system.offset}/metrics", "grpc_server_calls_in_flight")

    async def watch(self, key: str, worker: str):
        """Opens one watcher; returns its (reader, writer) once the gateway answered 200."""
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        query = urllib.parse.urlencode({"request": json.dumps({"workerId": worker})})
        writer.write((f"GET /stream/governance.grid.v1.GridService/WatchAssignments?{query} HTTP/1.1\r\n"
                      f"Host: 127.0.0.1\r\nAuthorization: Bearer {key}\r\nAccept: text/event-stream\r\n\r\n").encode())
        await writer.drain()
        status = await asyncio.wait_for(reader.readline(), 10)
        return status.decode().split(" ")[1], reader, writer

    def test_a_thousand_watchers_leave_unary_calls_their_latency(self):
        key = self.keys[0]
        division = self.unary("CreateDivision", {"division": {"divisionCode": "320113000000", "name": "栖霞区"}}, key)
        self.assertEqual(division["divisionCode"], "320113000000")

        def read_latencies(count: int):
            latencies = []
            for _ in range(count):
                started = time.monotonic()
                self.unary("GetDivision", {"divisionCode": "320113000000"}, key)
                latencies.append(time.monotonic() - started)
            return latencies

        before = read_latencies(30)

        async def scenario():
            opened = await asyncio.gather(*[self.watch(self.keys[i % KEYS], f"wkr_{i}") for i in range(KEYS * PER_KEY)])
            statuses = [status for status, _, _ in opened]
            # One more for a key that has its hundred: refused with 429.
            extra_status, _, extra_writer = await self.watch(self.keys[0], "wkr_extra")
            extra_writer.close()
            during = await asyncio.to_thread(read_latencies, 30)
            with urllib.request.urlopen(f"{self.system.gateway}/healthz", timeout=10) as response:
                health = response.status
            open_during = await asyncio.to_thread(self.open_streams)
            upstream_during = await asyncio.to_thread(self.grid_calls)
            for _, _, writer in opened:
                writer.close()
            return statuses, extra_status, during, health, open_during, upstream_during

        started = time.monotonic()
        statuses, extra_status, during, health, open_during, upstream_during = asyncio.run(scenario())
        self.assertEqual(statuses.count("200"), KEYS * PER_KEY, f"{ {s: statuses.count(s) for s in set(statuses)} }")
        self.assertEqual(extra_status, "429")
        self.assertEqual(health, 200)
        self.assertGreaterEqual(open_during, KEYS * PER_KEY)
        self.assertGreaterEqual(upstream_during, KEYS * PER_KEY)
        median_before, median_during = statistics.median(before), statistics.median(during)
        self.assertLess(max(during), 2.0, f"a read took {max(during):.3f} s beside the watchers")
        self.assertLess(median_during, max(0.1, 10 * median_before),
                        f"median read {median_before * 1000:.1f} ms before, {median_during * 1000:.1f} ms during")

        # The watchers left: heartbeats find them and their upstream calls end within seconds, at
        # the grid service too (a handful of calls may be in flight there for other reasons).
        deadline = time.monotonic() + 10 * HEARTBEAT_SECONDS + 5
        while (self.open_streams() > 0 or self.grid_calls() > 5) and time.monotonic() < deadline:
            time.sleep(0.5)
        self.assertEqual(self.open_streams(), 0, "streams still open after every watcher left")
        self.assertLessEqual(self.grid_calls(), 5, "the grid service still serves the departed watchers")
        self.assertLess(time.monotonic() - started, 60)
        with urllib.request.urlopen(f"{self.system.gateway}/healthz", timeout=10) as response:
            self.assertEqual(response.status, 200)


if __name__ == "__main__":
    unittest.main()
