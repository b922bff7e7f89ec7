"""The monthly report (月度报表, `GET /reports/monthly`) against the whole system `governance up --demo`
starts, as test_console.py starts it (its helpers are reused).

A street's and a district's reports are downloaded as XLSX and read with openpyxl: a sheet 概况 naming
the division and the periods, then 事件办理, 党建覆盖, 志愿服务 and 物业考评, each headed 指标 | 本期 | 上期 |
变化. Every case figure, coverage figure, volunteer total and company count equals what the statistics
RPCs answer through the gateway's Connect API, as the console's dashboard calls them, for the same
division and period and for the period before; the JSON the console's page reads says the same. A bad
period, a community and a division outside the caller's jurisdiction are refused naming the parameter.
Then the console's 月度报表 page is opened in headless Chromium and printed to PDF: A4 pages, the report
without the menu, the header or the buttons. The PDF and screenshots go to .build/console/report-*.

Needs openpyxl, selenium with Chromium and chromedriver, and poppler-utils (pdfinfo, pdftotext).
"""
import base64
import datetime
import io
import json
import pathlib
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request
import zoneinfo

import openpyxl
import pyotp
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "Console"))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "External"))
import test_console  # noqa: E402  (imported as a module, so its own tests are not collected here)
from system import free_offset  # noqa: E402

BIN, SHOTS = test_console.BIN, test_console.SHOTS
CITY = zoneinfo.ZoneInfo("Asia/Shanghai")
SHEETS = ["概况", "事件办理", "党建覆盖", "志愿服务", "物业考评"]
HEADER = ("指标", "本期", "上期", "变化")
SOURCES = {"resident": "CASE_SOURCE_RESIDENT", "patrol": "CASE_SOURCE_PATROL", "city_platform": "CASE_SOURCE_CITY_PLATFORM",
           "sensor_alarm": "CASE_SOURCE_SENSOR_ALARM", "opinion_collection": "CASE_SOURCE_OPINION_COLLECTION",
           "consultation_meeting": "CASE_SOURCE_CONSULTATION_MEETING"}
COVERAGE = {"party.compound_coverage": "compoundCoverage", "party.compounds_total": "compoundsTotal",
            "party.compounds_covered": "compoundsWithPartyOrganisation", "party.company_coverage": "companyCoverage",
            "party.companies_total": "companiesTotal", "party.companies_covered": "companiesCovered",
            "party.grid_coverage": "gridCoverage", "party.grids_total": "gridsTotal", "party.grids_with_branch": "gridsWithBranch",
            "party.buildings_with_group": "buildingsWithGroup", "party.red_butlers": "redButlers",
            "party.formal_members": "formalMembers", "party.probationary_members": "probationaryMembers"}
TOTALS = {"volunteers.hours": "hours", "volunteers.records": "recordCount", "volunteers.active": "volunteerCount",
          "volunteers.residents_served": "residentsServed", "volunteers.posts_claimed": "postsClaimed",
          "volunteers.wishes_confirmed": "microWishesConfirmed", "volunteers.mobilisations_answered": "mobilisationsAnswered"}
# What the console's menu, header and buttons say, none of which the printed report holds.
NOT_PRINTED = ["党建引领基层治理平台", "工作台", "党建引领", "小区管理", "网格管理", "考评周期", "打印", "下载 Excel", "退出",
               "English"]


# ---- the period rule, as the gateway has it ----

