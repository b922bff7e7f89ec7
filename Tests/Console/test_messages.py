"""The console's bell and its deliveries page (docs/MESSAGES.md), in headless Chromium against the
whole system `governance up --demo` starts, as test_console.py drives it (its helpers are reused).

A city administrator adds a bell route for `case.*` through the page's form; a case reported
through the Connect API rings the bell within seconds; opening the bell shows the case, marks it
read, and the count stays 0 after a reload; the notification opens the case; the route is deleted.
A city platform's API key subscribes webhooks: one to a receiver that fails every delivery is
paused (the page says why, the bell tells the administrator) and resumed; one to a closed port
leaves a dead letter on the page, which is replayed and dies again; one to a working receiver is
listed as delivered. Other roles have the bell but not the page, and the bell fits a phone.
Screenshots go to .build/console/messages-*.png; every page is checked as test_console.py checks
its pages (no untranslated word, no sideways scroll, every input labelled).
"""
import http.server
import json
import os
import pathlib
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.request

import pyotp
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "External"))
import test_console  # noqa: E402  (imported as a module, so its own tests are not collected here)
from system import free_offset  # noqa: E402

BIN, SHOTS, PASSWORD = test_console.BIN, test_console.SHOTS, test_console.PASSWORD


def closed_port() -> int:
    """A loopback port nothing listens on: bound once to be given one, then released."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Receiver:
    """A webhook receiver on loopback: `/ok` takes every delivery (204), `/flaky` fails them (500)
    while `failing` is true. It keeps each request's path and headers."""

    def __init__(self):
        self.failing = True
        self.requests = []
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("content-length") or 0))
                owner.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
                self.send_response(500 if self.path == "/flaky" and owner.failing else 204)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *arguments):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/{path}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class Session(test_console.Gateway):
    """The Connect API and the gateway's JSON endpoints with a console session."""

    def get(self, path: str) -> dict:
        request = urllib.request.Request(self.base + path)
        with self.opener.open(request, timeout=30) as response:
            return json.loads(response.read())


