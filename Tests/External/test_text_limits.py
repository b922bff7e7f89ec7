"""Text through the gateway as clients send it: a short name carrying megabytes of combining marks is
refused naming the field, so no list page can be pushed over the message limit; and pages are
bounded in bytes as well as rows, so a page of long records still fits and paging reaches them all."""
import json
import pathlib
import sys
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from system import System  # noqa: E402

GRID = "governance.grid.v1.GridService"
PROPERTY = "governance.property.v1.PropertyService"


class TextLimitsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.system = System()
        cls.key = cls.system.apikey("text-limits")

    @classmethod
    def tearDownClass(cls):
        cls.system.stop()

    def call(self, method: str, body: dict, ascii: bool = True):
        request = urllib.request.Request(f"{self.system.gateway}/{method}",
                                         data=json.dumps(body, ensure_ascii=ascii).encode(),
                                         headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.key}"})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                raw = response.read()
                return response.status, json.loads(raw), len(raw)
        except urllib.error.HTTPError as error:
            raw = error.read()
            return error.code, json.loads(raw), len(raw)

    def test_a_hundred_character_name_of_megabytes_is_refused_and_lists_stay_whole(self):
        name = ("小" + "\u0301" * 9000) * 100
        self.assertGreater(len(name.encode()), 1_000_000)
        for _ in range(2):
            status, answer, _ = self.call(f"{PROPERTY}/CreateCompound", {"compound": {
                "name": name, "divisionCode": "320113005001", "kind": "COMPOUND_KIND_OLD"}}, ascii=False)
            self.assertEqual((status, answer["code"]), (400, "invalid_argument"), answer)
            self.assertIn("compound.name", answer["message"])
        # Escaped as \u0301 the same name is over the gateway's 4 MiB body limit: refused for that.
        status, answer, _ = self.call(f"{PROPERTY}/CreateCompound", {"compound": {
            "name": name, "divisionCode": "320113005001", "kind": "COMPOUND_KIND_OLD"}})
        self.assertEqual((status, answer["code"]), (429, "resource_exhausted"), answer)
        status, answer, _ = self.call(f"{PROPERTY}/ListCompounds", {"pageSize": 20, "divisionPrefix": "3201"})
        self.assertEqual(status, 200, answer)

    def test_a_page_of_long_records_is_cut_by_bytes_and_paging_reaches_them_all(self):
        for code, name in [("320113000000", "栖霞区"), ("320113005000", "仙林街道"), ("320113005001", "仙林社区")]:
            self.call(f"{GRID}/CreateDivision", {"division": {"divisionCode": code, "name": name}})
        details = "𠀀" * 2000  # 8,000 bytes, the longest details allowed
        created = set()
        for index in range(160):
            status, answer, _ = self.call(f"{GRID}/CreateCase", {"gridCase": {
                "source": "CASE_SOURCE_RESIDENT", "category": "环境卫生", "title": f"长描述{index}",
                "details": details, "divisionCode": "320113005001"}})
            self.assertEqual(status, 200, answer)
            self.assertEqual(answer["details"], details)
            created.add(answer["id"])
        seen, token, pages = set(), "", 0
        while True:
            status, answer, size = self.call(f"{GRID}/ListCases", {"pageSize": 500, "pageToken": token})
            self.assertEqual(status, 200, answer)
            self.assertLess(size, 4 * 1024 * 1024)
            pages += 1
            seen |= {c["id"] for c in answer.get("cases", [])}
            token = answer.get("nextPageToken", "")
            if not token:
                break
        self.assertGreater(pages, 1, "160 records of 8 KB came in one page")
        self.assertEqual(created, seen)


if __name__ == "__main__":
    unittest.main()
