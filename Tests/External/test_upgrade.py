"""Databases written by an earlier release open and work under this one.

`Tests/Fixtures/databases-aa8c815.tgz` is the data directory of `governance up --demo` as built
from commit aa8c815 (the demo city: 7 divisions, 4 compounds, 6 cases, 8 teams, 5 scoring items),
copied with `governance backup`. The system starts on a copy with the current executables, which
apply their migrations; then every service answers reads of the old records and takes new acts on
them, over gRPC with Python's grpcio.
"""
import pathlib
import time
import sqlite3
import sys
import tempfile
import unittest

import grpc
import grpc_tools
from grpc_tools import protoc

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from system import ROOT, System  # noqa: E402

ARCHIVE = ROOT / "Tests" / "Fixtures" / "databases-aa8c815.tgz"


class UpgradeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stubs = tempfile.mkdtemp(prefix="governance-upgrade-")
        include = pathlib.Path(grpc_tools.__file__).parent / "_proto"
        protos = [str(path.relative_to(ROOT / "proto")) for path in (ROOT / "proto" / "governance").rglob("*.proto")]
        result = protoc.main(["protoc", f"-I{ROOT / 'proto'}", f"-I{include}", f"--python_out={cls.stubs}",
                              f"--grpc_python_out={cls.stubs}", *protos])
        assert result == 0, "protoc failed"
        sys.path.insert(0, cls.stubs)
        cls.system = System(archive=ARCHIVE)
        cls.metadata = [("authorization", f"Bearer {cls.system.token}")]

    @classmethod
    def tearDownClass(cls):
        cls.system.stop()

    def channel(self, service: str):
        return grpc.insecure_channel(f"127.0.0.1:{self.system.port(service)}")

    def test_every_database_keeps_its_applied_migrations(self):
        for name in ["organisation", "property", "grid", "volunteers", "evaluation", "gateway"]:
            with sqlite3.connect(pathlib.Path(self.system.data) / f"{name}.sqlite") as db:
                applied = {row[0] for row in db.execute("SELECT identifier FROM grdb_migrations")}
            self.assertIn("idempotency-ledger-v2-by-caller", applied, name)

    def test_old_cases_are_read_and_moved_on(self):
        from governance.grid.v1 import grid_pb2 as pb, grid_pb2_grpc as rpc
        grid = rpc.GridServiceStub(self.channel("grid"))
        cases = grid.ListCases(pb.ListCasesRequest(page_size=100), metadata=self.metadata).cases
        self.assertEqual(len(cases), 6)
        # Cases stored before case numbers existed were numbered by the upgrade: the report date in
        # Beijing time and the day's sequence from 1, each number once.
        numbers = [case.case_number for case in cases]
        self.assertEqual(len(set(numbers)), 6, numbers)
        for case in cases:
            day = time.strftime("%Y%m%d", time.gmtime(case.report_time.seconds + 8 * 3600))
            self.assertRegex(case.case_number, rf"^{day}-\d{{5}}$")
        by_day = {}
        for number in sorted(numbers):
            by_day.setdefault(number[:8], []).append(int(number[9:]))
        self.assertTrue(all(sequence == list(range(1, len(sequence) + 1)) for sequence in by_day.values()), by_day)
        found = grid.ListCases(pb.ListCasesRequest(case_number=numbers[0]), metadata=self.metadata).cases
        self.assertEqual([case.id for case in found], [cases[0].id])
        reported = [case for case in cases if case.status == pb.CASE_STATUS_REPORTED]
        self.assertTrue(reported, "the demo city has a reported case")
        fetched = grid.GetCase(pb.GetCaseRequest(id=reported[0].id), metadata=self.metadata)
        self.assertEqual((fetched.title, fetched.division_code), (reported[0].title, reported[0].division_code))
        accepted = grid.AcceptCase(pb.AcceptCaseRequest(case_id=fetched.id, request_id="upgrade-accept"),
                                   metadata=self.metadata)
        self.assertEqual(accepted.status, pb.CASE_STATUS_ACCEPTED)
        events = grid.ListCaseEvents(pb.ListCaseEventsRequest(case_id=fetched.id), metadata=self.metadata).events
        self.assertEqual(events[-1].kind, pb.CASE_EVENT_KIND_ACCEPTED)
        created = grid.CreateCase(pb.CreateCaseRequest(grid_case=pb.Case(
            source=pb.CASE_SOURCE_RESIDENT, category="环境卫生", title="升级后新报", division_code=fetched.division_code)),
            metadata=self.metadata)
        self.assertTrue(created.id.startswith("case_"))
        today = time.strftime("%Y%m%d", time.gmtime(time.time() + 8 * 3600))
        self.assertEqual(created.case_number,
                         f"{today}-{sum(1 for n in numbers if n.startswith(today)) + 1:05d}")
        grids = grid.ListGrids(pb.ListGridsRequest(), metadata=self.metadata).grids
        self.assertTrue(grids)

    def test_old_registers_answer_every_service(self):
        from governance.organisation.v1 import organisation_pb2 as opb, organisation_pb2_grpc as orpc
        from governance.property.v1 import property_pb2 as ppb, property_pb2_grpc as prpc
        from governance.volunteers.v1 import volunteers_pb2 as vpb, volunteers_pb2_grpc as vrpc
        from governance.evaluation.v1 import evaluation_pb2 as epb, evaluation_pb2_grpc as erpc
        organisations = orpc.OrganisationServiceStub(self.channel("organisation"))
        self.assertEqual(len(organisations.ListOrganisations(opb.ListOrganisationsRequest(), metadata=self.metadata)
                             .organisations), 7)
        compounds = prpc.PropertyServiceStub(self.channel("property")).ListCompounds(
            ppb.ListCompoundsRequest(), metadata=self.metadata).compounds
        self.assertEqual(len(compounds), 4)
        volunteers = vrpc.VolunteersServiceStub(self.channel("volunteers"))
        teams = volunteers.ListTeams(vpb.ListTeamsRequest(), metadata=self.metadata).teams
        self.assertEqual(len(teams), 8)
        team = volunteers.GetTeam(vpb.GetTeamRequest(id=teams[0].id), metadata=self.metadata)
        self.assertEqual(team.name, teams[0].name)
        items = erpc.EvaluationServiceStub(self.channel("evaluation")).ListScoringItems(
            epb.ListScoringItemsRequest(), metadata=self.metadata).items
        self.assertEqual(len(items), 5)


if __name__ == "__main__":
    unittest.main()