class MessagesTest(unittest.TestCase):
    # The console test's helpers, taken as plain functions (its tests are not inherited, nor is
    # its class named in this module, where unittest would collect it).
    wait = test_console.ConsoleTest.wait
    sign_in = test_console.ConsoleTest.sign_in
    open_page = test_console.ConsoleTest.open_page
    settle = test_console.ConsoleTest.settle
    check_page = test_console.ConsoleTest.check_page
    dialog_confirm = test_console.ConsoleTest.dialog_confirm
    assert_chinese_refusal = test_console.ConsoleTest.assert_chinese_refusal
    make_user = classmethod(test_console.ConsoleTest.make_user.__func__)

    @classmethod
    def setUpClass(cls):
        SHOTS.mkdir(parents=True, exist_ok=True)
        cls.data = tempfile.mkdtemp(prefix="governance-messages-")
        cls.secret = cls.make_user("admin", "city_admin", "3201")
        created = subprocess.run(
            [BIN / "governance", "apikey", "create", "--data", cls.data, "--name", "city", "--role", "city_platform",
             "--scope", ""], capture_output=True, text=True, check=True)
        cls.key = next(line.strip() for line in created.stdout.splitlines() if line.strip().startswith("gk_"))
        cls.offset = free_offset()
        # Webhooks may go to loopback here, a failed delivery is retried once, 100 ms later, and
        # a subscription is paused after 10 failures in a row however soon they came.
        environment = {**os.environ, "GOVERNANCE_WEBHOOK_ALLOW_PRIVATE": "1", "GOVERNANCE_DELIVERY_RETRY_BASE_MS": "100",
                       "GOVERNANCE_DELIVERY_ATTEMPTS": "2", "GOVERNANCE_DELIVERY_PAUSE_AFTER_SECONDS": "0"}
        cls.up = subprocess.Popen(
            [BIN / "governance", "up", "--data", cls.data, "--port-offset", str(cls.offset), "--demo"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=environment)
        deadline = time.time() + 180
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
            cls.admin = Session(cls.base, "admin", pyotp.TOTP(cls.secret).now())
            workers = cls.admin.call("grid.v1.GridService", "ListGridWorkers", {"pageSize": 50})["workers"]
            cls.grid_code = next(code for worker in workers for code in worker.get("gridCodes", []) if len(code) == 15)
            grids = cls.admin.call("grid.v1.GridService", "ListGrids", {"pageSize": 500})["grids"]
            cls.other_grid = next(grid["gridCode"] for grid in grids
                                  if len(grid["gridCode"]) == 15 and grid["gridCode"][:12] != cls.grid_code[:12])
            cls.make_user("shequ", "community", cls.grid_code[:12])
            options = webdriver.ChromeOptions()
            for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1366,768",
                             "--lang=zh-CN"]:
                options.add_argument(argument)
            options.binary_location = "/usr/bin/chromium"
            cls.browser = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        except Exception:
            cls.up.send_signal(signal.SIGINT)
            cls.up.wait(timeout=30)
            raise

    @classmethod
    def tearDownClass(cls):
        cls.browser.quit()
        cls.up.send_signal(signal.SIGINT)
        cls.up.wait(timeout=30)

    # ---- helpers ----

    def sign_in_admin(self):
        self.sign_in("admin", pyotp.TOTP(self.secret).now())

    def report_case(self, title: str) -> dict:
        return self.admin.call("grid.v1.GridService", "CreateCase", {"requestId": f"messages-{time.time()}", "gridCase": {
            "source": "CASE_SOURCE_RESIDENT", "category": "facility", "title": title, "location": {"gridCode": self.grid_code}}})

    def as_platform(self, path: str, body: dict) -> dict:
        """A POST by the city platform, with its API key."""
        request = urllib.request.Request(self.base + path, method="POST", data=json.dumps(body).encode(),
                                         headers={"Authorization": f"Bearer {self.key}", "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())

    def push_case(self, grid_code: str, title: str) -> dict:
        """A case pushed by the city platform from its hotline."""
        return self.as_platform("/governance.grid.v1.GridService/IntakeCityCase", {
            "requestId": f"intake-{time.time_ns()}", "externalId": f"12345-{time.time_ns()}", "channel": "12345",
            "gridCase": {"category": "facility", "title": title, "location": {"gridCode": grid_code}}})

    def text_of(self, element_id: str) -> str:
        """The text of an element a list draws anew (one replaced while read counts as not drawn yet)."""
        try:
            return self.browser.find_element(By.ID, element_id).text
        except StaleElementReferenceException:
            return ""

    def bell_count(self) -> str:
        """The unread count the bell shows; '' when it shows none."""
        count = self.browser.find_element(By.ID, "bell-count")
        return count.text if count.is_displayed() else ""

    def open_deliveries(self):
        self.open_page("deliveries")
        self.wait(lambda b: b.find_elements(By.ID, "routes-table") and b.find_elements(By.ID, "subscriptions-table")
                  and b.find_elements(By.ID, "deliveries-table"))
        self.settle()

    def delivery_rows(self, number: str) -> list:
        """The rows of the deliveries list whose record is the case numbered `number`."""
        try:
            return [row for row in self.browser.find_elements(By.CSS_SELECTOR, "#deliveries-table tbody tr[data-delivery]")
                    if number in row.text]
        except StaleElementReferenceException:
            return []

    def refresh_until(self, condition, timeout: float):
        """Refreshes the deliveries list, as an administrator would, until `condition()` is true."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            found = condition()
            if found:
                return found
            self.browser.find_element(By.ID, "deliveries-refresh").click()
            self.settle()
            time.sleep(1)
        self.fail("the deliveries list never showed what was awaited")

    # ---- tests ----

    def test_1_a_bell_route_rings_the_bell_for_a_new_case(self):
        browser = self.browser
        self.sign_in_admin()
        bell = browser.find_element(By.ID, "bell")
        self.assertGreaterEqual(bell.size["width"], 44)
        self.assertGreaterEqual(bell.size["height"], 44)
        self.assertTrue(browser.execute_script("return BELL_POLL === 30000 && bell.timer !== null"), "the bell asks every 30 s")
        self.open_deliveries()
        # The routes the system started with (the demo's, if any) stay as they are.
        before = {r["id"] for r in self.admin.get("/message-routes")["routes"]}
        self.assertEqual({row.get_attribute("data-route") for row in browser.find_elements(By.CSS_SELECTOR, "#routes-table tr[data-route]")},
                         before)

        # A route without kinds is refused, in Chinese, where the kinds are chosen.
        Select(browser.find_element(By.ID, "route-role")).select_by_value("city_admin")
        browser.find_element(By.ID, "route-add").click()
        slot = self.wait(EC.visibility_of_element_located((By.ID, "route-kinds-error")))
        self.wait(lambda b: "输入有误" in slot.text)
        self.assert_chinese_refusal(slot.text)
        self.assertIn("事件类型", slot.text)

        # Every case event of the city, to city administrators, under the bell.
        browser.find_element(By.CSS_SELECTOR, "#route-form input[name=kinds][value='case.*']").click()
        self.assertEqual(Select(browser.find_element(By.ID, "route-channel")).first_selected_option.get_attribute("value"), "bell")
        browser.find_element(By.ID, "route-quiet-start").send_keys("2200")
        browser.find_element(By.ID, "route-quiet-end").send_keys("2200")
        browser.find_element(By.ID, "route-add").click()
        self.wait(lambda b: len(b.find_elements(By.CSS_SELECTOR, "#routes-table tr[data-route]")) == len(before) + 1)
        added = [r for r in self.admin.get("/message-routes")["routes"] if r["id"] not in before]
        self.assertEqual([(r["kinds"], r["role"], r["divisionPrefix"], r["channel"], r["quietStart"], r["quietEnd"]) for r in added],
                         [(["case.*"], "city_admin", "3201", "bell", 1320, 1320)], "no division chosen: the administrator's jurisdiction")
        row = browser.find_element(By.CSS_SELECTOR, f"#routes-table tr[data-route='{added[0]['id']}']")
        for words in ["全部案件事件", "市级管理员", "全市", "控制台铃铛", "不设"]:
            self.assertIn(words, row.text)
        self.assertEqual(browser.find_element(By.ID, "route-form-status").text, "已添加")
        browser.execute_script("document.getElementById('routes').scrollIntoView()")
        self.check_page("messages-route-added")

        # A case reported through the Connect API rings the bell within seconds (the bell asks
        # again when the window comes back into view, and every 30 s).
        title = f"楼道灯不亮 {time.strftime('%H%M%S')}"
        case = self.report_case(title)
        number = case["caseNumber"]
        deadline = time.time() + 20
        while not self.bell_count() and time.time() < deadline:
            browser.execute_script("window.dispatchEvent(new Event('focus'))")
            time.sleep(1)
        self.assertGreaterEqual(int(self.bell_count().rstrip("+")), 1)
        self.assertIn("条未读", bell.get_attribute("aria-label"))
        browser.execute_script("window.scrollTo(0, 0)")
        browser.save_screenshot(str(SHOTS / "messages-bell-count.png"))

        # Opened: the case is there, marked unread; the count goes to 0.
        bell.click()
        self.wait(lambda b: any(number in item.text for item in b.find_elements(By.CSS_SELECTOR, "#bell-list .bell-item")))
        item = next(i for i in browser.find_elements(By.CSS_SELECTOR, "#bell-list .bell-item") if number in i.text)
        self.assertIn(title, item.text)
        self.assertIn("新上报", item.text)
        self.assertIn("unread", item.get_attribute("class"))
        self.assertIn("未读", item.text)
        self.assertRegex(item.find_element(By.CSS_SELECTOR, "time").text, r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$")
        self.assertEqual(item.get_attribute("href").split("#", 1)[1], f"case/{case['id']}", "the link opens the case's page")
        self.assertGreaterEqual(item.size["height"], 44)
        self.wait(lambda b: self.bell_count() == "")
        self.check_page("messages-bell-open")
        panel = browser.find_element(By.ID, "bell-panel").rect
        self.assertLessEqual(panel["x"] + panel["width"], browser.execute_script("return window.innerWidth"))

        # By keyboard: Escape closes it and returns to the bell; Enter opens it again, now read;
        # Tab reaches the case and Enter opens it.
        ActionChains(browser).send_keys(Keys.ESCAPE).perform()
        self.wait(lambda b: not b.find_element(By.ID, "bell-panel").is_displayed())
        self.assertEqual(browser.switch_to.active_element.get_attribute("id"), "bell")
        ActionChains(browser).send_keys(Keys.ENTER).perform()
        self.wait(lambda b: b.find_elements(By.CSS_SELECTOR, "#bell-list .bell-item"))
        item = next(i for i in browser.find_elements(By.CSS_SELECTOR, "#bell-list .bell-item") if number in i.text)
        self.assertNotIn("unread", item.get_attribute("class"))
        for _ in range(40):
            if browser.switch_to.active_element == item:
                break
            ActionChains(browser).send_keys(Keys.TAB).perform()
        self.assertEqual(browser.switch_to.active_element, item, "Tab reaches the notification")
        ActionChains(browser).send_keys(Keys.ENTER).perform()
        self.wait(EC.presence_of_element_located((By.ID, "case-history")))
        self.assertTrue(browser.find_element(By.CSS_SELECTOR, "main h2").text.startswith(number))
        self.assertFalse(browser.find_element(By.ID, "bell-panel").is_displayed())
        self.assertTrue(browser.current_url.endswith(f"#case/{case['id']}"), browser.current_url)

        # Read stays read: after a reload the bell shows no count.
        browser.refresh()
        self.wait(EC.presence_of_element_located((By.ID, "case-history")))
        self.wait(lambda b: b.execute_script("return bell.asking === null && document.getElementById('bell-wrap').hidden === false"))
        time.sleep(1)
        self.assertEqual(self.bell_count(), "")
        self.assertEqual(self.admin.get("/notifications")["unread"], 0)

        # The route is deleted after a confirmation.
        self.open_deliveries()
        browser.find_element(By.ID, f"route-delete-{added[0]['id']}").click()
        self.wait(EC.presence_of_element_located((By.CSS_SELECTOR, "dialog[open]")))
        self.assertIn("确定删除", browser.find_element(By.CSS_SELECTOR, "dialog[open]").text)
        self.dialog_confirm()
        self.wait(lambda b: not b.find_elements(By.CSS_SELECTOR, f"#routes-table tr[data-route='{added[0]['id']}']"))
        self.assertEqual({r["id"] for r in self.admin.get("/message-routes")["routes"]}, before)
        self.assertEqual(browser.find_element(By.ID, "routes-status").text, "已删除")

    def test_2_subscriptions_pause_and_resume_and_dead_letters_are_replayed(self):
        browser = self.browser
        receiver = Receiver()
        self.addCleanup(receiver.close)
        # The city platform subscribes to new cases three times: in one community at a port
        # nothing listens on (dead letters) and at a receiver that takes them (delivered); in
        # another community at a receiver that fails them (paused after 10 failures in a row).
        here, there = self.grid_code, self.other_grid
        dead_url = f"http://127.0.0.1:{closed_port()}/"
        subscribe = lambda url, grid: self.as_platform("/webhooks/subscriptions", {  # noqa: E731
            "url": url, "kinds": ["case.reported"], "divisionPrefix": grid[:12]})
        dead_end = subscribe(dead_url, here)
        taker = subscribe(receiver.url("ok"), here)
        failing = subscribe(receiver.url("flaky"), there)
        self.assertTrue(dead_end["secret"].startswith("whsec_"))
        # Then it pushes cases from its hotline (a city platform hears of the cases it pushed).
        number = self.push_case(here, "热线：消防通道堆物")["gridCase"]["caseNumber"]
        for index in range(10):
            self.push_case(there, f"热线：路灯不亮（{index + 1}）")

        self.sign_in_admin()
        self.open_deliveries()
        row = browser.find_element(By.CSS_SELECTOR, f"#subscriptions-table tr[data-subscription='{dead_end['id']}']")
        for words in ["city", dead_url, "案件上报", "正常"]:
            self.assertIn(words, row.text)
        self.assertFalse(row.find_elements(By.CSS_SELECTOR, "button[id^=resume-]"), "an active subscription is not resumed")

        # Twenty failures in a row pause the failing one: the page says why, the bell tells it.
        paused = f"#subscriptions-table tr[data-subscription='{failing['id']}']"
        deadline = time.time() + 60
        while "已暂停" not in browser.find_element(By.CSS_SELECTOR, paused).text and time.time() < deadline:
            time.sleep(1)
            self.open_deliveries()
        row = browser.find_element(By.CSS_SELECTOR, paused)
        for words in ["已暂停", "连续", "接收方返回错误（HTTP 500）"]:
            self.assertIn(words, row.text)
        browser.execute_script("document.getElementById('subscriptions').scrollIntoView()")
        self.check_page("messages-paused")
        deadline = time.time() + 20
        while not self.bell_count() and time.time() < deadline:
            browser.execute_script("window.dispatchEvent(new Event('focus'))")
            time.sleep(1)
        browser.find_element(By.ID, "bell").click()
        told = self.wait(lambda b: [i for i in b.find_elements(By.CSS_SELECTOR, "#bell-list .bell-item[data-kind='webhook.paused']")])
        self.assertIn("已暂停", told[0].text)
        self.assertIn("接收方返回错误（HTTP 500）", told[0].text)
        self.assertEqual(told[0].get_attribute("href").split("#", 1)[1], "deliveries")
        browser.find_element(By.ID, "bell-close").click()
        # The receiver works again; resumed, the subscription is active.
        receiver.failing = False
        browser.find_element(By.ID, f"resume-{failing['id']}").click()
        self.wait(lambda b: "已恢复投递" in self.text_of("subscriptions-status"))
        self.wait(lambda b: "正常" in b.find_element(By.CSS_SELECTOR, paused).text)
        self.assertEqual([s["state"] for s in self.admin.get("/webhooks/subscriptions")["subscriptions"] if s["id"] == failing["id"]],
                         ["active"])

        # Dead letters are shown first: the case's delivery arrives there once both attempts failed.
        self.assertEqual(browser.find_element(By.ID, "deliveries-dead").get_attribute("aria-pressed"), "true")
        rows = self.refresh_until(lambda: self.delivery_rows(number), timeout=90)
        dead = rows[0]
        delivery = dead.get_attribute("data-delivery")
        for words in ["案件上报", "系统推送", dead_url, "投递失败", "接收方无应答", "重新投递"]:
            self.assertIn(words, dead.text)
        self.assertEqual(dead.find_elements(By.TAG_NAME, "td")[5].text, "2", "two attempts")
        browser.execute_script("document.getElementById('deliveries').scrollIntoView()")
        self.check_page("messages-dead-letter")

        # Replayed: it is pending again at once, and (the port still closed) dead again later.
        dead.find_element(By.CSS_SELECTOR, "button.replay").click()
        self.wait(lambda b: "待投递" in dead.text)
        self.assertIn("已重新排队", browser.find_element(By.ID, "deliveries-status").text)
        self.assertFalse(dead.find_elements(By.CSS_SELECTOR, "button.replay"))
        browser.find_element(By.ID, "deliveries-pending").click()
        self.settle()
        self.assertEqual(browser.find_element(By.ID, "deliveries-pending").get_attribute("aria-pressed"), "true")
        pending = browser.find_elements(By.CSS_SELECTOR, f"#deliveries-table tr[data-delivery='{delivery}']")
        if pending:  # unless both attempts already failed again
            self.assertIn("待投递", pending[0].text)
            self.check_page("messages-pending")
        browser.find_element(By.ID, "deliveries-dead").click()
        self.settle()
        self.refresh_until(lambda: browser.find_elements(By.CSS_SELECTOR, f"#deliveries-table tr[data-delivery='{delivery}']"),
                           timeout=90)
        self.assertIn(delivery, [d["id"] for d in self.admin.get("/deliveries?state=dead")["deliveries"]])

        # The receiver that takes them got the case, signed; the page lists it as delivered.
        browser.find_element(By.ID, "deliveries-delivered").click()
        self.settle()
        delivered = self.refresh_until(lambda: self.delivery_rows(number), timeout=30)[0]
        self.assertIn("已送达", delivered.text)
        self.assertIn(receiver.url("ok"), delivered.text)
        self.assertRegex(delivered.find_elements(By.TAG_NAME, "td")[-1].text, r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$")
        taken = [headers for path, headers in receiver.requests if path == "/ok"]
        self.assertIn(delivered.get_attribute("data-delivery"), [headers.get("webhook-id") for headers in taken])
        self.assertTrue(all(headers.get("webhook-signature", "").startswith("v1,") for headers in taken))
        self.check_page("messages-delivered")

        # A subscription is deleted after a confirmation.
        browser.find_element(By.ID, f"subscription-delete-{dead_end['id']}").click()
        self.wait(EC.presence_of_element_located((By.CSS_SELECTOR, "dialog[open]")))
        self.assertIn(dead_url, browser.find_element(By.CSS_SELECTOR, "dialog[open]").text)
        self.dialog_confirm()
        self.wait(lambda b: "已删除" in self.text_of("subscriptions-status"))
        self.assertNotIn(dead_end["id"], [s["id"] for s in self.admin.get("/webhooks/subscriptions")["subscriptions"]])
        self.assertFalse(browser.find_elements(By.CSS_SELECTOR, f"#subscriptions-table tr[data-subscription='{dead_end['id']}']"))
        self.assertTrue(browser.find_elements(By.CSS_SELECTOR, f"#subscriptions-table tr[data-subscription='{taker['id']}']"))

    def test_3_other_roles_have_the_bell_but_not_the_page_and_it_fits_a_phone(self):
        browser = self.browser
        self.sign_in("shequ")
        self.assertTrue(browser.find_element(By.ID, "bell").is_displayed())
        self.assertFalse(browser.find_elements(By.CSS_SELECTOR, "nav a[data-page=deliveries]"))
        browser.get(self.base + "/console/#deliveries")
        self.wait(lambda b: b.find_element(By.CSS_SELECTOR, "nav a.active").get_attribute("data-page") == "dashboard")
        # A narrow screen: the bell and its panel stay inside it.
        browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                {"width": 360, "height": 640, "deviceScaleFactor": 2, "mobile": True})
        try:
            self.sign_in_admin()
            self.settle()
            browser.find_element(By.ID, "bell").click()
            self.wait(lambda b: b.find_elements(By.CSS_SELECTOR, "#bell-list .bell-item"))
            browser.save_screenshot(str(SHOTS / "messages-bell-narrow.png"))
            width = browser.execute_script("return window.innerWidth")
            for element in ["bell", "bell-panel", "bell-close"]:
                rect = browser.find_element(By.ID, element).rect
                self.assertGreaterEqual(rect["x"], 0, element)
                self.assertLessEqual(rect["x"] + rect["width"], width, element)
            for item in browser.find_elements(By.CSS_SELECTOR, "#bell-list .bell-item")[:5]:
                self.assertGreaterEqual(item.size["height"], 44)
            self.assertGreaterEqual(browser.find_element(By.ID, "bell-close").size["height"], 44)
            for pattern in test_console.UNTRANSLATED:
                self.assertEqual(pattern.findall(browser.find_element(By.ID, "bell-panel").text), [])
        finally:
            browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
        # The page is whole in English too.
        browser.find_element(By.ID, "bell-close").click()
        self.open_deliveries()
        browser.find_element(By.ID, "lang").click()
        self.wait(lambda b: b.find_element(By.CSS_SELECTOR, "main h2").text == "Deliveries")
        self.wait(lambda b: b.find_elements(By.ID, "routes-table") and b.find_elements(By.ID, "deliveries-table"))
        self.settle()
        browser.save_screenshot(str(SHOTS / "messages-english.png"))
        text = browser.find_element(By.TAG_NAME, "body").text
        for words in ["Webhook subscriptions", "Message routes", "Dead letter", "Console bell"]:
            self.assertIn(words, text)
        self.assertIsNone(re.search(r"\b(?:null|undefined|NaN)\b|\[object Object\]", text))
        browser.find_element(By.ID, "lang").click()
        self.wait(lambda b: b.find_element(By.CSS_SELECTOR, "main h2").text == "消息投递")


if __name__ == "__main__":
    unittest.main()