def month_range(year: int, month: int) -> tuple[datetime.date, datetime.date]:
    first = datetime.date(year, month, 1)
    following = datetime.date(year + month // 12, month % 12 + 1, 1)
    return first, following - datetime.timedelta(days=1)


def period_range(label: str) -> tuple[datetime.date, datetime.date]:
    year, rest = int(label[:4]), label[5:]
    if rest.startswith("Q"):
        quarter = int(rest[1])
        return month_range(year, quarter * 3 - 2)[0], month_range(year, quarter * 3)[1]
    return month_range(year, int(rest))


def previous_label(label: str) -> str:
    year, rest = int(label[:4]), label[5:]
    if rest.startswith("Q"):
        quarter = int(rest[1])
        return f"{year - 1}-Q4" if quarter == 1 else f"{year}-Q{quarter - 1}"
    month = int(rest)
    return f"{year - 1}-12" if month == 1 else f"{year}-{month - 1:02d}"


def contract_date(day: datetime.date) -> dict:
    return {"year": day.year, "month": day.month, "day": day.day}


def plain_date(date: dict) -> datetime.date:
    return datetime.date(date["year"], date["month"], date["day"])


class Session(test_console.Gateway):
    """The Connect API and the gateway's GET endpoints with a console session."""

    def get(self, path: str) -> tuple[int, dict, bytes]:
        request = urllib.request.Request(self.base + path)
        try:
            with self.opener.open(request, timeout=120) as response:
                return response.status, dict(response.headers.items()), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers.items()), error.read()

    def every(self, service: str, method: str, body: dict, key: str) -> list:
        items, token = [], ""
        while True:
            page = self.call(service, method, {**body, "pageSize": 500, "pageToken": token})
            items += page.get(key, [])
            token = page.get("nextPageToken", "")
            if not token:
                return items


