"""The gateway's Connect protocol, driven by the Connect project's own Python client
(`connectrpc`): JSON and binary protobuf, request and response gzip on and off, and the GET form
for methods marked NO_SIDE_EFFECTS. Messages are the classes grpc_tools generates from proto/;
the client takes any codec, so a codec here only hands them to Google's protobuf library.

Raw HTTP checks the cases a conforming client would not send: an unsupported Content-Type (415),
an unsupported Content-Encoding (unimplemented), a gzip body that is not gzip, and GET on a method
that changes data (405).
"""
import gzip
import http.client
import json
import pathlib
import sys
import tempfile
import unittest
import urllib.error
import urllib.parse
import urllib.request

import grpc_tools
from connectrpc.client import ConnectClientSync
from connectrpc.code import Code
from connectrpc.compression.gzip import GzipCompression
from connectrpc.errors import ConnectError
from connectrpc.method import IdempotencyLevel, MethodInfo, StreamType
from google.protobuf import json_format
from grpc_tools import protoc

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from system import ROOT, System  # noqa: E402

PROPERTY = "governance.property.v1.PropertyService"


class GoogleProtoCodec:
    """Binary protobuf through Google's protobuf runtime."""

    def name(self) -> str:
        return "proto"

    def encode(self, message) -> bytes:
        return message.SerializeToString()

    def decode(self, data, message_class):
        return message_class.FromString(bytes(data))


class GoogleJSONCodec:
    """Protobuf JSON through Google's protobuf runtime."""

    def name(self) -> str:
        return "json"

    def encode(self, message) -> bytes:
        return json_format.MessageToJson(message).encode()

    def decode(self, data, message_class):
        return json_format.Parse(bytes(data), message_class(), ignore_unknown_fields=True)


class ConnectTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        stubs = tempfile.mkdtemp(prefix="governance-connect-")
        include = pathlib.Path(grpc_tools.__file__).parent / "_proto"
        protos = [str(path.relative_to(ROOT / "proto")) for path in (ROOT / "proto" / "governance").rglob("*.proto")]
        assert protoc.main(["protoc", f"-I{ROOT / 'proto'}", f"-I{include}", f"--python_out={stubs}", *protos]) == 0
        sys.path.insert(0, stubs)
        from governance.property.v1 import property_pb2
        cls.pb = property_pb2
        cls.system = System()
        cls.key = cls.system.apikey("connect-client")
        cls.headers = {"Authorization": f"Bearer {cls.key}"}

    @classmethod
    def tearDownClass(cls):
        cls.system.stop()

    def method(self, name, request, response, safe=False):
        return MethodInfo(name=name, service_name=PROPERTY, input=request, output=response,
                          idempotency_level=IdempotencyLevel.NO_SIDE_EFFECTS if safe else IdempotencyLevel.UNKNOWN,
                          stream_type=StreamType.UNARY)

    def client(self, codec, send_gzip: bool, accept_gzip: bool):
        return ConnectClientSync(self.system.gateway, codec=codec,
                                 send_compression=GzipCompression() if send_gzip else None,
                                 accept_compression=[GzipCompression()] if accept_gzip else [])

    def test_create_get_and_list_with_every_codec_and_compression(self):
        pb = self.pb
        create = self.method("CreateCompound", pb.CreateCompoundRequest, pb.Compound)
        get = self.method("GetCompound", pb.GetCompoundRequest, pb.Compound, safe=True)
        listing = self.method("ListCompounds", pb.ListCompoundsRequest, pb.ListCompoundsResponse, safe=True)
        created = []
        for codec in [GoogleJSONCodec(), GoogleProtoCodec()]:
            for send_gzip in [False, True]:
                for accept_gzip in [False, True]:
                    with self.client(codec, send_gzip, accept_gzip) as client:
                        # A long description makes the answer worth compressing.
                        name = f"{codec.name()}-{send_gzip}-{accept_gzip} 小区 𠀀"
                        compound = client.execute_unary(request=pb.CreateCompoundRequest(compound=pb.Compound(
                            name=name, division_code="320113005001", kind=pb.COMPOUND_KIND_OLD, address="仙林大道" * 40)),
                            method=create, headers=self.headers)
                        self.assertTrue(compound.id)
                        self.assertEqual(compound.name, name)
                        created.append(compound.id)
                        for use_get in [False, True]:
                            again = client.execute_unary(request=pb.GetCompoundRequest(id=compound.id), method=get,
                                                         headers=self.headers, use_get=use_get)
                            self.assertEqual(again.name, name, f"{codec.name()} get={use_get}")
        with self.client(GoogleJSONCodec(), False, True) as client:
            page = client.execute_unary(request=pb.ListCompoundsRequest(page_size=50), method=listing,
                                        headers=self.headers, use_get=True)
            self.assertTrue(set(created) <= {c.id for c in page.compounds})
            with self.assertRaises(ConnectError) as missing:
                client.execute_unary(request=pb.GetCompoundRequest(id="cmp_missing"), method=self.method(
                    "GetCompound", pb.GetCompoundRequest, pb.Compound, safe=True), headers=self.headers, use_get=True)
            self.assertEqual(missing.exception.code, Code.NOT_FOUND)

    def test_a_large_answer_is_gzip_compressed_when_accepted(self):
        for i in range(10):
            self.raw(f"{PROPERTY}/CreateCompound", json.dumps({"compound": {
                "name": f"压缩小区{i}", "divisionCode": "320113005001", "kind": "COMPOUND_KIND_OLD",
                "address": "仙林大道" * 40}}).encode(),
                headers={"Content-Type": "application/json"})
        request = urllib.request.Request(f"{self.system.gateway}/{PROPERTY}/ListCompounds", data=b'{"pageSize":100}',
                                         headers={**self.headers, "Content-Type": "application/json",
                                                  "Accept-Encoding": "gzip"})
        with urllib.request.urlopen(request, timeout=10) as response:
            self.assertEqual(response.headers.get("Content-Encoding"), "gzip")
            compressed = response.read()
        answer = json.loads(gzip.decompress(compressed))
        self.assertGreaterEqual(len(answer["compounds"]), 10)
        self.assertLess(len(compressed), len(json.dumps(answer).encode()) / 2)

    def raw(self, path, body=b"{}", method="POST", headers=None):
        request = urllib.request.Request(f"{self.system.gateway}/{path}", data=body if method == "POST" else None,
                                         method=method, headers={**self.headers, **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()

    def test_unsupported_content_types_are_415(self):
        for content_type in ["text/plain", "application/xml", None, "application/jsonx", "multipart/form-data"]:
            # http.client sends exactly the headers given (urllib would add a form type).
            connection = http.client.HTTPConnection("127.0.0.1", 8080 + self.system.offset, timeout=10)
            headers = {**self.headers, **({"Content-Type": content_type} if content_type is not None else {})}
            connection.request("POST", f"/{PROPERTY}/ListCompounds", body=b"{}", headers=headers)
            response = connection.getresponse()
            body = response.read()
            self.assertEqual(response.status, 415, f"Content-Type {content_type!r}: {body!r}")
            self.assertIn("application/json", response.getheader("Accept-Post", ""))
            self.assertIn("Content-Type", json.loads(body)["message"])
            connection.close()

    def test_get_with_url_encoded_json_as_go_and_forms_write_it(self):
        # url.Values.Encode (connect-go) and HTML forms write a space as "+".
        query = urllib.parse.urlencode({"encoding": "json", "message": json.dumps({"pageSize": 5, "divisionPrefix": "3201"})})
        self.assertIn("+", query)
        status, _, body = self.raw(f"{PROPERTY}/ListCompounds?{query}", method="GET")
        self.assertEqual(status, 200, body)
        status, _, body = self.raw(f"{PROPERTY}/ListCompounds?encoding=json&message=%7B%ZZ", method="GET")
        self.assertEqual((status, json.loads(body)["code"]), (400, "invalid_argument"))
        self.assertIn("message=", json.loads(body)["message"])

    def test_a_gzip_body_cut_short_is_refused(self):
        whole = gzip.compress(json.dumps({"pageSize": 5}).encode())
        for cut in [whole[:10], whole[:-4], whole[:-1]]:
            status, _, body = self.raw(f"{PROPERTY}/ListCompounds", body=cut,
                                       headers={"Content-Type": "application/json", "Content-Encoding": "gzip"})
            self.assertEqual((status, json.loads(body)["code"]), (400, "invalid_argument"), f"{len(cut)} bytes: {body!r}")
        status, _, _ = self.raw(f"{PROPERTY}/ListCompounds", body=whole,
                                headers={"Content-Type": "application/json", "Content-Encoding": "gzip"})
        self.assertEqual(status, 200)

    def test_compression_the_gateway_does_not_speak_is_unimplemented(self):
        for encoding in ["br", "zstd", "compress"]:
            status, headers, body = self.raw(f"{PROPERTY}/ListCompounds",
                                             headers={"Content-Type": "application/json", "Content-Encoding": encoding})
            self.assertEqual(json.loads(body)["code"], "unimplemented", f"{encoding}: {body!r}")
            self.assertEqual(status, 501)
            self.assertIn("gzip", headers.get("Accept-Encoding", ""))
        status, _, body = self.raw(f"{PROPERTY}/ListCompounds", body=b"{not gzip at all",
                                   headers={"Content-Type": "application/json", "Content-Encoding": "gzip"})
        self.assertEqual((status, json.loads(body)["code"]), (400, "invalid_argument"))
        # A gzip bomb: small on the wire, over the 4 MiB limit once inflated.
        bomb = gzip.compress(b" " * (5 * 1024 * 1024))
        status, _, body = self.raw(f"{PROPERTY}/ListCompounds", body=bomb,
                                   headers={"Content-Type": "application/json", "Content-Encoding": "gzip"})
        self.assertEqual(json.loads(body)["code"], "resource_exhausted", body)

    def test_a_read_takes_a_small_body_only(self):
        # A read's filters fit in 64 KiB; a 100 KB string filter is refused before any service
        # spends time on it, while a change may still send up to 4 MiB.
        huge = json.dumps({"area": "片" * 40_000}).encode()
        status, _, body = self.raw(f"{PROPERTY}/ListCompounds", body=huge, headers={"Content-Type": "application/json"})
        self.assertEqual((status, json.loads(body)["code"]), (429, "resource_exhausted"), body)
        status, _, body = self.raw(f"{PROPERTY}/ListCompounds", body=json.dumps({"area": "片"}).encode(),
                                   headers={"Content-Type": "application/json"})
        self.assertEqual(status, 200, body)

    def test_get_is_refused_for_a_method_that_changes_data(self):
        status, headers, body = self.raw(f"{PROPERTY}/CreateCompound?encoding=json&message=%7B%7D", method="GET")
        self.assertEqual(status, 405, body)
        self.assertEqual(headers.get("Allow"), "POST")

    def test_a_refusal_carries_its_rule_as_error_details(self):
        """A service's refusal reaches a Connect client with its google.rpc.ErrorInfo (the rule
        as the template the console's errors.json translates) and BadRequest, decoded by the
        Connect client and googleapis' own message classes; JSON clients also get `debug`."""
        from google.rpc import error_details_pb2
        sys.path.insert(0, str(ROOT / "Tests" / "Console"))
        import service_errors
        pb = self.pb
        create = self.method("CreateCompound", pb.CreateCompoundRequest, pb.Compound)
        for codec in [GoogleJSONCodec(), GoogleProtoCodec()]:
            with self.client(codec, False, False) as client, self.assertRaises(ConnectError) as refused:
                client.execute_unary(request=pb.CreateCompoundRequest(compound=pb.Compound(
                    name="", division_code="320113005001", kind=pb.COMPOUND_KIND_OLD)), method=create,
                    headers=self.headers)
            self.assertEqual(refused.exception.code, Code.INVALID_ARGUMENT)
            details = {detail.type_name: detail.message_bytes for detail in refused.exception.details}
            info = error_details_pb2.ErrorInfo.FromString(details["google.rpc.ErrorInfo"])
            self.assertEqual((info.reason, info.metadata["field"]), ("FIELD_INVALID", "compound.name"))
            self.assertIn(info.metadata["rule"], service_errors.texts()[0])
            bad_request = error_details_pb2.BadRequest.FromString(details["google.rpc.BadRequest"])
            self.assertEqual(bad_request.field_violations[0].field, "compound.name")
        status, _, body = self.raw(f"{PROPERTY}/GetCompound", body=b'{"id": "cmp_missing"}',
                                   headers={"Content-Type": "application/json"})
        self.assertEqual(status, 404, body)
        info = next(d for d in json.loads(body)["details"] if d["type"] == "google.rpc.ErrorInfo")
        self.assertEqual(info["debug"]["reason"], "NOT_FOUND")
        self.assertEqual(info["debug"]["metadata"]["id"], "cmp_missing")
        self.assertIn(info["debug"]["metadata"]["resource"], service_errors.texts()[2])


if __name__ == "__main__":
    unittest.main()
