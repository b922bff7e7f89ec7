"""The map's layers through the gateway (`GET /map/layers`, docs/MAP.md) against the real system: a
GeoJSON FeatureCollection (RFC 7946) of the caller's jurisdiction whose coordinates, asked in GCJ-02,
equal those of PyPI's independent `coord-convert` (`coord_convert.transform.wgs2gcj`) within 1e-6
degrees, and are the imported WGS-84 ones unchanged otherwise; each grid carries its period's case
figures; Leaflet is served from the folder the gateway was given, and nothing outside it."""
import json
import os
import pathlib
import subprocess
import sys
import unittest
import urllib.error
import urllib.request

from coord_convert.transform import wgs2gcj

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from system import System  # noqa: E402

DISTRICT = "320115000000"
STREET = "320115002000"
COMMUNITY = "320115002001"
GRIDS = ["320115002001001", "320115002001002"]
GRID_SERVICE = "governance.grid.v1.GridService"
COMMUNITY_SHAPE = [[118.70, 32.10], [118.74, 32.10], [118.74, 32.13], [118.70, 32.13], [118.70, 32.10]]
GRID_SHAPES = [
    [[118.701, 32.101], [118.719, 32.101], [118.719, 32.129], [118.701, 32.129], [118.701, 32.101]],
    [[118.721, 32.101], [118.739, 32.101], [118.7391234, 32.1287654], [118.721, 32.129], [118.721, 32.101]],
]


def leaflet_folder() -> str | None:
    """Where pip put xstatic-leaflet's files, as scripts/test.sh finds them."""
    if os.environ.get("GOVERNANCE_MAP_LIBRARY"):
        return os.environ["GOVERNANCE_MAP_LIBRARY"]
    run = subprocess.run([sys.executable, "-c", "import xstatic.pkg.leaflet as l; print(l.BASE_DIR)"],
                         capture_output=True, text=True)
    return run.stdout.strip() or None


class MapLayersTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.library = leaflet_folder()
        cls.system = System(env={"GOVERNANCE_MAP_LIBRARY": cls.library} if cls.library else {})
        cls.admin = cls.system.apikey("map-setup")
        cls.street = cls.system.apikey("map-street", role="street", scope=STREET[:9])
        cls.other = cls.system.apikey("map-other-street", role="street", scope="320115009")
        for code in [DISTRICT, STREET, COMMUNITY]:
            cls.connect("CreateDivision", {"division": {"divisionCode": code, "name": f"区划{code[-3:]}"}})
        for number, code in enumerate(GRIDS, 1):
            cls.connect("CreateGrid", {"grid": {"divisionCode": COMMUNITY, "gridCode": code, "name": f"{number}号网格",
                                                "kind": "GRID_KIND_BASIC"}})
        features = [{"type": "Feature", "properties": {"code": COMMUNITY},
                     "geometry": {"type": "Polygon", "coordinates": [COMMUNITY_SHAPE]}}]
        features += [{"type": "Feature", "properties": {"code": code},
                      "geometry": {"type": "Polygon", "coordinates": [shape]}} for code, shape in zip(GRIDS, GRID_SHAPES)]
        cls.connect("ImportBoundaries", {"divisionCode": STREET, "featureCollection": json.dumps(
            {"type": "FeatureCollection", "features": features})})
        cls.cases = [cls.connect("CreateCase", {"gridCase": {
            "source": "CASE_SOURCE_RESIDENT", "category": "facility", "title": f"路灯不亮{n}",
            "priority": "CASE_PRIORITY_HIGH" if n == 0 else "CASE_PRIORITY_NORMAL",
            "location": {"point": {"longitude": 118.73 + n * 0.001, "latitude": 32.11}}}}) for n in range(3)]

    @classmethod
    def tearDownClass(cls):
        cls.system.stop()

    @classmethod
    def connect(cls, method, body):
        request = urllib.request.Request(
            f"{cls.system.gateway}/{GRID_SERVICE}/{method}", data=json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {cls.admin}", "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            raise AssertionError(f"{method}: {error.code} {error.read()!r}") from None

    def get(self, path: str, key: str | None = None):
        request = urllib.request.Request(f"{self.system.gateway}{path}",
                                         headers={"Authorization": f"Bearer {key or self.street}"} if key != "" else {})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()

    def layers(self, query: str = "", key: str | None = None) -> dict:
        status, headers, body = self.get(f"/map/layers{query}", key)
        self.assertEqual(status, 200, body[:500])
        self.assertEqual(headers["Content-Type"], "application/geo+json")
        return json.loads(body)

    def by_layer(self, collection: dict, layer: str) -> list:
        return [feature for feature in collection["features"] if feature["properties"]["layer"] == layer]

    def test_wgs84_layers_are_the_imported_boundaries_with_cases_and_figures(self):
        collection = self.layers()
        self.assertEqual(collection["type"], "FeatureCollection")
        self.assertEqual(collection["datum"], "WGS-84")
        communities = self.by_layer(collection, "community")
        self.assertEqual([c["properties"]["code"] for c in communities], [COMMUNITY])
        self.assertEqual(communities[0]["geometry"], {"type": "Polygon", "coordinates": [COMMUNITY_SHAPE]})
        grids = {g["properties"]["grid_code"]: g for g in self.by_layer(collection, "grid")}
        self.assertEqual(sorted(grids), GRIDS)
        for code, shape in zip(GRIDS, GRID_SHAPES):
            self.assertEqual(grids[code]["geometry"]["coordinates"], [shape])
        # The three cases lie in the second grid, reported today: the heat layer's figures.
        self.assertEqual(grids[GRIDS[1]]["properties"]["case_count"], 3)
        self.assertEqual(grids[GRIDS[1]]["properties"]["open"], 3)
        self.assertEqual(grids[GRIDS[0]]["properties"]["case_count"], 0)
        cases = {c["properties"]["id"]: c for c in self.by_layer(collection, "case")}
        self.assertEqual(sorted(cases), sorted(c["id"] for c in self.cases))
        first = cases[self.cases[0]["id"]]
        self.assertEqual(first["geometry"], {"type": "Point", "coordinates": [118.73, 32.11]})
        properties = first["properties"]
        self.assertEqual(properties["case_number"], self.cases[0]["caseNumber"])
        self.assertEqual(properties["grid_code"], GRIDS[1])
        self.assertEqual((properties["level"], properties["priority"], properties["status"], properties["overdue"]),
                         ("CASE_LEVEL_GRID", "CASE_PRIORITY_HIGH", "CASE_STATUS_REPORTED", False))
        self.assertEqual(properties["title"], "路灯不亮0")

    def test_gcj02_coordinates_equal_coord_convert(self):
        collection = self.layers("?datum=gcj02")
        self.assertEqual(collection["datum"], "GCJ-02")
        grids = {g["properties"]["grid_code"]: g for g in self.by_layer(collection, "grid")}
        compared = 0
        for code, shape in zip(GRIDS, GRID_SHAPES):
            for (lon, lat), (got_lon, got_lat) in zip(shape, grids[code]["geometry"]["coordinates"][0]):
                want_lon, want_lat = wgs2gcj(lon, lat)
                self.assertAlmostEqual(got_lon, want_lon, delta=1e-6)
                self.assertAlmostEqual(got_lat, want_lat, delta=1e-6)
                # The offset is hundreds of metres in Nanjing: the conversion did happen.
                self.assertGreater(abs(got_lon - lon) + abs(got_lat - lat), 1e-3)
                compared += 1
        self.assertEqual(compared, 10)
        community = self.by_layer(collection, "community")[0]["geometry"]["coordinates"][0][0]
        self.assertAlmostEqual(community[0], wgs2gcj(*COMMUNITY_SHAPE[0])[0], delta=1e-6)
        point = next(c for c in self.by_layer(collection, "case") if c["properties"]["id"] == self.cases[0]["id"])
        want = wgs2gcj(118.73, 32.11)
        self.assertAlmostEqual(point["geometry"]["coordinates"][0], want[0], delta=1e-6)
        self.assertAlmostEqual(point["geometry"]["coordinates"][1], want[1], delta=1e-6)

    def test_the_period_and_jurisdiction_bound_the_layers(self):
        old = self.layers("?from=2020-01-01&to=2020-01-31")
        self.assertEqual(old["period"], {"from": "2020-01-01", "to": "2020-01-31"})
        grids = {g["properties"]["grid_code"]: g["properties"]["case_count"] for g in self.by_layer(old, "grid")}
        self.assertEqual(grids[GRIDS[1]], 0)
        elsewhere = self.layers(key=self.other)
        self.assertEqual(elsewhere["features"], [], "another street sees none of this street's map")
        for query in ["?datum=bd09", "?from=2026-02-30", "?from=2026-03-01&to=2026-02-01", "?division_prefix=32x"]:
            status, _, body = self.get(f"/map/layers{query}")
            self.assertEqual(status, 400, query)
            self.assertEqual(json.loads(body)["code"], "invalid_argument")
        self.assertEqual(self.get("/map/layers", key="")[0], 401)

    def test_the_config_and_leaflet_are_served_read_only(self):
        status, _, body = self.get("/map/config")
        self.assertEqual(status, 200)
        config = json.loads(body)
        self.assertEqual((config["tile_url"], config["tile_datum"]), (None, "wgs84"))
        self.assertEqual(config["library"], self.library is not None)
        if self.library is None:
            self.skipTest("xstatic-leaflet is not installed")
        status, headers, body = self.get("/vendor/leaflet/leaflet.js", key="")
        self.assertEqual(status, 200)
        self.assertEqual(body, (pathlib.Path(self.library) / "leaflet.js").read_bytes())
        self.assertTrue(headers["Content-Type"].startswith("text/javascript"))
        status, headers, _ = self.get("/vendor/leaflet/images/marker-icon.png", key="")
        self.assertEqual((status, headers["Content-Type"]), (200, "image/png"))
        for path in ["/vendor/leaflet/../../../../etc/passwd", "/vendor/leaflet/%2e%2e/%2e%2e/etc/passwd",
                     "/vendor/leaflet/..%2f..%2fetc%2fpasswd", "/vendor/leaflet/.hidden.js", "/vendor/leaflet/",
                     "/vendor/leaflet/images", "/vendor/leaflet/leaflet.py"]:
            self.assertEqual(self.get(path, key="")[0], 404, path)


if __name__ == "__main__":
    unittest.main()
