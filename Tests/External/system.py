"""Starting the whole system for the non-Swift client tests, and signing access tokens as a
system the platform trusts would (HS256 JWT with the token key from the data directory)."""
import base64
import hashlib
import hmac
import json
import os
import pathlib
import random
import signal
import socket
import subprocess
import tarfile
import tempfile
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = pathlib.Path(os.environ.get("GOVERNANCE_BIN_DIR", ROOT / ".build" / "debug"))
PORTS = {"organisation": 50051, "property": 50052, "grid": 50053, "volunteers": 50054, "evaluation": 50055}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def access_token(key: bytes, role: str = "city_admin", scope: str = "") -> str:
    now = int(time.time())
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = _b64(json.dumps({"sub": "user:external", "role": role, "scope": scope, "exp": now + 300, "iat": now}).encode())
    signature = _b64(hmac.new(key, f"{header}.{payload}".encode(), hashlib.sha256).digest())
    return f"{header}.{payload}.{signature}"


def _ephemeral_ports() -> range:
    """The ports the kernel hands out to outgoing connections: a test's thousands of client
    sockets take them, so a server port chosen among them can be taken before it is bound."""
    try:
        low, high = map(int, pathlib.Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split())
        return range(low, high + 1)
    except (OSError, ValueError):
        return range(32768, 61000)


def free_offset() -> int:
    """A port offset under which the gateway's, the services' and the metrics ports are all free
    and outside the ephemeral range."""
    ephemeral = _ephemeral_ports()
    for _ in range(200):
        offset = random.randint(1000, 15480)
        ports = [8080 + offset] + [port + offset for port in PORTS.values()] + [9451 + offset + i for i in range(5)]
        if all(port < 65536 and port not in ephemeral and _free(port) for port in ports):
            return offset
    raise RuntimeError("no free port offset outside the ephemeral range")


def _free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


class System:
    """`governance up` on free ports with its own data directory; stopped with SIGINT.

    `env` adds variables to the processes' environment (limits, heartbeat); `archive` is a
    .tgz of a data directory (databases and keys) the system starts from instead of an empty one;
    `demo` loads the demo city (`up --demo`) before "all healthy"; `args` are more options of
    `up`."""

    def __init__(self, env: dict | None = None, archive: pathlib.Path | None = None, demo: bool = False,
                 args: list | None = None):
        self.data = tempfile.mkdtemp(prefix="governance-external-")
        if archive is not None:
            with tarfile.open(archive) as bundle:
                bundle.extractall(self.data, filter="data")
        # A start that ends before "all healthy" (a port taken between the check and the bind)
        # is retried on other ports; its output is kept for the error if every try fails.
        self.output: list[str] = []
        for _ in range(3):
            self.offset = free_offset()
            self.process = subprocess.Popen(
                [BIN / "governance", "up", "--data", self.data, "--port-offset", str(self.offset)]
                + (["--demo"] if demo else []) + (args or []),
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**os.environ, **(env or {})})
            healthy = False
            for line in self.process.stdout:
                self.output.append(line)
                if "all healthy" in line:
                    healthy = True
                    break
            if healthy:
                break
            self.process.wait(timeout=30)
        else:
            raise RuntimeError("governance up did not become healthy:\n" + "".join(self.output[-40:]))
        # The rest of up's output (restarts, exits) is kept for the tests to read.
        self._reader = threading.Thread(target=lambda: self.output.extend(self.process.stdout), daemon=True)
        self._reader.start()
        self.token = access_token((pathlib.Path(self.data) / "token.key").read_bytes())

    @property
    def gateway(self) -> str:
        return f"http://127.0.0.1:{8080 + self.offset}"

    def pids(self) -> dict:
        """Each process's pid, as `governance up` records it."""
        state = json.loads((pathlib.Path(self.data) / "up-state.json").read_text())
        return {name: entry["pid"] for name, entry in state.items()}

    def apikey(self, name: str, role: str = "city_admin", scope: str = "") -> str:
        """A new API key for the gateway."""
        run = subprocess.run([BIN / "governance", "apikey", "create", "--data", self.data, "--name", name,
                              "--role", role, "--scope", scope], capture_output=True, text=True, check=True)
        return run.stdout.strip().splitlines()[-1]

    def port(self, service: str) -> int:
        return PORTS[service] + self.offset

    def stop(self):
        self.process.send_signal(signal.SIGINT)
        self.process.wait(timeout=30)
