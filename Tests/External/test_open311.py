"""Open311 GeoReport v2 at the gateway (docs/OPEN311.md), driven by PyPI's independent client
`georeport` in both of its output formats, JSON and XML. The client reads (service list, service
definition, service requests by filter and by id); it has no call for POST requests or tokens,
so those are made with `requests`, the HTTP library the client itself is built on, in the form
the standard gives (application/x-www-form-urlencoded, multipart/form-data for a photo).

Answers are checked against the field lists of the standard (wiki.open311.org/GeoReport_v2),
written out below, and errors against its error format with the HTTP status of each case.
"""
import datetime
import io
import json
import pathlib
import re
import struct
import sys
import unittest
import urllib.error
import urllib.request
import zlib

import piexif
import requests
import xmltodict
from georeport import GeoReport
from PIL import Image

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from system import System  # noqa: E402
from test_attachments import encoded, gps_exif, picture  # noqa: E402

# The standard's fields (GeoReport v2, "Response" of each method).
SERVICE_FIELDS = ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"]
DEFINITION_FIELDS = ["service_code", "attributes"]
POST_FIELDS = ["service_request_id", "service_notice", "account_id"]
REQUEST_FIELDS = ["service_request_id", "status", "status_notes", "service_name", "service_code", "description",
                  "agency_responsible", "service_notice", "requested_datetime", "updated_datetime",
                  "expected_datetime", "address", "address_id", "zipcode", "lat", "long", "media_url"]
TOKEN_FIELDS = ["service_request_id", "token"]
ERROR_FIELDS = ["code", "description"]
W3C_DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
FORMATS = ["json", "xml"]

JURISDICTION = "3201"
STREET = "320113005000"
COMMUNITY = "320113005001"
GRID = "320113005001001"
# The community covers 118.90–118.92 E, 32.10–32.12 N; its grid the middle of it.
IN_GRID = (32.11, 118.91)
OUTSIDE_GRIDS = (32.118, 118.918)


def square(west, south, east, north):
    return {"type": "Polygon", "coordinates": [[[west, south], [east, south], [east, north], [west, north],
                                                [west, south]]]}


def png() -> bytes:
    """A valid 1×1 PNG (the grid service finds a file's type from its bytes)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
            + chunk(b"IEND", b""))


def as_list(value):
    """xmltodict gives one repeated element as a dict, several as a list, none as None."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


