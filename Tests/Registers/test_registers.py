"""Register imports (台账导入) and list exports (导出) end to end, against the real processes that
`governance up --demo` starts, with other people's tools: the spreadsheets uploaded are written by
openpyxl, and what the gateway writes is read back by openpyxl and converted by LibreOffice
(`soffice --headless --convert-to csv`). Records are counted independently of the import and
export code, by paging the List methods of the Connect API.

- `CompoundRegisterTest`: compounds with unique names over the demo city's communities, 1% of
  them bad in five ways; the dry run writes nothing and reports exactly the bad cells (also as
  XLSX, read by openpyxl and LibreOffice, and CSV); the commit creates the rest; the same file
  again changes nothing; ten changed household counts are ten updates. 2,000 rows by default,
  so that the whole file stays near ten minutes of a debug build; GOVERNANCE_TEST_COMPOUNDS=10000
  for the full register.
- `MemberRegisterTest`: 60,000 party members (GB 11643 ID numbers), 600 bad in four ways, joined
  dates written three ways; dry run, commit, and a second import that changes nothing; the
  members' list exported masked, and revealed to a city administrator with an audit entry.
- `ResumeAndCrashTest` (4,000 members each): an import stopped mid-way stays put after the
  batch in flight and resumes to its end; an import whose gateway is killed (SIGKILL) mid-way
  finishes after `governance up` restarts it, with every member once.
- `RefusedFileTest`: files that are no register are refused whole (400 with the reason in
  Chinese, 413 past 50 MiB) and queue nothing; a GB18030 CSV imports with its Chinese intact.
- `CaseExportTest`: the demo city's cases exported as XLSX and CSV hold exactly the cases the
  Connect API lists, with reporters' phones masked, filtered or not.
- `TemplateTest`: every register's template downloads with its headers, and a template filled
  with three good rows imports cleanly.

The binaries are `.build/debug/` (or GOVERNANCE_BIN_DIR); `soffice` and openpyxl must be present.
"""
import csv
import datetime
import http.client
import io
import json
import os
import pathlib
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request
import zipfile

import openpyxl

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "External"))
from system import ROOT, System  # noqa: E402

GRID = "governance.grid.v1.GridService"
PROPERTY = "governance.property.v1.PropertyService"
ORGANISATION = "governance.organisation.v1.OrganisationService"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
LABELS = json.loads((ROOT / "Services" / "Gateway" / "Sources" / "Console" / "labels.json").read_text())
FINISHED = ("done", "stopped", "failed")
CJK = re.compile(r"[\u4e00-\u9fff]")

COMPOUND_HEADER = ["社区区划代码*", "小区名称*", "类型*", "户数*", "片区", "地址"]
MEMBER_HEADER = ["姓名*", "身份证号*", "电话", "社区区划代码*", "所属党组织*", "类型*", "党员类别*", "工作单位",
                 "入党日期", "技能"]


# --- HTTP --------------------------------------------------------------------------------------

