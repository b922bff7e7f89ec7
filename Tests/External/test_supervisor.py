"""`governance up` is the supervisor: a service that dies is started again with growing pauses,
`governance status` shows its pid and restarts, five deaths within a minute are reported as a
crash loop, and the gateway serves again once the service is back; if the supervisor itself is
killed, its services stop rather than run on orphaned."""
import os
import pathlib
import signal
import subprocess
import sys
import time
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from system import BIN, System  # noqa: E402


class SupervisorTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.system = System()

    @classmethod
    def tearDownClass(cls):
        cls.system.stop()

    def healthz(self) -> int:
        try:
            with urllib.request.urlopen(f"{self.system.gateway}/healthz", timeout=5) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    def wait_for_new_grid(self, old_pid: int, timeout: float) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pid = self.system.pids()["grid"]
            if pid != old_pid and self.healthz() == 200:
                return pid
            time.sleep(0.2)
        self.fail(f"grid was not back within {timeout} s:\n{''.join(self.system.output[-10:])}")

    def status(self) -> str:
        return subprocess.run([BIN / "governance", "status", "--port-offset", str(self.system.offset),
                               "--data", self.system.data], capture_output=True, text=True, timeout=30).stdout

    def test_a_killed_service_is_restarted_and_a_crash_loop_reported(self):
        others = {name: pid for name, pid in self.system.pids().items() if name != "grid"}
        pid = self.system.pids()["grid"]
        os.kill(pid, signal.SIGKILL)
        started = time.monotonic()
        pid = self.wait_for_new_grid(pid, timeout=20)
        self.assertLess(time.monotonic() - started, 10, "the first restart waits about a second")
        self.assertTrue(any("grid-service restarted" in line for line in self.system.output), self.system.output[-5:])
        self.assertRegex(self.status(), r"grid-service\s+\S+\s+SERVING\s+pid \d+, restarts 1, last exit")
        # Four more deaths within the minute: a crash loop, said loudly, and the restarts go on.
        for _ in range(4):
            os.kill(pid, signal.SIGKILL)
            pid = self.wait_for_new_grid(pid, timeout=40)
        self.assertTrue(any("CRASH LOOP: grid-service" in line for line in self.system.output), self.system.output[-8:])
        self.assertIn("CRASH LOOP", self.status())
        self.assertEqual({name: pid for name, pid in self.system.pids().items() if name != "grid"}, others,
                         "only the grid service was restarted")


class SupervisorDeathTest(unittest.TestCase):
    def test_the_services_stop_when_their_supervisor_is_killed(self):
        system = System()
        children = system.pids()
        system.process.kill()  # SIGKILL: up cannot stop anything itself
        system.process.wait(timeout=10)
        deadline = time.monotonic() + 15
        alive = dict(children)
        while alive and time.monotonic() < deadline:
            for name, pid in list(alive.items()):
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    del alive[name]
            time.sleep(0.2)
        self.assertEqual(alive, {}, "services left running after their supervisor died")


if __name__ == "__main__":
    unittest.main()
