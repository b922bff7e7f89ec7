"""Several hosts: each of the six processes in a network namespace of its own (iproute2's
`ip netns`), joined by veth pairs to a bridge, as six machines on one switch. One link is slowed,
and one service is cut off: calls that need it answer UNAVAILABLE within their deadlines, the
others go on, and once the link is back every call is answered again, by the same processes.

The slow link is `tc netem` where the kernel has it (sch_netem); where it has not (this project's
build machines run a kernel without it), a proxy on the bridge holds every byte to and from the
grid service for the same delay, in both directions."""
import base64
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from system import BIN, PORTS  # noqa: E402

PROCESSES = ["organisation", "property", "grid", "volunteers", "evaluation", "gateway"]
PEERS = {
    "organisation": ["property", "grid"],
    "property": ["organisation"],
    "grid": ["organisation", "property"],
    "volunteers": ["organisation", "grid", "property"],
    "evaluation": ["property", "grid", "organisation"],
    "gateway": ["organisation", "property", "grid", "volunteers", "evaluation"],
}
DELAY = 0.04  # seconds added each way on the grid's link
PEER_TIMEOUT = 2  # seconds, GOVERNANCE_PEER_TIMEOUT_SECONDS

PROXY = r'''
import asyncio, sys, time
listen_host, listen_port, target_host, target_port, delay = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), float(sys.argv[5])

async def pipe(reader, writer):
    queue = asyncio.Queue()
    async def read():
        while data := await reader.read(65536):
            await queue.put((time.monotonic() + delay, data))
        await queue.put((time.monotonic() + delay, b""))
    async def write():
        while True:
            due, data = await queue.get()
            await asyncio.sleep(max(0, due - time.monotonic()))
            if not data:
                writer.close()
                return
            writer.write(data)
            await writer.drain()
    await asyncio.gather(read(), write(), return_exceptions=True)

async def handle(client_reader, client_writer):
    try:
        target_reader, target_writer = await asyncio.open_connection(target_host, target_port)
    except OSError:
        client_writer.close()
        return
    await asyncio.gather(pipe(client_reader, target_writer), pipe(target_reader, client_writer), return_exceptions=True)

async def main():
    server = await asyncio.start_server(handle, listen_host, listen_port)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()

asyncio.run(main())
'''


def sh(*args, check=True):
    return subprocess.run(list(args), capture_output=True, text=True, check=check)