def http_request(base: str, method: str, path: str, key: str, body=None, raw: bytes | None = None,
                 timeout: float = 300) -> tuple:
    """One request: the status, the headers and the answer (JSON decoded when it is JSON)."""
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    headers = {"Authorization": f"Bearer {key}"}
    if raw is None:
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(base + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, header, answer = response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        status, header, answer = error.code, error.headers, error.read()
    if "json" in (header.get("Content-Type") or ""):
        return status, header, json.loads(answer) if answer else {}
    return status, header, answer


def query(**parameters) -> str:
    return urllib.parse.urlencode(parameters, quote_via=urllib.parse.quote)


# --- Spreadsheets ------------------------------------------------------------------------------

def xlsx_bytes(header: list, rows, title: str = "Sheet") -> bytes:
    """A workbook written by openpyxl (write-only, as a large register would be)."""
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(title)
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def read_xlsx(data: bytes) -> list:
    """The first sheet's rows as openpyxl reads them."""
    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    try:
        return [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]
    finally:
        workbook.close()


_OFFICE_PROFILE = tempfile.mkdtemp(prefix="registers-office-")


def libreoffice_csv(data: bytes, suffix: str = ".xlsx") -> list:
    """The file converted to CSV (UTF-8) by LibreOffice, read back as rows of text."""
    folder = tempfile.mkdtemp(prefix="registers-convert-")
    try:
        source = pathlib.Path(folder) / f"file{suffix}"
        source.write_bytes(data)
        subprocess.run(
            ["soffice", f"-env:UserInstallation=file://{_OFFICE_PROFILE}", "--headless", "--convert-to",
             "csv:Text - txt - csv (StarCalc):44,34,76,1", "--outdir", folder, str(source)],
            check=True, capture_output=True, timeout=180)
        text = (pathlib.Path(folder) / "file.csv").read_text(encoding="utf-8-sig")
        return list(csv.reader(io.StringIO(text)))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def cell_text(value) -> str:
    """A cell openpyxl read, as the text a CSV shows for it."""
    if value is None:
        return ""
    if isinstance(value, float) and value == int(value):
        return str(int(value))
    return str(value)


# --- Records -----------------------------------------------------------------------------------

ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def id_number(area: str, index: int) -> str:
    """The `index`th resident ID number of a region (GB 11643: birth date, sequence, the
    ISO 7064 MOD 11-2 check character), unique by index below 20 million."""
    birth = datetime.date(1950, 1, 1) + datetime.timedelta(days=index // 1000)
    body = f"{area}{birth:%Y%m%d}{index % 1000:03d}"
    return body + "10X98765432"[sum(int(digit) * weight for digit, weight in zip(body, ID_WEIGHTS)) % 11]


def credit_code(index: int) -> str:
    """A unified social credit code with its GB 32100 check character."""
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    body = f"91320102MA{index:07d}"
    total = sum(alphabet.index(character) * weight for character, weight in zip(body, weights))
    return body + alphabet[(31 - total % 31) % 31]


SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍鹏建红春梅海波宁文晨浩然思琪子轩欣怡宇航嘉怡俊杰"


def person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def excel_serial(day: datetime.date) -> int:
    return (day - datetime.date(1899, 12, 30)).days


def label(value: str) -> str:
    return LABELS["enums"][value]["zh"]


def kind_value(text: str, prefix: str) -> str:
    """The enum value of a Chinese label."""
    return next(k for k, v in LABELS["enums"].items() if k.startswith(prefix) and v["zh"] == text)


# --- The system --------------------------------------------------------------------------------

class City:
    """`governance up --demo` with a city administrator's API key (scope "", the whole platform),
    and the demo city as its Connect API lists it."""

    def __init__(self):
        self.system = System(demo=True)
        try:
            self.key = self.system.apikey("registers-admin", "city_admin", "")
            self.districts, self.communities = (
                sorted(d["divisionCode"] for d in self.list(GRID, "ListDivisions", {"level": level}, "divisions"))
                for level in ("DIVISION_LEVEL_DISTRICT", "DIVISION_LEVEL_COMMUNITY"))
            assert self.districts and self.communities, "the demo city has no communities"
            organisations = self.list(ORGANISATION, "ListOrganisations", {}, "organisations")
            # The organisations a member of each community can name: at the community or above,
            # active, and alone with their name there (the importer refuses an ambiguous name).
            self.organisations: dict[str, list] = {}
            for community in self.communities:
                chain = {community, community[:9] + "000", community[:6] + "000000"}
                found = [o for o in organisations if o["divisionCode"] in chain
                         and o.get("status", "ORGANISATION_STATUS_ACTIVE") == "ORGANISATION_STATUS_ACTIVE"]
                names = [o["name"] for o in found]
                self.organisations[community] = sorted(
                    (o for o in found if names.count(o["name"]) == 1), key=lambda o: o["name"])
                assert self.organisations[community], f"no organisation a member of {community} can name"
        except BaseException:
            self.system.stop()
            raise

    @property
    def base(self) -> str:
        return self.system.gateway

    def request(self, method: str, path: str, body=None, raw: bytes | None = None, key: str | None = None,
                timeout: float = 300) -> tuple:
        return http_request(self.base, method, path, key or self.key, body=body, raw=raw, timeout=timeout)

    def call(self, service: str, method: str, body: dict) -> dict:
        status, _, answer = self.request("POST", f"/{service}/{method}", body)
        assert status == 200, (service, method, body, status, answer)
        return answer

    def list(self, service: str, method: str, filters: dict, field: str) -> list:
        """Every record of a List method with `filters`, page by page (500 a page)."""
        records, token = [], ""
        while True:
            answer = self.call(service, method, {**filters, "pageSize": 500, "pageToken": token})
            records += answer.get(field, [])
            token = answer.get("nextPageToken", "")
            if not token:
                return records

    def compounds(self) -> list:
        return self.list(PROPERTY, "ListCompounds", {}, "compounds")

    def members(self, filters: dict | None = None) -> list:
        return self.list(ORGANISATION, "ListMembers", filters or {}, "members")

    # Imports

    def upload(self, register: str, data: bytes, dry_run: bool, filename: str) -> tuple:
        status, _, answer = self.request(
            "POST", f"/imports/{register}?" + query(dryRun=str(dry_run).lower(), filename=filename), raw=data)
        return status, answer

    def start(self, register: str, data: bytes, dry_run: bool, filename: str) -> dict:
        status, answer = self.upload(register, data, dry_run, filename)
        assert status == 202, (register, filename, status, answer)
        return answer

    def job(self, job_id: str) -> dict:
        status, _, answer = self.request("GET", f"/imports/{job_id}")
        assert status == 200, (job_id, status, answer)
        return answer

    def wait(self, job_id: str, timeout: float = 600, states=FINISHED) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            job = self.job(job_id)
            if job["state"] in states:
                return job
            if time.monotonic() > deadline:
                raise AssertionError(f"import {job_id} did not finish within {timeout} s: {job}")
            time.sleep(0.25)

    def run(self, register: str, data: bytes, dry_run: bool, filename: str, timeout: float = 600) -> dict:
        return self.wait(self.start(register, data, dry_run, filename)["id"], timeout)

    def commit(self, job_id: str, timeout: float = 600) -> dict:
        status, _, answer = self.request("POST", f"/imports/{job_id}/commit")
        assert status == 202, (job_id, status, answer)
        return self.wait(answer["id"], timeout)

    def problems(self, job_id: str, format: str = "json"):
        status, _, answer = self.request("GET", f"/imports/{job_id}/problems?format={format}")
        assert status == 200, (job_id, format, status, answer)
        return answer

    def jobs(self) -> list:
        status, _, answer = self.request("GET", "/imports")
        assert status == 200, (status, answer)
        return answer

    def export(self, service: str, method: str, filters: dict, format: str, **extra) -> tuple:
        status, headers, answer = self.request(
            "GET", f"/exports/{service}/{method}?" + query(format=format, request=json.dumps(filters), **extra))
        return status, headers, answer


CITY: City | None = None


def setUpModule():
    global CITY
    CITY = City()


def tearDownModule():
    shutil.rmtree(_OFFICE_PROFILE, ignore_errors=True)
    if CITY is not None:
        CITY.system.stop()
        # 60,000 members and their uploads: a few hundred megabytes.
        shutil.rmtree(CITY.system.data, ignore_errors=True)


def counts(job: dict) -> dict:
    return {name: job[name] for name in ("state", "rowsTotal", "rowsDone", "created", "updated", "unchanged", "failed")}


# --- Compounds ---------------------------------------------------------------------------------

def compound_register(communities: list, count: int, bad_every: int, seed: int, prefix: str) -> tuple:
    """A register of `count` compounds with unique names over `communities`, one row in
    `bad_every` bad in one of five ways: (rows, good names by row number, expected problems as
    {(row, column): value})."""
    rng = random.Random(seed)
    kinds = [label(k) for k in ("COMPOUND_KIND_COMMERCIAL_HOUSING", "COMPOUND_KIND_OLD", "COMPOUND_KIND_RESETTLEMENT",
                                "COMPOUND_KIND_WORK_UNIT_FAMILY", "COMPOUND_KIND_URBAN_VILLAGE")]
    places = "锦绣翠竹梧桐紫金玉兰金陵秦淮钟山玄武清凉栖霞雨花"
    rows, good, expected = [], {}, {}
    for index in range(count):
        number = index + 2
        name = f"{places[index % 8 * 2:index % 8 * 2 + 2]}{prefix}苑{index:05d}"
        row = [rng.choice(communities), name, rng.choice(kinds), rng.randint(20, 3000), f"{prefix}片区",
               f"测试路 {index} 号"]
        if index % bad_every == bad_every // 2:
            fault = (index // bad_every) % 5
            if fault == 0:
                row[3] = "-5" if (index // bad_every) % 2 else -5
                expected[(number, "户数")] = "-5"
            elif fault == 1:
                row[2] = "别墅区"
                expected[(number, "类型")] = "别墅区"
            elif fault == 2:
                row[3] = "=1+1"
                expected[(number, "户数")] = "=1+1"
            elif fault == 3:
                row[1] = None
                expected[(number, "小区名称")] = ""
            else:
                # A street's code where a community's belongs.
                street = row[0][:9] + "000"
                row[0] = street
                expected[(number, "社区区划代码")] = street
        else:
            good[number] = row
        rows.append(row)
    return rows, good, expected


class CompoundRegisterTest(unittest.TestCase):
    # 10,000 compounds (100 bad) take 80 s of a debug build; the 60,000 members take the file's
    # ten minutes, so the compounds are fewer by default (GOVERNANCE_TEST_COMPOUNDS=10000 for all).
    ROWS = int(os.environ.get("GOVERNANCE_TEST_COMPOUNDS", "2000"))

    def test_a_dry_run_writes_nothing_and_reports_every_bad_cell_and_the_import_is_idempotent(self):
        total, bad = self.ROWS, self.ROWS // 100
        rows, good, expected = compound_register(CITY.communities, total, 100, seed=11, prefix="册")
        data = xlsx_bytes(COMPOUND_HEADER, rows, "小区台账")
        before = CITY.compounds()
        self.assertEqual(len({c["name"] for c in before} & {row[1] for row in good.values()}), 0)

        dry = CITY.run("compounds", data, dry_run=True, filename="小区台账.xlsx")
        with self.subTest("the dry run"):
            self.assertEqual(counts(dry), {"state": "done", "rowsTotal": total, "rowsDone": total,
                                           "created": total - bad, "updated": 0, "unchanged": 0, "failed": bad})
            self.assertTrue(dry["dryRun"])
        problems = CITY.problems(dry["id"])
        with self.subTest("the dry run's problems are exactly the bad cells"):
            found = {(p["row"], p["column"]): p["value"] for p in problems}
            self.assertEqual(set(found), set(expected),
                             f"missing {sorted(set(expected) - set(found))[:10]}, "
                             f"unexpected {[p for p in problems if (p['row'], p['column']) not in expected][:5]}")
            self.assertEqual({k: found[k] for k in found if k in expected},
                             {k: expected[k] for k in found if k in expected})
            self.assertTrue(all(CJK.search(p["rule"]) for p in problems), problems[:3])
        self.check_problem_reports(dry["id"], problems)
        with self.subTest("a dry run writes nothing"):
            self.assertEqual(len(CITY.compounds()), len(before))

        imported = CITY.commit(dry["id"])
        with self.subTest("the commit"):
            self.assertEqual(counts(imported), {"state": "done", "rowsTotal": total, "rowsDone": total,
                                                "created": total - bad, "updated": 0, "unchanged": 0, "failed": bad})
            self.assertFalse(imported["dryRun"])
        after = CITY.compounds()
        with self.subTest("every good row is a compound, and no bad one"):
            names = [c["name"] for c in after]
            self.assertEqual(len(after), len(before) + total - bad)
            # The demo city may hold two compounds of one name (even in one community); each
            # imported row's key is there once.
            imported_keys = [(c["divisionCode"], c["name"]) for c in after
                             if (c["divisionCode"], c["name"]) in {(r[0], r[1]) for r in good.values()}]
            self.assertEqual(len(imported_keys), len(set(imported_keys)))
            listed = {(c["divisionCode"], c["name"]): c for c in after}
            missing = [row for row in good.values() if (row[0], row[1]) not in listed]
            self.assertEqual(missing, [])
            wrong = [row for row in good.values() if (row[0], row[1]) in listed
                     and (listed[(row[0], row[1])]["kind"] != kind_value(row[2], "COMPOUND_KIND_")
                          or listed[(row[0], row[1])].get("householdCount", 0) != row[3])]
            self.assertEqual(wrong[:5], [])
            bad_names = {rows[r - 2][1] for (r, _) in expected if rows[r - 2][1]}
            self.assertEqual(bad_names & set(names), set())

        again = CITY.run("compounds", data, dry_run=False, filename="小区台账.xlsx")
        with self.subTest("the same file again changes nothing"):
            self.assertEqual(counts(again), {"state": "done", "rowsTotal": total, "rowsDone": total, "created": 0,
                                             "updated": 0, "unchanged": total - bad, "failed": bad})
            self.assertEqual(len(CITY.compounds()), len(after))

        changed = sorted(random.Random(12).sample(sorted(good), 10))
        for number in changed:
            rows[number - 2][3] = rows[number - 2][3] + 7
        updated = CITY.run("compounds", xlsx_bytes(COMPOUND_HEADER, rows, "小区台账"), dry_run=False,
                           filename="小区台账-改.xlsx")
        with self.subTest("ten changed household counts are ten updates"):
            self.assertEqual(counts(updated), {"state": "done", "rowsTotal": total, "rowsDone": total, "created": 0,
                                               "updated": 10, "unchanged": total - bad - 10, "failed": bad})
            now = {(c["divisionCode"], c["name"]): c.get("householdCount", 0) for c in CITY.compounds()}
            self.assertEqual(len(now), len({(c["divisionCode"], c["name"]) for c in after}))
            self.assertEqual({n: now[(rows[n - 2][0], rows[n - 2][1])] for n in changed},
                             {n: rows[n - 2][3] for n in changed})

    def check_problem_reports(self, job_id: str, problems: list):
        """The problems as XLSX (read by openpyxl and by LibreOffice) and as CSV say what the JSON
        says."""
        expected = [[str(p["row"]), p["column"], p["rule"], p["value"]] for p in problems]
        workbook = CITY.problems(job_id, "xlsx")
        with self.subTest("the problems as XLSX, read by openpyxl"):
            rows = read_xlsx(workbook)
            self.assertEqual(rows[0], ["行号", "列", "问题", "填写的值"])
            self.assertEqual([[cell_text(v) for v in row] for row in rows[1:]], expected)
        with self.subTest("the problems as XLSX, converted by LibreOffice"):
            rows = libreoffice_csv(workbook)
            self.assertEqual(rows[0], ["行号", "列", "问题", "填写的值"])
            self.assertEqual(rows[1:], expected)
        with self.subTest("the problems as CSV"):
            data = CITY.problems(job_id, "csv")
            self.assertTrue(data.startswith(b"\xef\xbb\xbf"), data[:20])
            rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
            # Text that Excel would run as a formula is written defused, after an apostrophe.
            self.assertEqual(rows[1:], [row[:3] + [("'" if row[3][:1] in ("=", "+", "-", "@") else "") + row[3]]
                                        for row in expected])


# --- Members -----------------------------------------------------------------------------------

def member_register(count: int, area: str, bad_every: int, seed: int, tag: str, kind: str = "",
                    standing: str = "") -> tuple:
    """A register of `count` new party members of the demo city, one row in `bad_every` bad in
    one of four ways (none when 0): (rows, good rows by row number, expected problems as
    {(row, column)}). Each row's work unit is `tag` and its index, which finds it again in a
    (masked) list; joined dates are date cells, text `2001/07/01` and Excel serial numbers by
    turns. Kinds are direct-managed, in-service and retired, one row in 500 floating, unless
    `kind` (and `standing`) name the one for all."""
    rng = random.Random(seed)
    standings = [label("MEMBER_STANDING_FORMAL")] * 4 + [label("MEMBER_STANDING_PROBATIONARY")]
    kinds = [label(k) for k in ("MEMBER_KIND_DIRECT_MANAGED", "MEMBER_KIND_IN_SERVICE", "MEMBER_KIND_RETIRED")]
    skills = [v["zh"] for v in LABELS["skills"].values()]
    rows, good, expected = [], {}, set()
    for index in range(count):
        number = index + 2
        community = rng.choice(CITY.communities)
        organisation = rng.choice(CITY.organisations[community])
        joined = datetime.date(1970, 1, 1) + datetime.timedelta(days=rng.randint(0, 18_000))
        joined_cell = (joined, joined.strftime("%Y/%m/%d"), excel_serial(joined))[index % 3]
        row_kind = label(kind) if kind else label("MEMBER_KIND_FLOATING") if index % 500 == 3 else rng.choice(kinds)
        row = [person_name(rng), id_number(area, index), f"139{rng.randint(0, 99_999_999):08d}", community,
               organisation["name"], row_kind, label(standing) if standing else rng.choice(standings),
               f"{tag}{index:05d}", joined_cell,
               "、".join(rng.sample(skills, 2)) if index % 7 == 0 else None]
        if bad_every and index % bad_every == bad_every // 2:
            fault = (index // bad_every) % 4
            if fault == 0:
                row[1] = None
                expected.add((number, "身份证号"))
            elif fault == 1:
                row[4] = f"不存在的党组织{index}"
                expected.add((number, "所属党组织"))
            elif fault == 2:
                row[8] = "2001-13-45"
                expected.add((number, "入党日期"))
            else:
                row[5] = "普通党员"
                expected.add((number, "类型"))
        else:
            good[number] = row + [organisation]
        rows.append(row)
    return rows, good, expected


class MemberRegisterTest(unittest.TestCase):
    def test_sixty_thousand_members_import_once_and_export_masked_or_revealed_with_an_audit_entry(self):
        rows, good, expected = member_register(60_000, "320102", 100, seed=21, tag="册员")
        data = xlsx_bytes(MEMBER_HEADER, rows, "党员台账")
        before = len(CITY.members())

        dry = CITY.run("members", data, dry_run=True, filename="党员台账.xlsx", timeout=900)
        with self.subTest("the dry run"):
            self.assertEqual(counts(dry), {"state": "done", "rowsTotal": 60_000, "rowsDone": 60_000,
                                           "created": 59_400, "updated": 0, "unchanged": 0, "failed": 600})
            problems = CITY.problems(dry["id"])
            found = {(p["row"], p["column"]) for p in problems}
            unexpected = [p for p in problems if (p["row"], p["column"]) not in expected]
            self.assertEqual(found, expected, f"missing {sorted(expected - found)[:10]}, unexpected {unexpected[:5]}")
            self.assertEqual([p for p in problems if not CJK.search(p["rule"])], [])
        with self.subTest("a dry run writes nothing"):
            self.assertEqual(len(CITY.members()), before)

        imported = CITY.commit(dry["id"], timeout=900)
        with self.subTest("the commit"):
            self.assertEqual(counts(imported), {"state": "done", "rowsTotal": 60_000, "rowsDone": 60_000,
                                                "created": 59_400, "updated": 0, "unchanged": 0, "failed": 600})
        members = CITY.members()
        with self.subTest("every good row is one member"):
            self.assertEqual(len(members), before + 59_400)
            units = [m.get("workUnit", "") for m in members if m.get("workUnit", "").startswith("册员")]
            self.assertEqual(len(units), 59_400)
            self.assertEqual(set(units), {row[7] for row in good.values()})

        again = CITY.run("members", data, dry_run=False, filename="党员台账.xlsx", timeout=900)
        with self.subTest("the same file again changes nothing"):
            self.assertEqual(counts(again), {"state": "done", "rowsTotal": 60_000, "rowsDone": 60_000, "created": 0,
                                             "updated": 0, "unchanged": 59_400, "failed": 600})
            self.assertEqual(len(CITY.members()), before + 59_400)

        by_unit = {row[7]: row for row in good.values()}
        with self.subTest("the members read back as written, dates in all three forms"):
            floating = [m for m in members if m.get("workUnit", "") in by_unit and m["kind"] == "MEMBER_KIND_FLOATING"]
            self.assertGreaterEqual(len(floating), 100)
            forms = set()
            for member in floating:
                row = by_unit[member["workUnit"]]
                joined = row[8] if isinstance(row[8], datetime.date) else None
                if isinstance(row[8], str):
                    joined = datetime.datetime.strptime(row[8], "%Y/%m/%d").date()
                    forms.add("text")
                elif isinstance(row[8], int):
                    joined = datetime.date(1899, 12, 30) + datetime.timedelta(days=row[8])
                    forms.add("serial")
                else:
                    forms.add("date")
                self.assertEqual(member.get("joinedPartyDate"),
                                 {"year": joined.year, "month": joined.month, "day": joined.day}, row)
                self.assertEqual(member["standing"], kind_value(row[6], "MEMBER_STANDING_"))
                self.assertEqual(member["organisationId"], row[10]["id"])
                self.assertEqual(member["contact"]["phone"], row[2][:3] + "****" + row[2][-4:])
                self.assertEqual(member["contact"]["idNumber"], row[1][:6] + "********" + row[1][-4:])
            self.assertEqual(forms, {"text", "serial", "date"})

        community = CITY.communities[0]
        masked_filter = {"divisionPrefix": community}
        status, headers, workbook = CITY.export(ORGANISATION, "ListMembers", masked_filter, "xlsx")
        with self.subTest("the exported members' list is masked"):
            self.assertEqual(status, 200, workbook)
            self.assertEqual(headers["Content-Type"], XLSX)
            table = read_xlsx(workbook)
            header, body = table[0], table[1:]
            self.assertEqual(len(body), len(CITY.members(masked_filter)))
            phone, id_column, unit, joined = (header.index(h) for h in ("电话", "身份证号", "工作单位", "入党日期"))
            for row in body:
                self.assertRegex(cell_text(row[phone]), r"^(|\d{3}\*+\d{4})$", row)
                self.assertRegex(cell_text(row[id_column]), r"^(|\d{6}\*{8}[\dX]{4})$", row)
            ours = [row for row in body if cell_text(row[unit]) in by_unit]
            self.assertGreater(len(ours), 1000)
            for row in ours[:200]:
                written = by_unit[row[unit]]
                self.assertEqual(row[phone], written[2][:3] + "****" + written[2][-4:])
                day = written[8] if isinstance(written[8], datetime.date) else (
                    datetime.datetime.strptime(written[8], "%Y/%m/%d").date() if isinstance(written[8], str)
                    else datetime.date(1899, 12, 30) + datetime.timedelta(days=written[8]))
                self.assertEqual(row[joined].date() if isinstance(row[joined], datetime.datetime) else row[joined], day)
            # LibreOffice reads the same file.
            converted = libreoffice_csv(workbook)
            self.assertEqual(len(converted), len(table))
            self.assertEqual([r[unit] for r in converted[1:]], [cell_text(r[unit]) for r in body])

        reason = f"核对党员台账 {random.randint(1000, 9999)}"
        revealed_filter = {"divisionPrefix": CITY.districts[0][:6], "kind": "MEMBER_KIND_FLOATING"}
        status, _, workbook = CITY.export(ORGANISATION, "ListMembers", revealed_filter, "xlsx", reveal="true",
                                          reason=reason)
        with self.subTest("revealed to a city administrator, with a reason"):
            self.assertEqual(status, 200, workbook)
            table = read_xlsx(workbook)
            header, body = table[0], table[1:]
            self.assertEqual(len(body), len(CITY.members(revealed_filter)))
            name, phone, id_column, unit = (header.index(h) for h in ("姓名", "电话", "身份证号", "工作单位"))
            ours = [row for row in body if cell_text(row[unit]) in by_unit]
            self.assertGreaterEqual(len(ours), 100)
            for row in ours:
                written = by_unit[row[unit]]
                self.assertEqual([row[name], cell_text(row[phone]), row[id_column]],
                                 [written[0], written[2], written[1]])
        with self.subTest("the reveal is in the audit trail"):
            action = f"export {ORGANISATION}/ListMembers"
            status, _, trail = CITY.request("GET", "/audit?" + query(action=action, limit=20))
            self.assertEqual(status, 200, trail)
            entries = [e for e in trail["entries"] if reason in e["target"]]
            self.assertEqual(len(entries), 1, trail["entries"][:3])
            self.assertIn(f"{len(body)} rows", entries[0]["target"])
            self.assertIn("revealed", entries[0]["target"])
            self.assertEqual(entries[0]["result"], "ok")


# --- Stop, resume, crash -----------------------------------------------------------------------

class ResumeAndCrashTest(unittest.TestCase):
    """Each file's members are of a kind and standing the other files do not use (共建单位党员,
    正式 or 预备), so that they are counted by listing that kind and standing only."""
    ROWS = 4_000
    RESUMED = {"kind": "MEMBER_KIND_PAIRED_UNIT", "standing": "MEMBER_STANDING_FORMAL"}
    CRASHED = {"kind": "MEMBER_KIND_PAIRED_UNIT", "standing": "MEMBER_STANDING_PROBATIONARY"}

    def wait_for_progress(self, job_id: str) -> dict:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            job = CITY.job(job_id)
            if job["rowsDone"] > 0 or job["state"] in FINISHED:
                return job
            time.sleep(0.05)
        self.fail(f"import {job_id} made no progress: {CITY.job(job_id)}")

    def test_a_stopped_import_stays_put_and_resumes_to_its_end(self):
        rows, good, _ = member_register(self.ROWS, "320104", 0, seed=31, tag="续员", **self.RESUMED)
        before = len(CITY.members(self.RESUMED))
        job = CITY.start("members", xlsx_bytes(MEMBER_HEADER, rows, "党员台账"), dry_run=False, filename="续传.xlsx")
        seen = self.wait_for_progress(job["id"])
        status, _, answer = CITY.request("POST", f"/imports/{job['id']}/stop")
        self.assertEqual(status, 200, answer)
        self.assertEqual(answer["state"], "stopped", answer)
        # The batch in flight when the stop came (500 rows at most) is finished and recorded.
        time.sleep(3)
        stopped = CITY.job(job["id"])
        self.assertEqual(stopped["state"], "stopped", stopped)
        self.assertGreater(stopped["rowsDone"], 0)
        self.assertLessEqual(stopped["rowsDone"], seen["rowsDone"] + 1000, "the import went on past its stop")
        self.assertLess(stopped["rowsDone"], self.ROWS)
        self.assertEqual(stopped["nextRow"], stopped["rowsDone"] + 2)
        time.sleep(3)
        still = CITY.job(job["id"])
        self.assertEqual(counts(still), counts(stopped), "a stopped import went on")
        self.assertEqual(len(CITY.members(self.RESUMED)), before + stopped["created"])
        status, _, answer = CITY.request("POST", f"/imports/{job['id']}/resume")
        self.assertEqual(status, 200, answer)
        done = CITY.wait(job["id"])
        self.assertEqual(counts(done), {"state": "done", "rowsTotal": self.ROWS, "rowsDone": self.ROWS,
                                        "created": self.ROWS, "updated": 0, "unchanged": 0, "failed": 0})
        members = CITY.members(self.RESUMED)
        self.assertEqual(len(members), before + self.ROWS)
        units = [m["workUnit"] for m in members if m.get("workUnit", "").startswith("续员")]
        self.assertEqual(sorted(units), sorted(row[7] for row in good.values()))

    def test_an_import_whose_gateway_is_killed_finishes_after_the_restart_with_each_member_once(self):
        rows, good, _ = member_register(self.ROWS, "320105", 0, seed=41, tag="崩员", **self.CRASHED)
        before = len(CITY.members(self.CRASHED))
        job = CITY.start("members", xlsx_bytes(MEMBER_HEADER, rows, "党员台账"), dry_run=False, filename="崩溃.xlsx")
        pids = CITY.system.pids()
        name = next(n for n in pids if "gateway" in n)
        progress = self.wait_for_progress(job["id"])
        self.assertLess(progress["rowsDone"], self.ROWS, "the import ended before the gateway could be killed")
        os.kill(pids[name], signal.SIGKILL)
        deadline = time.monotonic() + 60
        while True:
            try:
                if CITY.system.pids()[name] != pids[name] and CITY.request("GET", "/healthz", timeout=5)[0] == 200:
                    break
            except (OSError, KeyError, ValueError):
                pass
            if time.monotonic() > deadline:
                self.fail("the gateway was not restarted:\n" + "".join(CITY.system.output[-10:]))
            time.sleep(0.2)
        self.assertTrue(any("restarted" in line and "gateway" in line for line in CITY.system.output),
                        CITY.system.output[-5:])
        done = CITY.wait(job["id"])
        self.assertEqual(done["state"], "done", done)
        self.assertEqual(done["rowsDone"], self.ROWS, done)
        self.assertEqual(done["failed"], 0, done)
        self.assertEqual(done["created"] + done["unchanged"], self.ROWS, done)
        self.assertLessEqual(done["unchanged"], 500, "more than the batch in flight was sent again")
        members = CITY.members(self.CRASHED)
        self.assertEqual(len(members), before + self.ROWS)
        units = [m["workUnit"] for m in members if m.get("workUnit", "").startswith("崩员")]
        self.assertEqual(sorted(units), sorted(row[7] for row in good.values()))


# --- Files refused -----------------------------------------------------------------------------

def docx_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                         'package/2006/content-types"><Override PartName="/word/document.xml" ContentType="application/'
                         'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>')
        archive.writestr("word/document.xml", '<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats'
                         '.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>小区台账</w:t></w:r></w:p></w:body>'
                         '</w:document>')
    return out.getvalue()


def merged_header_bytes() -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(COMPOUND_HEADER)
    sheet.append(["320102001001", "合并苑", "老旧小区", 100, "", ""])
    sheet.merge_cells("A1:B1")
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


class RefusedFileTest(unittest.TestCase):
    def imports_kept(self) -> list:
        folder = pathlib.Path(CITY.system.data) / "imports"
        return sorted(folder.iterdir()) if folder.exists() else []

    def test_files_that_are_no_register_are_refused_in_chinese_and_queue_nothing(self):
        community = CITY.communities[0]
        wide = xlsx_bytes(COMPOUND_HEADER + [f"备注{n}" for n in range(194)],
                          [[community, "宽表苑", "老旧小区", 100, "", ""] + ["x"] * 194])
        missing = xlsx_bytes([h for h in COMPOUND_HEADER if h != "户数*"], [[community, "缺列苑", "老旧小区", "", ""]])
        files = {
            "a PDF": (b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n", "PDF"),
            "random bytes": (random.Random(5).randbytes(8192), "不是 Excel 工作簿"),
            "a .docx": (docx_bytes(), "Word"),
            "a merged header": (merged_header_bytes(), "合并单元格"),
            "200 columns": (wide, "200 列"),
            "a missing required column": (missing, "缺少必填列：户数"),
            "an empty file": (b"", "文件为空"),
        }
        jobs, kept = len(CITY.jobs()), self.imports_kept()
        for what, (data, words) in files.items():
            with self.subTest(what):
                status, answer = CITY.upload("compounds", data, dry_run=True, filename="坏文件.xlsx")
                self.assertEqual(status, 400, answer)
                self.assertEqual(answer.get("code"), "invalid_argument", answer)
                self.assertTrue(answer.get("message"), answer)
                self.assertIn(words, answer.get("zh", ""), answer)
        with self.subTest("51 MiB"):
            status, answer = self.post_large(51 * 1024 * 1024)
            self.assertEqual(status, 413, answer)
            self.assertIn("50 MB", answer.get("zh", ""), answer)
        self.assertEqual(len(CITY.jobs()), jobs, "a refused file was queued")
        self.assertEqual(self.imports_kept(), kept, "a refused file was kept")

    def post_large(self, size: int) -> tuple:
        """Posts `size` bytes of CSV text, reading the answer even when the gateway answers
        before the body is sent."""
        line = "320102001001,大文件苑,老旧小区,100,,\n".encode()
        body = "社区区划代码,小区名称,类型,户数,片区,地址\n".encode() + line * (size // len(line) + 1)
        body = body[:size]
        connection = http.client.HTTPConnection("127.0.0.1", 8080 + CITY.system.offset, timeout=120)
        try:
            connection.putrequest("POST", "/imports/compounds?dryRun=true&filename=big.csv")
            connection.putheader("Authorization", f"Bearer {CITY.key}")
            connection.putheader("Content-Length", str(len(body)))
            connection.endheaders()
            try:
                for start in range(0, len(body), 1 << 20):
                    connection.send(body[start:start + (1 << 20)])
            except (BrokenPipeError, ConnectionResetError):
                pass
            response = connection.getresponse()
            answer = response.read()
            return response.status, json.loads(answer) if answer else {}
        finally:
            connection.close()

    def test_a_gb18030_csv_imports_with_its_chinese_names_intact(self):
        community = CITY.communities[1]
        names = ["鑫福里", "翠竹园", "梧桐雅苑"]
        text = "社区区划代码,小区名称,类型,户数,片区,地址\r\n" + "".join(
            f"{community},{name},{kind},{100 + n},秦淮片区,中山路{n}号\r\n"
            for n, (name, kind) in enumerate(zip(names, ["老旧小区", "商品房小区", "安置房小区"])))
        data = text.encode("gb18030")
        self.assertRaises(UnicodeDecodeError, data.decode, "utf-8")
        job = CITY.run("compounds", data, dry_run=False, filename="小区台账.csv")
        self.assertEqual(counts(job), {"state": "done", "rowsTotal": 3, "rowsDone": 3, "created": 3, "updated": 0,
                                       "unchanged": 0, "failed": 0})
        listed = CITY.list(PROPERTY, "ListCompounds", {"divisionPrefix": community}, "compounds")
        found = {c["name"]: c for c in listed if c["name"] in names}
        self.assertEqual(set(found), set(names))
        self.assertEqual({c["address"] for c in found.values()}, {"中山路0号", "中山路1号", "中山路2号"})
        self.assertEqual({c.get("area") for c in found.values()}, {"秦淮片区"})


# --- Exports -----------------------------------------------------------------------------------

class CaseExportTest(unittest.TestCase):
    def test_the_cases_exported_as_xlsx_and_csv_are_exactly_those_listed_with_reporters_masked(self):
        everything = {"divisionPrefix": CITY.districts[0][:6]}
        listed = CITY.list(GRID, "ListCases", everything, "cases")
        self.assertGreater(len(listed), 1000)
        numbers = {c["caseNumber"] for c in listed}

        status, headers, workbook = CITY.export(GRID, "ListCases", everything, "xlsx")
        self.assertEqual(status, 200, workbook)
        self.assertEqual(headers["Content-Type"], XLSX)
        self.assertIn("attachment", headers["Content-Disposition"])
        table = read_xlsx(workbook)
        header, body = table[0], table[1:]
        number, phone, title = header.index("案件编号"), header.index("上报人电话"), header.index("标题")
        with self.subTest("openpyxl reads the XLSX: every case once"):
            self.assertEqual(len(body), len(listed))
            self.assertEqual([row[number] for row in body if row[number] not in numbers], [])
            self.assertEqual({row[number] for row in body}, numbers)
        with self.subTest("LibreOffice converts the XLSX"):
            converted = libreoffice_csv(workbook)
            self.assertEqual(converted[0], header)
            self.assertEqual(len(converted) - 1, len(listed))
            self.assertEqual({row[number] for row in converted[1:]}, numbers)
            self.assertEqual([row[title] for row in converted[1:]], [cell_text(row[title]) for row in body])
        with self.subTest("reporters' phones are masked"):
            phones = [cell_text(row[phone]) for row in body if row[phone]]
            self.assertGreater(len(phones), 0)
            self.assertEqual([p for p in phones if not re.fullmatch(r"\d{3}\*+\d{4}", p)], [])

        status, headers, data = CITY.export(GRID, "ListCases", everything, "csv")
        with self.subTest("the CSV: a byte-order mark and the same rows"):
            self.assertEqual(status, 200, data)
            self.assertTrue(headers["Content-Type"].startswith("text/csv"), headers["Content-Type"])
            self.assertTrue(data.startswith(b"\xef\xbb\xbf"), data[:10])
            rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
            self.assertEqual(rows[0], header)
            self.assertEqual(len(rows) - 1, len(listed))
            self.assertEqual({row[number] for row in rows[1:]}, numbers)
            by_number = {row[number]: row for row in body}
            self.assertEqual([row for row in rows[1:] if row[title] != cell_text(by_number[row[number]][title])], [])
            self.assertEqual([row[phone] for row in rows[1:] if row[phone] and "*" not in row[phone]], [])

        closed = {**everything, "statuses": ["CASE_STATUS_CLOSED"]}
        listed_closed = CITY.list(GRID, "ListCases", closed, "cases")
        self.assertGreater(len(listed_closed), 0)
        self.assertLess(len(listed_closed), len(listed))
        for format in ("xlsx", "csv"):
            with self.subTest(f"a filter exports exactly the filtered cases ({format})"):
                status, _, data = CITY.export(GRID, "ListCases", closed, format)
                self.assertEqual(status, 200, data)
                rows = read_xlsx(data) if format == "xlsx" else list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
                self.assertEqual({row[number] for row in rows[1:]}, {c["caseNumber"] for c in listed_closed})
                self.assertEqual(len(rows) - 1, len(listed_closed))
                self.assertEqual({row[header.index("状态")] for row in rows[1:]}, {label("CASE_STATUS_CLOSED")})


# --- Templates ---------------------------------------------------------------------------------

class TemplateTest(unittest.TestCase):
    def good_rows(self) -> dict:
        """Three good rows for each register, by the template's headers (without `*`)."""
        community, street = CITY.communities[2], CITY.communities[2][:9] + "000"
        grids = CITY.list(GRID, "ListGrids", {"divisionPrefix": community}, "grids")
        compounds = CITY.list(PROPERTY, "ListCompounds", {"divisionPrefix": community}, "compounds")
        organisation = CITY.organisations[community][0]["name"]
        taken = {d["divisionCode"] for d in CITY.list(GRID, "ListDivisions", {"parentCode": street}, "divisions")}
        codes = [c for c in (f"{street[:9]}{n:03d}" for n in range(900, 999)) if c not in taken][:3]
        stamp = random.randint(100, 999)
        return {
            "divisions": [{"区划代码": code, "名称": f"模板社区{n}", "层级": "社区", "上级区划代码": street}
                          for n, code in enumerate(codes)],
            "compounds": [{"社区区划代码": community, "小区名称": f"模板苑{stamp}{n}", "类型": "商品房小区", "户数": 120 + n}
                          for n in range(3)],
            "buildings": [{"社区区划代码": community, "小区名称": compounds[0]["name"], "楼栋": f"模板{stamp}-{n}号楼",
                           "户数": 24, "楼栋长": "王芳"} for n in range(3)],
            "companies": [{"统一社会信用代码": credit_code(stamp * 10 + n), "企业名称": f"模板物业{stamp}{n}有限公司",
                           "所在区划代码": CITY.districts[0], "员工数": 30, "信用等级": "A 级"} for n in range(3)],
            "members": [{"姓名": f"模板{n}", "身份证号": id_number("320106", stamp * 10 + n), "电话": f"1370000{stamp}{n}",
                         "社区区划代码": community, "所属党组织": organisation, "类型": "直管党员", "党员类别": "正式党员",
                         "入党日期": datetime.date(2001, 7, 1)} for n in range(3)],
            "workers": [{"姓名": f"模板网格员{n}", "电话": f"1360000{stamp}{n}", "社区区划代码": community,
                         "类型": "专职网格员", "所在网格编码": grids[n % len(grids)]["gridCode"],
                         "值班网格编码": grids[n % len(grids)]["gridCode"], "值班日": "周一至周五", "值班时间": "08:00-18:00"}
                        for n in range(3)],
            "volunteers": [{"姓名": f"模板志愿者{n}", "电话": f"1350000{stamp}{n}", "社区区划代码": community,
                            "类型": "居民", "技能": "理发、助老服务", "注册日期": "2026-03-05"} for n in range(3)],
        }

    def test_every_template_downloads_with_its_headers_and_imports_three_good_rows_cleanly(self):
        status, _, registers = CITY.request("GET", "/import-templates")
        self.assertEqual(status, 200, registers)
        self.assertEqual({r["register"] for r in registers},
                         {"divisions", "compounds", "buildings", "companies", "members", "workers", "volunteers"})
        rows = self.good_rows()
        for register in registers:
            name = register["register"]
            with self.subTest(name):
                status, headers, data = CITY.request("GET", f"/import-templates/{name}")
                self.assertEqual(status, 200, data)
                self.assertEqual(headers["Content-Type"], XLSX)
                workbook = openpyxl.load_workbook(io.BytesIO(data))
                sheet = workbook.worksheets[0]
                header = [cell.value for cell in sheet[1]]
                self.assertEqual(header, [c["header"] + ("*" if c["required"] else "") for c in register["columns"]])
                self.assertEqual(workbook.worksheets[1].title, "填写说明")
                plain = [h.rstrip("*") for h in header]
                for index, values in enumerate(rows[name]):
                    for column, value in values.items():
                        sheet.cell(row=index + 2, column=plain.index(column) + 1, value=value)
                out = io.BytesIO()
                workbook.save(out)
                job = CITY.run(name, out.getvalue(), dry_run=False, filename=f"{register['title']}.xlsx")
                self.assertEqual(counts(job), {"state": "done", "rowsTotal": 3, "rowsDone": 3, "created": 3,
                                               "updated": 0, "unchanged": 0, "failed": 0},
                                 CITY.problems(job["id"]))


if __name__ == "__main__":
    unittest.main()
