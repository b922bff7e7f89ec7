"""gRPC server reflection, asked as grpcurl and Postman ask it: grpcio-reflection's descriptor
database lists each service's methods from the running process, with no copy of proto/, and the
descriptors it fetches are enough to call a method. Both versions of the protocol are asked: v1alpha
through grpcio-reflection's own client, v1 through the same messages on v1's path (the two differ
only in their package name, so their wire forms are the same)."""
import pathlib
import subprocess
import sys
import tempfile
import unittest

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from grpc_reflection.v1alpha import reflection_pb2
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from system import BIN, System  # noqa: E402

SERVICES = {
    "organisation": "governance.organisation.v1.OrganisationService",
    "property": "governance.property.v1.PropertyService",
    "grid": "governance.grid.v1.GridService",
    "volunteers": "governance.volunteers.v1.VolunteersService",
    "evaluation": "governance.evaluation.v1.EvaluationService",
}
V1 = "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo"


class ReflectionTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.system = System()

    @classmethod
    def tearDownClass(cls):
        cls.system.stop()

    def channel(self, service: str):
        channel = grpc.insecure_channel(f"127.0.0.1:{self.system.port(service)}")
        self.addCleanup(channel.close)
        return channel

    def ask_v1(self, service: str, *requests):
        """Sends `requests` on one v1 stream, without a token, and returns the answers in order."""
        call = self.channel(service).stream_stream(
            V1, request_serializer=reflection_pb2.ServerReflectionRequest.SerializeToString,
            response_deserializer=reflection_pb2.ServerReflectionResponse.FromString)
        return list(call(iter(requests), timeout=10))

    def test_every_service_lists_what_it_serves_without_a_token(self):
        for name, service in SERVICES.items():
            with self.subTest(name):
                database = ProtoReflectionDescriptorDatabase(self.channel(name))
                served = set(database.get_services())
                self.assertIn(service, served)
                self.assertIn("grpc.health.v1.Health", served)
                self.assertIn("grpc.reflection.v1.ServerReflection", served)
                self.assertIn("grpc.reflection.v1alpha.ServerReflection", served)
                # Nothing is listed that the process does not answer: another service's name is absent.
                self.assertFalse(served & (set(SERVICES.values()) - {service}))

    def test_descriptors_describe_every_method_and_are_enough_to_call_one(self):
        database = ProtoReflectionDescriptorDatabase(self.channel("grid"))
        pool = descriptor_pool.DescriptorPool(database)
        grid = pool.FindServiceByName(SERVICES["grid"])
        methods = {method.name: method for method in grid.methods}
        self.assertIn("GetCase", methods)
        self.assertIn("CreateCase", methods)
        # Every method's messages resolve, imports (google.protobuf.Timestamp) included.
        for method in grid.methods:
            self.assertTrue(method.input_type.full_name.startswith("governance."), method.name)
            self.assertTrue(method.output_type.full_name, method.name)
        case_fields = {field.name: field for field in pool.FindMessageTypeByName("governance.grid.v1.Case").fields}
        self.assertEqual(case_fields["report_time"].message_type.full_name, "google.protobuf.Timestamp")
        get_case = methods["GetCase"]
        request_class = message_factory.GetMessageClass(get_case.input_type)
        response_class = message_factory.GetMessageClass(get_case.output_type)
        call = self.channel("grid").unary_unary(
            f"/{grid.full_name}/GetCase", request_serializer=request_class.SerializeToString,
            response_deserializer=response_class.FromString)
        request = request_class(id="cas_missing")
        with self.assertRaises(grpc.RpcError) as anonymous:
            call(request, timeout=10)
        self.assertEqual(anonymous.exception.code(), grpc.StatusCode.UNAUTHENTICATED)
        # A token as the README has an operator make one for grpcurl.
        token = subprocess.run([BIN / "governance", "token", "--data", self.system.data, "--name", "ops",
                                "--role", "city_admin", "--scope", "3201"], capture_output=True, text=True, check=True)
        with self.assertRaises(grpc.RpcError) as missing:
            call(request, timeout=10, metadata=[("authorization", f"Bearer {token.stdout.strip()}")])
        self.assertEqual(missing.exception.code(), grpc.StatusCode.NOT_FOUND)

    def test_a_token_is_refused_where_it_could_not_be_right(self):
        for arguments, named in [(["--data", tempfile.mkdtemp(), "--role", "city_admin"], "token.key"),
                                 (["--data", self.system.data, "--role", "mayor"], "--role"),
                                 (["--data", self.system.data, "--role", "city_admin", "--lifetime", "999999"], "--lifetime"),
                                 (["--data", self.system.data, "--role", "city_admin", "--scope", "32a1"], "--scope")]:
            with self.subTest(named):
                run = subprocess.run([BIN / "governance", "token", "--name", "ops", *arguments],
                                     capture_output=True, text=True)
                self.assertNotEqual(run.returncode, 0)
                self.assertIn(named, run.stderr)
                self.assertEqual(run.stdout, "")

    def test_v1_answers_files_symbols_and_errors_on_one_stream(self):
        answers = self.ask_v1(
            "property",
            reflection_pb2.ServerReflectionRequest(host="h", list_services=""),
            reflection_pb2.ServerReflectionRequest(file_containing_symbol="governance.property.v1.PropertyService.GetCompound"),
            reflection_pb2.ServerReflectionRequest(file_containing_symbol="governance.nowhere.v1.Missing"),
            reflection_pb2.ServerReflectionRequest(file_by_filename="google/protobuf/timestamp.proto"),
            reflection_pb2.ServerReflectionRequest(),
            reflection_pb2.ServerReflectionRequest(file_containing_symbol="governance." + "x" * 100_000),
            reflection_pb2.ServerReflectionRequest(list_services=""),
        )
        self.assertEqual(len(answers), 7)
        listed, symbol, missing, by_name, empty, long, again = answers
        # A name far longer than any in the contracts is refused without being echoed back.
        self.assertEqual(long.error_response.error_code, grpc.StatusCode.INVALID_ARGUMENT.value[0])
        self.assertLess(long.ByteSize(), 1000)
        self.assertEqual(again.list_services_response, listed.list_services_response)
        self.assertEqual(listed.valid_host, "h")
        self.assertEqual(listed.original_request.host, "h")
        self.assertIn(SERVICES["property"], [service.name for service in listed.list_services_response.service])
        files = [descriptor_pb2.FileDescriptorProto.FromString(raw)
                 for raw in symbol.file_descriptor_response.file_descriptor_proto]
        self.assertEqual(files[0].name, "governance/property/v1/property.proto")
        # The file comes with everything it imports, each once.
        names = [file.name for file in files]
        self.assertEqual(len(names), len(set(names)))
        self.assertTrue(set(files[0].dependency) <= set(names))
        self.assertEqual(missing.error_response.error_code, grpc.StatusCode.NOT_FOUND.value[0])
        self.assertIn("governance.nowhere.v1.Missing", missing.error_response.error_message)
        timestamp = descriptor_pb2.FileDescriptorProto.FromString(by_name.file_descriptor_response.file_descriptor_proto[0])
        self.assertEqual(timestamp.package, "google.protobuf")
        self.assertEqual(empty.error_response.error_code, grpc.StatusCode.INVALID_ARGUMENT.value[0])
        self.assertIn("message_request", empty.error_response.error_message)

    def test_nested_types_enum_values_and_extension_numbers(self):
        answers = self.ask_v1(
            "grid",
            reflection_pb2.ServerReflectionRequest(file_containing_symbol="governance.grid.v1.CASE_STATUS_ACCEPTED"),
            reflection_pb2.ServerReflectionRequest(all_extension_numbers_of_type="governance.grid.v1.Case"),
            reflection_pb2.ServerReflectionRequest(all_extension_numbers_of_type="governance.grid.v1.Nothing"),
            reflection_pb2.ServerReflectionRequest(file_containing_extension=reflection_pb2.ExtensionRequest(
                containing_type="governance.grid.v1.Case", extension_number=100)),
        )
        value, numbers, unknown_type, extension = answers
        first = descriptor_pb2.FileDescriptorProto.FromString(value.file_descriptor_response.file_descriptor_proto[0])
        self.assertEqual(first.name, "governance/grid/v1/grid.proto")
        self.assertEqual(numbers.all_extension_numbers_response.base_type_name, "governance.grid.v1.Case")
        self.assertEqual(list(numbers.all_extension_numbers_response.extension_number), [])
        self.assertEqual(unknown_type.error_response.error_code, grpc.StatusCode.NOT_FOUND.value[0])
        self.assertEqual(extension.error_response.error_code, grpc.StatusCode.NOT_FOUND.value[0])


if __name__ == "__main__":
    unittest.main()
