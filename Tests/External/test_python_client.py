"""A client not written in Swift: Python's grpcio runs one workflow per service over real HTTP/2.

Stubs are generated from proto/ at test time with grpc_tools. Like any system the platform
trusts, the client presents a signed access token (HS256 JWT with the system's token key from
the data directory); without one every call is UNAUTHENTICATED.
"""
import pathlib
import sys
import tempfile
import unittest

import grpc
from google.protobuf import message_factory
import grpc_tools
from grpc_tools import protoc

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from system import ROOT, System  # noqa: E402


class PythonClientTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stubs = tempfile.mkdtemp(prefix="governance-py-")
        include = pathlib.Path(grpc_tools.__file__).parent / "_proto"
        protos = [str(path.relative_to(ROOT / "proto")) for path in (ROOT / "proto" / "governance").rglob("*.proto")]
        result = protoc.main(["protoc", f"-I{ROOT / 'proto'}", f"-I{include}", f"--python_out={cls.stubs}",
                              f"--grpc_python_out={cls.stubs}", *protos])
        assert result == 0, "protoc failed"
        sys.path.insert(0, cls.stubs)
        cls.system = System()
        cls.metadata = [("authorization", f"Bearer {cls.system.token}")]

    @classmethod
    def tearDownClass(cls):
        cls.system.stop()

    def channel(self, port: int):
        return grpc.insecure_channel(f"127.0.0.1:{port + self.system.offset}")

    def test_grid_case_workflow(self):
        from governance.grid.v1 import grid_pb2 as pb, grid_pb2_grpc as rpc
        grid = rpc.GridServiceStub(self.channel(50053))
        for code in ["320113000000", "320113005000", "320113005001"]:
            grid.CreateDivision(pb.CreateDivisionRequest(division=pb.Division(division_code=code, name="区划")),
                                metadata=self.metadata)
        case = grid.CreateCase(pb.CreateCaseRequest(grid_case=pb.Case(
            source=pb.CASE_SOURCE_RESIDENT, category="环境卫生", title="楼道堆物", division_code="320113005001")),
            metadata=self.metadata)
        grid.AcceptCase(pb.AcceptCaseRequest(case_id=case.id), metadata=self.metadata)
        self.assertEqual(grid.GetCase(pb.GetCaseRequest(id=case.id), metadata=self.metadata).status, pb.CASE_STATUS_ACCEPTED)
        with self.assertRaises(grpc.RpcError) as refused:
            grid.CreateDivision(pb.CreateDivisionRequest(division=pb.Division(division_code="32011300500X", name="坏")),
                                metadata=self.metadata)
        self.assertEqual(refused.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("division.division_code", refused.exception.details())
        self.assert_rule_details(refused.exception, "division.division_code")
        with self.assertRaises(grpc.RpcError) as anonymous:
            grid.GetCase(pb.GetCaseRequest(id=case.id))
        self.assertEqual(anonymous.exception.code(), grpc.StatusCode.UNAUTHENTICATED)

    def assert_rule_details(self, error, field):
        """The refusal's google.rpc.Status, read by grpcio-status: ErrorInfo with the rule as a
        template the console's errors.json knows, and BadRequest naming the field."""
        from google.rpc import error_details_pb2
        from grpc_status import rpc_status
        sys.path.insert(0, str(ROOT / "Tests" / "Console"))
        import service_errors
        status = rpc_status.from_call(error)
        self.assertIsNotNone(status, "no grpc-status-details-bin")
        info, bad_request = error_details_pb2.ErrorInfo(), error_details_pb2.BadRequest()
        self.assertTrue(any(detail.Unpack(info) for detail in status.details))
        self.assertTrue(any(detail.Unpack(bad_request) for detail in status.details))
        self.assertEqual((info.reason, info.domain, info.metadata["field"]), ("FIELD_INVALID", "governance.community", field))
        self.assertIn(info.metadata["rule"], service_errors.texts()[0])
        self.assertEqual(bad_request.field_violations[0].field, field)
        return info

    def test_organisation_workflow(self):
        from governance.organisation.v1 import organisation_pb2 as pb, organisation_pb2_grpc as rpc
        organisations = rpc.OrganisationServiceStub(self.channel(50051))
        unit = organisations.CreatePairedUnit(pb.CreatePairedUnitRequest(unit=pb.PairedUnit(
            name="区住建局", kind=pb.PAIRED_UNIT_KIND_AGENCY, division_code="320113000000")), metadata=self.metadata)
        listed = organisations.ListPairedUnits(pb.ListPairedUnitsRequest(division_prefix="320113"), metadata=self.metadata)
        self.assertIn(unit.id, [found.id for found in listed.units])

    def test_property_workflow(self):
        from governance.property.v1 import property_pb2 as pb, property_pb2_grpc as rpc
        property_ = rpc.PropertyServiceStub(self.channel(50052))
        compound = property_.CreateCompound(pb.CreateCompoundRequest(compound=pb.Compound(
            name="梅园新村", division_code="320113005001", kind=pb.COMPOUND_KIND_OLD, household_count=420)),
            metadata=self.metadata)
        fetched = property_.GetCompound(pb.GetCompoundRequest(id=compound.id), metadata=self.metadata)
        self.assertEqual((fetched.name, fetched.household_count), ("梅园新村", 420))

    def test_volunteers_workflow(self):
        from governance.volunteers.v1 import volunteers_pb2 as pb, volunteers_pb2_grpc as rpc
        volunteers = rpc.VolunteersServiceStub(self.channel(50054))
        team = volunteers.CreateTeam(pb.CreateTeamRequest(team=pb.Team(
            name="红管家先锋突击队", kind=pb.TEAM_KIND_RED_BUTLER_SQUAD, division_code="320113005001")), metadata=self.metadata)
        self.assertEqual(volunteers.GetTeam(pb.GetTeamRequest(id=team.id), metadata=self.metadata).name, "红管家先锋突击队")

    def test_evaluation_workflow(self):
        from governance.evaluation.v1 import evaluation_pb2 as pb, evaluation_pb2_grpc as rpc
        evaluation = rpc.EvaluationServiceStub(self.channel(50055))
        period = evaluation.CreatePeriod(pb.CreatePeriodRequest(period=pb.EvaluationPeriod(
            division_code="320113000000", kind=pb.PERIOD_KIND_QUARTERLY, year=2026, number=4)), metadata=self.metadata)
        self.assertEqual(period.label, "2026Q4")
        evaluation.ClosePeriod(pb.ClosePeriodRequest(period_id=period.id), metadata=self.metadata)
        self.assertEqual(evaluation.GetPeriod(pb.GetPeriodRequest(id=period.id), metadata=self.metadata).state,
                         pb.PERIOD_STATE_CLOSED)


if __name__ == "__main__":
    unittest.main()


HOSTILE_TEXT = [
    "'; DROP TABLE grid_case; --", "<script>alert(1)</script>", "\x00\x07\x1b[31m", "🚒🏠" * 40, "中" * 5000,
    "../../etc/passwd", "%s%s%n", "320113005001' OR '1'='1", "",
]


class FuzzCreatesTest(unittest.TestCase):
    """Every Create RPC of every service, with every text field filled with hostile text and every
    number with an extreme: answered with a status that names the problem, never an internal
    error, and no service falls over."""

    acceptable = {grpc.StatusCode.OK, grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.FAILED_PRECONDITION,
                  grpc.StatusCode.NOT_FOUND, grpc.StatusCode.ALREADY_EXISTS, grpc.StatusCode.PERMISSION_DENIED}

    @classmethod
    def setUpClass(cls):
        PythonClientTest.setUpClass.__func__(cls)

    @classmethod
    def tearDownClass(cls):
        cls.system.stop()

    @staticmethod
    def fill(message, text, rng, depth=0):
        from google.protobuf.descriptor import FieldDescriptor as F
        for field in message.DESCRIPTOR.fields:
            repeated = field.is_repeated if hasattr(field, "is_repeated") else field.label == F.LABEL_REPEATED
            if field.type == F.TYPE_STRING:
                value = rng.choice(HOSTILE_TEXT) if text is None else text
                getattr(message, field.name).append(value) if repeated else setattr(message, field.name, value)
            elif field.type in (F.TYPE_INT32, F.TYPE_INT64, F.TYPE_SINT32, F.TYPE_SINT64):
                value = rng.choice([-1, 0, 2**31 - 1, -2**31])
                getattr(message, field.name).append(value) if repeated else setattr(message, field.name, value)
            elif field.type == F.TYPE_DOUBLE:
                value = rng.choice([float("nan"), float("inf"), -1.0, 1e308])
                getattr(message, field.name).append(value) if repeated else setattr(message, field.name, value)
            elif field.type == F.TYPE_ENUM:
                value = rng.choice([0, 1, 99])
                getattr(message, field.name).append(value) if repeated else setattr(message, field.name, value)
            elif field.type == F.TYPE_MESSAGE and depth < 3 and not field.message_type.GetOptions().map_entry:
                if field.message_type.full_name.startswith("google.protobuf."):
                    continue
                child = getattr(message, field.name).add() if repeated else getattr(message, field.name)
                FuzzCreatesTest.fill(child, text, rng, depth + 1)

    def test_every_create_with_hostile_fields(self):
        import importlib
        import random as random_module
        rng = random_module.Random(20261125)
        services = {"organisation": 50051, "property": 50052, "grid": 50053, "volunteers": 50054, "evaluation": 50055}
        calls = 0
        for name, port in services.items():
            module = importlib.import_module(f"governance.{name}.v1.{name}_pb2")
            service = next(iter(module.DESCRIPTOR.services_by_name.values()))
            channel = grpc.insecure_channel(f"127.0.0.1:{port + self.system.offset}")
            for method in service.methods:
                if not method.name.startswith("Create"):
                    continue
                # A method may take a message of another contract (common.v1's attachments).
                request_class = message_factory.GetMessageClass(method.input_type)
                response_class = message_factory.GetMessageClass(method.output_type)
                call = channel.unary_unary(f"/{service.full_name}/{method.name}",
                                           request_serializer=request_class.SerializeToString,
                                           response_deserializer=response_class.FromString)
                for text in [None, *HOSTILE_TEXT[:4]]:
                    request = request_class()
                    self.fill(request, text, rng)
                    details = ""
                    try:
                        call(request, metadata=self.metadata, timeout=10)
                        code = grpc.StatusCode.OK
                    except grpc.RpcError as error:
                        code, details = error.code(), error.details()
                        self.assertNotIn("internal error", error.details() or "", f"{method.full_name}")
                    self.assertIn(code, self.acceptable, f"{method.full_name} with {text!r}: {code} {details}")
                    calls += 1
        self.assertGreater(calls, 100)
        # Every service still answers.
        from governance.grid.v1 import grid_pb2, grid_pb2_grpc
        grid = grid_pb2_grpc.GridServiceStub(grpc.insecure_channel(f"127.0.0.1:{50053 + self.system.offset}"))
        grid.ListCases(grid_pb2.ListCasesRequest(), metadata=self.metadata, timeout=10)
        for name, port in services.items():
            channel = grpc.insecure_channel(f"127.0.0.1:{port + self.system.offset}")
            grpc.channel_ready_future(channel).result(timeout=10)
