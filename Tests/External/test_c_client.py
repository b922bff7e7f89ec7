"""A small C client on libnghttp2 and libprotobuf-c (Debian's libnghttp2-dev, libprotobuf-c-dev,
protobuf-c-compiler) calls one RPC of each service over real HTTP/2 and decodes the replies.

Debian's protoc-c predates proto3 `optional`; the C code is generated from a copy of proto/ with
that keyword dropped, which changes nothing on the wire for the scalar fields that carry it.
"""
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from system import ROOT, System  # noqa: E402

HERE = pathlib.Path(__file__).resolve().parent


class CClientTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        work = pathlib.Path(tempfile.mkdtemp(prefix="governance-c-"))
        protos, generated = work / "proto", work / "gen"
        shutil.copytree(ROOT / "proto", protos)
        for path in protos.rglob("*.proto"):
            path.write_text(re.sub(r"(?m)^(\s*)optional ", r"\1", path.read_text(encoding="utf-8")), encoding="utf-8")
        generated.mkdir()
        contracts = [str(path.relative_to(protos)) for path in (protos / "governance").rglob("*.proto")]
        well_known = ["google/protobuf/timestamp.proto", "google/protobuf/duration.proto", "google/protobuf/field_mask.proto"]
        subprocess.run(["protoc-c", f"-I{protos}", "-I/usr/include", f"--c_out={generated}", *contracts, *well_known],
                       check=True)
        cls.binary = work / "grpc_call"
        subprocess.run(["cc", "-O1", "-o", str(cls.binary), str(HERE / "c" / "grpc_call.c"),
                        *map(str, generated.rglob("*.pb-c.c")), f"-I{generated}", "-lprotobuf-c", "-lnghttp2"],
                       check=True)
        cls.system = System()

    @classmethod
    def tearDownClass(cls):
        cls.system.stop()

    def test_one_call_per_service(self):
        ports = [str(self.system.port(name)) for name in ["organisation", "property", "grid", "volunteers", "evaluation"]]
        run = subprocess.run([str(self.binary), "127.0.0.1", *ports, self.system.token], capture_output=True, text=True,
                             timeout=60)
        self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
        lines = run.stdout.splitlines()
        self.assertEqual(len(lines), 5, run.stdout)
        self.assertRegex(lines[0], r"^grid CreateDivision ok id=div_\w+ name=玄武区 level=3$")  # DIVISION_LEVEL_DISTRICT
        self.assertIn("organisation ListPairedUnits ok", lines[1])
        self.assertIn("property ListCompounds ok", lines[2])
        self.assertRegex(lines[3], r"^volunteers CreateTeam ok id=team_\w+ active=1$")
        self.assertEqual(lines[4], "evaluation GetRatingPolicy ok weights=4 inherited=1 red=90")

    def test_a_truncated_frame_is_refused_and_the_service_goes_on(self):
        grid = str(self.system.port("grid"))
        run = subprocess.run([str(self.binary), "127.0.0.1", grid, self.system.token, "truncated"], capture_output=True,
                             text=True, timeout=60)
        status = int(re.search(r"status=(-?\d+)", run.stdout).group(1))
        self.assertIn(status, (3, 13), run.stdout)  # INVALID_ARGUMENT or INTERNAL, as gRPC answers broken framing
        # The service is still there and answers the next call the same way.
        again = subprocess.run([str(self.binary), "127.0.0.1", grid, self.system.token, "truncated"], capture_output=True,
                               text=True, timeout=60)
        self.assertIn(f"status={status} ", again.stdout)

    def test_without_a_token_every_call_is_refused(self):
        ports = [str(self.system.port(name)) for name in ["organisation", "property", "grid", "volunteers", "evaluation"]]
        run = subprocess.run([str(self.binary), "127.0.0.1", *ports, "forged"], capture_output=True, text=True, timeout=60)
        self.assertEqual(run.returncode, 1)
        self.assertEqual(run.stdout.count("failed 16 "), 5, run.stdout)  # 16: UNAUTHENTICATED


if __name__ == "__main__":
    unittest.main()