@unittest.skipUnless(os.geteuid() == 0 and shutil.which("ip"), "network namespaces need root and iproute2's ip")
class NetworkTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        tag = f"g{os.getpid() % 100000}"
        subnet = 100 + os.getpid() % 150
        cls.hub = f"{tag}hub"
        cls.namespaces = {name: f"{tag}{index}" for index, name in enumerate(PROCESSES)}
        cls.address = {name: f"10.213.{subnet}.{index + 1}" for index, name in enumerate(PROCESSES)}
        cls.host_link = f"{tag}h"
        cls.proxy_address = f"10.213.{subnet}.200"
        cls.processes, cls.work = {}, pathlib.Path(tempfile.mkdtemp(prefix="governance-hosts-"))
        cls.addClassCleanup(cls.tear_down_network)
        sh("ip", "netns", "add", cls.hub)
        hub = ["ip", "netns", "exec", cls.hub]
        sh(*hub, "ip", "link", "add", "br0", "type", "bridge")
        sh(*hub, "ip", "link", "set", "br0", "up")
        sh(*hub, "ip", "addr", "add", f"{cls.proxy_address}/24", "dev", "br0")
        # The test's own end, in this namespace: it reaches the gateway as a browser would.
        sh("ip", "link", "add", cls.host_link, "type", "veth", "peer", "name", f"{tag}hp")
        sh("ip", "link", "set", f"{tag}hp", "netns", cls.hub)
        sh(*hub, "ip", "link", "set", f"{tag}hp", "master", "br0", "up")
        sh("ip", "addr", "add", f"10.213.{subnet}.254/24", "dev", cls.host_link)
        sh("ip", "link", "set", cls.host_link, "up")
        for index, name in enumerate(PROCESSES):
            namespace = cls.namespaces[name]
            sh("ip", "netns", "add", namespace)
            inside = ["ip", "netns", "exec", namespace]
            sh("ip", "link", "add", f"{tag}e{index}", "type", "veth", "peer", "name", f"{tag}p{index}")
            sh("ip", "link", "set", f"{tag}e{index}", "netns", namespace)
            sh(*inside, "ip", "link", "set", f"{tag}e{index}", "name", "eth0")
            sh(*inside, "ip", "addr", "add", f"{cls.address[name]}/24", "dev", "eth0")
            sh(*inside, "ip", "link", "set", "eth0", "up")
            sh(*inside, "ip", "link", "set", "lo", "up")
            sh("ip", "link", "set", f"{tag}p{index}", "netns", cls.hub)
            sh(*hub, "ip", "link", "set", f"{tag}p{index}", "master", "br0", "up")
        cls.hub_port = {name: f"{tag}p{index}" for index, name in enumerate(PROCESSES)}

        # The slow link: netem on the grid's interface, or the proxy on the bridge.
        cls.netem = sh("ip", "netns", "exec", cls.namespaces["grid"], "tc", "qdisc", "add", "dev", "eth0", "root",
                       "netem", "delay", f"{int(DELAY * 1000)}ms", check=False).returncode == 0
        grid_address = f"{cls.address['grid']}:{PORTS['grid']}"
        if not cls.netem:
            proxy = subprocess.Popen(
                ["ip", "netns", "exec", cls.hub, sys.executable, "-c", PROXY, cls.proxy_address, str(PORTS["grid"]),
                 cls.address["grid"], str(PORTS["grid"]), str(DELAY)], stdout=subprocess.PIPE, text=True)
            cls.processes["proxy"] = proxy
            assert proxy.stdout.readline().strip() == "ready"
            grid_address = f"{cls.proxy_address}:{PORTS['grid']}"

        keys = {"GOVERNANCE_TOKEN_KEY": base64.b64encode(os.urandom(32)).decode(),
                "GOVERNANCE_DATA_KEY": base64.b64encode(os.urandom(32)).decode()}
        cls.token_key = base64.b64decode(keys["GOVERNANCE_TOKEN_KEY"])
        for index, name in enumerate(PROCESSES):
            data = cls.work / name
            data.mkdir()
            port = 8080 if name == "gateway" else PORTS[name]
            environment = {**os.environ, **keys, "GOVERNANCE_DATA_DIR": str(data),
                           "GOVERNANCE_PEER_TIMEOUT_SECONDS": str(PEER_TIMEOUT), "GOVERNANCE_STOP_WITH_PARENT": "1",
                           f"{name.upper()}_LISTEN_ADDR": f"{cls.address[name]}:{port}"}
            if name != "gateway":
                environment[f"{name.upper()}_METRICS_ADDR"] = f"{cls.address[name]}:{9451 + index}"
            for peer in PEERS[name]:
                environment[f"{peer.upper()}_SERVICE_ADDR"] = (
                    grid_address if peer == "grid" else f"{cls.address[peer]}:{PORTS[peer]}")
            executable = BIN / ("gateway" if name == "gateway" else f"{name}-service")
            log = open(cls.work / f"{name}.log", "w")
            cls.processes[name] = subprocess.Popen(
                ["ip", "netns", "exec", cls.namespaces[name], str(executable)], env=environment,
                stdout=log, stderr=subprocess.STDOUT)
            log.close()
        cls.gateway = f"http://{cls.address['gateway']}:8080"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{cls.gateway}/healthz", timeout=2) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.25)
        else:
            raise AssertionError("the six hosts never became healthy:\n" + cls.logs())
        key = subprocess.run([BIN / "governance", "apikey", "create", "--data", str(cls.work / "gateway"),
                              "--name", "hosts", "--role", "city_admin", "--scope", ""],
                             capture_output=True, text=True, check=True, env={**os.environ, **keys})
        cls.key = key.stdout.strip().splitlines()[-1]
        cls.pids = {name: process.pid for name, process in cls.processes.items()}

    @classmethod
    def logs(cls) -> str:
        return "".join(f"--- {path.name}\n{path.read_text()[-2000:]}" for path in cls.work.glob("*.log"))

    @classmethod
    def tear_down_network(cls):
        for process in cls.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in cls.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        for namespace in [*cls.namespaces.values(), cls.hub]:
            sh("ip", "netns", "del", namespace, check=False)
        sh("ip", "link", "del", cls.host_link, check=False)
        shutil.rmtree(cls.work, ignore_errors=True)

    def connect(self, service: str, method: str, body: dict) -> tuple:
        """Calls the gateway's Connect API; returns the HTTP status, the answer and the seconds taken."""
        request = urllib.request.Request(
            f"{self.gateway}/governance.{service}.v1.{service.capitalize()}Service/{method}",
            data=json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {self.key}", "Content-Type": "application/json"})
        start = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read()), time.monotonic() - start
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}"), time.monotonic() - start

    def test_1_the_slow_link_slows_only_the_calls_that_cross_it(self):
        slow = sorted(self.connect("grid", "GetCase", {"id": "cas_missing"})[2] for _ in range(5))
        quick = sorted(self.connect("property", "GetCompound", {"id": "cmp_missing"})[2] for _ in range(5))
        status, answer, _ = self.connect("grid", "GetCase", {"id": "cas_missing"})
        self.assertEqual((status, answer.get("code")), (404, "not_found"), answer)
        print(f"\nhosts: {'netem' if self.netem else 'proxy'} delay {DELAY * 1000:.0f} ms each way; GetCase across it "
              f"median {slow[2] * 1000:.1f} ms, GetCompound elsewhere median {quick[2] * 1000:.1f} ms")
        # A request and its answer cross the link once each way at least.
        self.assertGreaterEqual(slow[2], 2 * DELAY)
        self.assertLess(quick[2], 2 * DELAY)

    def test_2_a_cut_off_service_is_unavailable_within_deadlines_and_heals_without_a_restart(self):
        status, answer, _ = self.connect("property", "GetCompound", {"id": "cmp_missing"})
        self.assertEqual((status, answer.get("code")), (404, "not_found"), answer)
        hub = ["ip", "netns", "exec", self.hub, "ip", "link", "set", self.hub_port["property"]]
        sh(*hub, "down")
        try:
            # Directly, and through another service that needs it (coverage asks property).
            for service, method, body in [("property", "GetCompound", {"id": "cmp_missing"}),
                                          ("organisation", "GetCoverage", {"divisionPrefix": "3201"})]:
                status, answer, seconds = self.connect(service, method, body)
                with self.subTest(f"{service}.{method}"):
                    self.assertEqual((status, answer.get("code")), (503, "unavailable"), answer)
                    self.assertIn("property", answer.get("message", ""))
                    self.assertLessEqual(seconds, PEER_TIMEOUT + 1.5)
            # A call that needs no property is answered as before.
            status, answer, _ = self.connect("volunteers", "ListTeams", {"divisionPrefix": "3201"})
            self.assertEqual(status, 200, answer)
            with urllib.request.urlopen(f"{self.gateway}/healthz", timeout=10) as response:
                self.fail(f"healthz answered {response.status} with property cut off")
        except urllib.error.HTTPError as error:
            self.assertEqual(error.code, 503)
            self.assertIn("property", error.read().decode())
        finally:
            sh(*hub, "up")
        healed_at, deadline = None, time.monotonic() + 30
        start = time.monotonic()
        while time.monotonic() < deadline:
            status, answer, _ = self.connect("property", "GetCompound", {"id": "cmp_missing"})
            if status == 404:
                healed_at = time.monotonic() - start
                break
            time.sleep(0.2)
        self.assertIsNotNone(healed_at, "property never answered again after the link came back")
        status, answer, _ = self.connect("organisation", "GetCoverage", {"divisionPrefix": "3201"})
        self.assertEqual(status, 200, answer)
        print(f"\nhosts: property answered again {healed_at:.1f} s after its link came back")
        # The same processes: nothing was restarted.
        for name, process in self.processes.items():
            self.assertIsNone(process.poll(), f"{name} exited:\n{self.logs()}")


if __name__ == "__main__":
    unittest.main()