class Open311Test(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.system = System()
        cls.root = f"{cls.system.gateway}/open311/v2"
        admin = cls.system.apikey("open311-setup")
        # The key of a residents' app: a district's, which may report cases in the district.
        cls.key = cls.system.apikey("open311-app", role="district", scope="320113")
        cls.auditor_key = cls.system.apikey("open311-auditor", role="auditor", scope=JURISDICTION)
        cls.elsewhere_key = cls.system.apikey("open311-elsewhere", role="district", scope="320213")
        cls.admin = {"Authorization": f"Bearer {admin}", "Content-Type": "application/json"}
        for code in ["320113000000", STREET, COMMUNITY]:
            cls.connect("CreateDivision", {"division": {"divisionCode": code, "name": f"区划{code[-3:]}"}})
        cls.connect("CreateGrid", {"grid": {"divisionCode": COMMUNITY, "gridCode": GRID, "name": "一网格",
                                            "kind": "GRID_KIND_BASIC"}})
        features = [
            {"type": "Feature", "properties": {"code": COMMUNITY}, "geometry": square(118.90, 32.10, 118.92, 32.12)},
            {"type": "Feature", "properties": {"code": GRID}, "geometry": square(118.905, 32.105, 118.915, 32.115)},
        ]
        cls.connect("ImportBoundaries", {"divisionCode": STREET, "featureCollection": json.dumps(
            {"type": "FeatureCollection", "features": features})})

    @classmethod
    def tearDownClass(cls):
        cls.system.stop()

    @classmethod
    def connect(cls, method, body):
        request = urllib.request.Request(f"{cls.system.gateway}/governance.grid.v1.GridService/{method}",
                                         data=json.dumps(body).encode(), headers=cls.admin)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            raise AssertionError(f"{method}: {error.code} {error.read()!r}") from None

    def client(self, output_format, jurisdiction=JURISDICTION):
        return GeoReport(self.root, jurisdiction=jurisdiction, output_format=output_format)

    def parse(self, response, output_format):
        """An answer's body as the client would read it: JSON, or XML through xmltodict."""
        if output_format == "json":
            self.assertTrue(response.headers["Content-Type"].startswith("application/json"))
            return response.json()
        self.assertTrue(response.headers["Content-Type"].startswith("text/xml"))
        self.assertTrue(response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>'))
        return xmltodict.parse(response.content)

    def post(self, output_format, fields, files=None, expect=200):
        response = requests.post(f"{self.root}/requests.{output_format}", data=fields, files=files, timeout=30)
        self.assertEqual(response.status_code, expect, response.text)
        return response

    def report(self, output_format="json", point=IN_GRID, **extra):
        """A new service request; returns its id after checking the POST answer's fields."""
        fields = {"api_key": self.key, "jurisdiction_id": JURISDICTION, "service_code": "fire_safety",
                  "lat": str(point[0]), "long": str(point[1]), "address_string": "仙林大道 1 号 3 栋",
                  "description": "楼道堆放杂物\n三楼楼梯间堆满纸箱，影响通行", "first_name": "小明", "last_name": "王",
                  "phone": "13812345678", "email": "wang@example.cn", "device_id": "device-1", **extra}
        answer = self.parse(self.post(output_format, fields), output_format)
        posted = answer[0] if output_format == "json" else answer["service_requests"]["request"]
        for field in POST_FIELDS:
            self.assertIn(field, posted)
        self.assertEqual(posted["token"], posted["service_request_id"])
        self.assertIn("案件编号", posted["service_notice"])
        return posted["service_request_id"], posted

    def service_requests(self, client, output_format, **filters):
        """The client's get_service_requests. It reads an XML answer's requests as
        `['service_requests']['request']`, which an empty `<service_requests/>` (no request
        matched) does not have: then the empty answer is checked here instead."""
        try:
            return client.get_service_requests(**filters)
        except TypeError:
            self.assertEqual(output_format, "xml")
            response = requests.get(f"{self.root}/requests.xml", params={"jurisdiction_id": JURISDICTION, **filters},
                                    timeout=30)
            self.assertEqual(response.status_code, 200)
            self.assertEqual(xmltodict.parse(response.content), {"service_requests": None})
            return []

    def assert_request_fields(self, found, output_format):
        self.assertEqual(sorted(REQUEST_FIELDS), sorted(found.keys()))
        self.assertIn(found["status"], ["open", "closed"])
        self.assertRegex(found["requested_datetime"], W3C_DATETIME)
        self.assertRegex(found["updated_datetime"], W3C_DATETIME)
        if found["expected_datetime"]:
            self.assertRegex(found["expected_datetime"], W3C_DATETIME)

    def assert_error(self, response, status, output_format, mentions=None):
        """An error in the standard's format: a list of {code, description} with the HTTP status."""
        self.assertEqual(response.status_code, status, response.text)
        if output_format == "json":
            errors = response.json()
            self.assertIsInstance(errors, list)
        else:
            errors = as_list(xmltodict.parse(response.content)["errors"]["error"])
        self.assertEqual(len(errors), 1)
        self.assertEqual(sorted(errors[0].keys()), ERROR_FIELDS)
        self.assertEqual(int(errors[0]["code"]), status)
        self.assertTrue(errors[0]["description"])
        if mentions:
            self.assertIn(mentions, errors[0]["description"])
        return errors[0]["description"]

    # --- services ---

    def test_service_list_and_definitions_in_both_formats(self):
        for output_format in FORMATS:
            client = self.client(output_format)
            services = as_list(client.get_service_list())
            codes = [service["service_code"] for service in services]
            for code in ["environment", "facility", "property_service", "dispute", "fire_safety", "public_order"]:
                self.assertIn(code, codes, output_format)
            for service in services:
                self.assertEqual(sorted(SERVICE_FIELDS), sorted(service.keys()), output_format)
                self.assertRegex(service["service_name"], r"[\u4e00-\u9fff]")
                self.assertEqual(service["type"], "realtime")
                self.assertIn(service["metadata"], [False, "false"])
            fire = next(service for service in services if service["service_code"] == "fire_safety")
            self.assertEqual(fire["service_name"], "消防隐患")
            definition = client.get_service_definition("fire_safety")
            self.assertEqual(sorted(DEFINITION_FIELDS), sorted(definition.keys()))
            self.assertEqual(definition["service_code"], "fire_safety")
            self.assertEqual(as_list(definition["attributes"]), [])

    def test_discovery(self):
        for output_format in FORMATS:
            response = requests.get(f"{self.root}/discovery.{output_format}", timeout=30)
            self.assertEqual(response.status_code, 200)
            answer = self.parse(response, output_format)
            discovery = answer if output_format == "json" else answer["discovery"]
            endpoint = as_list(discovery["endpoints"] if output_format == "json"
                               else discovery["endpoints"]["endpoint"])[0]
            self.assertEqual(endpoint["url"], self.root)
            self.assertEqual(endpoint["specification"], "http://wiki.open311.org/GeoReport_v2")

    # --- service requests ---

    def test_report_by_point_and_read_it_back(self):
        for output_format in FORMATS:
            client = self.client(output_format)
            request_id, _ = self.report(output_format)
            found = client.get_service_request(request_id)
            self.assert_request_fields(found, output_format)
            self.assertEqual(found["service_request_id"], request_id)
            self.assertEqual((found["status"], found["service_code"], found["service_name"]),
                             ("open", "fire_safety", "消防隐患"))
            self.assertEqual(found["description"], "楼道堆放杂物\n三楼楼梯间堆满纸箱，影响通行")
            self.assertEqual(found["address"], "仙林大道 1 号 3 栋")
            self.assertEqual((float(found["lat"]), float(found["long"])), IN_GRID)
            # The case was routed by its point to the grid whose boundary holds it.
            self.assertEqual(found["agency_responsible"], f"网格 {GRID}")
            self.assertFalse(found["media_url"])
            # Reads never show who reported.
            raw = requests.get(f"{self.root}/requests/{request_id}.{output_format}", timeout=30).text
            self.assertNotIn("王小明", raw)
            self.assertNotIn("13812345678", raw)

    def test_a_point_outside_every_grid_goes_to_the_nearest_community(self):
        request_id, posted = self.report(point=OUTSIDE_GRIDS)
        self.assertIn("不在任何网格内", posted["service_notice"])
        found = self.client("json").get_service_request(request_id)
        self.assertEqual(found["agency_responsible"], f"社区 {COMMUNITY}")

    def test_filters_and_status_mapping(self):
        first, _ = self.report("json")
        second, _ = self.report("xml", service_code="environment", description="垃圾清运不及时")
        now = datetime.datetime.now(datetime.timezone.utc)
        start = (now - datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        end = (now + datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        for output_format in FORMATS:
            client = self.client(output_format)
            both = as_list(client.get_service_requests(service_request_id=f"{first},{second},case_missing"))
            self.assertEqual(sorted(found["service_request_id"] for found in both), sorted([first, second]))
            for found in both:
                self.assert_request_fields(found, output_format)

            def ids(**filters):
                listed = as_list(self.service_requests(client, output_format, **filters))
                for found in listed:
                    self.assertEqual(sorted(REQUEST_FIELDS), sorted(found.keys()))
                return {found["service_request_id"] for found in listed}

            self.assertLessEqual({first, second}, ids())
            self.assertLessEqual({first, second}, ids(start_date=start, end_date=end))
            fire = ids(service_code="fire_safety", status="open", start_date=start, end_date=end)
            self.assertIn(first, fire)
            self.assertNotIn(second, fire)
            self.assertLessEqual({first, second}, ids(service_code="fire_safety,environment"))
            self.assertNotIn(first, ids(status="closed"))
            self.assertNotIn(first, ids(service_code="noise"))
            # A window that ended before the reports finds neither.
            self.assertFalse({first, second} & ids(start_date="2026-01-01T00:00:00+08:00",
                                                   end_date="2026-02-01T00:00:00+08:00"))
        # Rejected at intake: closed, with the reason as status_notes.
        self.connect("RejectCase", {"caseId": second, "reason": "非本辖区事项，已转交物业"})
        for output_format in FORMATS:
            client = self.client(output_format)
            rejected = client.get_service_request(second)
            self.assertEqual((rejected["status"], rejected["status_notes"]), ("closed", "非本辖区事项，已转交物业"))
            self.assertIn(second, {found["service_request_id"] for found in as_list(
                self.service_requests(client, output_format, status="closed"))})
            self.assertNotIn(second, {found["service_request_id"] for found in as_list(
                self.service_requests(client, output_format, status="open"))})

    def test_token_names_the_request(self):
        request_id, posted = self.report()
        for output_format in FORMATS:
            response = requests.get(f"{self.root}/tokens/{posted['token']}.{output_format}", timeout=30)
            self.assertEqual(response.status_code, 200, response.text)
            answer = self.parse(response, output_format)
            tokens = answer if output_format == "json" else as_list(answer["service_requests"]["request"])
            self.assertEqual(len(tokens), 1)
            self.assertEqual(sorted(TOKEN_FIELDS), sorted(tokens[0].keys()))
            self.assertEqual((tokens[0]["service_request_id"], tokens[0]["token"]), (request_id, posted["token"]))

    def test_a_photo_uploaded_with_the_request_is_its_media_url(self):
        fields = {"api_key": self.key, "service_code": "facility", "lat": str(IN_GRID[0]), "long": str(IN_GRID[1]),
                  "description": "路灯不亮"}
        response = self.post("json", fields, files={"media": ("路灯.png", png(), "image/png")})
        posted = response.json()[0]
        self.assertNotIn("照片未能保存", posted["service_notice"])
        for output_format in FORMATS:
            found = self.client(output_format).get_service_request(posted["service_request_id"])
            self.assertRegex(found["media_url"], "^" + re.escape(self.system.gateway) + r"/open311/v2/media/\S+$")

    def test_a_residents_gps_photo_reaches_another_resident_without_its_exif(self):
        # A resident's app posts a phone photo carrying the home's GPS position.
        image = picture()
        original = encoded(image, "JPEG", exif=gps_exif(), quality=90)
        self.assertIn("GPS", piexif.load(original))
        self.assertTrue(piexif.load(original)["GPS"])
        fields = {"api_key": self.key, "service_code": "environment", "lat": str(IN_GRID[0]),
                  "long": str(IN_GRID[1]), "description": "楼下垃圾堆放"}
        posted = self.post("json", fields, files={"media": ("垃圾.jpg", original, "image/jpeg")}).json()[0]
        # Another resident follows the request with no key at all and opens its media_url.
        found = self.client("json").get_service_request(posted["service_request_id"])
        shown = requests.get(found["media_url"], timeout=30)
        self.assertEqual(shown.status_code, 200, shown.text)
        self.assertEqual(shown.headers["Content-Type"], "image/jpeg")
        self.assertEqual(shown.headers["X-Content-Type-Options"], "nosniff")
        public = piexif.load(shown.content)
        self.assertFalse(public["GPS"], "the GPS position reached another resident")
        self.assertFalse(public["0th"].get(piexif.ImageIFD.Make), "the camera reached another resident")
        self.assertEqual(Image.open(io.BytesIO(shown.content)).size, image.size)
        # The staff handling the case get the photo as it was taken.
        attachment = found["media_url"].rsplit("/", 1)[1]
        whole = requests.get(f"{self.system.gateway}/files/{attachment}",
                             headers={"Authorization": self.admin["Authorization"]}, timeout=30)
        self.assertEqual(whole.status_code, 200, whole.text)
        self.assertEqual(whole.content, original)

    def test_text_is_escaped_in_xml_and_json(self):
        hostile = "<script>alert('x')</script> & \"引号\" ]]> \\ 𠀀\r\n\t第二行"
        request_id, _ = self.report(description=hostile)
        for output_format in FORMATS:
            found = self.client(output_format).get_service_request(request_id)
            self.assertEqual(found["description"], hostile.strip(), output_format)
        # The grid service takes no control characters; the refusal names Open311's parameter.
        response = self.post("xml", {"api_key": self.key, "service_code": "dispute", "lat": str(IN_GRID[0]),
                                     "long": str(IN_GRID[1]), "description": "响铃\x07"}, expect=400)
        self.assert_error(response, 400, "xml", "description:")

    def test_posts_go_into_the_audit_trail(self):
        request_id, _ = self.report()
        trail = requests.get(f"{self.system.gateway}/audit", params={"subject": "apikey:open311-app"},
                             headers={"Authorization": self.admin["Authorization"]}, timeout=30).json()
        self.assertIn(("governance.grid.v1.GridService/CreateCase", request_id, "ok"),
                      {(entry["action"], entry["target"], entry["result"]) for entry in trail["entries"]})

    # --- errors ---

    def test_errors_in_the_standard_format(self):
        base = {"service_code": "fire_safety", "lat": str(IN_GRID[0]), "long": str(IN_GRID[1]), "description": "x"}
        for output_format in FORMATS:
            def post(fields):
                return requests.post(f"{self.root}/requests.{output_format}", data=fields, timeout=30)

            self.assert_error(post(base), 403, output_format, "api_key")
            self.assert_error(post({**base, "api_key": "gk_not_a_key"}), 403, output_format, "api_key")
            # A key whose role may not report cases, and one of another city.
            self.assert_error(post({**base, "api_key": self.auditor_key}), 403, output_format)
            self.assert_error(post({**base, "api_key": self.elsewhere_key}), 403, output_format, "api_key")
            self.assert_error(post({**base, "api_key": self.key, "service_code": "no_such_service"}), 404,
                              output_format, "service_code")
            self.assert_error(post({**base, "api_key": self.key, "service_code": ""}), 400, output_format,
                              "service_code")
            without_place = {key: value for key, value in base.items() if key not in ("lat", "long")}
            self.assert_error(post({**without_place, "api_key": self.key}), 400, output_format, "lat")
            # An address alone cannot be placed in a grid.
            self.assert_error(post({**without_place, "api_key": self.key, "address_string": "仙林大道 1 号"}), 400,
                              output_format, "lat, long:")
            self.assert_error(post({**base, "api_key": self.key, "long": ""}), 400, output_format, "long")
            self.assert_error(post({**base, "api_key": self.key, "lat": "north"}), 400, output_format, "lat")
            # The grid service refuses a latitude beyond 90°; the refusal names Open311's parameter.
            description = self.assert_error(post({**base, "api_key": self.key, "lat": "95"}), 400, output_format)
            self.assertTrue(description.startswith("lat:"), description)
            self.assert_error(post({**base, "api_key": self.key, "jurisdiction_id": "1101"}), 404, output_format,
                              "jurisdiction_id")

            client = self.client(output_format)
            with self.assertRaises(requests.HTTPError) as unknown:
                client.get_service_definition("no_such_service")
            self.assert_error(unknown.exception.response, 404, output_format, "service_code")
            with self.assertRaises(requests.HTTPError) as missing:
                client.get_service_request("case_01AAAAAAAAAAAAAAAAAAAAAAAA")
            self.assert_error(missing.exception.response, 404, output_format, "service_request_id")
            self.assert_error(requests.get(f"{self.root}/tokens/case_nothing.{output_format}", timeout=30), 404,
                              output_format, "token")
            with self.assertRaises(requests.HTTPError) as elsewhere:
                self.client(output_format, jurisdiction="1101").get_service_list()
            self.assert_error(elsewhere.exception.response, 404, output_format, "jurisdiction_id")
            for filters, parameter in [({"start_date": "yesterday"}, "start_date"),
                                       ({"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"},
                                        "end_date"),
                                       ({"status": "pending"}, "status")]:
                with self.assertRaises(requests.HTTPError) as refused:
                    client.get_service_requests(**filters)
                self.assert_error(refused.exception.response, 400, output_format, parameter)
        # A format the server has not: 404, told in JSON.
        for path in ["services.csv", "services", "requests/case_x.html", "tokens/x.yaml"]:
            self.assert_error(requests.get(f"{self.root}/{path}", timeout=30), 404, "json")


if __name__ == "__main__":
    unittest.main()