class MonthlyReportTest(unittest.TestCase):
    wait = test_console.ConsoleTest.wait
    sign_in = test_console.ConsoleTest.sign_in
    open_page = test_console.ConsoleTest.open_page
    settle = test_console.ConsoleTest.settle
    check_page = test_console.ConsoleTest.check_page
    make_user = classmethod(test_console.ConsoleTest.make_user.__func__)
    find_places = classmethod(test_console.ConsoleTest.find_places.__func__)
    browser = None

    @classmethod
    def setUpClass(cls):
        SHOTS.mkdir(parents=True, exist_ok=True)
        cls.data = tempfile.mkdtemp(prefix="governance-report-")
        cls.secret = cls.make_user("admin", "city_admin", "3201")
        cls.offset = free_offset()
        cls.up = subprocess.Popen(
            [BIN / "governance", "up", "--data", cls.data, "--port-offset", str(cls.offset), "--demo"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        deadline = time.time() + 240
        output = []
        for line in cls.up.stdout:
            output.append(line)
            if "all healthy" in line:
                break
            if time.time() > deadline or cls.up.poll() is not None:
                cls.up.kill()
                raise RuntimeError("the system did not come up:\n" + "".join(output[-30:]))
        threading.Thread(target=lambda: cls.up.stdout.read(), daemon=True).start()
        cls.base = f"http://127.0.0.1:{8080 + cls.offset}"
        try:
            # A street, its district and their users (jiedao, quji), as the console test finds them.
            cls.find_places()
            cls.street_session = Session(cls.base, "jiedao")
            cls.district_session = Session(cls.base, "quji")
        except Exception:
            cls.up.send_signal(signal.SIGINT)
            cls.up.wait(timeout=30)
            raise
        today = datetime.datetime.now(CITY).date()
        cls.today = today
        cls.last_month = previous_label(f"{today.year}-{today.month:02d}")
        cls.this_quarter = f"{today.year}-Q{(today.month - 1) // 3 + 1}"

    @classmethod
    def tearDownClass(cls):
        if cls.browser is not None:
            cls.browser.quit()
        cls.up.send_signal(signal.SIGINT)
        cls.up.wait(timeout=30)
        shutil.rmtree(cls.data, ignore_errors=True)

    # ---- what the statistics RPCs answer ----

    def case_figures(self, session: Session, prefix: str, label: str) -> dict:
        first, last = period_range(label)
        dates = {"fromDate": contract_date(first), "toDate": contract_date(last)}
        totals = session.call("grid.v1.GridService", "GetCaseStatistics", {"divisionPrefix": prefix, **dates}).get("totals", {})
        cases = session.every("grid.v1.GridService", "ListCases", {"divisionPrefix": prefix, **dates}, "cases")
        figures = {"cases.total": int(totals.get("total", 0))}
        for key, source in SOURCES.items():
            figures[f"cases.source.{key}"] = sum(int(row["count"]) for row in totals.get("bySource", []) if row["source"] == source)
        by_level = totals.get("resolvedByLevel", [])
        resolved = sum(int(row.get("resolved", 0)) for row in by_level)
        share = {row["level"]: row.get("share", 0) for row in by_level}
        grid, community, street = (share.get(f"CASE_LEVEL_{level}", 0) for level in ["GRID", "COMMUNITY", "STREET"])
        figures["cases.resolved"] = resolved
        # The dashboard's KPI: resolved there or below; a share of nothing is no figure.
        figures["cases.kept_grid"] = grid if resolved else None
        figures["cases.kept_community"] = grid + community if resolved else None
        figures["cases.kept_street"] = grid + community + street if resolved else None
        figures["cases.on_time_rate"] = totals.get("onTimeRate", 0) if resolved else None
        evaluated = int(totals.get("evaluated", 0))
        figures["cases.evaluated"] = evaluated
        figures["cases.satisfied_rate"] = totals.get("satisfiedRate", 0) if evaluated else None
        figures["cases.mean_satisfaction"] = totals.get("meanSatisfaction", 0) if evaluated else None
        figures["cases.overdue"] = int(totals.get("overdue", 0))
        figures["cases.escalated"] = sum(1 for case in cases if case.get("escalationCount", 0) > 0)
        self.assertEqual(len(cases), figures["cases.total"], "ListCases and GetCaseStatistics count the same cases")
        return figures

    def party_figures(self, session: Session, prefix: str, label: str) -> dict:
        coverage = session.call("organisation.v1.OrganisationService", "GetCoverage", {"divisionPrefix": prefix})["figures"]
        figures = {key: coverage.get(name, 0) for key, name in COVERAGE.items()}
        registrations = session.every("organisation.v1.OrganisationService", "ListCommunityRegistrations",
                                      {"divisionPrefix": prefix, "includeEnded": True}, "registrations")
        first, last = period_range(label)
        end = min(last, self.today)
        figures["party.registered"] = sum(
            1 for r in registrations
            if plain_date(r["registeredDate"]) <= end and ("endedDate" not in r or plain_date(r["endedDate"]) > end))
        figures["party.registered_new"] = sum(1 for r in registrations if first <= plain_date(r["registeredDate"]) <= last)
        if first <= self.today <= last:
            # A period under way ends today: its registrations are the dashboard's.
            self.assertEqual(figures["party.registered"], coverage.get("inServiceRegistered", 0))
            counted = session.call("organisation.v1.OrganisationService", "CountCommunityRegistrations", {"divisionPrefix": prefix})
            self.assertEqual(figures["party.registered"], counted.get("total", 0))
        return figures

    def volunteer_figures(self, session: Session, prefix: str, label: str) -> dict:
        first, last = period_range(label)
        totals = session.call("volunteers.v1.VolunteersService", "GetServiceTotals",
                              {"divisionPrefix": prefix, "fromDate": contract_date(first), "toDate": contract_date(last)})
        figures = {key: float(totals.get(name, 0)) for key, name in TOTALS.items()}
        figures["volunteers.registered"] = int(totals.get("registeredVolunteers", 0))
        figures["volunteers.teams"] = int(totals.get("teams", 0))
        return figures

    def property_figures(self, session: Session, prefix: str) -> dict:
        statistics = session.call("property.v1.PropertyService", "GetPropertyStatistics", {"divisionPrefix": prefix})
        stars = {star: sum(row["count"] for row in statistics.get("companiesByStar", []) if row.get("starRating", 0) == star)
                 for star in range(6)}
        lists = {status: sum(row["count"] for row in statistics.get("companiesByList", []) if row["listStatus"] == status)
                 for status in ["LIST_STATUS_RED", "LIST_STATUS_BLACK"]}
        figures = {"property.companies": statistics.get("companiesTotal", 0), "property.unrated": stars[0],
                   "property.red": lists["LIST_STATUS_RED"], "property.black": lists["LIST_STATUS_BLACK"]}
        figures.update({f"property.stars{star}": stars[star] for star in range(1, 6)})
        return figures

    def expected(self, session: Session, prefix: str, label: str) -> tuple[dict, dict]:
        """Per figure key, what the RPCs answer for the period and for the period before (snapshots: now, and nothing)."""
        before = previous_label(label)
        current = {**self.case_figures(session, prefix, label), **self.party_figures(session, prefix, label),
                   **self.volunteer_figures(session, prefix, label), **self.property_figures(session, prefix)}
        earlier = {**self.case_figures(session, prefix, before), **self.party_figures(session, prefix, before),
                   **self.volunteer_figures(session, prefix, before)}
        return current, earlier

    # ---- the report ----

    def report(self, session: Session, prefix: str, label: str) -> tuple[dict, openpyxl.Workbook, dict]:
        query = urllib.parse.urlencode({"division": prefix, "period": label})
        status, _, body = session.get(f"/reports/monthly?{query}&format=json")
        self.assertEqual(status, 200, body[:300])
        answer = json.loads(body)
        status, headers, body = session.get(f"/reports/monthly?{query}&format=xlsx")
        self.assertEqual(status, 200, body[:300])
        return answer, openpyxl.load_workbook(io.BytesIO(body), data_only=True), {k.lower(): v for k, v in headers.items()}

    def stable_report(self, session: Session, prefix: str, label: str):
        """The report and the RPCs' answers read around it. The demo's deadline sweep escalates cases for a few
        minutes after the load, so a period under way is read again until the RPCs answer the same before and after."""
        for _ in range(5):
            before = self.expected(session, prefix, label)
            answer, workbook, headers = self.report(session, prefix, label)
            after = self.expected(session, prefix, label)
            if before == after:
                return answer, workbook, headers, before
            time.sleep(20)
        self.fail("the figures kept changing")

    def check_against_statistics(self, session: Session, prefix: str, label: str, name: str):
        answer, workbook, headers, (current, earlier) = self.stable_report(session, prefix, label)
        before = previous_label(label)
        # The file: an XLSX attachment named in Chinese.
        self.assertEqual(headers["content-type"], "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        disposition = headers["content-disposition"]
        self.assertTrue(disposition.startswith("attachment; filename*=UTF-8''"), disposition)
        filename = urllib.parse.unquote(disposition.split("''", 1)[1])
        self.assertTrue(filename.startswith(name) and filename.endswith(".xlsx"), filename)
        self.assertEqual(filename, f"{answer['title']}.xlsx")
        self.assertEqual(answer["title"], name + answer["period"]["title"] + ("月度报表" if "Q" not in label else "报表"))
        # The sheets, the first naming the division and the periods.
        self.assertEqual(workbook.sheetnames, SHEETS)
        overview = {row[0]: row[1] for row in workbook["概况"].iter_rows(min_row=2, values_only=True)}
        self.assertEqual(overview["报表"], answer["title"])
        self.assertEqual(overview["辖区"], name)
        self.assertEqual(overview["辖区代码"], prefix.ljust(12, "0"))
        self.assertEqual(overview["本期"], answer["period"]["title"])
        self.assertEqual(overview["上期"], answer["previous"]["title"])
        self.assertEqual((answer["period"]["label"], answer["previous"]["label"]), (label, before))
        first, last = period_range(label)
        self.assertEqual((answer["period"]["from"], answer["period"]["to"]), (first.isoformat(), last.isoformat()))
        checked = 0
        for topic, sheet in zip(answer["topics"], SHEETS[1:]):
            self.assertEqual(topic["title"], sheet)
            rows = list(workbook[sheet].iter_rows(values_only=True))
            self.assertEqual(rows[0], HEADER, sheet)
            for figure, row in zip(topic["figures"], rows[1:]):
                key, unit = figure["key"], figure["unit"]
                shown = figure["name"] + ("（%）" if unit == "share" else "") + ("（现状）" if figure["snapshot"] else "")
                self.assertEqual(row[0], shown, key)
                if key.startswith("evaluation."):
                    continue  # checked against the publication below
                self.assertIn(key, current, f"{key}: no RPC figure to check it against")
                expected_now = current[key]
                expected_before = None if figure["snapshot"] else earlier[key]
                for which, want, json_value, cell in [("this period", expected_now, figure["current"], row[1]),
                                                      ("the period before", expected_before, figure["previous"], row[2])]:
                    context = f"{sheet} {key} ({which}, {label})"
                    if want is None:
                        self.assertIsNone(json_value, context)
                        self.assertEqual(cell, "—", context)
                        continue
                    self.assertAlmostEqual(json_value, want, places=9, msg=context)
                    if unit == "count":
                        self.assertEqual(cell, want, context)
                    elif unit == "share":
                        self.assertAlmostEqual(cell, want * 100, delta=0.0051, msg=context)
                    else:
                        self.assertAlmostEqual(cell, want, delta=0.0051, msg=context)
                if expected_before is not None and expected_now is not None:
                    change = (expected_now - expected_before) * (100 if unit == "share" else 1)
                    self.assertAlmostEqual(row[3], change, delta=0.011, msg=f"{sheet} {key} change")
                else:
                    self.assertEqual(row[3], "—", f"{sheet} {key} change")
                checked += 1
            notes = rows[1 + len(topic["figures"]):]
            self.assertEqual(notes[0], (None, None, None, None), f"{sheet}: a blank row before the notes")
            self.assertTrue(all(str(row[0]).startswith("注：") for row in notes[1:]), f"{sheet}: notes")
        self.assertGreaterEqual(checked, 45)
        return answer

    # ---- tests ----

    def test_1_a_streets_month_equals_the_statistics(self):
        name = self.admin.call("grid.v1.GridService", "GetDivision", {"divisionCode": self.street.ljust(12, "0")})["name"]
        answer = self.check_against_statistics(self.street_session, self.street, self.last_month, name)
        # The street's figures are the street's: fewer cases than the district's.
        district = self.admin.call("grid.v1.GridService", "GetCaseStatistics", {
            "divisionPrefix": self.district, "fromDate": contract_date(period_range(self.last_month)[0]),
            "toDate": contract_date(period_range(self.last_month)[1])})["totals"]
        cases = next(f for f in answer["topics"][0]["figures"] if f["key"] == "cases.total")
        self.assertGreater(cases["current"], 0, "the demo's archive has cases last month")
        self.assertLessEqual(cases["current"], int(district["total"]))

    def test_2_a_districts_quarter_equals_the_statistics_and_the_published_lists(self):
        name = self.admin.call("grid.v1.GridService", "GetDivision", {"divisionCode": self.district.ljust(12, "0")})["name"]
        answer = self.check_against_statistics(self.district_session, self.district, self.this_quarter, name)
        self.assertTrue(answer["period"]["under_way"])
        # The ratings in force at the quarter's end are the latest publication's (the demo publishes last
        # quarter's at its load, so none was in force at the end of the quarter before).
        publications = self.district_session.call("evaluation.v1.EvaluationService", "ListPublications",
                                                  {"divisionPrefix": self.district, "pageSize": 10})["publications"]
        published = next(p for p in publications if p["state"] == "PUBLICATION_STATE_COMPLETED")
        entries = self.district_session.call("evaluation.v1.EvaluationService", "GetPublication",
                                             {"periodId": published["periodId"]})["entries"]
        figures = {f["key"]: f for f in answer["topics"][3]["figures"]}
        self.assertEqual(figures["evaluation.companies"]["current"], published["companyCount"])
        self.assertEqual(figures["evaluation.red"]["current"], published.get("redCount", 0))
        self.assertEqual(figures["evaluation.black"]["current"], published.get("blackCount", 0))
        for star in range(1, 6):
            self.assertEqual(figures[f"evaluation.stars{star}"]["current"], sum(1 for e in entries if e.get("stars") == star))
        self.assertIsNone(figures["evaluation.companies"]["previous"])

    def test_3_refusals_name_the_parameter_and_its_rule(self):
        session = self.street_session
        other = next(code for code in (f"{self.district}{n:03d}" for n in range(1, 10)) if code != self.street)
        next_year = self.today.year + 1
        for query, status, code, parameter in [
            ({"division": self.street, "period": "2026-13"}, 400, "invalid_argument", "period"),
            ({"division": self.street, "period": "2026/11"}, 400, "invalid_argument", "period"),
            ({"division": self.street}, 400, "invalid_argument", "period"),
            ({"division": self.street, "period": f"{next_year}-01"}, 400, "invalid_argument", "period"),
            ({"division": self.community, "period": self.last_month}, 400, "invalid_argument", "division"),
            ({"division": other, "period": self.last_month}, 403, "permission_denied", "division"),
            ({"division": self.district, "period": self.last_month}, 403, "permission_denied", "division"),
            ({"division": self.street, "period": self.last_month, "format": "pdf"}, 400, "invalid_argument", "format"),
        ]:
            answer_status, headers, body = session.get(f"/reports/monthly?{urllib.parse.urlencode(query)}")
            self.assertEqual(answer_status, status, (query, body))
            answer = json.loads(body)
            self.assertEqual(answer["code"], code, query)
            self.assertTrue(answer["message"].startswith(f"{parameter}: "), answer["message"])
        request = urllib.request.Request(f"{self.base}/reports/monthly?division={self.street}&period={self.last_month}")
        with self.assertRaises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=30)
        self.assertEqual(refused.exception.code, 401)

    def test_4_the_console_page_prints_the_report_alone_on_a4(self):
        options = webdriver.ChromeOptions()
        for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1366,768", "--lang=zh-CN"]:
            options.add_argument(argument)
        options.binary_location = "/usr/bin/chromium"
        type(self).browser = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        browser = self.browser
        self.sign_in("jiedao")
        self.open_page("reports")
        self.wait(lambda b: b.find_elements(By.CSS_SELECTOR, "#report-output table.report-table"))
        self.settle()
        self.check_page("report-month")
        title = browser.find_element(By.ID, "report-title").text
        self.assertIn("月度报表", title)
        # The page shows the figures the JSON holds.
        answer = json.loads(self.street_session.get(
            f"/reports/monthly?division={self.street}&period={self.last_month}&format=json")[2])
        self.assertEqual(answer["title"], title)
        total = next(f for f in answer["topics"][0]["figures"] if f["key"] == "cases.total")
        row = browser.find_element(By.CSS_SELECTOR, "#report-cases tr[data-key='cases.total']")
        self.assertEqual([cell.text for cell in row.find_elements(By.CSS_SELECTOR, "td")][:2],
                         [str(int(total["current"])), str(int(total["previous"]))])
        self.assertEqual(len(browser.find_elements(By.CSS_SELECTOR, "#report-output .report-topic")), 4)
        download = browser.find_element(By.ID, "report-download").get_attribute("href")
        self.assertIn(f"period={self.last_month}", download)
        self.assertIn("format=xlsx", download)
        # Printed: A4 pages holding the report, not the menu, the header or the buttons.
        printed = browser.execute_cdp_cmd("Page.printToPDF", {"preferCSSPageSize": True})
        pdf = SHOTS / "report-month.pdf"
        pdf.write_bytes(base64.b64decode(printed["data"]))
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
        size = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info)
        self.assertIsNotNone(size, info)
        self.assertAlmostEqual(float(size.group(1)), 595.28, delta=2, msg=info)
        self.assertAlmostEqual(float(size.group(2)), 841.89, delta=2, msg=info)
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        compact = re.sub(r"\s+", "", text)
        self.assertIn(re.sub(r"\s+", "", title), compact)
        for heading in ["事件办理", "党建覆盖", "志愿服务", "物业考评", "网格内解决率（微事不出格）", "本期", "上期", "变化"]:
            self.assertIn(heading, compact)
        for word in NOT_PRINTED:
            self.assertNotIn(re.sub(r"\s+", "", word), compact, f"the printed report holds '{word}'")
        # A quarter, chosen on the page.
        Select(browser.find_element(By.ID, "report-kind")).select_by_value("quarter")
        Select(browser.find_element(By.ID, "report-period")).select_by_value(self.this_quarter)
        browser.find_element(By.ID, "report-show").click()
        self.wait(lambda b: b.find_element(By.ID, "report-title").text.endswith("季度报表"))
        self.settle()
        self.check_page("report-quarter")
        self.assertIn("xlsx", browser.find_element(By.ID, "report-download").get_attribute("href"))


if __name__ == "__main__":
    unittest.main()
