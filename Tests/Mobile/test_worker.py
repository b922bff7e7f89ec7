"""The grid worker's phone app (/m/) in headless Chromium as a 360×640 Android phone, against the
whole system `governance up --demo` starts.

A grid_worker user is made with the operator tool and bound to a demo grid worker (an
administrator sets GridWorker.principal_id through the Connect API), who is put on duty for today.
Then a worker's day, on the phone only, checked from Python through the Connect API:
sign in; an alarm raised for the worker's grid shows as a red card within a second and is
confirmed (the hand-over timer stops); a case is accepted, taken on, started and resolved with
photos; one is escalated; a visit with a finding is logged at the phone's position (the finding
opens a case); and, offline, three steps are queued, sent in order once the network is back, each
exactly once (also when the same queue is replayed), and a step the case no longer allows ends
in the conflict list with the service's message. Every screen is saved to
.build/mobile/worker-*.png and must fit the phone's width and show no untranslated text.
"""
import datetime
import json
import pathlib
import re
import sys
import tempfile
import time
import unittest
import uuid

from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException, TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

try:
    from PIL import Image, ImageDraw
except ImportError:  # Pillow is installed by .ci/run
    Image = None

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from mobile import PASSWORD, ServiceRefused, System, assert_fits, assert_translated, mobile_browser, screenshot  # noqa: E402

USERNAME = "wangli"
CITY = datetime.timezone(datetime.timedelta(hours=8))
# Where the phone says it is: inside the demo city (玄武区, Nanjing).
POSITION = {"latitude": 32.0501, "longitude": 118.7972, "accuracy": 12}
# An alarm passes to the next worker after this when not confirmed (the community's policy, set here).
ACK_TIMEOUT_SECONDS = 20


def rfc3339(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.timezone.utc).isoformat().replace("+00:00", "Z")


class WorkerAppTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.system = System()
        try:
            cls.admin = cls.system.sign_in("admin", cls.system.make_user("admin", "city_admin", "3201"))
            cls.pick_worker()
            cls.system.make_user(USERNAME, "grid_worker", cls.community)
            cls.admin.grid("UpdateGridWorker", {"worker": {"id": cls.worker["id"], "principalId": f"user:{USERNAME}"},
                                                "updateMask": "principalId"})
            cls.put_on_duty()
            cls.photos = cls.make_photos()
            cls.browser = mobile_browser()
        except Exception:
            cls.system.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.browser.quit()
        cls.system.stop()

    @classmethod
    def pick_worker(cls):
        """A demo worker who has a case at the grid in hand (so the lists show something), and their grid."""
        cases = cls.admin.grid("ListCases", {"pageSize": 100, "statuses": ["CASE_STATUS_ASSIGNED", "CASE_STATUS_IN_PROGRESS"],
                                             "level": "CASE_LEVEL_GRID", "priority": "CASE_PRIORITY_NORMAL"})["cases"]
        worker_id = next(case["assigneeId"] for case in cases if case.get("assigneeId", "").startswith("wkr_"))
        cls.worker = cls.admin.grid("GetGridWorker", {"id": worker_id})
        cls.grid_code = cls.worker["gridCodes"][0]
        cls.community = cls.worker["divisionCode"]
        cls.grid_name = cls.admin.grid("GetGrid", {"gridCode": cls.grid_code})["name"]

    @classmethod
    def put_on_duty(cls):
        """The worker on duty in their grid all of today (city time), first in the roster; their
        community's alarms pass on after ACK_TIMEOUT_SECONDS when not confirmed."""
        now = datetime.datetime.now(CITY)
        midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
        start, end = rfc3339(midnight), rfc3339(midnight + datetime.timedelta(days=1))
        cls.admin.grid("SetDutyRoster", {"requestId": f"mobile-roster-{uuid.uuid4()}", "gridCode": cls.grid_code,
                                         "windowStart": start, "windowEnd": end,
                                         "shifts": [{"gridCode": cls.grid_code, "workerId": cls.worker["id"],
                                                     "startTime": start, "endTime": end, "rosterOrder": 1}]})
        on_duty = cls.admin.grid("GetOnDuty", {"gridCode": cls.grid_code})
        assert on_duty["workers"][0]["id"] == cls.worker["id"], on_duty
        policy = cls.admin.grid("GetDeadlinePolicy", {"divisionCode": cls.community})
        kept = {key: policy[key] for key in ("deadlines", "reopenWindowDays", "evaluationWindowDays") if key in policy}
        cls.admin.grid("SetDeadlinePolicy", {"requestId": f"mobile-policy-{uuid.uuid4()}", "policy": {
            **kept, "divisionCode": cls.community, "alarmAckTimeout": f"{ACK_TIMEOUT_SECONDS}s"}})

    @classmethod
    def make_photos(cls) -> dict:
        if Image is None:
            raise unittest.SkipTest("Pillow is needed for the photos")
        folder = pathlib.Path(tempfile.mkdtemp(prefix="mobile-photos-"))
        photos = {}
        for name, colour in [("scene", (120, 90, 60)), ("after", (60, 150, 90))]:
            image = Image.new("RGB", (800, 600), colour)
            ImageDraw.Draw(image).rectangle([200, 150, 600, 450], outline=(255, 255, 255), width=12)
            photos[name] = folder / f"{name}.jpg"
            image.save(photos[name], "JPEG", quality=85)
        return photos

    # ---- helpers ----

    def wait(self, condition, timeout=20):
        # The page redraws what changed: an element found a moment ago may have been replaced.
        try:
            return WebDriverWait(self.browser, timeout, poll_frequency=0.1,
                                 ignored_exceptions=(NoSuchElementException, StaleElementReferenceException)).until(condition)
        except TimeoutException:
            screenshot(self.browser, "worker-failed")
            raise AssertionError("the page did not get there; it shows: "
                                 + self.browser.execute_script("return document.body.innerText")[:600]) from None

    def tap(self, element):
        """A thumb's tap: the element scrolled to the middle of the screen (clear of the tab bar), then
        clicked; `element` may be a function finding it, tried again if the page redrew it meanwhile."""
        for attempt in range(3):
            target = element(self.browser) if callable(element) else element
            try:
                self.js("arguments[0].scrollIntoView({block: 'center'})", target)
                target.click()
                return target
            except StaleElementReferenceException:
                if not callable(element) or attempt == 2:
                    raise
                time.sleep(0.2)

    def text(self, selector: str) -> str:
        """The visible text of the first element matching `selector`, read in one step (the page redraws)."""
        return self.js("const node = document.querySelector(arguments[0]); return node ? node.innerText : ''", selector)

    def js(self, script, *args):
        return self.browser.execute_script(script, *args)

    def check_screen(self, name: str, top: bool = False):
        """Screenshot at 360×640 (from the top of the page with `top`), then: nothing wider than the
        phone, nothing untranslated, no value a script failed to fill in."""
        if top:
            self.js("window.scrollTo(0, 0)")
        # A passing notice (sent, saved) is let go first.
        self.wait(lambda b: not b.find_element(By.ID, "toast").is_displayed(), timeout=10)
        time.sleep(0.3)
        screenshot(self.browser, f"worker-{name}")
        assert_fits(self, self.browser)
        assert_translated(self, self.browser)
        text = self.js("return document.body.innerText")
        self.assertIsNone(re.search(r"null|undefined|NaN|\[object", text), f"{name}: a missing value shows")

    def create_case(self, title: str, category: str = "环境卫生") -> dict:
        return self.admin.grid("CreateCase", {"requestId": f"mobile-case-{uuid.uuid4()}", "gridCase": {
            "source": "CASE_SOURCE_RESIDENT", "category": category, "title": title,
            "details": f"居民反映：{title}，请尽快处理", "priority": "CASE_PRIORITY_NORMAL",
            "location": {"gridCode": self.grid_code, "address": "玄武区丹凤街 18 号 2 栋",
                         "point": {"longitude": 118.7969, "latitude": 32.0603, "accuracyMeters": 12}},
            "reporter": {"name": "周敏", "phone": "13955551234"}}})

    def events(self, case_id: str) -> list:
        return self.admin.grid("ListCaseEvents", {"caseId": case_id, "pageSize": 100})["events"]

    def go(self, tab: str):
        self.js("location.hash = arguments[0]", f"#{tab}")
        self.wait(lambda b: b.find_element(By.CSS_SELECTOR, f"#tabs a[data-tab={tab}]").get_attribute("aria-current") == "page")

    def show_today(self):
        self.go("today")
        self.tap(lambda b: self.wait(lambda b: b.find_element(By.ID, "refresh")))
        time.sleep(0.5)
        self.wait(lambda b: b.find_elements(By.ID, "my-cases"))

    def open_case(self, number: str):
        """Opens a case from today's lists by its case number."""
        self.show_today()
        row = self.wait(lambda b: next((row for row in b.find_elements(By.CSS_SELECTOR, "main [data-case]")
                                        if number in row.text), None))
        self.tap(row)
        self.wait(lambda b: number in b.find_element(By.TAG_NAME, "main").text and b.find_elements(By.ID, "case-status"))

    def status(self) -> str:
        return self.text("#case-status")

    def step(self, key: str, text: str = "", photo: pathlib.Path | None = None, expect: str = ""):
        """One step of the open case through its form; waits until the page shows `expect`."""
        self.tap(lambda b: self.wait(EC.element_to_be_clickable((By.ID, f"step-{key}"))))
        area = self.wait(EC.presence_of_element_located((By.ID, "step-text")))
        if text:
            area.send_keys(text)
        if photo:
            self.browser.find_element(By.ID, "after-photo").send_keys(str(photo))
        self.tap(self.browser.find_element(By.ID, "step-confirm"))
        if expect:
            self.wait(lambda b: self.safe_status().startswith(expect))

    def safe_status(self) -> str:
        try:
            return self.status()
        except Exception:
            return ""

    def confirmed(self, assignment_id: str) -> bool:
        """Whether the alarm card says its confirmation reached the service (not only the queue)."""
        text = self.text(f"#alarms [data-assignment='{assignment_id}'] button")
        return text == "已确认"

    def queued(self) -> int:
        return int(self.js("return Number(document.body.dataset.queued || 0)"))

    def conflicts(self) -> int:
        return int(self.js("return Number(document.body.dataset.conflicts || 0)"))

    def network(self, offline: bool):
        self.browser.execute_cdp_cmd("Network.enable", {})
        self.browser.execute_cdp_cmd("Network.emulateNetworkConditions", {
            "offline": offline, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
        self.wait(lambda b: b.execute_script("return navigator.onLine") is (not offline))

    # ---- tests ----

    def test_1_signs_in_and_shows_the_day(self):
        browser = self.browser
        browser.get(self.system.base + "/m/")
        self.wait(EC.element_to_be_clickable((By.ID, "username")))
        self.assertEqual(browser.execute_script("return document.documentElement.lang"), "zh-CN")
        self.check_screen("signin")
        # The app is installable: a manifest with a standalone start page under /m/, and a service worker for /m/.
        manifest = json.loads(browser.execute_script(
            "const r = new XMLHttpRequest(); r.open('GET', document.querySelector('link[rel=manifest]').href, false);"
            " r.send(); return r.responseText;"))
        self.assertEqual((manifest["name"], manifest["start_url"], manifest["display"]), ("网格员", "/m/", "standalone"))
        self.assertTrue(any(icon["src"].endswith(".svg") for icon in manifest["icons"]))
        browser.find_element(By.ID, "username").send_keys(USERNAME)
        browser.find_element(By.ID, "password").send_keys("wrong-password-2026")
        browser.find_element(By.ID, "signin").click()
        self.wait(lambda b: b.find_element(By.ID, "login-error").text)
        self.assertIn("不正确", self.text("#login-error"))
        browser.find_element(By.ID, "password").clear()
        browser.find_element(By.ID, "password").send_keys(PASSWORD)
        browser.find_element(By.ID, "signin").click()
        self.wait(lambda b: b.find_elements(By.ID, "shifts") and b.find_elements(By.ID, "my-cases"))
        main = self.text("main")
        self.assertIn(self.worker["name"], main)
        self.assertIn("今日值班", main)
        self.assertIn(self.grid_name, self.text("#shifts"))
        self.assertIn("值班中", self.text("#shifts"))
        self.wait(lambda b: b.execute_script("return document.body.dataset.stream") == "open")
        self.wait(lambda b: b.execute_script(
            "return navigator.serviceWorker && navigator.serviceWorker.controller !== null"), timeout=20)
        # The service worker keeps the app shell, so the app opens without a network.
        cached = browser.execute_async_script("""
            const done = arguments[arguments.length - 1];
            Promise.all(['/m/', '/m/worker.js', '/m/worker.css', '/m/worker.webmanifest', '/m/worker-icon.svg']
              .map((path) => caches.match(path).then((hit) => Boolean(hit)))).then(done);""")
        self.assertEqual(cached, [True] * 5, "the app shell is in the service worker's cache")
        self.check_screen("today")
        # Every tap target of the screen is at least 44 CSS pixels high.
        small = self.js("""return [...document.querySelectorAll('button, a[href], input:not([type=file]), select, textarea, label.button')]
            .filter((node) => node.offsetParent !== null)
            .map((node) => [node.id || node.textContent.trim().slice(0, 12), node.getBoundingClientRect().height])
            .filter(([, height]) => height < 44);""")
        self.assertEqual(small, [], "tap targets lower than 44 px")

    def raise_alarm(self, device: str) -> tuple[dict, float]:
        """Raises a smoke alarm in the worker's grid once the page's stream is open; returns the
        answer and the seconds from the answer to the card on the page (negative: the card came first)."""
        browser = self.browser
        self.wait(lambda b: b.execute_script("return document.body.dataset.stream") == "open")
        # The stream's subscription reaches the grid service just after the browser sees it open.
        time.sleep(1.0)
        browser.execute_script("""
            window.alarmSeen = {};
            new MutationObserver(() => {
              for (const card of document.querySelectorAll('#alarms [data-assignment]'))
                if (!(card.dataset.assignment in window.alarmSeen)) window.alarmSeen[card.dataset.assignment] = Date.now();
            }).observe(document.getElementById('alarms'), { childList: true, subtree: true });""")
        raised = self.admin.grid("RaiseAlarm", {
            "requestId": f"mobile-alarm-{uuid.uuid4()}", "deviceId": device, "kind": "ALARM_KIND_SMOKE",
            "gridCode": self.grid_code, "address": "丹凤街 18 号 2 栋地下车库", "reading": "烟雾浓度 0.16 dB/m"})
        answered = time.time()
        assignment = raised["assignment"]
        self.assertEqual(assignment["workerId"], self.worker["id"])
        self.wait(lambda b: b.find_element(By.CSS_SELECTOR, f"#alarms [data-assignment='{assignment['id']}']"), timeout=5)
        polled = time.time() - answered
        shown = browser.execute_script("return window.alarmSeen[arguments[0]]", assignment["id"]) / 1000 - answered
        print(f"\nalarm card on the page {shown * 1000:.0f} ms after RaiseAlarm answered "
              f"(seen by polling after {polled * 1000:.0f} ms)")
        self.assertLess(shown, 1.0, "the alarm card shows within a second of the alarm")
        return raised, shown

    def test_2_an_alarm_shows_at_once_and_is_confirmed(self):
        browser = self.browser
        self.go("today")
        raised, _ = self.raise_alarm("yg-0301")
        assignment = raised["assignment"]
        card = browser.find_element(By.CSS_SELECTOR, f"#alarms [data-assignment='{assignment['id']}']")
        self.assertTrue(card.is_displayed())
        card = self.text(f"#alarms [data-assignment='{assignment['id']}']")
        self.assertIn("烟感告警", card)
        self.assertIn(raised["gridCase"]["caseNumber"], card)
        self.assertIn("确认", card)
        self.check_screen("alarm")
        self.tap(browser.find_element(By.CSS_SELECTOR, f"#alarms [data-assignment='{assignment['id']}'] button[data-ack]"))
        self.wait(lambda b: self.confirmed(assignment["id"]))
        self.check_screen("alarm-confirmed")
        case_id = raised["gridCase"]["id"]
        acknowledged = [event for event in self.events(case_id) if event["kind"] == "CASE_EVENT_KIND_ACKNOWLEDGED"]
        self.assertEqual(len(acknowledged), 1)
        self.assertEqual(acknowledged[0]["actor"], f"user:{USERNAME}")
        # The assignment is ACKNOWLEDGED: confirming it again is refused, naming its state.
        with self.assertRaises(ServiceRefused) as refused:
            self.admin.grid("AcknowledgeAssignment", {"requestId": f"mobile-ack-{uuid.uuid4()}", "assignmentId": assignment["id"]})
        self.assertEqual(refused.exception.code, "failed_precondition")
        self.assertIn("ACKNOWLEDGED", json.dumps(refused.exception.body))
        # The hand-over timer stopped: past the acknowledgement deadline the alarm is still this worker's.
        deadline = datetime.datetime.fromisoformat(assignment["ackDeadline"][:26].rstrip("Z") + "+00:00")
        time.sleep(max(0.0, (deadline - datetime.datetime.now(datetime.timezone.utc)).total_seconds()) + 3)
        self.assertEqual(self.admin.grid("GetCase", {"id": case_id})["assigneeId"], self.worker["id"])
        self.assertNotIn("CASE_EVENT_KIND_REASSIGNED", [event["kind"] for event in self.events(case_id)])
        self.wait(lambda b: not b.find_elements(By.CSS_SELECTOR, f"#alarms [data-assignment='{assignment['id']}']"))
        # The alarm's case is now in the worker's own list.
        self.show_today()
        self.assertIn(raised["gridCase"]["caseNumber"], self.text("#my-cases"))

    def test_3_a_case_is_handled_with_photos(self):
        browser = self.browser
        gridCase = self.create_case("楼道堆放杂物堵塞通道", "消防隐患")
        self.open_case(gridCase["caseNumber"])
        self.assertTrue(self.status().startswith("已上报"))
        # The reporter masked, the whole number a tap away (and a call); the place opens the map app.
        self.assertIn("139****1234", self.text("#case-reporter"))
        self.assertEqual(self.browser.find_element(By.ID, "case-geo").get_attribute("href"), "geo:32.060300,118.796900")
        self.tap(self.browser.find_element(By.ID, "reveal-reporter"))
        self.wait(lambda b: "13955551234" in b.find_element(By.ID, "case-reporter").text)
        self.assertEqual(self.browser.find_element(By.CSS_SELECTOR, "#case-reporter a").get_attribute("href"), "tel:13955551234")
        self.check_screen("case")
        self.step("accept", "已联系楼栋长核实", expect="已受理")
        self.step("claim", expect="已派遣")
        self.step("start", "到达现场", expect="处置中")
        # A photo of the scene goes with the latest step (the start).
        browser.find_element(By.ID, "case-photo").send_keys(str(self.photos["scene"]))
        self.wait(lambda b: len(b.find_elements(By.CSS_SELECTOR, "#case-history [data-attachment]")) == 1, timeout=30)
        self.check_screen("case-started")
        # A note with its own photo: the case's state stays as it is.
        self.step("addNote", "已联系物业，下午清运", photo=self.photos["scene"])
        self.wait(lambda b: len(b.find_elements(By.CSS_SELECTOR, "#case-history [data-attachment]")) == 2, timeout=30)
        self.assertTrue(self.status().startswith("处置中"))
        self.step("resolve", "已清理楼道杂物，通道畅通", photo=self.photos["after"], expect="已办结")
        self.wait(lambda b: len(b.find_elements(By.CSS_SELECTOR, "#case-history [data-attachment]")) == 3, timeout=30)
        self.wait(lambda b: b.execute_script(
            "return [...document.querySelectorAll('#case-history img')].every((img) => img.complete && img.naturalWidth > 0)"))
        self.check_screen("case-resolved", top=True)
        self.js("document.getElementById('case-history').scrollIntoView()")
        self.check_screen("case-history")
        events = self.events(gridCase["id"])
        self.assertEqual([event["kind"] for event in events], [
            "CASE_EVENT_KIND_REPORTED", "CASE_EVENT_KIND_ACCEPTED", "CASE_EVENT_KIND_ASSIGNED", "CASE_EVENT_KIND_STARTED",
            "CASE_EVENT_KIND_NOTED", "CASE_EVENT_KIND_RESOLVED"])
        self.assertEqual(events[4]["note"], "已联系物业，下午清运")
        self.assertTrue(all(event["actor"] == f"user:{USERNAME}" for event in events[1:]))
        self.assertEqual(events[2]["assigneeId"], self.worker["id"])
        self.assertEqual(events[1]["note"], "已联系楼栋长核实")
        done = self.admin.grid("GetCase", {"id": gridCase["id"]})
        self.assertEqual((done["status"], done["resolution"]), ("CASE_STATUS_RESOLVED", "已清理楼道杂物，通道畅通"))
        attachments = self.admin.grid("ListAttachments", {"parent": f"cases/{gridCase['id']}"})["attachments"]
        self.assertEqual(sorted(file["eventId"] for file in attachments),
                         sorted([events[3]["id"], events[4]["id"], events[5]["id"]]),
                         "the scene photo goes with the start, the note's with the note, the after-photo with the resolution")
        self.assertTrue(all(file["mediaType"] == "image/jpeg" for file in attachments))

    def test_4_a_case_is_escalated_with_a_reason(self):
        gridCase = self.create_case("违章搭建阳光房", "违章搭建")
        self.open_case(gridCase["caseNumber"])
        self.step("escalate", "涉及违建拆除，网格内无法处理", expect="已受理")
        self.wait(lambda b: "社区" in b.find_element(By.CSS_SELECTOR, "main dl.facts").text)
        moved = self.admin.grid("GetCase", {"id": gridCase["id"]})
        self.assertEqual(moved["handler"]["level"], "CASE_LEVEL_COMMUNITY")
        last = self.events(gridCase["id"])[-1]
        self.assertEqual((last["kind"], last["note"]), ("CASE_EVENT_KIND_ESCALATED", "涉及违建拆除，网格内无法处理"))
        self.check_screen("case-escalated")

    def test_5_a_visit_with_a_finding_is_logged_at_the_phones_position(self):
        browser = self.browser
        browser.execute_cdp_cmd("Browser.grantPermissions", {"origin": self.system.base, "permissions": ["geolocation"]})
        browser.execute_cdp_cmd("Emulation.setGeolocationOverride", POSITION)
        self.go("patrol")
        self.wait(lambda b: b.find_element(By.ID, "position").get_attribute("data-located") == "true")
        self.assertIn("32.05010", self.text("#position"))
        self.tap(browser.find_element(By.XPATH, "//label[.//input[@value='PATROL_KIND_VISIT']]"))
        households = browser.find_element(By.ID, "households")
        households.clear()
        households.send_keys("12")
        browser.find_element(By.ID, "patrol-note").send_keys("走访独居老人，了解用电安全")
        self.tap(browser.find_element(By.ID, "add-finding"))
        finding = self.wait(lambda b: b.find_element(By.CSS_SELECTOR, "#findings fieldset"))
        finding.find_element(By.NAME, "details").send_keys("3 栋楼道电动车充电，飞线私拉")
        Select(finding.find_element(By.NAME, "category")).select_by_value("消防隐患")
        Select(finding.find_element(By.NAME, "priority")).select_by_value("CASE_PRIORITY_HIGH")
        self.assertTrue(finding.find_element(By.NAME, "openCase").is_selected())
        self.check_screen("patrol-finding")
        self.check_screen("patrol", top=True)
        self.tap(browser.find_element(By.ID, "patrol-submit"))
        self.wait(lambda b: b.find_element(By.ID, "patrol-form").get_attribute("data-done") == "sent")
        self.wait(lambda b: b.find_element(By.ID, "opened-cases"))
        self.assertIn("走访 12 户", self.text("#patrol-summary"))
        self.check_screen("patrol-done")
        patrols = self.admin.grid("ListPatrols", {"workerId": self.worker["id"], "kind": "PATROL_KIND_VISIT", "pageSize": 50})["patrols"]
        patrol = next(patrol for patrol in patrols if patrol.get("note") == "走访独居老人，了解用电安全")
        self.assertEqual((patrol["gridCode"], patrol["householdsVisited"]), (self.grid_code, 12))
        self.assertAlmostEqual(patrol["point"]["latitude"], POSITION["latitude"], places=5)
        self.assertAlmostEqual(patrol["point"]["longitude"], POSITION["longitude"], places=5)
        self.assertEqual(len(patrol["findings"]), 1)
        found = self.admin.grid("GetCase", {"id": patrol["findings"][0]["caseId"]})
        self.assertEqual((found["source"], found["sourceRefId"], found["category"], found["priority"]),
                         ("CASE_SOURCE_PATROL", patrol["id"], "消防隐患", "CASE_PRIORITY_HIGH"))
        self.assertEqual(found["location"]["gridCode"], self.grid_code)
        self.assertIn(found["caseNumber"], self.text("#opened-cases"))

    def test_6_offline_steps_queue_send_in_order_once_and_conflicts_are_kept(self):
        browser = self.browser
        first = self.create_case("单元门禁损坏", "治安防范")
        second = self.create_case("路灯不亮", "市政设施")
        # Both read once while online: the phone keeps them.
        self.open_case(second["caseNumber"])
        self.open_case(first["caseNumber"])
        self.network(offline=True)
        try:
            self.wait(lambda b: b.find_element(By.ID, "net").text == "离线")
            self.step("accept", "离线受理", expect="已受理")
            self.step("claim", expect="已派遣")
            self.step("start", "离线开始处置", expect="处置中")
            self.assertEqual(self.queued(), 3)
            self.assertEqual(self.text("#outbox-count"), "3")
            self.assertIn("待发送", self.status())
            self.check_screen("offline-case")
            self.go("queue")
            self.assertEqual(len(browser.find_elements(By.CSS_SELECTOR, "#outbox li")), 3)
            self.check_screen("offline-queue")
            # The queue as the phone keeps it (IndexedDB), to replay it below.
            kept = browser.execute_async_script("""
                const done = arguments[arguments.length - 1];
                const open = indexedDB.open('grid-worker');
                open.onsuccess = () => {
                  const read = open.result.transaction('outbox').objectStore('outbox').getAll();
                  read.onsuccess = () => done(JSON.stringify(read.result));
                };""")
            self.assertEqual([entry["method"] for entry in json.loads(kept)], ["AcceptCase", "AssignCase", "StartCase"])
            self.assertEqual(len({entry["body"]["requestId"] for entry in json.loads(kept)}), 3, "one request id per tap")
            self.assertEqual([event["kind"] for event in self.events(first["id"])], ["CASE_EVENT_KIND_REPORTED"])
            # The app opens without a network (the service worker keeps it), with what the phone kept.
            browser.refresh()
            self.wait(lambda b: self.queued() == 3 and b.find_element(By.ID, "tabs").is_displayed())
            self.go("today")
            self.wait(lambda b: b.find_elements(By.ID, "my-cases"))
            self.assertIn("离线", self.text("main"))
            self.check_screen("offline-today", top=True)
            self.tap(lambda b: self.wait(lambda b: next(row for row in b.find_elements(By.CSS_SELECTOR, "main [data-case]")
                                                         if first["caseNumber"] in row.text)))
            self.wait(lambda b: self.safe_status().startswith("处置中"))
            self.assertIn("离线受理", self.text("#case-history"))
        finally:
            self.network(offline=False)
        self.wait(lambda b: self.queued() == 0, timeout=30)
        steps = self.events(first["id"])
        self.assertEqual([(event["kind"], event.get("note", "")) for event in steps], [
            ("CASE_EVENT_KIND_REPORTED", ""), ("CASE_EVENT_KIND_ACCEPTED", "离线受理"), ("CASE_EVENT_KIND_ASSIGNED", ""),
            ("CASE_EVENT_KIND_STARTED", "离线开始处置")])
        self.assertEqual(self.admin.grid("GetCase", {"id": first["id"]})["status"], "CASE_STATUS_IN_PROGRESS")
        self.assertEqual(self.conflicts(), 0)
        # The same queue replayed (a phone that sent it but never heard back): each request id acts once.
        browser.execute_async_script("""
            const [entries, done] = [JSON.parse(arguments[0]), arguments[arguments.length - 1]];
            const open = indexedDB.open('grid-worker');
            open.onsuccess = () => {
              const tx = open.result.transaction('outbox', 'readwrite');
              for (const entry of entries) { delete entry.seq; tx.objectStore('outbox').add(entry); }
              tx.oncomplete = () => done(true);
            };""", kept)
        browser.refresh()
        self.wait(lambda b: b.execute_script("return document.body.dataset.stream") == "open")
        self.wait(lambda b: self.queued() == 0, timeout=30)
        self.assertEqual(self.conflicts(), 0, "a replay is answered as the first time, not refused")
        self.assertEqual([event["id"] for event in self.events(first["id"])], [event["id"] for event in steps])
        browser.refresh()
        self.wait(lambda b: b.execute_script("return document.body.dataset.stream") == "open")
        time.sleep(2)
        self.assertEqual(self.queued(), 0)
        self.assertEqual(len(self.events(first["id"])), 4)
        # A conflict: offline, the worker accepts a case someone else accepted meanwhile, and takes
        # it on; the refused acceptance holds back the step queued behind it.
        self.open_case(second["caseNumber"])
        self.network(offline=True)
        try:
            self.admin.grid("AcceptCase", {"requestId": f"mobile-accept-{uuid.uuid4()}", "caseId": second["id"], "note": "社区已受理"})
            self.step("accept", "离线受理", expect="已受理")
            self.step("claim", expect="已派遣")
            self.assertEqual(self.queued(), 2)
        finally:
            self.network(offline=False)
        self.wait(lambda b: self.conflicts() == 2 and self.queued() == 0, timeout=30)
        self.assertEqual(self.admin.grid("GetCase", {"id": second["id"]}).get("assigneeId", ""), "",
                         "the step behind a refused one is not sent")
        self.go("queue")
        conflict, message = self.wait(lambda b: b.execute_script(
            "const item = document.querySelector('#conflicts li');"
            "return item && [item.innerText, item.querySelector('.message').innerText];"))
        self.assertIn(second["caseNumber"], conflict)
        self.assertIn("受理", conflict)
        self.assertIn("当前状态不允许此操作", message)
        self.assertIn("不能变为", message)
        self.wait(lambda b: not b.find_element(By.ID, "toast").is_displayed())
        self.check_screen("conflict", top=True)
        # Nothing of the refused step was applied.
        self.assertEqual([event["note"] for event in self.events(second["id"]) if event["kind"] == "CASE_EVENT_KIND_ACCEPTED"],
                         ["社区已受理"])
        held = self.wait(lambda b: b.execute_script(
            "const items = document.querySelectorAll('#conflicts li');"
            "return items.length == 2 && items[1].querySelector('.message').innerText;"))
        self.assertIn("前一步未被接受", held)
        # Kept until the worker has read them.
        browser.refresh()
        self.wait(lambda b: b.execute_script("return document.body.dataset.stream") == "open")
        self.assertEqual(self.conflicts(), 2)
        self.go("queue")
        for left in [1, 0]:
            self.tap(lambda b: self.wait(lambda b: b.find_element(By.CSS_SELECTOR, "#conflicts li button.ghost")))
            self.wait(lambda b: self.conflicts() == left)

    def test_9_an_account_bound_to_no_worker_is_told_so(self):
        browser = self.browser
        self.system.make_user("zhaomin", "grid_worker", self.community)
        self.go("me")
        self.tap(browser.find_element(By.ID, "signout"))
        self.wait(EC.element_to_be_clickable((By.ID, "username"))).send_keys("zhaomin")
        browser.find_element(By.ID, "password").send_keys(PASSWORD)
        self.tap(browser.find_element(By.ID, "signin"))
        self.wait(lambda b: b.find_element(By.ID, "blocked"))
        self.assertIn("尚未绑定网格员档案", self.text("#blocked"))
        self.assertFalse(browser.find_element(By.ID, "tabs").is_displayed())
        self.check_screen("unbound")
        self.tap(browser.find_element(By.ID, "signout"))
        self.wait(EC.element_to_be_clickable((By.ID, "username")))

    def test_7_the_stream_comes_back_after_the_network_drops(self):
        self.go("today")
        self.wait(lambda b: b.execute_script("return document.body.dataset.stream") == "open")
        self.network(offline=True)
        self.wait(lambda b: b.execute_script("return document.body.dataset.stream") == "closed")
        self.network(offline=False)
        raised, _ = self.raise_alarm("yg-0302")
        assignment = raised["assignment"]
        self.tap(self.browser.find_element(By.CSS_SELECTOR, f"#alarms [data-assignment='{assignment['id']}'] button[data-ack]"))
        self.wait(lambda b: self.confirmed(assignment["id"]))
        self.assertIn("CASE_EVENT_KIND_ACKNOWLEDGED", [event["kind"] for event in self.events(raised["gridCase"]["id"])])

    def test_8_me_and_english(self):
        browser = self.browser
        self.go("me")
        self.assertIn(USERNAME, self.text("main"))
        self.check_screen("me")
        browser.find_element(By.ID, "lang").click()
        self.go("today")
        self.wait(lambda b: "On duty today" in b.find_element(By.TAG_NAME, "main").text)
        self.check_screen("today-en")
        browser.find_element(By.ID, "lang").click()
        self.wait(lambda b: "今日值班" in b.find_element(By.TAG_NAME, "main").text)


if __name__ == "__main__":
    unittest.main()
